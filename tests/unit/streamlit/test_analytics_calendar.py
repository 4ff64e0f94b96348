"""Explore and Compare keep to the calendar, through AppTest: partial periods at the ends of a
line are marked and left out of its average and change, two periods are calendar periods
against the one before or the same one a year earlier, and a change from or to nothing reads
"new" or "none"."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto

from analytics import compare
from analytics_support import catalog_payload, charts, dataset_entry, sales_frame, texts, write
from support.markdown import readable

EXPLORE = "app_pages/explore.py"
COMPARE = "app_pages/compare.py"


def only(portal, store, frame: pl.DataFrame, name: str = "Daily") -> None:
    write(store, "acme/daily.parquet", frame)
    portal.payloads["acme"] = catalog_payload([dataset_entry("7", name, "acme/daily.parquet")])


def daily(first: dt.date, last: dt.date, **columns) -> pl.DataFrame:
    return pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)}).with_columns(**columns)


def weekly_sums(frame: pl.DataFrame) -> dict[dt.date, int]:
    weeks = frame.group_by(pl.col("day").dt.truncate("1w")).agg(pl.col("units").sum())
    return dict(zip(weeks["day"], weeks["units"]))


def notes(app) -> list[str]:
    return [readable(text) for text in texts(app.caption) if "Partial periods" in text]


def labels(app) -> list[str]:
    return [readable(m.label) for m in app.metric]


# Explore


def test_a_weekly_line_marks_its_partial_last_week_and_leaves_it_out(app, portal):
    app.switch_page(EXPLORE).run()
    app.selectbox(key="explore:1:v1:bucket").set_value("week").run()
    assert not app.exception
    [(spec, data)] = charts(app)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "line", "point"]
    # The sales end on Friday 29 March 2024: the week from Monday the 25th holds 5 of its days.
    assert data.filter(pl.col("partial"))["period"].dt.date().to_list() == [dt.date(2024, 3, 25)]
    assert set(data.filter(pl.col("partial"))["coverage"]) == {"partial"}
    assert notes(app) == [
        "Partial periods, drawn dashed: week of 2024-03-25. The data runs from 2024-01-01 to 2024-03-29, "
        "so these hold only part of a week. The average and the change below leave them out."
    ]
    sums = weekly_sums(sales_frame())
    whole = [sums[week] for week in sorted(sums) if week < dt.date(2024, 3, 25)]
    average, last = app.metric
    assert labels(app) == ["Average per week", "Last complete week: week of 2024-03-18"]
    assert (average.value, last.value) == (compare.fmt(sum(whole) / len(whole)), f"{whole[-1]:,}")
    assert last.delta == f"{(whole[-1] - whole[-2]) / whole[-2]:+.1%}"
    assert last.proto.delta_description == "against the week before"


def test_a_line_whose_ends_fill_their_periods_marks_none(app, portal, store):
    # Monday 1 January to Sunday 31 March 2024: whole weeks and whole months.
    # No number varies: the line counts rows, one a day.
    only(portal, store, daily(dt.date(2024, 1, 1), dt.date(2024, 3, 31), units=pl.lit(2)))
    app.switch_page(EXPLORE).run()
    for step in ("week", "month"):
        app.selectbox(key="explore:7:v1:bucket").set_value(step).run()
        [(spec, data)] = charts(app)
        assert spec["mark"]["type"] == "line", "one plain line: nothing dashed"
        assert not data["partial"].any()
        assert notes(app) == []
    assert labels(app) == ["Average per month", "Last complete month: March 2024"]
    assert [m.value for m in app.metric] == ["30.33", "31"]


def test_a_date_filter_moves_the_ends_the_line_is_judged_by(app, portal):
    app.switch_page(EXPLORE).run()
    app.selectbox(key="explore:1:v1:bucket").set_value("month").run()
    app.sidebar.selectbox(key="filter:1:v1:date").set_value("day").run()
    app.sidebar.date_input(key="filter:1:v1:date:day").set_value((dt.date(2024, 1, 10), dt.date(2024, 2, 29))).run()
    assert not app.exception
    assert notes(app)[0].startswith(
        "Partial periods, drawn dashed: January 2024. The data runs from 2024-01-10 to 2024-02-29"
    )
    february = sales_frame().filter(pl.col("day").dt.month() == 2)["units"].sum()
    average, last = app.metric
    assert labels(app)[1] == "Last complete month: February 2024"
    assert (average.value, last.value) == (f"{february:,}", f"{february:,}")
    assert not last.delta, "no complete month before it"


def test_a_last_period_without_rows_reads_none_not_minus_100_percent(app, portal, store):
    # North sells until February, south until the end of March: the data runs to 31 March.
    frame = pl.concat([
        daily(dt.date(2024, 1, 1), dt.date(2024, 2, 29), region=pl.lit("north"), units=pl.lit(3)),
        daily(dt.date(2024, 1, 1), dt.date(2024, 3, 31), region=pl.lit("south"), units=pl.lit(1)),
    ])
    only(portal, store, frame)
    app.switch_page(EXPLORE).run()
    app.selectbox(key="explore:7:v1:bucket").set_value("month").run()
    app.sidebar.selectbox(key="filter:7:v1:category").set_value("region").run()
    app.sidebar.multiselect(key="filter:7:v1:category:region").set_value(["north"]).run()
    assert not app.exception
    assert notes(app) == [], "March is a whole month of the data, though north has no rows in it"
    average, last = app.metric
    # January 31 × 3, February 29 × 3, March nothing.
    assert labels(app)[1] == "Last complete month: March 2024"
    assert (average.value, last.value) == ("60", "0")
    assert last.delta == "none"
    assert (last.proto.color, last.proto.direction) == (MetricProto.MetricColor.RED, MetricProto.MetricDirection.DOWN)


# Compare


def two_years() -> pl.DataFrame:
    """Every day of 2023 and 2024 (a leap year); a day sells its month's number of units, but
    nothing in January 2023 and December 2024."""
    month = pl.col("day").dt.month()
    nothing = (pl.col("day") < dt.date(2023, 2, 1)) | (pl.col("day") >= dt.date(2024, 12, 1))
    return daily(dt.date(2023, 1, 1), dt.date(2024, 12, 31), units=pl.when(nothing).then(0).otherwise(month))


def two_periods(app) -> None:
    app.switch_page(COMPARE).run()
    app.segmented_control[0].set_value("Two periods").run()
    assert not app.exception


def test_two_periods_default_to_the_last_whole_month_against_the_one_before(app, portal):
    two_periods(app)
    # The sales run from 1 January to Friday 29 March 2024: March is not whole.
    assert app.selectbox(key="compare:period_unit").value == "month"
    assert app.segmented_control(key="compare:period_against").options == ["the month before", "the same month a year earlier"]
    assert app.selectbox(key="compare:period:day:month").options == ["February 2024"]
    by_month = sales_frame().group_by(pl.col("day").dt.month()).agg(pl.col("units").sum())
    january, february = (dict(by_month.rows())[m] for m in (1, 2))
    assert readable(app.success[0].value).startswith(
        f"Total units is {february} in February 2024 against {january} in January 2024"
    )
    assert labels(app) == ["A · January 2024", "B · February 2024", "Change from A to B"]


def test_the_previous_period_and_a_year_earlier_pick_their_dates(app, portal, store):
    only(portal, store, two_years())
    two_periods(app)
    # The last whole month, December 2024, sold nothing: against November that is none.
    assert app.selectbox(key="compare:period:day:month").value == dt.date(2024, 12, 1)
    assert readable(app.success[0].value) == (
        "Total units is 0 in December 2024 against 330 in November 2024: none in December 2024."
    )
    change = app.metric[2]
    assert (change.value, change.delta) == ("-330", "none")
    assert change.proto.direction == MetricProto.MetricDirection.DOWN

    app.segmented_control(key="compare:period_against").set_value(compare.YEAR_EARLIER).run()
    months = app.selectbox(key="compare:period:day:month")
    assert (months.options[0], months.options[-1]) == ("December 2024", "January 2024")
    months.set_value(dt.date(2024, 1, 1)).run()
    # January 2023 sold nothing: from it, January 2024 is new.
    assert readable(app.success[0].value) == "Total units is 31 in January 2024 against 0 in January 2023: new in January 2024."
    assert [m.delta for m in app.metric][2] == "new"

    app.selectbox(key="compare:period_unit").set_value("week").run()
    weeks = app.selectbox(key="compare:period:day:week")
    # The last whole week is 23 to 29 December 2024 (ISO week 52); week 52 of 2023 began on the 25th.
    assert weeks.options[0] == "week of 2024-12-23"
    assert labels(app)[:2] == ["A · week of 2023-12-25", "B · week of 2024-12-23"]


def test_two_periods_a_year_apart_line_up_month_by_month(app, portal, store):
    only(portal, store, two_years())
    two_periods(app)
    app.selectbox(key="compare:period_unit").set_value("quarter").run()
    app.segmented_control(key="compare:period_against").set_value(compare.YEAR_EARLIER).run()
    assert app.selectbox(key="compare:period:day:quarter").options == ["Q4 2024", "Q3 2024", "Q2 2024", "Q1 2024"]
    app.selectbox(key="compare:align").set_value("day").run()
    assert not app.exception
    assert app.selectbox(key="compare:bucket").options == ["day", "week", "month"]
    table = app.dataframe[0].value
    assert list(table.columns) == ["month of the period", "A · Q4 2023", "B · Q4 2024", "delta", "delta %"]
    # Month 3 is December in both: from 31 × 12 units to nothing.
    assert table.values.tolist() == [
        [1, 310, 310, 0, "+0.0%"], [2, 330, 330, 0, "+0.0%"], [3, 372, 0, -372, "none"],
    ]
    assert readable(app.success[0].value).endswith("The largest gap is at month 3 of the period: -372 (none).")
    assert not any("holds only the days inside the period" in c for c in texts(app.caption)), "months fill quarters"

    # Halves of a leap year and of a common one, day by day: 182 days against 181.
    app.selectbox(key="compare:period_unit").set_value("half").run()
    app.selectbox(key="compare:period:day:half").set_value(dt.date(2024, 1, 1)).run()
    app.selectbox(key="compare:bucket").set_value("day").run()
    assert list(app.dataframe[0].value["day of the period"])[-1] == 182

    # A year against a year: the year before is the same one a year earlier.
    app.selectbox(key="compare:period_unit").set_value("year").run()
    assert app.segmented_control(key="compare:period_against").options == ["the year before"]
    assert labels(app)[:2] == ["A · 2023", "B · 2024"]


@pytest.mark.parametrize(
    ("unit", "against", "said"),
    [
        ("month", compare.YEAR_EARLIER, "holds no whole month with the same month a year earlier"),
        ("quarter", compare.PREVIOUS, "holds no whole quarter with the whole quarter before it"),
    ],
)
def test_two_periods_say_why_when_the_data_holds_no_whole_pair(app, portal, unit, against, said):
    two_periods(app)
    app.selectbox(key="compare:period_unit").set_value(unit).run()
    app.segmented_control(key="compare:period_against").set_value(against).run()
    shown = readable(app.info[0].value)
    assert shown.startswith("The data runs from 2024-01-01 to 2024-03-29: ")
    assert said in shown
    assert not app.success
    assert not app.get("vega_lite_chart")
