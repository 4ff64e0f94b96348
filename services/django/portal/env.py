"""Typed reads of the environment.

Every setting of the portal comes through here, so a missing or malformed value stops the
service at start with a message that names the variable, instead of failing later.
"""
import os
import zoneinfo

from django.core.exceptions import ImproperlyConfigured


def _raw(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} is not set")
        return default
    return value.strip()


def string(name, default=None):
    return _raw(name, default)


def integer(name, default=None, minimum=None):
    raw = _raw(name, None if default is None else str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def boolean(name, default=False):
    raw = _raw(name, "true" if default else "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def string_list(name, default=""):
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def choice(name, allowed, default=None):
    value = _raw(name, default)
    if value not in allowed:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def time_zone(name, default=None):
    value = _raw(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} must be an IANA time zone like Asia/Seoul, got {value!r}") from None
    return value
