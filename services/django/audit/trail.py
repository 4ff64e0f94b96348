"""The audit trail: who did what, when, to whom, for which partner and from which address.

Everything is recorded through record(). Code with a request passes it; receivers of model
signals (datasets, the admin) have none, so RequestMiddleware keeps the request being served
where record() finds it. Management commands run with no request: their events name no actor
and no address, which is how the trail says "done by ops on the command line".

Events older than AUDIT_RETENTION_DAYS are removed by `pruneaudit`, and by record() itself once
a day: a stack that runs for months needs no process of its own for it, and a command that
nobody schedules cannot leave old addresses lying about.
"""
import contextvars
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from .models import Event

log = logging.getLogger(__name__)

_request = contextvars.ContextVar("audit_request", default=None)
PRUNED_KEY = "audit:pruned"
# record(partner=STAFF_ONLY): an event no partner's trail shows, whoever staff act as.
STAFF_ONLY = object()
DAY = 24 * 3600


class RequestMiddleware:
    """Keeps the request being served for record() calls that are not handed one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_request():
    return _request.get()


def _address(request):
    from accounts.lockout import client_address

    return client_address(request) if request is not None else ""


def _partner_of(user, request):
    """The partner an actor acts for: staff's pick, a member's own; None for neither."""
    from partners.access import acting_partner
    from partners.models import Membership

    if request is not None and getattr(request, "user", None) is not None and request.user == user:
        return acting_partner(request)
    membership = Membership.objects.filter(user=user).select_related("partner").first() if user else None
    return membership.partner if membership else None


def record(action, *, request=None, user=None, partner=None, target="", detail="", address=None):
    """Adds one event. `user` is who did it (default: the request's signed-in user); `partner`
    whose trail shows it (default: the partner that user acts for), a Partner or a PartnerRef;
    `address` the client's, where the request is not the client's own (the analytics')."""
    request = request if request is not None else current_request()
    if user is None and request is not None:
        signed_in = getattr(request, "user", None)
        user = signed_in if signed_in is not None and signed_in.is_authenticated else None
    if partner is STAFF_ONLY:
        partner = None
    elif partner is None:
        partner = _partner_of(user, request)
    try:
        # A savepoint: inside a caller's transaction a failed insert must not break theirs.
        with transaction.atomic():
            Event.objects.create(
                at=timezone.now(), action=action,
                actor_id=user.pk if user else None, actor_name=user.get_username() if user else "",
                partner_id=partner.id if partner else None, partner_name=partner.name if partner else "",
                address=_address(request) if address is None else address,
                target=str(target)[:300], detail=str(detail)[:300],
            )
    except DatabaseError:
        # A full disk or a locked database must not turn a sign-in or an upload into an error page.
        log.exception("could not record the audit event %s of %s", action, user)
        return
    if cache.add(PRUNED_KEY, True, DAY):
        prune()


def record_refusal(action, username, request):
    """A refused sign-in: the account whose name was typed is named, and the trail of its
    partner shows it, so a partner's admin sees the guessing at its people."""
    from django.contrib.auth import get_user_model
    from partners.models import Membership

    user = get_user_model().objects.filter(username__iexact=username).first() if username else None
    membership = Membership.objects.filter(user=user).select_related("partner").first() if user else None
    record(action, request=request, user=user, partner=membership.partner if membership else None, target=username)


def prune(now=None):
    """Removes the events older than AUDIT_RETENTION_DAYS; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    removed, _ = Event.objects.filter(at__lt=cutoff).delete()
    return removed
