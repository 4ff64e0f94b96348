"""Row filters as plain values: a date range, category values, a numeric range."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
import polars as pl


@dataclass(frozen=True)
class DateRange:
    """Rows whose date (or the date part of a timestamp) lies in [start, end]."""

    column: str
    start: dt.date
    end: dt.date

    def expr(self) -> pl.Expr:
        return pl.col(self.column).dt.date().is_between(self.start, self.end)

    def describe(self) -> str:
        return f"{self.column} from {self.start} to {self.end}"


@dataclass(frozen=True)
class OneOf:
    """Rows whose value, as text, is one of these (the form profile.ColumnProfile.values has)."""

    column: str
    values: tuple[str, ...]

    def expr(self) -> pl.Expr:
        return pl.col(self.column).cast(pl.String).is_in(list(self.values))

    def describe(self) -> str:
        return f"{self.column} is {', '.join(self.values)}"


@dataclass(frozen=True)
class Between:
    column: str
    low: float
    high: float

    def expr(self) -> pl.Expr:
        return pl.col(self.column).is_between(self.low, self.high)

    def describe(self) -> str:
        return f"{self.column} from {self.low:g} to {self.high:g}"


Filter = DateRange | OneOf | Between


def apply(frame: pl.LazyFrame, filters: Sequence[Filter]) -> pl.LazyFrame:
    return frame.filter(*(f.expr() for f in filters)) if filters else frame


def describe(filters: Sequence[Filter]) -> str:
    return "; ".join(f.describe() for f in filters) if filters else "no filters"
