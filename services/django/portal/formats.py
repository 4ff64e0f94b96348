"""Times, dates and numbers as a partner reads them, in the request's language.

Times are stored in UTC and shown in PORTAL_TIME_ZONE (settings.TIME_ZONE) with the zone's name,
so a partner never has to guess which clock a time is on. Django's own formats for ko put the
hour before 오전/오후 and abbreviate English months with a dot; these are the forms people write.
A template library built into every template (settings.TEMPLATES), so pages need no {% load %}.
"""
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import dateformat, numberformat, timezone, translation

register = template.Library()

DATETIME = {"ko": "Y년 n월 j일 A g:i (T)", "en": "M j, Y, g:i A T"}
DATE = {"ko": "Y년 n월 j일", "en": "M j, Y"}
MONTH = {"ko": "Y년 n월", "en": "F Y"}


def _language():
    language = translation.get_language() or "en"
    return language if language in DATETIME else "en"


@register.filter
def when(value):
    """A moment (an aware datetime): '2026년 11월 28일 오후 1:18 (KST)' or 'Nov 28, 2026, 1:18 PM KST'."""
    if value is None or value == "":
        return ""
    return dateformat.format(timezone.localtime(value), DATETIME[_language()])


@register.filter
def day(value):
    """A date (or the date of a moment, in the portal's zone): '2025년 1월 3일' or 'Jan 3, 2025'."""
    if value is None or value == "":
        return ""
    if hasattr(value, "tzinfo") and timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, DATE[_language()])


@register.filter
def month(value):
    """A month: '2025년 1월' or 'January 2025'."""
    if value is None or value == "":
        return ""
    return dateformat.format(value, MONTH[_language()])


@register.filter
def number(value, decimals=0):
    """A number with thousands separators: 1,234,567 (Korean groups by three with commas too)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value  # already words, or nothing
    decimals = int(decimals)
    # Rounded half up, as people round: Django's formatter would cut the digits off.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return numberformat.format(rounded, ".", decimal_pos=decimals, grouping=3, thousand_sep=",", force_grouping=True)
