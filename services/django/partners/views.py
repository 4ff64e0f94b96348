from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import links, second_factor
from accounts.language import saved_language
from accounts.sessions import ticket_for
from audit.models import Event
from audit.trail import record

from . import people as people_of
from .access import SESSION_KEY, acting_partner, people_admin_required
from .forms import ActAsForm, InviteForm
from .models import Membership, Partner


# nginx's auth_request subrequest keeps the method of the request it guards (Streamlit's uploads
# are POSTs) and carries no body or CSRF token; the answer changes nothing, so CSRF has no part.
@csrf_exempt
@never_cache
def auth_check(request):
    """nginx's gate for /app/: 200 names the partner and user, the session's ticket (for the
    analytics' checks on every rerun) and the user's language, 401 asks for a login, 403 refuses."""
    # A session owing its second factor is sent to sign in, which leads it to the code step.
    if not request.user.is_authenticated or second_factor.pending(request):
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
        # The partner's own trail shows that staff now see its data.
        record(Event.ACTED_AS, request=request, partner=partner)
        messages.success(request, gettext("You now act as {partner}.").format(partner=partner.name))
    else:
        request.session.pop(SESSION_KEY, None)
    return redirect("home")


def _people_page(request, form, status=200):
    memberships = Membership.objects.filter(partner_id=request.partner.id).select_related("user")
    memberships = list(memberships.order_by("user__username"))
    with_factor = set(
        TOTPDevice.objects.filter(user_id__in=[m.user_id for m in memberships], confirmed=True).values_list("user_id", flat=True)
    )
    for membership in memberships:
        membership.has_factor = membership.user_id in with_factor
    context = {
        "partner": request.partner, "memberships": memberships, "form": form,
        "mail_enabled": settings.EMAIL_ENABLED, "hours": settings.INVITE_LINK_HOURS,
    }
    return render(request, "partners/people.html", context, status=status)


@people_admin_required
def people(request):
    """A partner's people, for its admins: who they are, an invitation form, and per person a
    reset link or a deactivation."""
    return _people_page(request, InviteForm())


def _colleague(request, user_id):
    """The user of this id in the acting partner, or 404: another partner's people do not exist
    here, and neither do staff, whom a partner's admin must never reset or deactivate."""
    membership = get_object_or_404(
        Membership.objects.select_related("user"),
        user_id=user_id, partner_id=request.partner.id, user__is_staff=False, user__is_superuser=False,
    )
    return membership.user


def _link_page(request, user, kind, language):
    """The page that hands out a fresh link: mailed when mail is configured and the user has an
    address, and shown only when it was not: the admin then holds no key to a colleague's account."""
    link = links.link_for(user, request)
    people_of.link_made(user)
    mailed = links.send(user, kind, link, language)
    context = {
        "partner": request.partner, "person": user, "kind": kind, "hours": settings.INVITE_LINK_HOURS,
        "mailed": mailed, "link": None if mailed else link,
        "mail_failed": not mailed and settings.EMAIL_ENABLED and bool(user.email),
    }
    return render(request, "partners/link.html", context)


@people_admin_required
@require_POST
@never_cache
def invite(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _people_page(request, form, status=400)
    data = form.cleaned_data
    try:
        partner = Partner.objects.get(pk=request.partner.id)
        user = people_of.invite(partner, data["username"], data["email"], data["role"])
    except ValidationError as error:
        form.add_error(None, error)
        return _people_page(request, form, status=400)
    return _link_page(request, user, links.INVITATION, data.get("language") or settings.LANGUAGE_CODE)


@people_admin_required
@require_POST
@never_cache
def reset_link(request, user_id):
    user = _colleague(request, user_id)
    if not user.is_active:
        refusal = gettext("{username} is deactivated: a link would do nothing.")
        messages.error(request, refusal.format(username=user.get_username()))
        return redirect("people")
    return _link_page(request, user, links.kind_for(user), saved_language(user) or settings.LANGUAGE_CODE)


@people_admin_required
@require_POST
def deactivate(request, user_id):
    user = _colleague(request, user_id)
    if user == request.user:
        messages.error(request, gettext("You cannot deactivate yourself. Ask another admin of your partner."))
    elif not user.is_active:
        messages.info(request, gettext("{username} is already deactivated.").format(username=user.get_username()))
    else:
        people_of.set_active(user, False)
        done = gettext("{username} is deactivated and can no longer log in.")
        messages.success(request, done.format(username=user.get_username()))
    return redirect("people")


@people_admin_required
@require_POST
def reset_factor(request, user_id):
    """A colleague lost their authenticator: they sign in with their password and set one up anew."""
    user = _colleague(request, user_id)
    if not second_factor.has_device(user):
        messages.info(request, gettext("{username} has no second factor to reset.").format(username=user.get_username()))
    else:
        people_of.reset_second_factor(user)
        done = gettext("The second factor of {username} is reset: they set up a new one at their next sign-in.")
        messages.success(request, done.format(username=user.get_username()))
    return redirect("people")
