"""The internal API Streamlit asks, on every rerun of an analytics tab, whether the sign-in behind
it still holds and for which partner. The tab names its session by the ticket the gate gave it."""
from django.contrib import auth
from django.http import JsonResponse

from partners.access import acting_partner
from portal.internal import internal_api

from . import sessions


@internal_api
def session_state(request, ticket):
    signed_in = sessions.request_for_ticket(ticket)
    if signed_in is None or not signed_in.user.is_authenticated:
        return JsonResponse({"state": "signed_out"})
    ended = sessions.ended(signed_in.session)
    if ended:
        auth.logout(signed_in)
        return JsonResponse({"state": "signed_out", "reason": ended})
    partner = acting_partner(signed_in)
    if partner is None:
        return JsonResponse({"state": "no_partner"})
    if not partner.active:
        return JsonResponse({"state": "partner_inactive"})
    # A partner's click in the analytics is activity on the portal session; the tab's own
    # periodic check is not, or an open tab would never idle out.
    if request.GET.get("activity") == "1":
        sessions.seen(signed_in.session)
    return JsonResponse({"state": "active", "partner": partner.slug, "user": signed_in.user.get_username()})
