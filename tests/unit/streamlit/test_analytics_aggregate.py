"""Filters, aggregations, the dataset profile, and which charts fit."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics import aggregate, charts, filters, profile
from analytics_support import sales_frame


def test_filters_combine():
    frame = sales_frame().lazy()
    chosen = [
        filters.DateRange("day", dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
        filters.OneOf("region", ("north", "south")),
        filters.Between("units", 2, 4),
    ]
    got = filters.apply(frame, chosen).collect()
    expected = sales_frame().filter(
        (pl.col("day") <= dt.date(2024, 1, 31))
        & pl.col("region").is_in(["north", "south"])
        & pl.col("units").is_between(2, 4)
    )
    assert got.equals(expected)
    assert filters.apply(frame, []).collect().height == 60
    assert filters.describe(chosen) == (
        "day from 2024-01-01 to 2024-01-31; region is north, south; units from 2 to 4"
    )


def test_date_ranges_include_the_whole_last_day_of_timestamps():
    frame = pl.DataFrame({"at": [dt.datetime(2024, 1, 31, 23, 59), dt.datetime(2024, 2, 1, 0, 0)]})
    kept = filters.apply(frame.lazy(), [filters.DateRange("at", dt.date(2024, 1, 1), dt.date(2024, 1, 31))])
    assert kept.collect()["at"].to_list() == [dt.datetime(2024, 1, 31, 23, 59)]


def test_category_values_match_as_text_for_booleans_and_categoricals():
    frame = pl.DataFrame({"flag": [True, False, None], "cat": pl.Series(["x", "y", "x"]).cast(pl.Categorical)})
    assert filters.apply(frame.lazy(), [filters.OneOf("flag", ("true",))]).collect().height == 1
    assert filters.apply(frame.lazy(), [filters.OneOf("cat", ("x",))]).collect().height == 2


@pytest.mark.parametrize(
    ("agg", "column", "expected"),
    [
        ("sum", "units", {"north": 80, "south": 80, "east": 80}),
        ("count", None, {"north": 20, "south": 20, "east": 20}),
    ],
)
def test_by_category(agg, column, expected):
    frame = sales_frame().with_columns(units=pl.lit(4))
    bars = aggregate.by_category(frame.lazy(), "region", agg, column)
    assert dict(zip(bars.frame["category"], bars.frame["value"])) == expected
    assert bars.groups == 3


def test_by_category_keeps_the_largest_and_counts_the_rest_and_shows_missing():
    frame = pl.DataFrame({"c": [str(i) for i in range(50)] + [None] * 100, "v": list(range(150))})
    bars = aggregate.by_category(frame.lazy(), "c", "count", None, limit=5)
    assert bars.groups == 51
    assert bars.frame.height == 5
    assert bars.frame.row(0) == (aggregate.MISSING_LABEL, 100.0)


def test_mean_and_median_ignore_missing_values():
    frame = sales_frame().filter(pl.col("region") == "south")
    assert aggregate.total(frame.lazy(), "mean", "price") == pytest.approx(frame["price"].mean())
    assert aggregate.total(frame.lazy(), "median", "price") == pytest.approx(frame["price"].median())


def test_over_time_groups_by_the_step_and_drops_rows_without_a_date():
    frame = pl.DataFrame(
        {"day": [dt.date(2024, 1, 3), dt.date(2024, 1, 30), dt.date(2024, 3, 1), None], "v": [1, 2, 3, 4], "s": ["a", "b", "a", "a"]}
    )
    series = aggregate.over_time(frame.lazy(), "day", "month", "sum", "v")
    assert series.to_dicts() == [
        {"period": dt.date(2024, 1, 1), "value": 3.0},
        {"period": dt.date(2024, 3, 1), "value": 3.0},
    ]
    split = aggregate.over_time(frame.lazy(), "day", "month", "count", None, split="s")
    assert split.select("series", "value").rows() == [("a", 1.0), ("b", 1.0), ("a", 1.0)]


def test_time_steps_offered_keep_a_line_readable():
    assert aggregate.fitting_buckets(dt.date(2024, 1, 1), dt.date(2024, 3, 1)) == list(aggregate.BUCKETS)
    assert aggregate.fitting_buckets(dt.date(2000, 1, 1), dt.date(2024, 1, 1)) == ["month", "quarter", "year"]
    assert aggregate.default_bucket(dt.date(2024, 1, 1), dt.date(2024, 3, 1)) == "day"
    assert aggregate.default_bucket(dt.datetime(2022, 1, 1), dt.datetime(2024, 12, 31)) == "month"


def test_histogram_bins_cover_every_value_once():
    frame = pl.DataFrame({"x": [0.0, 0.5, 1.0, 9.99, 10.0, None]})
    bins = aggregate.histogram(frame.lazy(), "x", bins=10)
    assert bins.height == 10
    assert bins["count"].sum() == 5
    assert bins.row(0) == (0.0, 1.0, 2)
    assert bins.row(9) == (9.0, 10.0, 2)


def test_histogram_of_few_whole_numbers_has_a_bin_per_value():
    bins = aggregate.histogram(pl.DataFrame({"n": [1, 2, 2, 7]}).lazy(), "n")
    assert bins["start"].to_list() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert bins["count"].to_list() == [1, 2, 0, 0, 0, 0, 1]


def test_histogram_of_one_value_and_of_nothing():
    one = aggregate.histogram(pl.DataFrame({"x": [3, 3, 3]}).lazy(), "x")
    assert one.rows() == [(3.0, 4.0, 3)]
    assert aggregate.histogram(pl.DataFrame({"x": [None]}, schema={"x": pl.Float64}).lazy(), "x").is_empty()


def test_scatter_samples_a_bounded_and_repeatable_set_of_points():
    frame = pl.DataFrame({"a": range(10_000), "b": range(10_000)}).with_columns(pl.col("b").cast(pl.Float64))
    points = aggregate.scatter(frame.lazy(), "a", "b", limit=500)
    assert (points.frame.height, points.total) == (500, 10_000)
    assert points.frame.equals(aggregate.scatter(frame.lazy(), "a", "b", limit=500).frame)
    assert aggregate.scatter(frame.head(10).lazy(), "a", "b", limit=500).frame.height == 10


def test_metric_needs_a_column_except_for_count():
    with pytest.raises(ValueError, match="sum needs a numeric column"):
        aggregate.metric_expr("sum", None)
    assert aggregate.metric_label("count", None) == "number of rows"
    assert aggregate.metric_label("median", "price") == "median price"


def test_profile_kinds_bounds_and_summaries():
    frame = pl.DataFrame(
        {
            "day": [dt.date(2024, 1, 2), None, dt.date(2024, 5, 1)],
            "flag": [True, False, True],
            "n": [1, 5, None],
            "x": [0.5, float("inf"), 2.0],
            "free": ["a", "b", "c"],
            "tags": [["a"], [], None],
        }
    )
    built = profile.build(frame)
    kinds = {c.name: c.kind for c in built.columns}
    assert kinds == {"day": "date", "flag": "category", "n": "number", "x": "number", "free": "category", "tags": "other"}
    assert (built.column("day").low, built.column("day").high) == (dt.date(2024, 1, 2), dt.date(2024, 5, 1))
    assert (built.column("x").low, built.column("x").high) == (0.5, 2.0), "infinities are not bounds"
    assert built.column("flag").values == ("true", "false")
    assert built.column("flag").counts == (2, 1)
    assert built.column("n").missing == 1
    assert built.numbers["column"].to_list() == ["n", "x"]
    assert built.numbers.row(0, named=True)["median"] == 3.0
    assert built.sample.height == 3


def test_many_distinct_values_make_text_not_a_category():
    frame = pl.DataFrame({"id": [f"id-{i}" for i in range(profile.MAX_CATEGORIES + 1)]})
    column = profile.build(frame).column("id")
    assert column.kind == profile.TEXT
    assert column.distinct == profile.MAX_CATEGORIES + 1


def test_shared_columns_of_two_datasets():
    a = profile.build(pl.DataFrame({"day": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)], "v": [1, 2], "only_a": [1, 2]}))
    b = profile.build(pl.DataFrame({"day": [dt.datetime(2024, 3, 1, 5), dt.datetime(2024, 4, 1)], "v": ["x", "y"]}))
    both = profile.shared(a, b)
    assert [c.name for c in both.columns] == ["day"]
    assert (both.column("day").low, both.column("day").high) == (dt.date(2024, 1, 1), dt.date(2024, 4, 1))


@pytest.mark.parametrize(
    ("frame", "kind", "reason"),
    [
        (pl.DataFrame({"c": ["a"], "v": [1]}), charts.LINE, "needs a date column"),
        (pl.DataFrame({"d": [dt.date(2024, 1, 1)] * 2, "v": [1, 2]}), charts.LINE, "needs a date column"),
        (pl.DataFrame({"v": [1, 2]}), charts.BAR, "needs a column of categories"),
        (pl.DataFrame({"c": ["a", "b"], "v": [1, 1]}), charts.HISTOGRAM, "needs a numeric column"),
        (pl.DataFrame({"v": [1, 2], "c": ["a", "b"]}), charts.SCATTER, "has only one (v)"),
        (pl.DataFrame({"c": ["a", "b"]}), charts.SCATTER, "has none"),
    ],
)
def test_charts_that_cannot_be_drawn_say_why(frame, kind, reason):
    said = charts.unfit_reason(kind, profile.build(frame))
    assert said is not None
    assert reason in said


def test_charts_that_fit_have_no_reason():
    columns = profile.build(sales_frame())
    assert [charts.unfit_reason(kind, columns) for kind in charts.KINDS] == [None] * 4


def test_chart_specs_are_valid_vega_lite():
    frame = sales_frame().lazy()
    bars = aggregate.by_category(frame, "region", "sum", "units")
    table = pl.DataFrame({"key": ["x", "y"], "a": [1.0, 2.0], "b": [2.0, None]})
    specs = [
        charts.line(aggregate.over_time(frame, "day", "week", "mean", "price", "region"), "day", "mean", "region"),
        charts.bars(bars.frame, "region", "units"),
        charts.histogram(aggregate.histogram(frame, "price"), "price"),
        charts.scatter(aggregate.scatter(frame, "units", "price").frame, "units", "price", None),
        charts.overlay(table, "A · x", "B · y", "key", "v"),
        charts.overlay(table.with_columns(key=pl.Series([1, 2])), "A · x", "B · y", "week", "v"),
        charts.totals("A · x", "B · y", 1.0, None, "v"),
    ]
    marks = [chart.to_dict()["mark"]["type"] for chart in specs]  # to_dict validates the spec
    assert marks == ["line", "bar", "bar", "circle", "bar", "line", "bar"]
