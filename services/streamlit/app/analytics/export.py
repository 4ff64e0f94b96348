"""CSV export that a spreadsheet opens as data, never as formulas.

A cell starting with =, +, - or @ is run as a formula by Excel, LibreOffice and Google Sheets
("CSV injection"); tab and carriage return start one too in some of them (OWASP lists all six).
Spreadsheets also skip leading spaces and line breaks before looking, read | as the start of
a DDE call, and in East Asian locales take the full-width ＝ ＋ － ＠ as their ASCII twins.
Such text cells, and column names, get a leading apostrophe: spreadsheets show the text as
typed. Numbers, dates and booleans are written as they are: a negative number is data.
"""
from __future__ import annotations

import csv
import io
import re

import polars as pl

FORMULA_MARKS = "=+-@|＝＋－＠｜"
# Either a tab, CR or LF first, or a formula mark after any white space (\s is Unicode-aware
# in Python and in polars, so the ideographic space counts too).
_FORMULA_PATTERN = "^[\t\r\n]|^\\s*[" + FORMULA_MARKS.replace("-", "\\-") + "]"
_FORMULA = re.compile(_FORMULA_PATTERN)


def defuse(text: str) -> str:
    return "'" + text if _FORMULA.search(text) else text


def _defused(name: str) -> pl.Expr:
    text = pl.col(name).cast(pl.String)
    return pl.when(text.str.contains(_FORMULA_PATTERN)).then("'" + text).otherwise(text).alias(name)


def exportable(schema: pl.Schema) -> tuple[list[str], list[str]]:
    """(columns a CSV can hold, columns it cannot: nested or binary values)."""
    kept, left_out = [], []
    for name, dtype in schema.items():
        unwritable = dtype.is_nested() or dtype == pl.Binary or dtype.is_object()
        (left_out if unwritable else kept).append(name)
    return kept, left_out


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def to_csv(frame: pl.LazyFrame) -> bytes:
    """The frame's exportable columns as UTF-8 CSV with formula cells defused."""
    schema = frame.collect_schema()
    kept, _ = exportable(schema)
    body = frame.select(
        _defused(name) if _is_text(schema[name]) else pl.col(name) for name in kept
    ).collect()
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(defuse(name) for name in kept)
    out = io.BytesIO()
    out.write(header.getvalue().encode())
    body.write_csv(out, include_header=False)
    return out.getvalue()
