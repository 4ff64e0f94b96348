from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.sessions import ticket_for

from .access import SESSION_KEY, acting_partner
from .forms import ActAsForm


# nginx's auth_request subrequest keeps the method of the request it guards (Streamlit's uploads
# are POSTs) and carries no body or CSRF token; the answer changes nothing, so CSRF has no part.
@csrf_exempt
@never_cache
def auth_check(request):
    """nginx's gate for /app/: 200 names the partner and user, the session's ticket (for the
    analytics' checks on every rerun) and the user's language, 401 asks for a login, 403 refuses."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    partner = acting_partner(request)
    if partner is None or not partner.active:
        return HttpResponse(status=403)
    response = HttpResponse(status=200)
    response["X-Portal-Partner"] = partner.slug
    response["X-Portal-User"] = request.user.get_username()
    response["X-Portal-Session"] = ticket_for(request.session.session_key)
    # The language the portal decided for this request (accounts.language): the analytics use it.
    response["X-Portal-Language"] = request.LANGUAGE_CODE
    return response


@staff_member_required
@require_POST
def act_as(request):
    form = ActAsForm(request.POST)
    if form.is_valid():
        partner = form.cleaned_data["partner"]
        request.session[SESSION_KEY] = partner.slug
        messages.success(request, gettext("You now act as {partner}.").format(partner=partner.name))
    else:
        request.session.pop(SESSION_KEY, None)
    return redirect("home")
