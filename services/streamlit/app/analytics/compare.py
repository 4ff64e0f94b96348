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

from analytics import aggregate, formats
from analytics.i18n import N_, _

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
        if self.bucket is None:
            return self.column
        return _("{column} ({step})").format(column=self.column, step=aggregate.bucket_name(self.bucket))


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
        key_title=(
            _("{step} of the period").format(step=aggregate.bucket_name(alignment.bucket))
            if positional else alignment.key_title
        ),
        position_unit=alignment.bucket if positional else None,
    )


def _grouped(side: Side, agg: str, value: str | None, alignment: Alignment) -> pl.DataFrame:
    column = alignment.column
    if alignment.bucket is None:
        key = pl.col(column).cast(pl.String).fill_null(_(aggregate.MISSING_LABEL))
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
    shown = ", ".join(values[:3])
    if len(values) > 3:
        shown = _("{values} and {n} more").format(values=shown, n=formats.number(len(values) - 3))
    return f"{column}: {shown}"


def period_label(start: dt.date, end: dt.date) -> str:
    return _("{start} to {end}").format(start=formats.date(start), end=formats.date(end))


def halves(low: dt.date, high: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """A span cut in two consecutive periods: the default for a period-over-period comparison."""
    middle = low + dt.timedelta(days=(high - low).days // 2)
    return (low, middle), (min(middle + dt.timedelta(days=1), high), high)


def summarise(c: Comparison) -> str:
    """One plain sentence on the totals, and one on the largest gap when there is a table."""
    # Whole sentences per case, not pieces: word order differs between the languages.
    a, b = c.total_a, c.total_b
    names = {"a": c.label_a, "b": c.label_b, "metric": c.metric, "metric_cap": c.metric[:1].upper() + c.metric[1:]}
    if a is None and b is None:
        first = _("Neither {a} nor {b} has a value for {metric}.").format(**names)
    elif a is None or b is None:
        empty = c.label_a if a is None else c.label_b
        first = _("{side} has no value for {metric}, so there is nothing to compare.").format(side=empty, **names)
    elif a == b:
        first = _("{metric_cap} is the same in {b} and {a}: {value}.").format(value=fmt(a), **names)
    elif c.pct is None:
        first = _(
            "{metric_cap} is {value_b} in {b} against {value_a} in {a}; "
            "from a baseline of zero there is no percentage change."
        ).format(value_a=fmt(a), value_b=fmt(b), **names)
    else:
        template = (
            N_("{metric_cap} is {value_b} in {b} against {value_a} in {a}: higher by {gap} ({pct}).")
            if b > a else
            N_("{metric_cap} is {value_b} in {b} against {value_a} in {a}: lower by {gap} ({pct}).")
        )
        first = _(template).format(
            value_a=fmt(a), value_b=fmt(b), gap=fmt(abs(b - a)), pct=formats.percent(abs(c.pct) / 100), **names
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
        where = _("{step} {n} of the period").format(step=aggregate.bucket_name(c.position_unit), n=row["key"])
    else:
        key = formats.date(row["key"]) if isinstance(row["key"], dt.date) else row["key"]
        where = f"{c.key_title} {key}"
    gap = _signed(row["delta"])
    if row["delta %"] is not None:
        gap = f"{gap} ({formats.percent(row['delta %'] / 100, signed=True)})"
    return _("The largest gap is at {where}: {gap}.").format(where=where, gap=gap)


def fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if float(value).is_integer() or abs(value) >= 1000:
        return formats.number(round(value), digits=0)
    if abs(value) >= 1:
        return formats.number(value, digits=2, fixed=True)
    return formats.number(float(f"{value:.3g}"), digits=6)


def _signed(value: float) -> str:
    return ("+" if value > 0 else "-") + fmt(abs(value))
