"""Row filters as plain values: a date range, category values, a numeric range."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
import polars as pl

from analytics import formats
from analytics.i18n import _


@dataclass(frozen=True)
class DateRange:
    """Rows whose date (or the date part of a timestamp) lies in [start, end]."""

    column: str
    start: dt.date
    end: dt.date

    def expr(self) -> pl.Expr:
        return pl.col(self.column).dt.date().is_between(self.start, self.end)

    def describe(self) -> str:
        return _("{column} from {start} to {end}").format(
            column=self.column, start=formats.date(self.start), end=formats.date(self.end)
        )


@dataclass(frozen=True)
class OneOf:
    """Rows whose value, as text, is one of these (the form profile.ColumnProfile.values has)."""

    column: str
    values: tuple[str, ...]

    def expr(self) -> pl.Expr:
        return pl.col(self.column).cast(pl.String).is_in(list(self.values))

    def describe(self) -> str:
        return _("{column} is {values}").format(column=self.column, values=", ".join(self.values))


@dataclass(frozen=True)
class Between:
    column: str
    low: float
    high: float

    def expr(self) -> pl.Expr:
        return pl.col(self.column).is_between(self.low, self.high)

    def describe(self) -> str:
        return _("{column} from {low} to {high}").format(
            column=self.column, low=formats.number(self.low, digits=4), high=formats.number(self.high, digits=4)
        )


Filter = DateRange | OneOf | Between


def apply(frame: pl.LazyFrame, filters: Sequence[Filter]) -> pl.LazyFrame:
    return frame.filter(*(f.expr() for f in filters)) if filters else frame


def describe(filters: Sequence[Filter]) -> str:
    return "; ".join(f.describe() for f in filters) if filters else _("no filters")
