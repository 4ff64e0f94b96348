"""Which partner a request acts for, answered from the cache.

/auth/check asks this on every /app/ request, websocket included, so the answers are cached and
dropped when a partner or a membership changes (after the commit, so no reader caches the old row).
"""
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from .models import Membership, Partner

# The partner a staff user acts as, by slug.
SESSION_KEY = "acting_partner"
# A deactivation reaches every worker at once through invalidation; the timeout only bounds how
# long a value cached by a request racing that invalidation can live.
TIMEOUT = 60

NO_PARTNER = gettext_lazy("Your account is not linked to a partner. Ask the portal staff to add you to one.")
INACTIVE = gettext_lazy("Your partner account is deactivated. Ask the portal staff if this is a mistake.")
NOT_ADMIN = gettext_lazy("Only your partner's admins manage its people. Ask one of them.")


@dataclass(frozen=True)
class PartnerRef:
    id: int
    slug: str
    name: str
    active: bool
    require_mfa: bool = False


def _partner_key(slug):
    return f"partners:partner:{slug}"


def _user_key(user_id):
    return f"partners:membership:{user_id}"


def partner_by_slug(slug):
    """The partner with this slug, or None."""
    def lookup():
        partner = Partner.objects.filter(slug=slug).first()
        # False, not None: "no such partner" is cached too.
        return PartnerRef(partner.id, partner.slug, partner.name, partner.active, partner.require_mfa) if partner else False

    return cache.get_or_set(_partner_key(slug), lookup, TIMEOUT) or None


def _membership(user_id):
    """(the slug of the user's partner, the user's role there), or ("", "") for none."""
    return cache.get_or_set(
        _user_key(user_id),
        lambda: Membership.objects.filter(user_id=user_id).values_list("partner__slug", "role").first() or ("", ""),
        TIMEOUT,
    )


def acting_partner(request):
    """The partner whose data this request may see: a member's own, or the one staff picked."""
    user = request.user
    if not user.is_authenticated:
        return None
    slug = request.session.get(SESSION_KEY) if user.is_staff else _membership(user.pk)[0]
    return partner_by_slug(slug) if slug else None


def membership_partner(user):
    """The partner a user belongs to (a PartnerRef), whoever they act as; None for none."""
    slug = _membership(user.pk)[0]
    return partner_by_slug(slug) if slug else None


def manages_people(request):
    """Whether this request may manage the acting partner's people: its admins may, and staff."""
    user = request.user
    if not user.is_authenticated:
        return False
    return user.is_staff or _membership(user.pk)[1] == Membership.ADMIN


def partner_required(view):
    """Runs the view with request.partner set, or refuses: the portal's pages are per partner."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        partner = acting_partner(request)
        if request.user.is_staff:
            if partner is None:
                return redirect("home")
        elif partner is None:
            raise PermissionDenied(NO_PARTNER)
        elif not partner.active:
            raise PermissionDenied(INACTIVE)
        request.partner = partner
        return view(request, *args, **kwargs)

    return wrapper


def people_admin_required(view):
    """partner_required, and only for those who manage the partner's people (manages_people)."""

    @partner_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not manages_people(request):
            raise PermissionDenied(NOT_ADMIN)
        return view(request, *args, **kwargs)

    return wrapper


def people_link(request):
    """Template context: whether the header links to the people page (people_admin_required would
    let this request in), worked out only when a page asks."""

    def linked():
        if not manages_people(request):
            return False
        partner = acting_partner(request)
        return partner is not None and (partner.active or request.user.is_staff)

    return {"manages_people": SimpleLazyObject(linked)}


@receiver([post_save, post_delete], sender=Partner)
def _forget_partner(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.delete(_partner_key(instance.slug)))


@receiver([post_save, post_delete], sender=Membership)
def _forget_membership(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.delete(_user_key(instance.user_id)))
