"""Downloads that a spreadsheet opens as data, never as formulas: CSV in UTF-8 (with a byte-order
mark, so Korean Excel reads it right) or CP949, and Excel workbooks.

A cell starting with =, +, - or @ is run as a formula by Excel, LibreOffice and Google Sheets
("CSV injection"); tab and carriage return start one too in some of them (OWASP lists all six).
Spreadsheets also skip leading spaces and line breaks before looking, read | as the start of
a DDE call, and in East Asian locales take the full-width ＝ ＋ － ＠ as their ASCII twins.
In a CSV such text cells, and column names, get a leading apostrophe: spreadsheets show the text
as typed. In a workbook every text is a text cell, which Excel never runs, and such cells are
marked so that they stay text when someone edits them. Numbers, dates and booleans are written as
they are (typed cells in a workbook): a negative number is data.

What cannot be made as asked (a character CP949 lacks, more rows than Excel takes) is found by
`refusal` before the page offers the button: a download's file is made when the partner clicks,
where no message can be shown any more.
"""
from __future__ import annotations

import csv
import io
import shutil
import tempfile

import polars as pl
import spreadsheets
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from analytics import formats
from analytics.i18n import lazy_

CSV, CP949, XLSX = "csv", "cp949", "xlsx"
FORMATS = (CSV, CP949, XLSX)
SUFFIXES = {CSV: ".csv", CP949: ".csv", XLSX: ".xlsx"}
MIME_TYPES = {
    CSV: "text/csv",
    CP949: "text/csv",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Excel's bounds, the portal's too. A workbook is written cell by cell, holding the replica's
# interpreter all the while (its other sessions wait). Named here as well, where tests lower them.
EXCEL_MAX_ROWS = spreadsheets.EXCEL_MAX_ROWS
EXCEL_MAX_CELL_CHARS = spreadsheets.EXCEL_MAX_CELL_CHARS
EXCEL_MAX_CELLS = spreadsheets.EXCEL_MAX_CELLS
# A workbook is written row by row to a scratch file, then copied once more into its sheet, in
# the temporary folder (a tmpfs, that is memory, unless TMPDIR points elsewhere). What one row and
# one cell take there at most, beside the text itself.
XLSX_ROW_BYTES = 40
XLSX_CELL_BYTES = 50
CSV_SLICE_ROWS = 100_000
XLSX_SLICE_ROWS = 10_000


class ExportRefused(Exception):
    """A download cannot be made in the format chosen; the message, for the partner, says where
    and what to choose instead."""


def defuse(text: str) -> str:
    return "'" + text if spreadsheets.runs_as_formula(text) else text


def _defused(name: str) -> pl.Expr:
    text = pl.col(name).cast(pl.String)
    return pl.when(text.str.contains(spreadsheets.FORMULA_PATTERN)).then("'" + text).otherwise(text).alias(name)


def exportable(schema: pl.Schema) -> tuple[list[str], list[str]]:
    """(columns a file can hold, columns it cannot: nested or binary values)."""
    kept, left_out = [], []
    for name, dtype in schema.items():
        unwritable = dtype.is_nested() or dtype == pl.Binary or dtype.is_object()
        (left_out if unwritable else kept).append(name)
    return kept, left_out


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def file_name(name: str, form: str) -> str:
    """The dataset's name as a download's file name, Hangul kept: only what file systems refuse
    goes, and "dataset" stands in when nothing is left."""
    return spreadsheets.file_name(name, SUFFIXES[form])


def make(frame: pl.LazyFrame, form: str, name: str) -> bytes:
    """The frame's exportable columns as a file of the format chosen; `name` is the dataset's."""
    if form == XLSX:
        return to_xlsx(frame, name)
    return to_csv(frame, "cp949" if form == CP949 else "utf-8")


def refusal(frame: pl.LazyFrame, form: str) -> ExportRefused | None:
    """Why the frame cannot be had in this format, or None: checked while the page is drawn."""
    if form == CP949:
        return _cp949_refusal(frame)
    if form == XLSX:
        return _xlsx_refusal(frame)
    return None


# CSV


def to_csv(frame: pl.LazyFrame, encoding: str = "utf-8") -> bytes:
    """The frame's exportable columns as CSV with formula cells defused: UTF-8 with a byte-order
    mark, or CP949 (raising ExportRefused where it has no code for a character)."""
    schema = frame.collect_schema()
    kept, _ = exportable(schema)
    body = frame.select(
        _defused(name) if _is_text(schema[name]) else pl.col(name) for name in kept
    ).collect()
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(defuse(name) for name in kept)
    out = io.BytesIO()
    if encoding == "utf-8":
        out.write(b"\xef\xbb\xbf" + header.getvalue().encode())
        body.write_csv(out, include_header=False)
        return out.getvalue()
    refused = _cp949_refusal(frame)
    if refused is not None:
        raise refused
    # Transcoded a slice at a time: the whole text at once would be held three times over.
    out.write(header.getvalue().encode(encoding))
    for part in body.iter_slices(CSV_SLICE_ROWS):
        out.write(part.write_csv(include_header=False).encode(encoding))
    return out.getvalue()


def _cp949_refusal(frame: pl.LazyFrame) -> ExportRefused | None:
    schema = frame.collect_schema()
    kept, _ = exportable(schema)
    for name in kept:
        character = spreadsheets.not_in_cp949(name)
        if character:
            code = f"{ord(character):04X}"
            return ExportRefused(lazy_(
                "These rows cannot be saved as CSV in CP949: the column name “{column}” holds "
                "“{character}” (U+{code}), which CP949 has no code for. Choose CSV (UTF-8) or "
                "Excel (.xlsx): they keep every character.",
                column=name, character=character, code=code,
            ))
    text = [name for name in kept if _is_text(schema[name])]
    found = _first_cell(frame, text, lambda cells: cells.str.contains(spreadsheets.cp949_gaps()))
    if found is None:
        return None
    row, name, value = found
    character = spreadsheets.not_in_cp949(value)
    code = f"{ord(character):04X}"
    return ExportRefused(lazy_(
        "These rows cannot be saved as CSV in CP949: row {row} of column “{column}” holds "
        "“{character}” (U+{code}), which CP949 has no code for. Choose CSV (UTF-8) or Excel "
        "(.xlsx): they keep every character.",
        row=formats.number(row), column=name, character=character, code=code,
    ))


def _first_cell(frame: pl.LazyFrame, names: list[str], test) -> tuple[int, str, str] | None:
    """(row, column, text) of the first cell, row by row and then column by column, among these
    text columns for which `test` (of the cells as text) holds; None if none does. Rows are
    counted as a spreadsheet numbers them: the header is row 1."""
    if not names:
        return None
    # Columns by position: a partner's column may be named anything.
    firsts = frame.select(
        test(pl.col(name).cast(pl.String)).arg_true().first().alias(str(index)) for index, name in enumerate(names)
    ).collect().row(0)
    hits = [(row, index) for index, row in enumerate(firsts) if row is not None]
    if not hits:
        return None
    row, index = min(hits)
    value = frame.select(pl.col(names[index]).cast(pl.String)).slice(row, 1).collect().item()
    return row + 2, names[index], value


# Excel


def _xlsx_refusal(frame: pl.LazyFrame) -> ExportRefused | None:
    schema = frame.collect_schema()
    kept, _ = exportable(schema)
    text = [name for name in kept if _is_text(schema[name])]
    sizes = frame.select(
        pl.len().alias("rows"),
        *(pl.col(name).cast(pl.String).str.len_bytes().sum().alias(str(index)) for index, name in enumerate(text)),
    ).collect().row(0)
    rows, text_bytes = sizes[0], sum(sizes[1:])
    if rows + 1 > EXCEL_MAX_ROWS:
        return ExportRefused(lazy_(
            "Excel takes at most {limit} rows, the header included, and these are {rows} rows. "
            "Narrow the filters, or choose CSV.",
            limit=formats.number(EXCEL_MAX_ROWS), rows=formats.number(rows),
        ))
    found = _first_cell(frame, text, lambda cells: cells.str.len_chars() > EXCEL_MAX_CELL_CHARS)
    if found is not None:
        row, name, value = found
        return ExportRefused(lazy_(
            "Excel takes at most {limit} characters in a cell, and row {row} of column “{column}” "
            "holds {length}. Choose CSV, or leave that column out.",
            limit=formats.number(EXCEL_MAX_CELL_CHARS), row=formats.number(row), column=name,
            length=formats.number(len(value)),
        ))
    # Twice: the rows' scratch file and the sheet it is copied into are both there at the end.
    scratch = 2 * ((rows + 1) * (XLSX_ROW_BYTES + XLSX_CELL_BYTES * len(kept)) + text_bytes)
    if rows * len(kept) > EXCEL_MAX_CELLS or scratch > shutil.disk_usage(tempfile.gettempdir()).free:
        return _too_big_here()
    return None


def _too_big_here() -> ExportRefused:
    return ExportRefused(lazy_(
        "An Excel file of these rows is too large to be made here. Narrow the filters or pick "
        "fewer columns, or choose CSV."
    ))


def to_xlsx(frame: pl.LazyFrame, name: str) -> bytes:
    """The frame's exportable columns as an Excel workbook of one sheet named after the dataset:
    numbers, dates and booleans as Excel's own cells, text as text cells. Rows are written one by
    one to a scratch folder of its own (constant_memory), so the workbook never sits in memory
    as cells, and nothing is left behind whatever happens."""
    refused = _xlsx_refusal(frame)
    if refused is not None:
        raise refused
    schema = frame.collect_schema()
    kept, _ = exportable(schema)
    zone = str(formats.time_zone())
    columns = []
    for column in kept:
        dtype = schema[column]
        if isinstance(dtype, pl.Datetime) and dtype.time_zone:
            # Excel has no time zones: a moment is written as the analytics show it, in PORTAL_TIME_ZONE.
            columns.append(pl.col(column).dt.convert_time_zone(zone).dt.replace_time_zone(None))
        elif _is_text(dtype):
            columns.append(pl.col(column).cast(pl.String))
        else:
            columns.append(pl.col(column))
    body = frame.select(columns).collect()
    out = io.BytesIO()
    try:
        with tempfile.TemporaryDirectory(prefix="export-") as scratch:
            _write_xlsx(body, name, out, scratch)
    except (OSError, FileCreateError) as error:
        # Another export took the room meanwhile.
        raise _too_big_here() from error
    return out.getvalue()


def _write_xlsx(body: pl.DataFrame, name: str, out: io.BytesIO, scratch: str) -> None:
    workbook = xlsxwriter.Workbook(out, spreadsheets.workbook_options(scratch))
    sheet = workbook.add_worksheet(spreadsheets.sheet_name(name))
    header = workbook.add_format({"bold": True})
    header_text = workbook.add_format({"bold": True, "quote_prefix": True})
    text = workbook.add_format({"quote_prefix": True})
    cell_formats = {
        pl.Date: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        pl.Datetime: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        pl.Time: workbook.add_format({"num_format": "hh:mm:ss"}),
        pl.Duration: workbook.add_format({"num_format": "[h]:mm:ss"}),
    }
    writers = []
    for index, (column, dtype) in enumerate(body.schema.items()):
        least = 11 if dtype == pl.Date else 20 if dtype == pl.Datetime else 9
        sheet.set_column(index, index, spreadsheets.column_width(column, least))
        sheet.write_string(0, index, column, header_text if defuse(column) != column else header)
        writers.append(_cell_writer(sheet, dtype, cell_formats.get(dtype.base_type()), text))
    sheet.freeze_panes(1, 0)
    row = 1
    for part in body.iter_slices(XLSX_SLICE_ROWS):
        for values in part.iter_rows():
            for index, value in enumerate(values):
                if value is not None:
                    writers[index](row, index, value)
            row += 1
    # Not closed on the way out of an error: that would zip up a half-written sheet for nothing.
    workbook.close()


def _cell_writer(sheet, dtype: pl.DataType, cell_format, text_format):
    """How a column's values go into cells."""
    if dtype == pl.Boolean:
        return sheet.write_boolean
    if dtype.is_integer():
        def whole(row, column, value):
            if spreadsheets.too_long_for_excel(value):
                return sheet.write_string(row, column, str(value))
            return sheet.write_number(row, column, value)
        return whole
    if dtype.is_numeric():
        return lambda row, column, value: sheet.write_number(row, column, float(value))
    if dtype in (pl.Date, pl.Datetime):
        def moment(row, column, value):
            if spreadsheets.before_excel_dates(value):
                return sheet.write_string(row, column, value.isoformat())
            return sheet.write_datetime(row, column, value, cell_format)
        return moment
    if dtype in (pl.Time, pl.Duration):
        return lambda row, column, value: sheet.write_datetime(row, column, value, cell_format)

    def words(row, column, value):
        value = str(value)
        # A text cell is never run; marked, it stays text even when someone edits it in Excel.
        return sheet.write_string(row, column, value, text_format if defuse(value) != value else None)
    return words
