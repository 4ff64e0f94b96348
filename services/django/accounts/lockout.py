"""Counting failed logins per username and per client address, and locking both out for a while.

The counts live in the shared cache. A lock lasts LOGIN_LOCKOUT_SECONDS from the last failure
that counted; attempts made while locked are refused without checking the password.
"""
import hashlib
import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache


def client_address(request):
    # Only nginx reaches Django, and it sets X-Real-IP to the address it saw.
    for candidate in (request.META.get("HTTP_X_REAL_IP", ""), request.META.get("REMOTE_ADDR", "")):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return "unknown"


def _keys(username, address):
    # Hashed: usernames may hold characters that some cache backends refuse in keys.
    user = hashlib.sha256(username.casefold().encode()).hexdigest()
    return f"login-failures:user:{user}", f"login-failures:address:{address}"


def seconds_left(username, address):
    """How long the username or the address is still locked out; 0 when neither is."""
    now = time.time()
    left = 0
    for failures, last in cache.get_many(_keys(username, address)).values():
        if failures >= settings.LOGIN_FAIL_LIMIT:
            left = max(left, last + settings.LOGIN_LOCKOUT_SECONDS - now)
    return math.ceil(left) if left > 0 else 0


def record_failure(username, address):
    now = time.time()
    for key in _keys(username, address):
        failures, _ = cache.get(key, (0, now))
        cache.set(key, (failures + 1, now), settings.LOGIN_LOCKOUT_SECONDS)


def forget_username(username):
    # Only the username's count: a success must not wipe an address that is guessing other accounts.
    cache.delete(_keys(username, "")[0])
