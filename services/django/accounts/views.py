from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from audit.models import Event
from audit.trail import record

from . import second_factor
from .forms import CodeForm, LoginForm, PasswordChangeForm, PasswordResetForm, SetupForm
from .language import CODES, save_language


def _next(request, default="home"):
    """Where the browser was going (?next=, this site's only), or the default page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return reverse(default)


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # "Forgot your password?" only where a link can be mailed; elsewhere whom to ask.
        return {**super().get_context_data(**kwargs), "mail_enabled": settings.EMAIL_ENABLED}

    def get_success_url(self):
        # The password was right: a user with a second factor gives its code next.
        url = super().get_success_url()
        step = second_factor.pending(self.request)
        if step is None:
            return url
        target = reverse("second_factor_code" if step == "code" else "second_factor_setup")
        return f"{target}?{urlencode({'next': url})}"


@never_cache
@login_required
def code(request):
    """The sign-in's second step, for a session that passed the password of a user with a factor."""
    if second_factor.pending(request) != "code":
        return redirect(_next(request))
    form = CodeForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        if second_factor.is_recovery(form.device):
            left = second_factor.recovery_codes_left(request.user)
            record(Event.RECOVERY_CODE_USED, request=request, detail=str(left))
            messages.warning(request, ngettext(
                "You signed in with a recovery code. %(count)d recovery code is left: set up your authenticator again or make new codes.",
                "You signed in with a recovery code. %(count)d recovery codes are left: set up your authenticator again or make new codes.",
                left,
            ) % {"count": left})
        else:
            record(Event.FACTOR_VERIFIED, request=request)
        return redirect(_next(request))
    return render(request, "registration/second_factor_code.html", {"form": form, "next": _next(request)})


@never_cache
@login_required
def second_factor_page(request):
    """A user's own second factor: whether it is set up, how many recovery codes are left."""
    context = {
        "has_device": second_factor.has_device(request.user),
        "required": second_factor.required(request.user),
        "codes_left": second_factor.recovery_codes_left(request.user),
    }
    return render(request, "registration/second_factor.html", context)


@never_cache
@login_required
def setup(request):
    """Sets up an authenticator app: the QR code and the secret typed in, confirmed by a code."""
    device = second_factor.new_device(request.user)
    form = SetupForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        record(Event.FACTOR_ENROLLED, request=request)
        return _show_codes(request, form.recovery_codes, next_url=_next(request))
    context = {
        "form": form, "qr": second_factor.qr_svg(device), "secret": second_factor.secret(device),
        "required": second_factor.required(request.user), "next": _next(request, "second_factor"),
    }
    return render(request, "registration/second_factor_setup.html", context)


@never_cache
@login_required
@require_POST
def recovery_codes(request):
    """New recovery codes; the old ones stop working."""
    if not second_factor.has_device(request.user):
        return redirect("second_factor")
    codes = second_factor.new_recovery_codes(request.user)
    record(Event.RECOVERY_CODES_NEW, request=request)
    return _show_codes(request, codes, next_url=reverse("second_factor"))


def _show_codes(request, codes, next_url):
    # The only time the codes are shown: the views that call this are never cached.
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": next_url})


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        # The form counts the old password against the client's address too.
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        record(Event.PASSWORD_CHANGED, request=self.request)
        return response


@require_POST
def set_language(request):
    """The switcher on every page: Django's own view sets the language cookie and goes back to the
    page (`next`, checked to be this site's); a signed-in user's choice is saved on the account,
    so it follows them to other browsers and into the analytics."""
    response = i18n.set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in CODES:
        save_language(request.user, language)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """"Forgot your password?", only where mail goes out; without it a partner's admin makes the link."""

    form_class = PasswordResetForm

    def dispatch(self, request, *args, **kwargs):
        if not settings.EMAIL_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        # The form counts requests against the client's address, as logins are.
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        form.save(request=self.request)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Where an invitation or a reset link (accounts.links) sets the password. An expired or used
    link, or one of a deactivated user, shows that it no longer works and changes nothing."""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # An invitee has never had a password: the page greets them as new.
        context["invited"] = self.user is not None and not self.user.has_usable_password()
        context["mail_enabled"] = settings.EMAIL_ENABLED
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        record(Event.PASSWORD_SET, request=self.request, user=self.user)
        return response
