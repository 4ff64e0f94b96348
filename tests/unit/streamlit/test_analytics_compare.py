"""The comparison arithmetic: deltas, percentages, zero and missing baselines, alignment."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics import compare


@pytest.mark.parametrize(
    ("a", "b", "delta", "pct"),
    [
        (100.0, 125.0, 25.0, 25.0),
        (200.0, 150.0, -50.0, -25.0),
        (-100.0, -50.0, 50.0, 50.0),  # a rise from a negative baseline is positive
        (-100.0, -150.0, -50.0, -50.0),
        (0.0, 0.0, 0.0, 0.0),
        (0.0, 5.0, 5.0, None),  # from zero there is no percentage
        (5.0, 0.0, -5.0, -100.0),
        (None, 5.0, None, None),
        (5.0, None, None, None),
        (None, None, None, None),
    ],
)
def test_delta_and_percentage(a, b, delta, pct):
    assert compare.delta(a, b) == delta
    assert compare.pct_change(a, b) == (None if pct is None else pytest.approx(pct))


def keyed(pairs: dict) -> pl.DataFrame:
    return pl.DataFrame({"key": list(pairs), "value": list(pairs.values())}, schema={"key": pl.String, "value": pl.Float64})


def test_align_matches_keys_and_computes_like_the_scalar_functions():
    a = keyed({"x": 100.0, "y": 0.0, "z": 0.0, "w": -10.0})
    b = keyed({"x": 110.0, "y": 0.0, "z": 4.0, "w": -5.0})
    table = compare.align(a, b, zero_when_missing=False)
    assert table.columns == ["key", "a", "b", "delta", "delta %"]
    rows = {row["key"]: row for row in table.iter_rows(named=True)}
    for row in rows.values():
        assert row["delta"] == compare.delta(row["a"], row["b"])
        expected = compare.pct_change(row["a"], row["b"])
        assert row["delta %"] == (None if expected is None else pytest.approx(expected))
    assert rows["x"]["delta %"] == pytest.approx(10.0)
    assert rows["y"]["delta %"] == 0.0
    assert rows["z"]["delta %"] is None
    assert rows["w"]["delta %"] == pytest.approx(50.0)


def test_a_key_missing_on_one_side_is_zero_for_sums_and_counts():
    table = compare.align(keyed({"x": 3.0}), keyed({"x": 4.0, "new": 2.0}), zero_when_missing=True)
    new = table.filter(pl.col("key") == "new").row(0, named=True)
    assert (new["a"], new["b"], new["delta"], new["delta %"]) == (0.0, 2.0, 2.0, None)


def test_a_key_missing_on_one_side_is_missing_for_means():
    table = compare.align(keyed({"x": 3.0, "gone": 1.0}), keyed({"x": 4.0}), zero_when_missing=False)
    gone = table.filter(pl.col("key") == "gone").row(0, named=True)
    assert (gone["a"], gone["b"], gone["delta"], gone["delta %"]) == (1.0, None, None, None)


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
        {"key": "a", "a": 10.0, "b": 30.0, "delta": 20.0, "delta %": 200.0},
        {"key": "b", "a": 20.0, "b": 0.0, "delta": -20.0, "delta %": -100.0},
    ]
    assert result.sentence() == (
        "Total amount is the same in Later and January: 30. "
        "The largest gap is at shop a: +20 (+200.0%)."
    )


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
        (None, 3.0, "A has no value for average x, so there is nothing to compare."),
        (0.0, 3.0, "Average x is 3 in B against 0 in A; from a baseline of zero there is no percentage change."),
        (2.5, 2.0, "Average x is 2 in B against 2.50 in A: lower by 0.5 (20.0%)."),
        (1000.0, 1500.0, "Average x is 1,500 in B against 1,000 in A: higher by 500 (50.0%)."),
    ],
)
def test_the_sentence_handles_missing_and_zero_baselines(a, b, sentence):
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
