"""Numbers, dates and times as the session's language writes them (Babel, CLDR's data), and the
same rules for Vega-Lite, which formats a chart's axes and tooltips in the browser.

Only what is shown is formatted: a handful of values per rerun, never a whole column.
"""
from __future__ import annotations

import datetime as dt

from babel import dates, numbers

from analytics import i18n, settings

# Babel's locales and Vega-Lite's format locales (d3-format, d3-time-format) for each language.
LOCALES = {"ko": "ko_KR", "en": "en_US"}
VEGA_LOCALES = {
    "ko": {
        "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["₩", ""]},
        "time": {
            "dateTime": "%Y년 %-m월 %-d일 %A %X",
            "date": "%Y. %-m. %-d.",
            "time": "%H:%M:%S",
            "periods": ["오전", "오후"],
            "days": ["일요일", "월요일", "화요일", "수요일", "목요일", "금요일", "토요일"],
            "shortDays": ["일", "월", "화", "수", "목", "금", "토"],
            "months": [f"{m}월" for m in range(1, 13)],
            "shortMonths": [f"{m}월" for m in range(1, 13)],
        },
    },
    "en": {
        "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
        "time": {
            "dateTime": "%x, %X",
            "date": "%-m/%-d/%Y",
            "time": "%-I:%M:%S %p",
            "periods": ["AM", "PM"],
            "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
            "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
            "months": ["January", "February", "March", "April", "May", "June", "July", "August",
                       "September", "October", "November", "December"],
            "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                            "Nov", "Dec"],
        },
    },
}
# A date in a chart's tooltip, and the moment.js forms st.dataframe's date columns take.
# English dates are ISO 8601 (2025-01-03): one unambiguous form for every reader of English.
DATE_PATTERNS = {"ko": "y년 M월 d일", "en": "yyyy-MM-dd"}
VEGA_DATE = {"ko": "%Y년 %-m월 %-d일", "en": "%Y-%m-%d"}
TABLE_DATE = {"ko": "YYYY년 M월 D일", "en": "YYYY-MM-DD"}
TABLE_DATETIME = {"ko": "YYYY년 M월 D일 HH:mm:ss", "en": "YYYY-MM-DD HH:mm:ss"}
TABLE_MOMENT = {"ko": "YYYY년 M월 D일 HH:mm z", "en": "YYYY-MM-DD HH:mm z"}
# Large values on an axis: Korean counts in 만 (10^4) and 억 (10^8), English in thousands.
_AXIS_UNITS = {"ko": ((1e8, "억"), (1e4, "만")), "en": ((1e9, "B"), (1e6, "M"), (1e3, "K"))}


def _locale(language: str | None) -> str:
    return LOCALES[language or i18n.current()]


def number(value: float | int | None, language: str | None = None, digits: int = 2, fixed: bool = False) -> str:
    """Thousands separated; up to `digits` decimals, none shown when they are zero (all of them
    when `fixed`)."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * digits if digits else "")
    return numbers.format_decimal(value, pattern, locale=_locale(language))


def percent(share: float | None, language: str | None = None, signed: bool = False) -> str:
    """`share` as a percentage: 0.123 is 12.3%."""
    if share is None:
        return "–"
    pattern = ("+#,##0.0%;-#,##0.0%" if signed else "#,##0.0%")
    return numbers.format_percent(share, pattern, locale=_locale(language))


def compact(value: float, language: str | None = None) -> str:
    """A large amount as one reads it aloud: 1.2억 in Korean, 120M in English."""
    return numbers.format_compact_decimal(value, locale=_locale(language), fraction_digits=1)


def date(value: dt.date | dt.datetime, language: str | None = None) -> str:
    """A date as a date: 2025년 1월 3일, 2025-01-03."""
    if isinstance(value, dt.datetime):
        value = value.date()
    language = language or i18n.current()
    return dates.format_date(value, DATE_PATTERNS[language], locale=_locale(language))


def day_or_time(value: dt.date | dt.datetime, language: str | None = None) -> str:
    """A dataset's own date or timestamp: the date alone when the time is midnight (a date stored
    as a timestamp), else date and time as the dataset holds them, since its zone is unknown."""
    if isinstance(value, dt.datetime) and value.time() != dt.time(0):
        return f"{date(value, language)} {value:%H:%M:%S}"
    return date(value, language)


def month(value: dt.date, language: str | None = None) -> str:
    """2025년 1월, January 2025."""
    return dates.format_skeleton("yMMMM", value, locale=_locale(language))


def moment(value: dt.datetime, language: str | None = None, zone: dt.tzinfo | None = None) -> str:
    """A point in time in PORTAL_TIME_ZONE, with the zone's name: 2024년 4월 2일 04:18 KST. A
    value without a zone is UTC, as the portal stores it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(zone or time_zone())
    time = dates.format_time(local, "HH:mm", locale=_locale(language))
    return f"{date(local, language)} {time} {local.tzname()}"


def iso_moment(text: str, language: str | None = None) -> str:
    """An ISO 8601 time from the portal's API, as `moment`; the text itself if it is not one."""
    try:
        return moment(dt.datetime.fromisoformat(text), language)
    except ValueError:
        return text


def time_zone() -> dt.tzinfo:
    try:
        return settings.get().time_zone
    except settings.SettingsError:
        return dt.timezone.utc


def vega_locale(language: str | None = None) -> dict:
    return VEGA_LOCALES[language or i18n.current()]


def time_label_expr(language: str | None = None) -> str | None:
    """A Vega expression for a time axis' labels in Korean (2025년, 3월, 3월 5일), the forms d3's
    multi-scale format would pick in English; None where the default reads well (English)."""
    if (language or i18n.current()) != "ko":
        return None
    return (
        "month(datum.value) == 0 && date(datum.value) == 1 ? timeFormat(datum.value, '%Y년')"
        " : date(datum.value) == 1 ? timeFormat(datum.value, '%-m월')"
        " : timeFormat(datum.value, '%-m월 %-d일')"
    )


def axis_label_expr(language: str | None = None) -> str:
    """A Vega expression for a quantitative axis' labels: 1.2억, 3,500만 and 120M read at a glance
    where 120,000,000 does not; small values keep their thousands separator."""
    expr = "format(datum.value, ',.4~f')"
    for size, unit in reversed(_AXIS_UNITS[language or i18n.current()]):
        expr = (
            f"abs(datum.value) >= {size:.0f} ? format(datum.value / {size:.0f}, ',.4~g') + '{unit}' : {expr}"
        )
    return expr
