"""Altair charts, drawn only from aggregated frames (see analytics.aggregate), and the reasons a
chart cannot be drawn for a dataset."""
from __future__ import annotations

import altair as alt
import polars as pl

from analytics import formats, i18n, profile
from analytics.i18n import N_, _

# Kept untranslated by the chart picker (its value survives a switch of language); shown with _().
LINE = N_("Line over time")
BAR = N_("Bar by category")
HISTOGRAM = N_("Histogram")
SCATTER = N_("Scatter")
KINDS = (LINE, BAR, HISTOGRAM, SCATTER)
# A period's coverage in a line's tooltip (see aggregate.over_time).
PARTIAL, COMPLETE = N_("partial"), N_("complete")


def unfit_reason(kind: str, columns: profile.Profile) -> str | None:
    """Why this kind of chart cannot be drawn for this dataset, or None when it can."""
    dates = columns.ranged(profile.DATE)
    numbers = columns.ranged(profile.NUMBER)
    if kind == LINE and not dates:
        return _(
            "A line over time needs a date column with at least two different dates, "
            "and this dataset has none."
        )
    if kind == BAR and not columns.names(profile.CATEGORY):
        return _(
            "A bar chart needs a column of categories (text with at most {n} different values, "
            "or yes/no), and this dataset has none."
        ).format(n=formats.number(profile.MAX_CATEGORIES))
    if kind == HISTOGRAM and not numbers:
        return _(
            "A histogram needs a numeric column with at least two different values, "
            "and this dataset has none."
        )
    if kind == SCATTER and len(numbers) < 2:
        if numbers:
            return _(
                "A scatter plot needs two numeric columns with varying values; this dataset has only one ({column})."
            ).format(column=numbers[0])
        return _("A scatter plot needs two numeric columns with varying values; this dataset has none.")
    return None


def _value(title: str) -> alt.Tooltip:
    return alt.Tooltip("value:Q", title=title, format=",.4~f")


def _date(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(field, title=title, format=formats.VEGA_DATE[i18n.current()])


def _upright(vertical: bool) -> dict:
    """A vertical axis' title set horizontally above it in Korean: Korean turned on its side
    cannot be read."""
    if vertical and i18n.current() == "ko":
        return {"titleAngle": 0, "titleAnchor": "end", "titleAlign": "left", "titleBaseline": "bottom", "titleY": -8}
    return {}


def _amounts(title: str | None, vertical: bool = True) -> alt.Axis:
    """A value axis: large amounts in 만/억 for Korean, K/M/B for English."""
    return alt.Axis(title=title, labelExpr=formats.axis_label_expr(), **_upright(vertical))


def _keys(title: str | None, time: bool = False, vertical: bool = False) -> alt.Axis:
    """An axis of keys (dates, categories): Korean labels stay horizontal, thinned out where
    they would overlap, since Korean set vertically cannot be read."""
    if i18n.current() != "ko":
        return alt.Axis(title=title)
    extra = {"labelExpr": formats.time_label_expr()} if time else {}
    # Labels kept whole where they fit: a level label cannot use the room a slanted one has.
    return alt.Axis(title=title, labelAngle=0, labelOverlap=True, labelLimit=400, **extra, **_upright(vertical))


def localised(chart: alt.Chart) -> alt.Chart:
    """The chart with the session's number and time format locale: month and day names, and
    separators in axes and tooltips, as the partner's language writes them."""
    return chart.configure(locale=formats.vega_locale())


def line(frame: pl.DataFrame, date_title: str, value_title: str, series_title: str | None) -> alt.Chart:
    """A line per series over aggregate.over_time's periods. Partial periods (at either end) are
    drawn as hollow points joined by a dashed segment, and their tooltip says "partial": their
    dip or rise is the want of days, not a change."""
    encoding = {
        "x": alt.X("period:T", axis=_keys(date_title, time=True)),
        "y": alt.Y("value:Q", axis=_amounts(value_title)),
        "tooltip": [_date("period:T", date_title), _value(value_title)],
    }
    if series_title is not None:
        encoding["color"] = alt.Color("series:N", title=series_title)
        encoding["tooltip"].append(alt.Tooltip("series:N", title=series_title))
    points = frame.height <= 60
    if not frame["partial"].any():
        return localised(alt.Chart(frame).mark_line(point=points).encode(**encoding))
    coverage = pl.when(pl.col("partial")).then(pl.lit(_(PARTIAL))).otherwise(pl.lit(_(COMPLETE)))
    encoding["tooltip"].append(alt.Tooltip("coverage:N", title=_("period")))
    base = alt.Chart(frame.with_columns(coverage.alias("coverage"))).encode(**encoding)
    return localised(
        alt.layer(
            # The whole line dashed, under the complete periods' solid line: only the segments
            # to the partial periods stay dashed.
            base.mark_line(strokeDash=[5, 4]),
            base.mark_line(point=points).transform_filter("!datum.partial"),
            base.mark_point(filled=False, size=60, opacity=1).transform_filter("datum.partial"),
        )
    )


def bars(frame: pl.DataFrame, category_title: str, value_title: str) -> alt.Chart:
    return localised(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", axis=_amounts(value_title, vertical=False)),
            y=alt.Y("category:N", sort="-x", axis=_keys(category_title, vertical=True)),
            tooltip=[alt.Tooltip("category:N", title=category_title), _value(value_title)],
        )
    )


def histogram(frame: pl.DataFrame, value_title: str) -> alt.Chart:
    rows = _("rows")
    return localised(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("start:Q", bin="binned", axis=_amounts(value_title, vertical=False)),
            x2="end:Q",
            y=alt.Y("count:Q", axis=_amounts(rows)),
            tooltip=[
                alt.Tooltip("start:Q", title=_("from"), format=",.4~f"),
                alt.Tooltip("end:Q", title=_("to"), format=",.4~f"),
                alt.Tooltip("count:Q", title=rows, format=","),
            ],
        )
    )


def scatter(frame: pl.DataFrame, x_title: str, y_title: str, series_title: str | None) -> alt.Chart:
    encoding = {
        "x": alt.X("x:Q", axis=_amounts(x_title, vertical=False), scale=alt.Scale(zero=False)),
        "y": alt.Y("y:Q", axis=_amounts(y_title), scale=alt.Scale(zero=False)),
        "tooltip": [
            alt.Tooltip("x:Q", title=x_title, format=",.4~f"),
            alt.Tooltip("y:Q", title=y_title, format=",.4~f"),
        ],
    }
    if series_title is not None:
        encoding["color"] = alt.Color("series:N", title=series_title)
    return localised(alt.Chart(frame).mark_circle(opacity=0.5, size=20).encode(**encoding))


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
    value = alt.Y("value:Q", axis=_amounts(value_title))
    side = alt.Tooltip("side:N", title=_("side"))
    if key_dtype == pl.Date or key_dtype.is_integer():
        key_tip = _date("key:T", key_title) if key_dtype == pl.Date else alt.Tooltip("key:O", title=key_title)
        key = alt.X("key:T" if key_dtype == pl.Date else "key:O", axis=_keys(key_title, time=key_dtype == pl.Date))
        chart = alt.Chart(long).mark_line(point=True)
        return localised(chart.encode(x=key, y=value, color=color, tooltip=[key_tip, side, _value(value_title)]))
    return localised(
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("key:N", axis=_keys(key_title)),
            xOffset=alt.XOffset("side:N", sort=[label_a, label_b]),
            y=value,
            color=color,
            tooltip=[alt.Tooltip("key:N", title=key_title), side, _value(value_title)],
        )
    )


def totals(
    label_a: str, label_b: str, a: float | None, b: float | None, value_title: str
) -> alt.Chart:
    frame = pl.DataFrame(
        {"side": [label_a, label_b], "value": [a, b]}, schema={"side": pl.String, "value": pl.Float64}
    )
    return localised(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("side:N", sort=[label_a, label_b], axis=_keys(None)),
            y=alt.Y("value:Q", axis=_amounts(value_title)),
            color=alt.Color("side:N", legend=None, sort=[label_a, label_b]),
            tooltip=[alt.Tooltip("side:N", title=_("side")), _value(value_title)],
        )
    )
