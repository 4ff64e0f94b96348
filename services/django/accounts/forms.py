import math

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from . import lockout


def _reserve(username, request):
    try:
        return lockout.reserve(username, lockout.client_address(request))
    except lockout.LockedOut as locked:
        minutes = math.ceil(locked.seconds / 60)
        raise ValidationError(
            ngettext(
                "Too many failed logins for this account or from your address. Try again in %(minutes)d minute.",
                "Too many failed logins for this account or from your address. Try again in %(minutes)d minutes.",
                minutes,
            ),
            code="locked_out",
            params={"minutes": minutes},
        ) from None


class LockoutMixin:
    """Reserves a password check (accounts.lockout) before the login form makes it."""

    def clean(self):
        attempt = _reserve(self.cleaned_data.get("username") or "", self.request)
        cleaned = super().clean()
        # A blank password is never checked, and raises nothing: only a user found is a success.
        if self.user_cache is not None:
            lockout.succeeded(attempt)
        return cleaned


class LoginForm(LockoutMixin, auth_forms.AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The old password counts like a login's: holding a session must not be a way to guess its
    user's password without limit."""

    def __init__(self, user, *args, request, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        attempt = _reserve(self.user.get_username(), self.request)
        old_password = super().clean_old_password()
        lockout.succeeded(attempt)
        return old_password
