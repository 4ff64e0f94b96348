"""Portal sessions: how long one lasts, and the opaque ticket the analytics know it by.

The session engine (SESSION_ENGINE names this module) is Django's database one with a ticket on
each row: an HMAC of the session key, so the key itself never leaves Django. The gate hands the
ticket to nginx, nginx to Streamlit, and Streamlit asks the internal API with it, on every rerun,
whether the sign-in behind its tab still holds.

A session ends SESSION_IDLE_MINUTES after the last request that used it, and SESSION_MAX_HOURS
after the sign-in, whichever comes first. The sign-in time is in the session's data (written at
the sign-in); the last-seen time is a column of the row, updated on its own at most once a
minute: /auth/check reads the session on every /app/ request, and a write each time would cost
more than the gate itself.
"""
import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

SIGNED_IN_AT = "_portal_signed_in_at"
# How stale the last-seen time may get before a request writes it again.
SEEN_RESOLUTION_SECONDS = 60

ENDED_MESSAGES = {
    "idle": gettext_lazy("You were signed out after {minutes} minutes without activity. Please sign in again."),
    "expired": gettext_lazy("Your sign-in is more than {hours} hours old, so it has ended. Please sign in again."),
}


def ticket_for(session_key):
    return salted_hmac("portal.session-ticket", session_key, algorithm="sha256").hexdigest()


class SessionStore(DatabaseStore):
    # When the row was last used, as read with it (None before it is read or written).
    seen_at = None

    @classmethod
    def get_model_class(cls):
        from .models import PortalSession

        return PortalSession

    def _get_session_from_db(self):
        row = super()._get_session_from_db()
        self.seen_at = row.seen_at if row is not None else None
        return row

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.ticket = ticket_for(instance.session_key)
        instance.seen_at = self.seen_at if self.seen_at is not None else time.time()
        return instance


def ended(session, now=None):
    """Why this signed-in session is over ("idle" or "expired"), or None while it holds."""
    now = time.time() if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT)
    # Every sign-in starts the clock (below); a session without one is not to be trusted.
    if signed_in_at is None or now - signed_in_at > settings.SESSION_MAX_HOURS * 3600:
        return "expired"
    if now - (session.seen_at or signed_in_at) > settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


def seen(session, now=None):
    """Records activity on the session when the last record is stale: its row's last-seen
    column alone, so nothing else another request saved meanwhile is written over."""
    now = time.time() if now is None else now
    if session.session_key and now - (session.seen_at or 0) >= SEEN_RESOLUTION_SECONDS:
        session.get_model_class().objects.filter(session_key=session.session_key).update(seen_at=now)
        session.seen_at = now


@receiver(auth.signals.user_logged_in)
def _start_the_clock(sender, request, user, **kwargs):
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session.seen_at = now


class SessionLifetimeMiddleware:
    """Signs out a session that has been idle or alive too long, and records activity on the
    others. After AuthenticationMiddleware: the request then goes on as anonymous, so a page
    sends the browser to the login form and the gate answers 401."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            reason = ended(request.session)
            if reason:
                auth.logout(request)
                messages.info(request, ENDED_MESSAGES[reason].format(
                    minutes=settings.SESSION_IDLE_MINUTES, hours=settings.SESSION_MAX_HOURS))
            else:
                seen(request.session)
        return self.get_response(request)


def request_for_ticket(ticket):
    """A request carrying the session this ticket names, its user as Django's own check sees it
    (after a password change, a deactivation or a deletion: anonymous). None when no unexpired
    session has this ticket."""
    model = SessionStore.get_model_class()
    key = model.objects.filter(ticket=ticket, expire_date__gt=timezone.now()).values_list("session_key", flat=True).first()
    if key is None:
        return None
    request = HttpRequest()
    request.session = SessionStore(session_key=key)
    request.user = auth.get_user(request)
    return request
