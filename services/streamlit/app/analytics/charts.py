"""Altair charts, drawn only from aggregated frames (see analytics.aggregate), and the reasons a
chart cannot be drawn for a dataset."""
from __future__ import annotations

import altair as alt
import polars as pl

from analytics import profile

LINE = "Line over time"
BAR = "Bar by category"
HISTOGRAM = "Histogram"
SCATTER = "Scatter"
KINDS = (LINE, BAR, HISTOGRAM, SCATTER)


def unfit_reason(kind: str, columns: profile.Profile) -> str | None:
    """Why this kind of chart cannot be drawn for this dataset, or None when it can."""
    dates = columns.ranged(profile.DATE)
    numbers = columns.ranged(profile.NUMBER)
    if kind == LINE and not dates:
        return (
            "A line over time needs a date column with at least two different dates, "
            "and this dataset has none."
        )
    if kind == BAR and not columns.names(profile.CATEGORY):
        return (
            "A bar chart needs a column of categories (text with at most "
            f"{profile.MAX_CATEGORIES:,} different values, or yes/no), and this dataset has none."
        )
    if kind == HISTOGRAM and not numbers:
        return (
            "A histogram needs a numeric column with at least two different values, "
            "and this dataset has none."
        )
    if kind == SCATTER and len(numbers) < 2:
        found = f"only one ({numbers[0]})" if numbers else "none"
        return (
            "A scatter plot needs two numeric columns with varying values; "
            f"this dataset has {found}."
        )
    return None


def _value(title: str) -> alt.Tooltip:
    return alt.Tooltip("value:Q", title=title, format=",.4~f")


def line(frame: pl.DataFrame, date_title: str, value_title: str, series_title: str | None) -> alt.Chart:
    encoding = {
        "x": alt.X("period:T", title=date_title),
        "y": alt.Y("value:Q", title=value_title),
        "tooltip": [alt.Tooltip("period:T", title=date_title), _value(value_title)],
    }
    if series_title is not None:
        encoding["color"] = alt.Color("series:N", title=series_title)
        encoding["tooltip"].append(alt.Tooltip("series:N", title=series_title))
    return alt.Chart(frame).mark_line(point=frame.height <= 60).encode(**encoding)


def bars(frame: pl.DataFrame, category_title: str, value_title: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=value_title),
            y=alt.Y("category:N", title=category_title, sort="-x"),
            tooltip=[alt.Tooltip("category:N", title=category_title), _value(value_title)],
        )
    )


def histogram(frame: pl.DataFrame, value_title: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title=value_title, bin="binned"),
            x2="end:Q",
            y=alt.Y("count:Q", title="rows"),
            tooltip=[
                alt.Tooltip("start:Q", title="from", format=",.4~f"),
                alt.Tooltip("end:Q", title="to", format=",.4~f"),
                alt.Tooltip("count:Q", title="rows", format=","),
            ],
        )
    )


def scatter(frame: pl.DataFrame, x_title: str, y_title: str, series_title: str | None) -> alt.Chart:
    encoding = {
        "x": alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False)),
        "y": alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False)),
        "tooltip": [alt.Tooltip("x:Q", title=x_title), alt.Tooltip("y:Q", title=y_title)],
    }
    if series_title is not None:
        encoding["color"] = alt.Color("series:N", title=series_title)
    return alt.Chart(frame).mark_circle(opacity=0.5, size=20).encode(**encoding)


def overlay(
    table: pl.DataFrame, label_a: str, label_b: str, key_title: str, value_title: str
) -> alt.Chart:
    """Both sides of a comparison on one chart: lines along a date or a position in the period,
    grouped bars for categories."""
    long = (
        table.select("key", "a", "b")
        .unpivot(index="key", variable_name="side")
        .with_columns(pl.col("side").replace_strict({"a": label_a, "b": label_b}))
    )
    key_dtype = table.schema["key"]
    color = alt.Color("side:N", title=None, sort=[label_a, label_b])
    value = alt.Y("value:Q", title=value_title)
    tooltip = [alt.Tooltip("key", title=key_title), "side:N", _value(value_title)]
    if key_dtype == pl.Date or key_dtype.is_integer():
        key = alt.X("key:T" if key_dtype == pl.Date else "key:O", title=key_title)
        chart = alt.Chart(long).mark_line(point=True)
        return chart.encode(x=key, y=value, color=color, tooltip=tooltip)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("key:N", title=key_title),
            xOffset=alt.XOffset("side:N", sort=[label_a, label_b]),
            y=value,
            color=color,
            tooltip=tooltip,
        )
    )


def totals(
    label_a: str, label_b: str, a: float | None, b: float | None, value_title: str
) -> alt.Chart:
    frame = pl.DataFrame(
        {"side": [label_a, label_b], "value": [a, b]}, schema={"side": pl.String, "value": pl.Float64}
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("side:N", title=None, sort=[label_a, label_b]),
            y=alt.Y("value:Q", title=value_title),
            color=alt.Color("side:N", legend=None, sort=[label_a, label_b]),
            tooltip=["side:N", _value(value_title)],
        )
    )
