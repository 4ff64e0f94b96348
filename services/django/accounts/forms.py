import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy, ngettext

from audit.models import Event
from audit.trail import record, record_refusal

from . import links, lockout, second_factor


def _reserve(username, request):
    try:
        return lockout.reserve(username, lockout.client_address(request))
    except lockout.LockedOut as locked:
        record_refusal(Event.LOCKED_OUT, username, request)
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


# The password's attempt, kept counted in the session until its sign-in gives the right code.
PASSWORD_ATTEMPT = "_portal_password_attempt"


class LockoutMixin:
    """Reserves a password check (accounts.lockout) before the login form makes it."""

    def clean(self):
        attempt = _reserve(self.cleaned_data.get("username") or "", self.request)
        cleaned = super().clean()
        # A blank password is never checked, and raises nothing: only a user found is a success.
        # With a second factor to come, the password alone is not one: its attempt stays counted
        # until the code is right, so signing in again cannot buy more guesses at the code.
        if self.user_cache is not None:
            if second_factor.has_device(self.user_cache):
                self.request.session[PASSWORD_ATTEMPT] = attempt.pk
            else:
                lockout.succeeded(attempt)
        return cleaned


class LoginForm(LockoutMixin, auth_forms.AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass


class CodeForm(forms.Form):
    """The sign-in's second step: a code of the authenticator app, or a recovery code. Each try
    takes an attempt of the login lockout for the user and the client address."""

    code = forms.CharField(
        label=gettext_lazy("Code"), max_length=32,
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.device = None

    def clean_code(self):
        user = self.request.user
        attempt = _reserve(user.get_username(), self.request)
        self.device = second_factor.check(user, self.cleaned_data["code"])
        if self.device is None:
            record(Event.FACTOR_FAILED, request=self.request)
            raise ValidationError(gettext_lazy("That code is not right, or it was already used."), code="wrong")
        lockout.succeeded(attempt, self.request.session.pop(PASSWORD_ATTEMPT, None))
        return self.cleaned_data["code"]


class SetupForm(forms.Form):
    """Setting an authenticator up: the code it shows proves it holds the secret."""

    code = forms.CharField(
        label=gettext_lazy("Code from the app"), max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device
        self.recovery_codes = None

    def clean_code(self):
        self.recovery_codes = second_factor.confirm(self.device, self.cleaned_data["code"])
        if self.recovery_codes is None:
            raise ValidationError(
                gettext_lazy("That code does not match. Check that the app shows this account and try the next code."),
                code="wrong",
            )
        return self.cleaned_data["code"]


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


class PasswordResetForm(auth_forms.PasswordResetForm):
    """"Forgot your password?": mails a reset link to the accounts with this address, and answers
    the same whether there are any or not.

    Each request takes an attempt of the login lockout for its client address and for the address
    typed (keyed "mail:ADDRESS", which no username can be): the database counts them atomically
    across workers as it does logins, so nobody floods one mailbox or tries addresses unchecked.
    They are never taken back, so they share the address's LOGIN_FAIL_LIMIT with failed logins.
    """

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self):
        email = self.cleaned_data["email"]
        try:
            lockout.reserve("mail:" + email, lockout.client_address(self.request))
        except lockout.LockedOut as locked:
            minutes = math.ceil(locked.seconds / 60)
            raise ValidationError(
                ngettext(
                    "Too many requests for this address or from yours. Try again in %(minutes)d minute.",
                    "Too many requests for this address or from yours. Try again in %(minutes)d minutes.",
                    minutes,
                ),
                code="locked_out",
                params={"minutes": minutes},
            ) from None
        return email

    def get_users(self, email):
        # Django's skips users without a usable password; here that is an invitee whose link
        # expired, who may well ask for a new one. One query, partner and language included,
        # whether or not anybody uses the address.
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return users.select_related("membership__partner", "preferences")

    def save(self, request, **kwargs):
        for user in self.get_users(self.cleaned_data["email"]):
            saved = getattr(getattr(user, "preferences", None), "language", None)
            link = links.link_for(user, request)
            links.send_in_background(user, links.kind_for(user), link, saved or request.LANGUAGE_CODE)
