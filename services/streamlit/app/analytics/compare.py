"""Comparing two sides (two datasets, two segments or two periods) on one metric.

The arithmetic, once, for the table and the sentence:
- delta = b - a, the change from the baseline a to b;
- percentage = delta / |a| * 100, so the sign follows the direction of the change even when the
  baseline is negative;
- a zero baseline gives no percentage (it would be infinite), except 0 -> 0, which is 0 %;
- a missing value on either side gives neither delta nor percentage. For sums and counts a key
  absent from one side is a real zero (no rows), for means and medians it is missing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analytics import aggregate

# Aggregations for which "no rows" means zero rather than "no value".
_ZERO_WHEN_EMPTY = ("sum", "count")


def delta(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return b - a


def pct_change(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if a == 0:
        return 0.0 if b == 0 else None
    return (b - a) / abs(a) * 100.0


def _delta_exprs() -> list[pl.Expr]:
    """delta and pct_change above, as column expressions over columns a and b."""
    a, b = pl.col("a"), pl.col("b")
    return [
        (b - a).alias("delta"),
        pl.when(a.is_null() | b.is_null())
        .then(None)
        .when(a == 0)
        .then(pl.when(b == 0).then(0.0).otherwise(None))
        .otherwise((b - a) / a.abs() * 100.0)
        .alias("delta %"),
    ]


def align(a: pl.DataFrame, b: pl.DataFrame, zero_when_missing: bool) -> pl.DataFrame:
    """Join two frames of (key, value) on key: columns key, a, b, delta, delta %."""
    joined = a.rename({"value": "a"}).join(
        b.rename({"value": "b"}), on="key", how="full", coalesce=True, nulls_equal=True
    )
    if zero_when_missing:
        joined = joined.with_columns(pl.col("a", "b").fill_null(0.0))
    return joined.with_columns(_delta_exprs()).sort("key", nulls_last=True)


@dataclass(frozen=True)
class Side:
    label: str
    frame: pl.LazyFrame
    # For a period: its first day, so periods line up by position (month 1, month 2, ...).
    start: dt.date | None = None


@dataclass(frozen=True)
class Alignment:
    """What rows are matched on: nothing (totals only), a category, or a date step."""

    column: str | None = None
    bucket: str | None = None

    @property
    def key_title(self) -> str:
        if self.column is None:
            return ""
        return self.column if self.bucket is None else f"{self.column} ({self.bucket})"


@dataclass(frozen=True)
class Comparison:
    label_a: str
    label_b: str
    metric: str
    total_a: float | None
    total_b: float | None
    table: pl.DataFrame  # key, a, b, delta, delta % (empty when only totals are compared)
    key_title: str
    # Set when periods are matched by position: the key is then 1, 2, ... of this unit.
    position_unit: str | None = None

    @property
    def names(self) -> tuple[str, str]:
        """The sides as charts and tables name them; the A and B keep them apart even when the
        two labels are the same."""
        return f"A · {self.label_a}", f"B · {self.label_b}"

    @property
    def delta(self) -> float | None:
        return delta(self.total_a, self.total_b)

    @property
    def pct(self) -> float | None:
        return pct_change(self.total_a, self.total_b)

    def sentence(self) -> str:
        return summarise(self)


def compare(a: Side, b: Side, agg: str, value: str | None, alignment: Alignment) -> Comparison:
    positional = alignment.bucket is not None and a.start is not None and b.start is not None
    if alignment.column is None:
        table = pl.DataFrame()
    else:
        table = align(
            _grouped(a, agg, value, alignment),
            _grouped(b, agg, value, alignment),
            zero_when_missing=agg in _ZERO_WHEN_EMPTY,
        )
    return Comparison(
        label_a=a.label,
        label_b=b.label,
        metric=aggregate.metric_label(agg, value),
        total_a=aggregate.total(a.frame, agg, value),
        total_b=aggregate.total(b.frame, agg, value),
        table=table,
        key_title=f"{alignment.bucket} of the period" if positional else alignment.key_title,
        position_unit=alignment.bucket if positional else None,
    )


def _grouped(side: Side, agg: str, value: str | None, alignment: Alignment) -> pl.DataFrame:
    column = alignment.column
    if alignment.bucket is None:
        key = pl.col(column).cast(pl.String).fill_null(aggregate.MISSING_LABEL)
    elif side.start is not None:
        key = _position(column, alignment.bucket, side.start)
    else:
        key = aggregate.period_key(column, alignment.bucket)
    return (
        side.frame.group_by(key.alias("key"))
        .agg(aggregate.metric_expr(agg, value).alias("value"))
        .collect()
    )


def _position(column: str, bucket: str, start: dt.date) -> pl.Expr:
    """1 for the period's first day (week, month, ...), 2 for the next, and so on."""
    day = pl.col(column).dt.date()
    if bucket in ("day", "week"):
        days = (day - pl.lit(start)).dt.total_days()
        return days // (7 if bucket == "week" else 1) + 1
    months = (day.dt.year() - start.year) * 12 + (day.dt.month() - start.month)
    return months // {"month": 1, "quarter": 3, "year": 12}[bucket] + 1


def display_table(c: Comparison) -> pl.DataFrame:
    name_a, name_b = c.names
    return c.table.rename({"key": c.key_title, "a": name_a, "b": name_b})


def segment_label(column: str, values: list[str]) -> str:
    shown = ", ".join(values[:3]) + (f" and {len(values) - 3} more" if len(values) > 3 else "")
    return f"{column}: {shown}"


def period_label(start: dt.date, end: dt.date) -> str:
    return f"{start} to {end}"


def halves(low: dt.date, high: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """A span cut in two consecutive periods: the default for a period-over-period comparison."""
    middle = low + dt.timedelta(days=(high - low).days // 2)
    return (low, middle), (min(middle + dt.timedelta(days=1), high), high)


def summarise(c: Comparison) -> str:
    """One plain sentence on the totals, and one on the largest gap when there is a table."""
    metric = c.metric[0].upper() + c.metric[1:]
    a, b = c.total_a, c.total_b
    if a is None and b is None:
        first = f"Neither {c.label_a} nor {c.label_b} has a value for {c.metric}."
    elif a is None or b is None:
        empty = c.label_a if a is None else c.label_b
        first = f"{empty} has no value for {c.metric}, so there is nothing to compare."
    elif a == b:
        first = f"{metric} is the same in {c.label_b} and {c.label_a}: {fmt(a)}."
    elif c.pct is None:
        first = (
            f"{metric} is {fmt(b)} in {c.label_b} against {fmt(a)} in {c.label_a}; "
            f"from a baseline of zero there is no percentage change."
        )
    else:
        direction = "higher" if b > a else "lower"
        first = (
            f"{metric} is {fmt(b)} in {c.label_b} against {fmt(a)} in {c.label_a}: "
            f"{direction} by {fmt(abs(b - a))} ({abs(c.pct):.1f} %)."
        )
    return f"{first} {_largest_gap(c)}".strip()


def _largest_gap(c: Comparison) -> str:
    if c.table.height < 2:
        return ""
    gaps = c.table.filter(pl.col("delta").is_not_null() & (pl.col("delta") != 0))
    if gaps.is_empty():
        return ""
    row = gaps.sort(pl.col("delta").abs(), descending=True).row(0, named=True)
    if c.position_unit is not None:
        where = f"{c.position_unit} {row['key']} of the period"
    else:
        where = f"{c.key_title} {row['key']}"
    pct = "" if row["delta %"] is None else f" ({row['delta %']:+.1f} %)"
    return f"The largest gap is at {where}: {_signed(row['delta'])}{pct}."


def fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3g}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "-") + fmt(abs(value))
