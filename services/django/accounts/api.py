"""The internal API Streamlit asks, on every rerun of an analytics tab, whether the sign-in behind
it still holds and for which partner. The tab names its session by the ticket the gate gave it."""
import ipaddress
import json

from django.contrib import auth
from django.http import JsonResponse

from audit.models import Event
from audit.trail import record
from partners.access import acting_partner
from portal.internal import internal_api, internal_api_post

from . import language, second_factor, sessions


def _holding(signed_in):
    """(the partner the session acts for, None) while it holds; (None, the answer saying why
    not) otherwise."""
    if signed_in is None or not signed_in.user.is_authenticated:
        return None, JsonResponse({"state": "signed_out"})
    # The gate refuses such a session; this catches one whose factor was reset since.
    if second_factor.pending(signed_in):
        return None, JsonResponse({"state": "signed_out", "reason": "second_factor"})
    ended = sessions.ended(signed_in.session)
    if ended:
        auth.logout(signed_in)
        return None, JsonResponse({"state": "signed_out", "reason": ended})
    partner = acting_partner(signed_in)
    if partner is None:
        return None, JsonResponse({"state": "no_partner"})
    if not partner.active:
        return None, JsonResponse({"state": "partner_inactive"})
    return partner, None


@internal_api
def session_state(request, ticket):
    signed_in = sessions.request_for_ticket(ticket)
    partner, refusal = _holding(signed_in)
    if refusal:
        return refusal
    # A partner's click in the analytics is activity on the portal session; the tab's own
    # periodic check is not, or an open tab would never idle out.
    if request.GET.get("activity") == "1":
        sessions.seen(signed_in.session)
    # The tab has no request of its own here: it may forward its handshake's Accept-Language.
    decided = language.for_user(signed_in.user, request.GET.get("accept_language", ""))
    return JsonResponse(
        {"state": "active", "partner": partner.slug, "user": signed_in.user.get_username(), "language": decided}
    )


@internal_api_post
def session_language(request, ticket):
    """The analytics' language switcher: saves the choice on the session's user, for both halves."""
    try:
        chosen = json.loads(request.body or b"{}").get("language")
    except (ValueError, AttributeError):
        chosen = None
    if chosen not in language.CODES:
        return JsonResponse({"error": f"language must be one of {', '.join(language.CODES)}"}, status=400)
    signed_in = sessions.request_for_ticket(ticket)
    _, refusal = _holding(signed_in)
    if refusal:
        return refusal
    language.save_language(signed_in.user, chosen)
    return JsonResponse({"state": "active", "language": chosen})


# What the analytics report of a partner's work there; the portal cannot see it happen.
ANALYTICS_EVENTS = (Event.DATASET_OPENED, Event.ANALYTICS_EXPORT)


@internal_api_post
def session_event(request, ticket):
    """An event of the analytics for the trail: a dataset opened, or an export made, by the
    session's user, from the address of the partner's browser (which only the replica sees)."""
    try:
        event = json.loads(request.body or b"{}")
        action, target, detail, address = (str(event.get(key) or "") for key in ("action", "target", "detail", "address"))
    except (ValueError, AttributeError):
        action = ""
    if action not in ANALYTICS_EVENTS:
        return JsonResponse({"error": f"action must be one of {', '.join(ANALYTICS_EVENTS)}"}, status=400)
    try:
        address = str(ipaddress.ip_address(address))
    except ValueError:
        address = ""
    signed_in = sessions.request_for_ticket(ticket)
    partner, refusal = _holding(signed_in)
    if refusal:
        return refusal
    record(action, user=signed_in.user, partner=partner, target=target, detail=detail, address=address)
    return JsonResponse({"state": "active"})
