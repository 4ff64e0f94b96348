"""Filters, aggregations, the dataset profile, and which charts fit."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from streamlit.elements import vega_charts

from analytics import aggregate, charts, filters, profile, ui
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
    series = aggregate.over_time(frame.lazy(), "day", "month", "sum", "v", span=(dt.date(2024, 1, 1), dt.date(2024, 3, 31)))
    assert series.to_dicts() == [
        {"period": dt.date(2024, 1, 1), "value": 3.0, "partial": False},
        {"period": dt.date(2024, 3, 1), "value": 3.0, "partial": False},
    ]
    split = aggregate.over_time(frame.lazy(), "day", "month", "count", None, split="s")
    assert split.select("series", "value").rows() == [("a", 1.0), ("b", 1.0), ("a", 1.0)]
    # Without a span, the rows' own first and last day (3 January, 1 March) bound the data.
    assert split["partial"].to_list() == [True, True, True]


def test_time_steps_offered_keep_a_line_readable():
    assert aggregate.fitting_buckets(dt.date(2024, 1, 1), dt.date(2024, 3, 1)) == list(aggregate.BUCKETS)
    assert aggregate.fitting_buckets(dt.date(2000, 1, 1), dt.date(2024, 1, 1)) == ["month", "quarter", "half", "year"]
    assert aggregate.default_bucket(dt.date(2024, 1, 1), dt.date(2024, 3, 1)) == "day"
    assert aggregate.default_bucket(dt.datetime(2022, 1, 1), dt.datetime(2024, 12, 31)) == "month"


@pytest.mark.parametrize(
    ("bucket", "day", "start", "end"),
    [
        ("month", dt.date(2024, 1, 31), dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
        ("month", dt.date(2024, 2, 1), dt.date(2024, 2, 1), dt.date(2024, 2, 29)),  # a leap February
        ("month", dt.date(2023, 2, 14), dt.date(2023, 2, 1), dt.date(2023, 2, 28)),
        # ISO weeks run Monday to Sunday, across the turn of a year.
        ("week", dt.date(2025, 1, 1), dt.date(2024, 12, 30), dt.date(2025, 1, 5)),
        ("week", dt.date(2025, 1, 5), dt.date(2024, 12, 30), dt.date(2025, 1, 5)),
        ("week", dt.date(2025, 1, 6), dt.date(2025, 1, 6), dt.date(2025, 1, 12)),
        ("quarter", dt.date(2024, 5, 17), dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
        ("quarter", dt.date(2024, 3, 31), dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("half", dt.date(2024, 6, 30), dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
        ("half", dt.date(2024, 7, 1), dt.date(2024, 7, 1), dt.date(2024, 12, 31)),
        ("year", dt.date(2024, 2, 29), dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        ("day", dt.date(2024, 2, 29), dt.date(2024, 2, 29), dt.date(2024, 2, 29)),
    ],
)
def test_periods_are_calendar_periods(bucket, day, start, end):
    assert aggregate.period_start(day, bucket) == start
    assert aggregate.period_end(start, bucket) == end
    rows = pl.DataFrame({"day": [start, day, end, end + dt.timedelta(days=1)]})
    series = aggregate.over_time(rows.lazy(), "day", bucket, "count", None)
    assert series.select("period", "value").rows() == [(start, 3.0), (end + dt.timedelta(days=1), 1.0)]


def test_timestamps_fall_in_the_period_of_their_day():
    rows = pl.DataFrame({"at": [dt.datetime(2024, 1, 31, 23, 59), dt.datetime(2024, 2, 1, 0, 0)]})
    series = aggregate.over_time(rows.lazy(), "at", "month", "count", None)
    assert series["period"].to_list() == [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]


def test_years_and_halves_across_a_leap_year_have_their_own_lengths():
    days = {
        year: (aggregate.period_end(dt.date(year, 1, 1), "year") - dt.date(year, 1, 1)).days + 1 for year in (2023, 2024)
    }
    assert days == {2023: 365, 2024: 366}
    assert aggregate.period_end(dt.date(2024, 1, 1), "half") == dt.date(2024, 6, 30)
    assert aggregate.complete_periods(dt.date(2023, 3, 1), dt.date(2024, 12, 31), "half") == [
        dt.date(2023, 7, 1), dt.date(2024, 1, 1), dt.date(2024, 7, 1),
    ]


def evenly(first: dt.date, last: dt.date) -> pl.DataFrame:
    """The same amount every day, as in the weekly line that fell at a last week of 3 days."""
    days = pl.date_range(first, last, "1d", eager=True)
    return pl.DataFrame({"day": days, "amount": [10.0] * len(days)})


@pytest.mark.parametrize(
    ("bucket", "partial"),
    [
        # Wednesday 1 January to Saturday 1 March 2025.
        ("week", [dt.date(2024, 12, 30), dt.date(2025, 2, 24)]),
        ("month", [dt.date(2025, 3, 1)]),
        ("quarter", [dt.date(2025, 1, 1)]),  # one quarter, partial at both ends
        ("year", [dt.date(2025, 1, 1)]),
        ("day", []),
    ],
)
def test_periods_the_data_fills_only_partly_are_marked_at_both_ends(bucket, partial):
    span = (dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    series = aggregate.over_time(evenly(*span).lazy(), "day", bucket, "sum", "amount", span=span)
    assert series.filter("partial")["period"].to_list() == partial
    assert aggregate.partial_periods(*span, bucket) == partial


@pytest.mark.parametrize("bucket", ["day", "week", "month", "quarter"])
def test_data_whose_ends_fill_their_periods_has_no_partial_period(bucket):
    # Monday 1 January to Sunday 31 March 2024: whole weeks, months and a whole quarter.
    span = (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    series = aggregate.over_time(evenly(*span).lazy(), "day", bucket, "sum", "amount", span=span)
    assert not series["partial"].any()
    assert aggregate.partial_note(series, bucket, span, left_out=True) is None


def test_partial_is_decided_by_the_dataset_range_not_by_the_rows():
    # One row only, on the 15th: in a dataset from 1 January to 31 March its month is whole.
    rows = pl.DataFrame({"day": [dt.date(2024, 2, 15)], "amount": [1.0]})
    whole = aggregate.over_time(rows.lazy(), "day", "month", "sum", "amount", span=(dt.date(2024, 1, 1), dt.date(2024, 3, 31)))
    assert whole["partial"].to_list() == [False]
    cut = aggregate.over_time(rows.lazy(), "day", "month", "sum", "amount", span=(dt.date(2024, 2, 10), dt.date(2024, 3, 31)))
    assert cut["partial"].to_list() == [True]


def test_the_covered_days_are_the_datasets_narrowed_by_a_date_filter_on_that_column():
    chosen = [
        filters.DateRange("day", dt.date(2024, 1, 10), dt.date(2024, 6, 30)),
        filters.DateRange("shipped", dt.date(2024, 3, 1), dt.date(2024, 3, 2)),
        filters.OneOf("region", ("north",)),
    ]
    low, high = dt.datetime(2024, 1, 1, 8, 30), dt.datetime(2024, 3, 31, 17)
    assert aggregate.covered(low, high, chosen, "day") == (dt.date(2024, 1, 10), dt.date(2024, 3, 31))
    assert aggregate.covered(low, high, [], "day") == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))


def test_the_average_and_the_change_leave_partial_periods_out():
    span = (dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    series = aggregate.over_time(evenly(*span).lazy(), "day", "week", "sum", "amount", span=span)
    # The partial weeks hold 5 and 6 days: the line dips at both ends, the average does not.
    assert series.filter("partial")["value"].to_list() == [50.0, 60.0]
    trend = aggregate.trend(series, "week", "sum", span)
    assert trend.average == 70.0
    assert (trend.last, trend.last_value) == (dt.date(2025, 2, 17), 70.0)
    assert (trend.previous, trend.previous_value) == (dt.date(2025, 2, 10), 70.0)
    months = aggregate.over_time(evenly(*span).lazy(), "day", "month", "sum", "amount", span=span)
    assert aggregate.trend(months, "month", "sum", span).average == pytest.approx((310 + 280) / 2)


def test_a_complete_period_without_rows_is_zero_for_sums_and_no_value_for_means():
    rows = pl.DataFrame({"day": [dt.date(2024, 1, 5), dt.date(2024, 3, 5)], "amount": [6.0, 2.0]})
    span = (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    sums = aggregate.trend(aggregate.over_time(rows.lazy(), "day", "month", "sum", "amount", span=span), "month", "sum", span)
    assert (sums.average, sums.previous_value, sums.last_value) == (pytest.approx(8 / 3), 0.0, 2.0)
    means = aggregate.trend(aggregate.over_time(rows.lazy(), "day", "month", "mean", "amount", span=span), "month", "mean", span)
    assert (means.average, means.previous_value, means.last_value) == (4.0, None, 2.0)


def test_no_complete_period_gives_no_trend_and_one_gives_no_change():
    span = (dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    quarters = aggregate.over_time(evenly(*span).lazy(), "day", "quarter", "sum", "amount", span=span)
    assert aggregate.trend(quarters, "quarter", "sum", span) is None
    one = (dt.date(2025, 1, 1), dt.date(2025, 2, 27))
    months = aggregate.over_time(evenly(*one).lazy(), "day", "month", "sum", "amount", span=one)
    trend = aggregate.trend(months, "month", "sum", one)
    assert (trend.last, trend.previous, trend.average) == (dt.date(2025, 1, 1), None, 310.0)


def test_the_note_names_the_partial_periods_and_why():
    span = (dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    series = aggregate.over_time(evenly(*span).lazy(), "day", "week", "sum", "amount", span=span)
    assert aggregate.partial_note(series, "week", span, left_out=True) == (
        "Partial periods, drawn dashed: week of 2024-12-30, week of 2025-02-24. The data runs from "
        "2025-01-01 to 2025-03-01, so these hold only part of a week. "
        "The average and the change below leave them out."
    )
    assert aggregate.partial_note(series, "week", span, left_out=False).endswith("only part of a week.")


@pytest.mark.parametrize(
    ("bucket", "start", "name"),
    [
        ("day", dt.date(2025, 2, 3), "2025-02-03"),
        ("week", dt.date(2025, 2, 3), "week of 2025-02-03"),
        ("month", dt.date(2025, 2, 1), "February 2025"),
        ("quarter", dt.date(2025, 10, 1), "Q4 2025"),
        ("half", dt.date(2025, 7, 1), "H2 2025"),
        ("year", dt.date(2025, 1, 1), "2025"),
    ],
)
def test_periods_are_named_as_a_partner_names_them(bucket, start, name):
    assert aggregate.period_name(start, bucket) == name


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


def every_chart() -> list:
    """One chart of each template the pages draw."""
    frame = sales_frame().lazy()
    bars = aggregate.by_category(frame, "region", "sum", "units")
    table = pl.DataFrame({"key": ["x", "y"], "a": [1.0, 2.0], "b": [2.0, None]})
    return [
        charts.line(aggregate.over_time(frame, "day", "day", "mean", "price", "region"), "day", "mean", "region"),
        charts.bars(bars.frame, "region", "units"),
        charts.histogram(aggregate.histogram(frame, "price"), "price"),
        charts.scatter(aggregate.scatter(frame, "units", "price").frame, "units", "price", None),
        charts.overlay(table, "A · x", "B · y", "key", "v"),
        charts.overlay(table.with_columns(key=pl.Series([1, 2])), "A · x", "B · y", "week", "v"),
        charts.totals("A · x", "B · y", 1.0, None, "v"),
    ]


def test_chart_specs_are_valid_vega_lite():
    marks = [chart.to_dict()["mark"]["type"] for chart in every_chart()]  # to_dict validates the spec
    assert marks == ["line", "bar", "bar", "circle", "bar", "line", "bar"]


def test_the_pages_show_the_spec_st_altair_chart_would_make_of_each_chart():
    # The pages skip the schema check that the test above makes; nothing else may differ.
    for chart in every_chart():
        assert ui.vega_lite_spec(chart) == vega_charts._convert_altair_to_vega_lite_spec(chart)


def test_a_line_draws_partial_periods_dashed_and_hollow_and_says_so():
    # The sales end on Friday 29 March 2024: their last week is partial.
    series = aggregate.over_time(sales_frame().lazy(), "day", "week", "mean", "price", "region")
    spec = charts.line(series, "day", "mean", "region").to_dict()
    dashed, solid, hollow = spec["layer"]
    assert (dashed["mark"]["type"], dashed["mark"]["strokeDash"]) == ("line", [5, 4])
    assert (solid["mark"]["type"], solid["transform"]) == ("line", [{"filter": "!datum.partial"}])
    assert (hollow["mark"]["type"], hollow["mark"]["filled"], hollow["transform"]) == (
        "point", False, [{"filter": "datum.partial"}]
    )
    drawn = pl.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert set(drawn.filter(pl.col("partial"))["coverage"]) == {"partial"}
    assert set(drawn.filter(~pl.col("partial"))["coverage"]) == {"complete"}
    assert drawn.filter(pl.col("partial"))["period"].unique().to_list() == ["2024-03-25T00:00:00"]
    assert {"field": "coverage", "title": "period", "type": "nominal"} in spec["layer"][0]["encoding"]["tooltip"]
