"""The second factor: a TOTP authenticator app (django-otp's TOTP device) with one-time recovery
codes (its static-token device), asked for after the password.

Who must have one: staff always; a partner's people when their partner requires it or
PORTAL_REQUIRE_MFA is on; anybody else may set one up. A session that passed the password but
not the code of a user who has or needs a factor is *pending*: SecondFactorMiddleware lets it
reach only the code step (or the set-up, for one who has no device yet), sign-out and the
language switcher, and the gate for /app/ and the analytics' session checks refuse it, so a
password alone never reaches a partner's data.

A verified session holds the device's id (django_otp.login, DEVICE_ID_SESSION_KEY); it stops
counting once that device is gone, so a reset takes effect at the session's next request.
Wrong codes count in the login lockout (accounts.lockout) like wrong passwords; django-otp's
own per-device throttle is off (settings), as it is a read-then-write the workers could race.
"""
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Value
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django_otp import DEVICE_ID_SESSION_KEY, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from partners.access import membership_partner

RECOVERY_CODES = 10
TIMEOUT = 3600


def _key(user_id):
    return f"accounts:second-factor:{user_id}"


def _device_ids(user):
    """{kind: [persistent ids]} of the user's confirmed authenticators ("totp") and recovery
    codes ("static"), cached: every request of a signed-in user asks (the gate on every /app/
    request), so a verified session costs no query. Dropped when a device changes."""
    key = _key(user.pk)
    found = cache.get(key)
    if found is None:
        totp = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).annotate(kind=Value("totp"))
        static = StaticDevice.objects.filter(user_id=user.pk, confirmed=True).annotate(kind=Value("static"))
        rows = totp.values_list("id", "kind").union(static.values_list("id", "kind"), all=True)
        found = {"totp": [], "static": []}
        labels = {"totp": TOTPDevice.model_label(), "static": StaticDevice.model_label()}
        for pk, kind in rows:
            found[kind].append(f"{labels[kind]}/{pk}")
        cache.set(key, found, TIMEOUT)
    return found


def has_device(user):
    """Whether the user has a confirmed authenticator."""
    return bool(_device_ids(user)["totp"])


def required(user):
    """Whether this user must have a second factor before anything else."""
    if user.is_staff or settings.PORTAL_REQUIRE_MFA:
        return True
    partner = membership_partner(user)
    return partner is not None and partner.require_mfa


def verified(request):
    """Whether this session passed the second factor with a device the user still has."""
    device_id = request.session.get(DEVICE_ID_SESSION_KEY)
    if not device_id:
        return False
    ids = _device_ids(request.user)
    return device_id in ids["totp"] or device_id in ids["static"]


def pending(request):
    """A signed-in session that still owes its second factor: what it may do is its next step."""
    user = request.user
    if not user.is_authenticated or verified(request):
        return None
    if has_device(user):
        return "code"
    return "setup" if required(user) else None


def check(user, code):
    """The device that accepts this code (TOTP or an unused recovery code, which is then used
    up), or None. A code is a replay once accepted: django-otp keeps the last time step used."""
    code = "".join(code.split()).replace("-", "").lower()
    if not code:
        return None
    return match_token(user, code)


def is_recovery(device):
    return isinstance(device, StaticDevice)


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user_id=user.pk).count()


def new_device(user):
    """The authenticator being set up: the user's unconfirmed one, or a new one. Confirmed ones
    stay until the new one is confirmed: a set-up abandoned halfway locks nobody out."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def secret(device):
    """The key as an authenticator app takes it typed in: base32, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def qr_svg(device):
    """The enrolment QR code as inline SVG (no image file, no script: the CSP allows it)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, title=None)


def confirm(device, code):
    """Confirms the device being set up if the code is right: it replaces any earlier
    authenticator, and the user gets new recovery codes (returned), which are shown once."""
    if not device.verify_token("".join(code.split())):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save()
        return new_recovery_codes(device.user)


def new_recovery_codes(user):
    """Replaces the user's recovery codes with RECOVERY_CODES fresh ones and returns them."""
    with transaction.atomic():
        # The same device, new tokens: a session that signed in with a recovery code stays verified.
        device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "recovery codes"})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def reset(user):
    """Removes the user's authenticator and recovery codes: their verified sessions stop counting
    at the next request, and their next sign-in sets a factor up again where one is required."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk).delete()
        StaticDevice.objects.filter(user_id=user.pk).delete()


@receiver([post_save, post_delete], sender=TOTPDevice)
@receiver([post_save, post_delete], sender=StaticDevice)
def _forget(sender, instance, **kwargs):
    # After the commit, so no reader caches the old devices again.
    transaction.on_commit(lambda: cache.delete(_key(instance.user_id)))


# What a pending session may still open, by URL name.
PENDING_ALLOWED = {"second_factor_code", "logout", "set_language", "healthz", "auth_check"}


class SecondFactorMiddleware:
    """Sends a pending session (see pending()) to its next step from every other page. After the
    session middlewares: a session they end is no longer pending."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = pending(request)
        if step is not None:
            allowed = PENDING_ALLOWED | ({"second_factor_setup"} if step == "setup" else set())
            if _url_name(request) not in allowed:
                target = reverse("second_factor_code" if step == "code" else "second_factor_setup")
                # Where the user was going comes along, so the step leads there afterwards.
                wanted = request.GET.get("next") or (request.get_full_path() if request.method == "GET" else "")
                return redirect(f"{target}?{urlencode({'next': wanted})}" if wanted else target)
        return self.get_response(request)


def _url_name(request):
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None
