"""Aggregations that turn any number of rows into a bounded number of points to draw.

Every function takes a LazyFrame (a loaded dataset, filtered) and collects only its small
result, so a rerun never copies the dataset; through computing.collect, so that a computation
run under its time limit is stopped when the limit passes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analytics import filters, formats
from analytics.computing import collect
from analytics.i18n import N_, _

AGGREGATIONS = ("sum", "mean", "count", "median")
# Aggregations for which "no rows" means zero rather than "no value".
ZERO_WHEN_EMPTY = ("sum", "count")
MISSING_LABEL = N_("(missing)")
# What a partner reads for each aggregation and step; the keys are what widgets keep.
AGGREGATION_NAMES = {"sum": N_("sum"), "mean": N_("mean"), "count": N_("count"), "median": N_("median")}
BUCKET_NAMES = {
    "day": N_("day"), "week": N_("week"), "month": N_("month"), "quarter": N_("quarter"), "half": N_("half"),
    "year": N_("year"),
}

# Calendar steps for time series, finest first: polars' truncation (weeks start on Monday, as
# ISO 8601 has them; halves in January and July) and a rough length in days to count points.
BUCKETS = {
    "day": ("1d", 1),
    "week": ("1w", 7),
    "month": ("1mo", 30.4),
    "quarter": ("1q", 91.3),
    "half": ("6mo", 182.6),
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
    return collect(frame.select(metric_expr(agg, column).alias("value"))).item()


def row_count(frame: pl.LazyFrame) -> int:
    return collect(frame.select(pl.len())).item()


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


def period_start(day: dt.date, bucket: str) -> dt.date:
    """The first day of the calendar period that holds `day`."""
    return pl.Series([day], dtype=pl.Date).dt.truncate(BUCKETS[bucket][0]).item()


def next_start(start: dt.date, bucket: str) -> dt.date:
    """The start of the period after the one that starts on `start`."""
    return pl.Series([start], dtype=pl.Date).dt.offset_by(BUCKETS[bucket][0]).item()


def previous_start(start: dt.date, bucket: str) -> dt.date:
    """The start of the period before the one that starts on `start`."""
    return pl.Series([start], dtype=pl.Date).dt.offset_by("-" + BUCKETS[bucket][0]).item()


def period_end(start: dt.date, bucket: str) -> dt.date:
    """The last day of the period that starts on `start`."""
    return next_start(start, bucket) - dt.timedelta(days=1)


def period_name(start: dt.date, bucket: str) -> str:
    """A period as a partner names it: 2025-02-03, week of 2025-02-03, February 2025, Q1 2025, …"""
    if bucket == "day":
        return formats.date(start)
    if bucket == "week":
        return _("week of {date}").format(date=formats.date(start))
    if bucket == "month":
        return formats.month(start)
    if bucket == "quarter":
        return _("Q{quarter} {year}").format(quarter=(start.month - 1) // 3 + 1, year=start.year)
    if bucket == "half":
        return _(N_("H1 {year}") if start.month < 7 else N_("H2 {year}")).format(year=start.year)
    return _("{year}").format(year=start.year)


def covered(
    low: dt.date | dt.datetime, high: dt.date | dt.datetime, chosen: list[filters.Filter], column: str
) -> tuple[dt.date, dt.date]:
    """The first and last day the rows can have in `column`: the dataset's range, narrowed by a
    date filter on that column. Not the rows' own dates: a segment without rows on the dataset's
    last day still has that day."""
    first, last = _as_date(low), _as_date(high)
    for chosen_filter in chosen:
        if isinstance(chosen_filter, filters.DateRange) and chosen_filter.column == column:
            first, last = max(first, chosen_filter.start), min(last, chosen_filter.end)
    return first, last


def partial_periods(first: dt.date, last: dt.date, bucket: str) -> list[dt.date]:
    """The starts of the periods at either end that the days from `first` to `last` fill only
    partly: a sum over one is smaller for want of days, not for any change."""
    ends = {period_start(first, bucket), period_start(last, bucket)}
    return sorted(start for start in ends if start < first or period_end(start, bucket) > last)


def complete_periods(first: dt.date, last: dt.date, bucket: str) -> list[dt.date]:
    """The starts of the periods that lie wholly between `first` and `last`, oldest first."""
    starts = pl.date_range(period_start(first, bucket), period_start(last, bucket), BUCKETS[bucket][0], eager=True)
    partial = partial_periods(first, last, bucket)
    return [start for start in starts.to_list() if start not in partial]


def over_time(
    frame: pl.LazyFrame,
    date: str,
    bucket: str,
    agg: str,
    value: str | None,
    split: str | None = None,
    span: tuple[dt.date, dt.date] | None = None,
) -> pl.DataFrame:
    """Columns: period (date), series (text, when split), value, partial (the data's `span`, its
    first and last day, fills that period only partly; by default the rows' own first and last
    day, though the dataset's, see `covered`, tell more). Rows without a date are left out: they
    have no place on a time axis."""
    dated = frame.filter(pl.col(date).is_not_null())
    if span is None:
        day = pl.col(date).dt.date()
        span = collect(dated.select(day.min(), day.max().alias("last"))).row(0)
    # No rows with a date: no span, and no period to mark.
    partial = partial_periods(*span, bucket) if None not in span else []
    keys = [period_key(date, bucket).alias("period")]
    if split is not None:
        keys.append(_label(split).alias("series"))
    return collect(
        dated
        .group_by(keys)
        .agg(metric_expr(agg, value).alias("value"))
        .with_columns(pl.col("period").is_in(partial).alias("partial"))
        .sort(["period", "series"] if split else "period")
    )


def partial_note(series: pl.DataFrame, bucket: str, span: tuple[dt.date, dt.date], left_out: bool) -> str | None:
    """Which periods of an over_time series are partial, and why; None when none is. `left_out`:
    an average and a change (see trend) are shown, and they leave those periods out."""
    partial = series.filter("partial")["period"].unique().sort().to_list()
    if not partial:
        return None
    note = _(
        "Partial periods, drawn dashed: {periods}. The data runs from {first} to {last}, "
        "so these hold only part of a {step}."
    ).format(
        periods=", ".join(period_name(start, bucket) for start in partial),
        first=formats.date(span[0]), last=formats.date(span[1]), step=bucket_name(bucket),
    )
    return " ".join([note, _("The average and the change below leave them out.")]) if left_out else note


@dataclass(frozen=True)
class Trend:
    """A series' complete periods (see over_time): their average, and the last one against the
    one before it. Partial periods would pull both down for want of days."""

    average: float | None
    last: dt.date  # the start of the last complete period
    last_value: float | None
    previous: dt.date | None  # the start of the complete period before it, if any
    previous_value: float | None


def trend(series: pl.DataFrame, bucket: str, agg: str, span: tuple[dt.date, dt.date]) -> Trend | None:
    """For a series without a split; None when no period is complete. A complete period without
    rows counts as zero for sums and counts, and as no value for means and medians."""
    starts = complete_periods(*span, bucket)
    if not starts:
        return None
    values = pl.DataFrame({"period": starts}, schema={"period": pl.Date}).join(
        series.select("period", "value"), on="period", how="left"
    )["value"]
    if agg in ZERO_WHEN_EMPTY:
        values = values.fill_null(0.0)
    before = len(starts) > 1
    return Trend(
        average=values.mean(),
        last=starts[-1],
        last_value=values[-1],
        previous=starts[-2] if before else None,
        previous_value=values[-2] if before else None,
    )


@dataclass(frozen=True)
class Bars:
    frame: pl.DataFrame  # category (text), value; largest first
    groups: int  # how many categories there were before keeping the largest


def by_category(
    frame: pl.LazyFrame, category: str, agg: str, value: str | None, limit: int = MAX_BARS
) -> Bars:
    grouped = collect(
        frame.group_by(_label(category).alias("category")).agg(metric_expr(agg, value).alias("value"))
    )
    largest = grouped.sort(["value", "category"], descending=[True, False], nulls_last=True)
    return Bars(frame=largest.head(limit), groups=grouped.height)


def histogram(frame: pl.LazyFrame, column: str, bins: int = HISTOGRAM_BINS) -> pl.DataFrame:
    """Columns: start, end, count; equal-width bins over the values' range, empty bins kept.
    Whole numbers spanning fewer values than bins get one bin per value."""
    value = pl.col(column).cast(pl.Float64)
    low, high = collect(frame.select(value.min().alias("low"), value.max().alias("high"))).row(0)
    if low is None:
        return pl.DataFrame(schema={"start": pl.Float64, "end": pl.Float64, "count": pl.UInt32})
    if frame.collect_schema()[column].is_integer() and high - low < bins:
        bins, width = int(high - low) + 1, 1.0
    else:
        bins = bins if low < high else 1
        width = (high - low) / bins or 1.0
    index = ((value - low) / width).floor().clip(0, bins - 1).cast(pl.Int64).alias("bin")
    counts = collect(frame.select(index).drop_nulls().group_by("bin").len())
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
    points = collect(frame.select(columns).drop_nulls(["x", "y"]))
    sample = points.sample(n=limit, seed=0) if points.height > limit else points
    return Points(frame=sample, total=points.height)


def _label(column: str) -> pl.Expr:
    """A grouping column as text, with missing values shown as such rather than dropped."""
    return pl.col(column).cast(pl.String).fill_null(_(MISSING_LABEL))


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
