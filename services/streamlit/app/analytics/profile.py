"""What a dataset holds: the kind of each column, its bounds, and the overview statistics.

Computed once when a dataset version is loaded and cached with it, so the pickers, filters and
the Overview page cost nothing on a rerun.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics import formats

NUMBER = "number"
DATE = "date"
CATEGORY = "category"
TEXT = "text"
OTHER = "other"

# Above this many distinct values a text column is free text (names, ids), not a category to
# group or filter by: a bar or a multiselect with thousands of entries helps nobody.
MAX_CATEGORIES = 1000
SAMPLE_ROWS = 100


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    dtype: str
    kind: str
    missing: int
    distinct: int | None = None
    low: Any = None
    high: Any = None
    # Category values as text (the form filters and charts compare), most frequent first.
    values: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Profile:
    rows: int
    columns: tuple[ColumnProfile, ...]
    numbers: pl.DataFrame
    sample: pl.DataFrame

    def names(self, *kinds: str) -> list[str]:
        return [c.name for c in self.columns if c.kind in kinds]

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    def ranged(self, kind: str) -> list[str]:
        """Columns of this kind with at least two distinct values: the only ones a range
        filter or an axis can use."""
        return [
            c.name
            for c in self.columns
            if c.kind == kind and c.low is not None and c.high is not None and c.low < c.high
        ]

    def columns_table(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "column": [c.name for c in self.columns],
                "type": [c.dtype for c in self.columns],
                "kind": [c.kind for c in self.columns],
                "missing": [c.missing for c in self.columns],
                "missing %": [_share(c.missing, self.rows) for c in self.columns],
                "distinct": [c.distinct for c in self.columns],
            },
            schema_overrides={"distinct": pl.Int64},
        )

    def dates_table(self) -> pl.DataFrame:
        dates = [c for c in self.columns if c.kind == DATE]
        return pl.DataFrame(
            {
                "column": [c.name for c in dates],
                "earliest": [None if c.low is None else formats.day_or_time(c.low) for c in dates],
                "latest": [None if c.high is None else formats.day_or_time(c.high) for c in dates],
            },
            schema={"column": pl.String, "earliest": pl.String, "latest": pl.String},
        )

    def categories_table(self) -> pl.DataFrame:
        categories = [c for c in self.columns if c.kind in (CATEGORY, TEXT)]
        return pl.DataFrame(
            {
                "column": [c.name for c in categories],
                "distinct": [c.distinct for c in categories],
                "most common": [str(c.values[0]) if c.values else None for c in categories],
                "its rows": [c.counts[0] if c.counts else None for c in categories],
            },
            schema={
                "column": pl.String,
                "distinct": pl.Int64,
                "most common": pl.String,
                "its rows": pl.Int64,
            },
        )


def shared(a: Profile, b: Profile) -> Profile:
    """The columns two datasets have in common (same name, same kind), with bounds spanning
    both: what a comparison of the two can pick from."""
    theirs = {c.name: c for c in b.columns}
    common = []
    for mine in a.columns:
        other = theirs.get(mine.name)
        if other is None or other.kind != mine.kind:
            continue
        common.append(
            ColumnProfile(
                name=mine.name,
                dtype=mine.dtype,
                kind=mine.kind,
                missing=mine.missing + other.missing,
                low=_extreme(min, mine.low, other.low),
                high=_extreme(max, mine.high, other.high),
            )
        )
    return Profile(
        rows=a.rows + b.rows, columns=tuple(common), numbers=pl.DataFrame(), sample=pl.DataFrame()
    )


def _extreme(pick, x: Any, y: Any) -> Any:
    """min or max of two bounds, either of which may be missing; a date and a timestamp
    compare by their day."""
    if x is None or y is None:
        return x if y is None else y
    if isinstance(x, dt.datetime) != isinstance(y, dt.datetime):
        x, y = (v.date() if isinstance(v, dt.datetime) else v for v in (x, y))
    return pick(x, y)


def kind_of(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return CATEGORY
    if dtype.is_numeric():
        return NUMBER
    if isinstance(dtype, (pl.Date, pl.Datetime)):
        return DATE
    if dtype == pl.String:
        return TEXT
    return OTHER


def build(frame: pl.DataFrame) -> Profile:
    kinds = {name: kind_of(dtype) for name, dtype in frame.schema.items()}
    stats = frame.select(_stat_exprs(frame.schema, kinds)).row(0, named=True)
    columns = []
    for name, dtype in frame.schema.items():
        kind = kinds[name]
        distinct = stats.get(f"{name}\0distinct")
        if kind == TEXT and distinct is not None and distinct <= MAX_CATEGORIES:
            kind = CATEGORY
        values, counts = _top_values(frame, name) if kind in (CATEGORY, TEXT) else ((), ())
        columns.append(
            ColumnProfile(
                name=name,
                dtype=str(dtype),
                kind=kind,
                missing=stats[f"{name}\0missing"],
                distinct=distinct,
                low=stats.get(f"{name}\0low"),
                high=stats.get(f"{name}\0high"),
                values=values,
                counts=counts,
            )
        )
    return Profile(
        rows=frame.height,
        columns=tuple(columns),
        numbers=_number_summary(frame, [n for n, k in kinds.items() if k == NUMBER]),
        sample=frame.sample(n=min(SAMPLE_ROWS, frame.height), seed=0),
    )


def _stat_exprs(schema: pl.Schema, kinds: dict[str, str]) -> list[pl.Expr]:
    exprs = []
    for name, kind in kinds.items():
        column = pl.col(name)
        exprs.append(column.null_count().alias(f"{name}\0missing"))
        # Counted for every column: the Overview's table shows it for numbers and dates too.
        exprs.append(column.drop_nulls().n_unique().alias(f"{name}\0distinct"))
        if kind in (NUMBER, DATE):
            # Infinities would make a slider or an axis useless: bounds are the finite range.
            finite = column.filter(column.is_finite()) if schema[name].is_float() else column
            exprs.append(finite.min().alias(f"{name}\0low"))
            exprs.append(finite.max().alias(f"{name}\0high"))
    return exprs


def _top_values(frame: pl.DataFrame, name: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    counts = (
        frame.lazy()
        .select(pl.col(name).drop_nulls().cast(pl.String))
        .group_by(name)
        .len()
        .sort(["len", name], descending=[True, False])
        .head(MAX_CATEGORIES)
        .collect()
    )
    return tuple(counts.get_column(name).to_list()), tuple(counts.get_column("len").to_list())


_NUMBER_STATS = {
    "mean": pl.Expr.mean,
    "std": pl.Expr.std,
    "min": pl.Expr.min,
    "25%": lambda column: column.quantile(0.25),
    "median": pl.Expr.median,
    "75%": lambda column: column.quantile(0.75),
    "max": pl.Expr.max,
}


def _number_summary(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    schema = {"column": pl.String, **{stat: pl.Float64 for stat in _NUMBER_STATS}}
    if not names:
        return pl.DataFrame(schema=schema)
    stats = frame.select(
        statistic(pl.col(name).cast(pl.Float64)).alias(f"{name}\0{stat}")
        for name in names
        for stat, statistic in _NUMBER_STATS.items()
    ).row(0, named=True)
    rows = [
        {"column": name, **{stat: stats[f"{name}\0{stat}"] for stat in _NUMBER_STATS}}
        for name in names
    ]
    return pl.DataFrame(rows, schema=schema)


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0
