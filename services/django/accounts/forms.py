import math

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from . import lockout


class LockoutMixin:
    """Refuses logins for a username or an address with too many recent failures."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = lockout.client_address(self.request)
        left = lockout.seconds_left(username, address)
        if left:
            raise ValidationError(
                "Too many failed logins for this account or from your address. "
                "Try again in %(minutes)d minute(s).",
                code="locked_out",
                params={"minutes": math.ceil(left / 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                lockout.record_failure(username, address)
            raise
        lockout.forget_username(username)
        return cleaned


class LoginForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass
