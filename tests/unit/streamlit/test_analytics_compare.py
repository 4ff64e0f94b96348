"""The comparison arithmetic: deltas, percentages, zero and missing baselines, alignment."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics import aggregate, compare


@pytest.mark.parametrize(
    ("a", "b", "delta", "pct", "change"),
    [
        (100.0, 125.0, 25.0, 25.0, None),
        (200.0, 150.0, -50.0, -25.0, None),
        (-100.0, -50.0, 50.0, 50.0, None),  # a rise from a negative baseline is positive
        (-100.0, -150.0, -50.0, -50.0, None),
        (0.0, 0.0, 0.0, 0.0, None),
        # From or to nothing: new or none, never an infinite or a -100 % change.
        (0.0, 5.0, 5.0, None, "new"),
        (None, 5.0, None, None, "new"),
        (5.0, 0.0, -5.0, None, "none"),
        (-5.0, 0.0, 5.0, None, "none"),
        (5.0, None, None, None, "none"),
        (None, 0.0, None, None, None),
        (None, None, None, None, None),
    ],
)
def test_delta_and_percentage(a, b, delta, pct, change):
    assert compare.delta(a, b) == delta
    assert compare.pct_change(a, b) == (None if pct is None else pytest.approx(pct))
    assert compare.change(a, b) == change


@pytest.mark.parametrize(
    ("a", "b", "shown"),
    [
        (100.0, 125.0, {"delta": "+25.0%"}),
        (0.0, 5.0, {"delta": "new"}),
        (5.0, 0.0, {"delta": "none", "delta_color": "red", "delta_arrow": "down"}),
        (5.0, 5.0, {"delta": "+0.0%", "delta_color": "gray", "delta_arrow": "off"}),
        (None, None, {}),
    ],
)
def test_the_metric_reads_new_and_none_and_points_none_down_and_no_change_nowhere(a, b, shown):
    assert compare.metric_delta(a, b) == shown


def keyed(pairs: dict) -> pl.DataFrame:
    return pl.DataFrame({"key": list(pairs), "value": list(pairs.values())}, schema={"key": pl.String, "value": pl.Float64})


def test_align_matches_keys_and_computes_like_the_scalar_functions():
    a = keyed({"x": 100.0, "y": 0.0, "z": 0.0, "w": -10.0})
    b = keyed({"x": 110.0, "y": 0.0, "z": 4.0, "w": -5.0})
    table = compare.align(a, b, zero_when_missing=False)
    assert table.columns == ["key", "a", "b", "delta", "delta %", "change"]
    rows = {row["key"]: row for row in table.iter_rows(named=True)}
    for row in rows.values():
        assert row["delta"] == compare.delta(row["a"], row["b"])
        expected = compare.pct_change(row["a"], row["b"])
        assert row["delta %"] == (None if expected is None else pytest.approx(expected))
        assert row["change"] == compare.change(row["a"], row["b"])
    assert rows["x"]["delta %"] == pytest.approx(10.0)
    assert rows["y"]["delta %"] == 0.0
    assert (rows["z"]["delta %"], rows["z"]["change"]) == (None, "new")
    assert rows["w"]["delta %"] == pytest.approx(50.0)


def test_a_key_missing_on_one_side_is_zero_for_sums_and_counts():
    table = compare.align(keyed({"x": 3.0, "gone": 1.0}), keyed({"x": 4.0, "new": 2.0}), zero_when_missing=True)
    rows = {row["key"]: row for row in table.iter_rows(named=True)}
    assert [rows["new"][k] for k in ("a", "b", "delta", "delta %", "change")] == [0.0, 2.0, 2.0, None, "new"]
    assert [rows["gone"][k] for k in ("a", "b", "delta", "delta %", "change")] == [1.0, 0.0, -1.0, None, "none"]


def test_a_key_missing_on_one_side_is_missing_for_means():
    table = compare.align(keyed({"x": 3.0, "gone": 1.0}), keyed({"x": 4.0}), zero_when_missing=False)
    gone = table.filter(pl.col("key") == "gone").row(0, named=True)
    assert (gone["a"], gone["b"], gone["delta"], gone["delta %"], gone["change"]) == (1.0, None, None, None, "none")


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "day": [dt.date(2024, 1, 5), dt.date(2024, 1, 20), dt.date(2024, 2, 3), dt.date(2024, 3, 9)],
            "shop": ["a", "b", "a", "b"],
            "amount": [10.0, 20.0, 30.0, None],
        }
    )


def test_compare_totals_and_per_category():
    data = frame().lazy()
    a = compare.Side("January", data.filter(pl.col("day") < dt.date(2024, 2, 1)))
    b = compare.Side("Later", data.filter(pl.col("day") >= dt.date(2024, 2, 1)))
    result = compare.compare(a, b, "sum", "amount", compare.Alignment("shop"))
    assert (result.total_a, result.total_b, result.delta, result.pct) == (30.0, 30.0, 0.0, 0.0)
    assert result.table.to_dicts() == [
        {"key": "a", "a": 10.0, "b": 30.0, "delta": 20.0, "delta %": 200.0, "change": None},
        {"key": "b", "a": 20.0, "b": 0.0, "delta": -20.0, "delta %": None, "change": "none"},
    ]
    assert compare.display_table(result).to_dicts() == [
        {"shop": "a", "A · January": 10.0, "B · Later": 30.0, "delta": 20.0, "delta %": "+200.0%"},
        {"shop": "b", "A · January": 20.0, "B · Later": 0.0, "delta": -20.0, "delta %": "none"},
    ]
    assert result.sentence() == (
        "Total amount is the same in Later and January: 30. "
        "The largest gap is at shop a: +20 (+200.0%)."
    )


def test_the_largest_gap_from_or_to_nothing_reads_new_or_none():
    def side(label: str, amounts: dict) -> compare.Side:
        return compare.Side(label, pl.DataFrame({"shop": list(amounts), "amount": list(amounts.values())}).lazy())

    result = compare.compare(side("A", {"x": 5.0, "z": 10.0}), side("B", {"y": 8.0, "z": 11.0}), "sum", "amount", compare.Alignment("shop"))
    assert result.sentence().endswith("The largest gap is at shop y: +8 (new).")
    assert compare.display_table(result)["delta %"].to_list() == ["none", "new", "+10.0%"]
    result = compare.compare(side("A", {"x": 50.0, "z": 10.0}), side("B", {"z": 11.0}), "sum", "amount", compare.Alignment("shop"))
    assert result.sentence().endswith("The largest gap is at shop x: -50 (none).")


def test_mean_and_median_totals_come_from_the_rows_not_from_the_groups():
    data = frame().lazy()
    a = compare.Side("all", data)
    b = compare.Side("shop a", data.filter(pl.col("shop") == "a"))
    result = compare.compare(a, b, "mean", "amount", compare.Alignment("shop"))
    assert result.total_a == pytest.approx(20.0)
    assert result.total_b == pytest.approx(20.0)
    assert compare.compare(a, b, "median", "amount", compare.Alignment()).total_a == pytest.approx(20.0)


def test_count_counts_rows():
    data = frame().lazy()
    result = compare.compare(compare.Side("A", data), compare.Side("B", data.head(1)), "count", None, compare.Alignment())
    assert (result.total_a, result.total_b, result.pct) == (4.0, 1.0, -75.0)
    assert result.table.is_empty()
    assert result.sentence() == "Number of rows is 1 in B against 4 in A: lower by 3 (75.0%)."


def test_periods_line_up_by_position():
    data = frame().lazy()
    a = compare.Side("Jan", data.filter(pl.col("day").dt.month() == 1), start=dt.date(2024, 1, 1))
    b = compare.Side("Feb-Mar", data.filter(pl.col("day").dt.month() > 1), start=dt.date(2024, 2, 1))
    result = compare.compare(a, b, "count", None, compare.Alignment("day", "month"))
    assert result.key_title == "month of the period"
    assert result.table.select("key", "a", "b").to_dicts() == [
        {"key": 1, "a": 2.0, "b": 1.0},
        {"key": 2, "a": 0.0, "b": 1.0},
    ]
    assert "The largest gap is at month 1 of the period: -1 (-50.0%)." in result.sentence()


def test_dates_line_up_by_calendar_step():
    data = frame().lazy()
    result = compare.compare(
        compare.Side("a", data.filter(pl.col("shop") == "a")),
        compare.Side("b", data.filter(pl.col("shop") == "b")),
        "sum", "amount", compare.Alignment("day", "month"),
    )
    assert result.table["key"].to_list() == [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    assert result.table["b"].to_list() == [20.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("a", "b", "sentence"),
    [
        (None, None, "Neither A nor B has a value for average x."),
        (None, 0.0, "A has no value for average x, so there is nothing to compare."),
        (None, 3.0, "Average x is 3 in B, and A has no value for it: new in B."),
        (0.0, 3.0, "Average x is 3 in B against 0 in A: new in B."),
        (3.0, 0.0, "Average x is 0 in B against 3 in A: none in B."),
        (3.0, None, "Average x has no value in B against 3 in A: none in B."),
        (2.5, 2.0, "Average x is 2 in B against 2.50 in A: lower by 0.5 (20.0%)."),
        (1000.0, 1500.0, "Average x is 1,500 in B against 1,000 in A: higher by 500 (50.0%)."),
    ],
)
def test_the_sentence_reads_changes_from_and_to_nothing_as_new_and_none(a, b, sentence):
    result = compare.Comparison("A", "B", "average x", a, b, pl.DataFrame(), "")
    assert result.sentence() == sentence


def test_halves_split_a_span_into_two_consecutive_periods():
    first, second = compare.halves(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert first == (dt.date(2024, 1, 1), dt.date(2024, 1, 16))
    assert second == (dt.date(2024, 1, 17), dt.date(2024, 1, 31))


def test_labels_keep_the_sides_apart():
    result = compare.Comparison("Sales", "Sales", "number of rows", 1.0, 2.0, pl.DataFrame(), "")
    assert result.names == ("A · Sales", "B · Sales")
    assert compare.segment_label("region", ["a", "b", "c", "d", "e"]) == "region: a, b, c and 2 more"


def test_steps_inside_a_period_are_calendar_steps_counted_from_its_first_one():
    days = [dt.date(2025, 1, 1), dt.date(2025, 1, 5), dt.date(2025, 1, 6), dt.date(2025, 1, 31), dt.date(2025, 2, 1)]
    data = pl.DataFrame({"day": days}).lazy()
    # Wednesday 1 January: week 1 runs to Sunday the 5th, week 2 from Monday the 6th.
    a = compare.Side("a", data, start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 28))
    b = compare.Side("b", data.head(0), start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 30))
    weeks = compare.compare(a, b, "count", None, compare.Alignment("day", "week"))
    assert weeks.table.select("key", "a").rows() == [(1, 2.0), (2, 1.0), (5, 2.0)]
    assert weeks.cut_steps, "1 January is a Wednesday: the first week is short"
    months = compare.compare(a, b, "count", None, compare.Alignment("day", "month"))
    assert months.table.select("key", "a").rows() == [(1, 4.0), (2, 1.0)]
    assert not months.cut_steps


def test_a_period_from_the_middle_of_a_month_counts_that_month_as_its_first():
    data = pl.DataFrame({"day": [dt.date(2024, 1, 20), dt.date(2024, 2, 10), dt.date(2024, 2, 20)]}).lazy()
    a, b = (
        compare.Side("a", data.filter(pl.col("day").is_between(start, end)), start=start, end=end)
        for start, end in ((dt.date(2024, 1, 15), dt.date(2024, 2, 14)), (dt.date(2024, 2, 15), dt.date(2024, 3, 14)))
    )
    result = compare.compare(a, b, "count", None, compare.Alignment("day", "month"))
    # Month 1 is January in A and February in B, whatever day each starts on.
    assert result.table.select("key", "a", "b").rows() == [(1, 1.0, 1.0), (2, 1.0, 0.0)]
    assert result.cut_steps


def test_days_of_a_leap_february_line_up_with_a_common_one():
    days = pl.date_range(dt.date(2024, 2, 1), dt.date(2025, 2, 28), "1d", eager=True)
    data = pl.DataFrame({"day": days}).with_columns(amount=pl.lit(1.0)).lazy()
    sides = [
        compare.Side(str(year), data.filter(pl.col("day").dt.year() == year, pl.col("day").dt.month() == 2),
                     start=dt.date(year, 2, 1), end=aggregate.period_end(dt.date(year, 2, 1), "month"))
        for year in (2024, 2025)
    ]
    result = compare.compare(*sides, "sum", "amount", compare.Alignment("day", "day"))
    assert result.table.height == 29
    # A common February has no day 29: no value there, and no change, rather than a fall to zero.
    assert result.table.row(28, named=True) == {"key": 29, "a": 1.0, "b": None, "delta": None, "delta %": None, "change": None}
    assert compare.display_table(result)["delta %"].to_list()[-2:] == ["+0.0%", "–"]
    assert result.sentence() == "Total amount is 28 in 2025 against 29 in 2024: lower by 1 (3.4%)."


# Data from Wednesday 15 March 2023 to Monday 10 February 2025.
FIRST, LAST = dt.date(2023, 3, 15), dt.date(2025, 2, 10)


@pytest.mark.parametrize(
    ("unit", "against", "newest", "baseline", "oldest"),
    [
        ("month", compare.PREVIOUS, dt.date(2025, 1, 1), dt.date(2024, 12, 1), dt.date(2023, 5, 1)),
        ("month", compare.YEAR_EARLIER, dt.date(2025, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 4, 1)),
        ("quarter", compare.PREVIOUS, dt.date(2024, 10, 1), dt.date(2024, 7, 1), dt.date(2023, 7, 1)),
        ("quarter", compare.YEAR_EARLIER, dt.date(2024, 10, 1), dt.date(2023, 10, 1), dt.date(2024, 4, 1)),
        ("half", compare.PREVIOUS, dt.date(2024, 7, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
        ("half", compare.YEAR_EARLIER, dt.date(2024, 7, 1), dt.date(2023, 7, 1), dt.date(2024, 7, 1)),
        # The last whole week is 3 to 9 February (ISO week 6); week 6 of 2024 starts on 5 February.
        ("week", compare.PREVIOUS, dt.date(2025, 2, 3), dt.date(2025, 1, 27), dt.date(2023, 3, 27)),
        ("week", compare.YEAR_EARLIER, dt.date(2025, 2, 3), dt.date(2024, 2, 5), dt.date(2024, 3, 18)),
    ],
)
def test_the_periods_offered_are_whole_with_a_whole_baseline_newest_first(unit, against, newest, baseline, oldest):
    offered = compare.comparable_periods(FIRST, LAST, unit, against)
    assert (offered[0], offered[-1]) == (newest, oldest)
    assert compare.baseline_start(offered[0], unit, against) == baseline


def test_a_year_is_compared_with_the_year_before_and_a_short_span_says_why_not():
    assert compare.baselines("year") == (compare.PREVIOUS,)
    assert compare.baselines("month") == (compare.PREVIOUS, compare.YEAR_EARLIER)
    # 2024 is the only whole year, and 2023 is not whole.
    assert compare.comparable_periods(FIRST, LAST, "year", compare.PREVIOUS) == []
    assert compare.comparable_periods(FIRST, dt.date(2025, 12, 31), "year", compare.PREVIOUS) == [dt.date(2025, 1, 1)]
    assert compare.no_whole_periods(FIRST, LAST, "year", compare.PREVIOUS) == (
        "The data runs from 2023-03-15 to 2025-02-10: it holds no whole year with the whole year before it. "
        "Pick a shorter period, or your own dates."
    )


def test_a_year_earlier_is_the_same_iso_week_and_the_same_leap_month():
    assert compare.baseline_start(dt.date(2027, 1, 4), "week", compare.YEAR_EARLIER) == dt.date(2025, 12, 29)
    assert compare.baseline_start(dt.date(2026, 12, 28), "week", compare.YEAR_EARLIER) is None, "2025 has no week 53"
    february = compare.baseline_start(dt.date(2025, 2, 1), "month", compare.YEAR_EARLIER)
    assert (february, aggregate.period_end(february, "month")) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert compare.baseline_start(dt.date(2024, 1, 1), "half", compare.PREVIOUS) == dt.date(2023, 7, 1)


def test_a_period_is_set_side_by_side_in_finer_steps():
    assert compare.steps_within("week") == ["day"]
    assert compare.steps_within("month") == ["day", "week"]
    assert compare.steps_within("year") == ["day", "week", "month", "quarter", "half"]
