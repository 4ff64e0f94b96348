from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponseRedirect
from django.views import i18n
from django.views.decorators.http import require_POST

from .forms import LoginForm, PasswordChangeForm, PasswordResetForm
from .language import CODES, save_language


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # "Forgot your password?" only where a link can be mailed; elsewhere whom to ask.
        return {**super().get_context_data(**kwargs), "mail_enabled": settings.EMAIL_ENABLED}


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        # The form counts the old password against the client's address too.
        return {**super().get_form_kwargs(), "request": self.request}


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
