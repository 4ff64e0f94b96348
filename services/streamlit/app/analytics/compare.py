"""Comparing two sides (two datasets, two segments or two periods) on one metric.

The arithmetic, once, for the table, the metric and the sentence:
- delta = b - a, the change from the baseline a to b;
- percentage = delta / |a| * 100, so the sign follows the direction of the change even when the
  baseline is negative;
- from nothing (no value, or zero) to a value the change is NEW, from a value to nothing it is
  NONE: neither has a percentage (it would be infinite, or a -100 % that only says "gone");
  0 -> 0 is 0 %;
- a missing value on either side gives no delta. For sums and counts a key absent from one side
  is a real zero (no rows), for means and medians it is missing.

Periods are calendar periods (aggregate.BUCKETS): a week, month, quarter, half or year, against
the one before it or the same one a year earlier, or two ranges of days a partner picks.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analytics import aggregate, formats
from analytics.i18n import N_, _

# Changes from or to nothing, as the table's "change" column holds them; shown with _().
NEW, NONE = "new", "none"
CHANGE_NAMES = {NEW: N_("new"), NONE: N_("none")}
# The calendar periods two periods can be, and what the baseline is to the compared period.
PERIOD_UNITS = ("week", "month", "quarter", "half", "year")
PREVIOUS, YEAR_EARLIER = "previous", "year earlier"
BASELINE_NAMES = {PREVIOUS: N_("the {unit} before"), YEAR_EARLIER: N_("the same {unit} a year earlier")}
# The length of a step, to count steps from a period's start: in months, or in days.
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
_DAYS = {"day": 1, "week": 7}


def delta(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return b - a


def change(a: float | None, b: float | None) -> str | None:
    """NEW from nothing (no value, or zero) to a value, NONE from a value to nothing, else None."""
    a_nothing, b_nothing = a is None or a == 0, b is None or b == 0
    if a_nothing and not b_nothing:
        return NEW
    if b_nothing and not a_nothing:
        return NONE
    return None


def pct_change(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or change(a, b) is not None:
        return None
    if a == 0:
        return 0.0
    return (b - a) / abs(a) * 100.0


def change_text(pct: float | None, kind: str | None) -> str:
    """A change as a partner reads it: +12.5%, new, none; – when there is none to tell."""
    if kind is not None:
        return _(CHANGE_NAMES[kind])
    return formats.percent(None if pct is None else pct / 100, signed=True)


def metric_delta(a: float | None, b: float | None) -> dict:
    """st.metric's delta arguments for the change from a to b: "none" points down in red, as a
    fall does, though it has no minus sign; no change points nowhere."""
    kind, pct = change(a, b), pct_change(a, b)
    if kind is None and pct is None:
        return {}
    if kind == NONE:
        return {"delta": change_text(pct, kind), "delta_color": "red", "delta_arrow": "down"}
    if pct == 0:
        return {"delta": change_text(pct, kind), "delta_color": "gray", "delta_arrow": "off"}
    return {"delta": change_text(pct, kind)}


def _delta_exprs() -> list[pl.Expr]:
    """delta, pct_change and change above, as column expressions over columns a and b."""
    a, b = pl.col("a"), pl.col("b")
    a_nothing, b_nothing = a.is_null() | (a == 0), b.is_null() | (b == 0)
    kind = pl.when(a_nothing & ~b_nothing).then(pl.lit(NEW)).when(b_nothing & ~a_nothing).then(pl.lit(NONE))
    return [
        (b - a).alias("delta"),
        pl.when(a.is_null() | b.is_null() | (a_nothing ^ b_nothing))
        .then(None)
        .when(a == 0)
        .then(0.0)
        .otherwise((b - a) / a.abs() * 100.0)
        .alias("delta %"),
        kind.otherwise(pl.lit(None, dtype=pl.String)).alias("change"),
    ]


def align(
    a: pl.DataFrame, b: pl.DataFrame, zero_when_missing: bool, steps: tuple[int, int] | None = None
) -> pl.DataFrame:
    """Join two frames of (key, value) on key: columns key, a, b, delta, delta %, change.
    `steps`: the keys are positions in two periods of so many steps each; a position past a
    period's end (day 31 of a June) has no value there and no change, rather than a zero."""
    joined = a.rename({"value": "a"}).join(
        b.rename({"value": "b"}), on="key", how="full", coalesce=True, nulls_equal=True
    )
    if zero_when_missing:
        joined = joined.with_columns(pl.col("a", "b").fill_null(0.0))
    if steps is None:
        return joined.with_columns(_delta_exprs()).sort("key", nulls_last=True)
    past_a, past_b = pl.col("key") > steps[0], pl.col("key") > steps[1]
    return (
        joined.with_columns(
            pl.when(past_a).then(None).otherwise(pl.col("a")).alias("a"),
            pl.when(past_b).then(None).otherwise(pl.col("b")).alias("b"),
        )
        .with_columns(_delta_exprs())
        .with_columns(pl.when(past_a | past_b).then(None).otherwise(pl.col(c)).alias(c) for c in ("delta %", "change"))
        .sort("key")
    )


@dataclass(frozen=True)
class Side:
    label: str
    frame: pl.LazyFrame
    # For a period: its first and last day, so periods line up by position (month 1, month 2, ...).
    start: dt.date | None = None
    end: dt.date | None = None


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
    table: pl.DataFrame  # key, a, b, delta, delta %, change (empty when only totals are compared)
    key_title: str
    # Set when periods are matched by position: the key is then 1, 2, ... of this unit.
    position_unit: str | None = None
    # Whether a period's first or last step holds only part of that step (a month from the 15th).
    cut_steps: bool = False

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

    @property
    def change(self) -> str | None:
        return change(self.total_a, self.total_b)

    def sentence(self) -> str:
        return summarise(self)


def compare(a: Side, b: Side, agg: str, value: str | None, alignment: Alignment) -> Comparison:
    positional = alignment.bucket is not None and a.start is not None and b.start is not None
    if alignment.column is None:
        table = pl.DataFrame()
    else:
        bounded = positional and a.end is not None and b.end is not None
        table = align(
            _grouped(a, agg, value, alignment),
            _grouped(b, agg, value, alignment),
            zero_when_missing=agg in aggregate.ZERO_WHEN_EMPTY,
            steps=(_steps(a, alignment.bucket), _steps(b, alignment.bucket)) if bounded else None,
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
        cut_steps=positional and any(
            side.end is not None and aggregate.partial_periods(side.start, side.end, alignment.bucket)
            for side in (a, b)
        ),
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
    """1 for the calendar step (week, month, ...) that holds the period's first day, 2 for the
    next, and so on: month 1 of one period lines up with month 1 of the other."""
    step = aggregate.period_key(column, bucket)
    first = aggregate.period_start(start, bucket)
    if bucket in _MONTHS:
        months = (step.dt.year() - first.year) * 12 + (step.dt.month() - first.month)
        return months // _MONTHS[bucket] + 1
    return (step - pl.lit(first)).dt.total_days() // _DAYS[bucket] + 1


def _steps(side: Side, bucket: str) -> int:
    """How many steps the period of a side spans: the position of its last day."""
    return pl.DataFrame({"day": [side.end]}).select(_position("day", bucket, side.start)).item()


def display_table(c: Comparison) -> pl.DataFrame:
    """The table as shown: its change in words where it is from or to nothing."""
    name_a, name_b = c.names
    changes = [change_text(pct, kind) for pct, kind in zip(c.table["delta %"], c.table["change"])]
    return (
        c.table.with_columns(pl.Series("delta %", changes, dtype=pl.String))
        .drop("change")
        .rename({"key": c.key_title, "a": name_a, "b": name_b})
    )


def segment_label(column: str, values: list[str]) -> str:
    shown = ", ".join(values[:3])
    if len(values) > 3:
        shown = _("{values} and {n} more").format(values=shown, n=formats.number(len(values) - 3))
    return f"{column}: {shown}"


def period_label(start: dt.date, end: dt.date) -> str:
    return _("{start} to {end}").format(start=formats.date(start), end=formats.date(end))


def halves(low: dt.date, high: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """A span cut in two consecutive periods: the default for two ranges of days."""
    middle = low + dt.timedelta(days=(high - low).days // 2)
    return (low, middle), (min(middle + dt.timedelta(days=1), high), high)


def baseline_start(start: dt.date, unit: str, against: str) -> dt.date | None:
    """The start of the period to compare the one at `start` with: the one before it, or the
    same one a year earlier (for a week, the week of the same ISO number; None when the year
    before has no week 53)."""
    if against == PREVIOUS:
        return aggregate.previous_start(start, unit)
    if unit == "week":
        year, week, _weekday = start.isocalendar()
        try:
            return dt.date.fromisocalendar(year - 1, week, 1)
        except ValueError:
            return None
    return aggregate.previous_start(start, "year")


def baselines(unit: str) -> tuple[str, ...]:
    """The baselines a period can have: for a year, the year before is the same year earlier."""
    return (PREVIOUS,) if unit == "year" else (PREVIOUS, YEAR_EARLIER)


def comparable_periods(first: dt.date, last: dt.date, unit: str, against: str) -> list[dt.date]:
    """The starts of the periods the data from `first` to `last` holds whole, with their
    baseline whole too, newest first: a partial period would differ for want of days."""
    whole = aggregate.complete_periods(first, last, unit)
    return [
        start for start in reversed(whole)
        if (baseline := baseline_start(start, unit, against)) is not None and baseline >= first
    ]


def no_whole_periods(first: dt.date, last: dt.date, unit: str, against: str) -> str:
    """Why no period can be compared with its baseline (see comparable_periods)."""
    template = (
        N_("The data runs from {first} to {last}: it holds no whole {unit} with the whole {unit} before it. "
           "Pick a shorter period, or your own dates.")
        if against == PREVIOUS else
        N_("The data runs from {first} to {last}: it holds no whole {unit} with the same {unit} a year "
           "earlier. Compare with the {unit} before, or pick your own dates.")
    )
    return _(template).format(first=formats.date(first), last=formats.date(last), unit=aggregate.bucket_name(unit))


def steps_within(unit: str) -> list[str]:
    """The calendar steps finer than a period, to set its parts side by side."""
    names = list(aggregate.BUCKETS)
    return names[: names.index(unit)]


def summarise(c: Comparison) -> str:
    """One plain sentence on the totals, and one on the largest gap when there is a table."""
    # Whole sentences per case, not pieces: word order differs between the languages.
    a, b = c.total_a, c.total_b
    names = {
        "a": c.label_a, "b": c.label_b, "value_a": fmt(a), "value_b": fmt(b),
        "metric": c.metric, "metric_cap": c.metric[:1].upper() + c.metric[1:],
    }
    if a is None and b is None:
        first = _("Neither {a} nor {b} has a value for {metric}.").format(**names)
    elif c.change == NEW:
        template = (
            N_("{metric_cap} is {value_b} in {b}, and {a} has no value for it: new in {b}.") if a is None else
            N_("{metric_cap} is {value_b} in {b} against {value_a} in {a}: new in {b}.")
        )
        first = _(template).format(**names)
    elif c.change == NONE:
        template = (
            N_("{metric_cap} has no value in {b} against {value_a} in {a}: none in {b}.") if b is None else
            N_("{metric_cap} is {value_b} in {b} against {value_a} in {a}: none in {b}.")
        )
        first = _(template).format(**names)
    elif a is None or b is None:
        empty = c.label_a if a is None else c.label_b
        first = _("{side} has no value for {metric}, so there is nothing to compare.").format(side=empty, **names)
    elif a == b:
        first = _("{metric_cap} is the same in {b} and {a}: {value}.").format(value=fmt(a), **names)
    else:
        template = (
            N_("{metric_cap} is {value_b} in {b} against {value_a} in {a}: higher by {gap} ({pct}).")
            if b > a else
            N_("{metric_cap} is {value_b} in {b} against {value_a} in {a}: lower by {gap} ({pct}).")
        )
        first = _(template).format(gap=fmt(abs(b - a)), pct=formats.percent(abs(c.pct) / 100), **names)
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
    if row["change"] is not None or row["delta %"] is not None:
        gap = f"{gap} ({change_text(row['delta %'], row['change'])})"
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
