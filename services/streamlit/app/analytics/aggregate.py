"""Aggregations that turn any number of rows into a bounded number of points to draw.

Every function takes a LazyFrame (a loaded dataset, filtered) and collects only its small
result, so a rerun never copies the dataset.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analytics.i18n import N_, _

AGGREGATIONS = ("sum", "mean", "count", "median")
MISSING_LABEL = N_("(missing)")
# What a partner reads for each aggregation and step; the keys are what widgets keep.
AGGREGATION_NAMES = {"sum": N_("sum"), "mean": N_("mean"), "count": N_("count"), "median": N_("median")}
BUCKET_NAMES = {"day": N_("day"), "week": N_("week"), "month": N_("month"), "quarter": N_("quarter"), "year": N_("year")}

# Truncation steps for time series, finest first, with a rough length in days to count points.
BUCKETS = {
    "day": ("1d", 1),
    "week": ("1w", 7),
    "month": ("1mo", 30.4),
    "quarter": ("1q", 91.3),
    "year": ("1y", 365.25),
}
MAX_LINE_POINTS = 1000
MAX_BARS = 30
HISTOGRAM_BINS = 40
MAX_SCATTER_POINTS = 5000


def metric_expr(agg: str, column: str | None) -> pl.Expr:
    """One aggregated number; count is the number of rows and needs no column."""
    if agg == "count":
        return pl.len().cast(pl.Float64)
    if column is None:
        raise ValueError(f"{agg} needs a numeric column")
    value = pl.col(column).cast(pl.Float64)
    return {"sum": value.sum(), "mean": value.mean(), "median": value.median()}[agg]


def metric_label(agg: str, column: str | None) -> str:
    if agg == "count":
        return _("number of rows")
    template = {"sum": N_("total {column}"), "mean": N_("average {column}"), "median": N_("median {column}")}[agg]
    return _(template).format(column=column)


def aggregation_name(agg: str) -> str:
    return _(AGGREGATION_NAMES.get(agg, agg))


def bucket_name(bucket: str) -> str:
    return _(BUCKET_NAMES.get(bucket, bucket))


def total(frame: pl.LazyFrame, agg: str, column: str | None) -> float | None:
    return frame.select(metric_expr(agg, column).alias("value")).collect().item()


def row_count(frame: pl.LazyFrame) -> int:
    return frame.select(pl.len()).collect().item()


def fitting_buckets(low: dt.date, high: dt.date) -> list[str]:
    """The time steps that draw the span in at most MAX_LINE_POINTS points (always 'year')."""
    days = max((_as_date(high) - _as_date(low)).days, 1)
    fitting = [name for name, (_, length) in BUCKETS.items() if days / length <= MAX_LINE_POINTS]
    return fitting or ["year"]


def default_bucket(low: dt.date, high: dt.date) -> str:
    """The finest step that still gives a readable line (at most about 120 points)."""
    days = max((_as_date(high) - _as_date(low)).days, 1)
    return next((n for n, (_, length) in BUCKETS.items() if days / length <= 120), "year")


def period_key(column: str, bucket: str) -> pl.Expr:
    """The start of the period (day, week, …) each row falls in, as a date."""
    return pl.col(column).dt.truncate(BUCKETS[bucket][0]).cast(pl.Date)


def over_time(
    frame: pl.LazyFrame,
    date: str,
    bucket: str,
    agg: str,
    value: str | None,
    split: str | None = None,
) -> pl.DataFrame:
    """Columns: period (date), series (text, when split), value. Rows without a date are left
    out: they have no place on a time axis."""
    keys = [period_key(date, bucket).alias("period")]
    if split is not None:
        keys.append(_label(split).alias("series"))
    return (
        frame.filter(pl.col(date).is_not_null())
        .group_by(keys)
        .agg(metric_expr(agg, value).alias("value"))
        .sort(["period", "series"] if split else "period")
        .collect()
    )


@dataclass(frozen=True)
class Bars:
    frame: pl.DataFrame  # category (text), value; largest first
    groups: int  # how many categories there were before keeping the largest


def by_category(
    frame: pl.LazyFrame, category: str, agg: str, value: str | None, limit: int = MAX_BARS
) -> Bars:
    grouped = (
        frame.group_by(_label(category).alias("category"))
        .agg(metric_expr(agg, value).alias("value"))
        .collect()
    )
    largest = grouped.sort(["value", "category"], descending=[True, False], nulls_last=True)
    return Bars(frame=largest.head(limit), groups=grouped.height)


def histogram(frame: pl.LazyFrame, column: str, bins: int = HISTOGRAM_BINS) -> pl.DataFrame:
    """Columns: start, end, count; equal-width bins over the values' range, empty bins kept.
    Whole numbers spanning fewer values than bins get one bin per value."""
    value = pl.col(column).cast(pl.Float64)
    low, high = frame.select(value.min().alias("low"), value.max().alias("high")).collect().row(0)
    if low is None:
        return pl.DataFrame(schema={"start": pl.Float64, "end": pl.Float64, "count": pl.UInt32})
    if frame.collect_schema()[column].is_integer() and high - low < bins:
        bins, width = int(high - low) + 1, 1.0
    else:
        bins = bins if low < high else 1
        width = (high - low) / bins or 1.0
    index = ((value - low) / width).floor().clip(0, bins - 1).cast(pl.Int64).alias("bin")
    counts = frame.select(index).drop_nulls().group_by("bin").len().collect()
    return (
        pl.DataFrame({"bin": range(bins)}, schema={"bin": pl.Int64})
        .join(counts, on="bin", how="left")
        .select(
            (low + pl.col("bin") * width).alias("start"),
            (low + (pl.col("bin") + 1) * width).alias("end"),
            pl.col("len").fill_null(0).cast(pl.UInt32).alias("count"),
        )
    )


@dataclass(frozen=True)
class Points:
    frame: pl.DataFrame  # x, y (and series): at most `limit` rows
    total: int  # how many rows had both values


def scatter(
    frame: pl.LazyFrame, x: str, y: str, color: str | None = None, limit: int = MAX_SCATTER_POINTS
) -> Points:
    """A seeded random sample of the points, so a redraw shows the same picture."""
    columns = [pl.col(x).alias("x"), pl.col(y).alias("y")]
    if color is not None:
        columns.append(_label(color).alias("series"))
    points = frame.select(columns).drop_nulls(["x", "y"]).collect()
    sample = points.sample(n=limit, seed=0) if points.height > limit else points
    return Points(frame=sample, total=points.height)


def _label(column: str) -> pl.Expr:
    """A grouping column as text, with missing values shown as such rather than dropped."""
    return pl.col(column).cast(pl.String).fill_null(_(MISSING_LABEL))


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
