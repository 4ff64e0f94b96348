"""Numbers, dates and times per language, and the chart locale Vega-Lite gets."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from analytics import formats

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ko", ["1,234,567.89", "12", "-0.5", "1,234,568"]), ("en", ["1,234,567.89", "12", "-0.5", "1,234,568"])],
)
def test_numbers_have_thousands_separators(language, expected):
    shown = [
        formats.number(1234567.891, language), formats.number(12, language),
        formats.number(-0.5, language), formats.number(1234567.891, language, digits=0),
    ]
    assert shown == expected
    assert formats.number(None, language) == "–"


@pytest.mark.parametrize("language", ["ko", "en"])
def test_percentages(language):
    assert formats.percent(0.1234, language) == "12.3%"
    assert formats.percent(0.05, language, signed=True) == "+5.0%"
    assert formats.percent(-1, language, signed=True) == "-100.0%"


def test_large_amounts_read_in_man_and_eok_in_korean():
    assert formats.compact(123_456_789, "ko") == "1.2억"
    assert formats.compact(35_000_000, "ko") == "3500만"
    assert formats.compact(12_345, "ko") == "1.2만"
    assert formats.compact(123_456_789, "en") == "123.5M"


@pytest.mark.parametrize(
    ("language", "day", "month"),
    [("ko", "2025년 1월 3일", "2025년 1월"), ("en", "2025-01-03", "January 2025")],
)
def test_dates_are_dates(language, day, month):
    assert formats.date(dt.date(2025, 1, 3), language) == day
    assert formats.date(dt.datetime(2025, 1, 3, 0, 0), language) == day, "no 00:00:00 on a date"
    assert formats.day_or_time(dt.datetime(2025, 1, 3), language) == day
    assert formats.day_or_time(dt.datetime(2025, 1, 3, 9, 30), language) == f"{day} 09:30:00"
    assert formats.month(dt.date(2025, 1, 3), language) == month


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ko", "2025년 11월 25일 04:18 KST"), ("en", "2025-11-25 04:18 KST")],
)
def test_times_are_shown_in_the_portals_zone_with_its_name(language, expected):
    # An upload at 04:18 in Seoul is 19:18 UTC of the day before.
    utc = dt.datetime(2025, 11, 24, 19, 18, tzinfo=dt.timezone.utc)
    assert formats.moment(utc, language, SEOUL) == expected
    assert formats.moment(utc.replace(tzinfo=None), language, SEOUL) == expected, "a time without zone is UTC"
    berlin = formats.moment(utc, language, zoneinfo.ZoneInfo("Europe/Berlin"))
    assert berlin.endswith("20:18 CET")


def test_the_portals_iso_times_are_read_in_the_setting_zone(store):
    assert formats.iso_moment("2025-11-24T19:18:00Z", "ko") == "2025년 11월 25일 04:18 KST"
    assert formats.iso_moment("not a time", "ko") == "not a time"


def test_vega_locales_name_months_and_separators():
    ko, en = formats.vega_locale("ko"), formats.vega_locale("en")
    assert ko["time"]["months"][0] == "1월" and ko["time"]["periods"] == ["오전", "오후"]
    assert en["time"]["shortMonths"][11] == "Dec"
    assert ko["number"]["thousands"] == en["number"]["thousands"] == ","


def test_axis_labels_use_man_and_eok_in_korean():
    ko = formats.axis_label_expr("ko")
    assert "'억'" in ko and "'만'" in ko and "1e" not in ko
    assert ko.index("100000000") < ko.index("10000 "), "the larger unit is tried first"
    assert "'M'" in formats.axis_label_expr("en")
