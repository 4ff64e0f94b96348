"""What the portal hands back out of a stored dataset: its downloads (CSV in UTF-8 or CP949, an
Excel workbook) and the page's preview.

Anything exported is opened in a spreadsheet sooner or later, where a cell starting with = + - @
runs as a formula (CSV injection). In a CSV such text cells leave here with a leading apostrophe,
which spreadsheets read as "this is text"; in a workbook every text is a text cell, which Excel
never runs, marked so that it stays text when someone edits it.

A download that cannot be made as asked (a character CP949 lacks, more rows than Excel takes) is
refused before its first byte, with ExportRefused saying where and what to choose instead.
"""
import csv
import datetime as dt
import io
import re
import tempfile
from dataclasses import dataclass
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import spreadsheets
import xlsxwriter
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from xlsxwriter.exceptions import FileCreateError

from portal.formats import number

from .reading import kind_of

# A plain signed number is not a formula; "-5" stays a number in the spreadsheet.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
EXPORT_BATCH_ROWS = 10_000
# A dataset is bounded as a whole (DATASET_MAX_MEMORY_MB), not row by row: rows of long values
# would make EXPORT_BATCH_ROWS of them hundreds of MB in a worker. A batch stays near this size.
EXPORT_BATCH_BYTES = 8 * 2**20


@dataclass(frozen=True)
class Format:
    suffix: str
    content_type: str


FORMATS = {
    "csv": Format(".csv", "text/csv; charset=utf-8"),
    "cp949": Format(".csv", "text/csv; charset=cp949"),
    "xlsx": Format(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
DEFAULT_FORMAT = "csv"
# Excel's bounds, the analytics' too; nginx waits 60 s for a workbook's first byte, and
# EXCEL_MAX_CELLS are written well within that. Named here as well, where tests lower them.
EXCEL_MAX_ROWS = spreadsheets.EXCEL_MAX_ROWS
EXCEL_MAX_CELL_CHARS = spreadsheets.EXCEL_MAX_CELL_CHARS
EXCEL_MAX_CELLS = spreadsheets.EXCEL_MAX_CELLS


class ExportRefused(Exception):
    """A download cannot be made in the format asked for; the message, for the partner, says
    where and what to choose instead."""


def defuse_formula(value):
    """The value, with an apostrophe in front if a spreadsheet would run it as a formula."""
    if isinstance(value, str) and spreadsheets.runs_as_formula(value) and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def _cp949_refused(character, **where):
    values = {"character": character, "code": f"{ord(character):04X}", **where}
    if "row" in where:
        message = gettext(
            "This dataset cannot be saved as CSV in CP949: row {row} of column “{column}” holds "
            "“{character}” (U+{code}), which CP949 has no code for. Download the CSV in UTF-8 or "
            "the Excel file instead: they keep every character."
        )
    else:
        message = gettext(
            "This dataset cannot be saved as CSV in CP949: the column name “{column}” holds "
            "“{character}” (U+{code}), which CP949 has no code for. Download the CSV in UTF-8 or "
            "the Excel file instead: they keep every character."
        )
    return ExportRefused(message.format(**values))


def _check_cp949(parquet):
    """Raises ExportRefused at the first column name or cell that CP949 cannot hold."""
    for name in parquet.schema_arrow.names:
        character = spreadsheets.not_in_cp949(name)
        if character:
            raise _cp949_refused(character, column=name)
    found = _first_text_cell(parquet, lambda column: pc.match_substring_regex(column, spreadsheets.cp949_gaps()))
    if found:
        row, column, value = found
        raise _cp949_refused(spreadsheets.not_in_cp949(value), column=column, row=number(row))


def _first_text_cell(parquet, test):
    """(row, column name, value) of the first text cell, row by row, then column by column, for
    which `test` (an Arrow array to a mask) holds; None if none does. Rows are counted as a
    spreadsheet numbers them: the header is row 1."""
    text = [field.name for field in parquet.schema_arrow if kind_of(field.type) == "text"]
    if not text:
        return None
    row = 2
    for batch in parquet.iter_batches(batch_size=_batch_rows(parquet, EXPORT_BATCH_ROWS), columns=text):
        first = None
        for name, column in zip(text, batch.columns):
            if column.type not in (pa.string(), pa.large_string()):
                column = column.cast(pa.large_string())
            found = pc.index(test(column), True).as_py()
            if found >= 0 and (first is None or found < first[0]):
                first = (found, name, column[found].as_py())
        if first is not None:
            found, name, value = first
            return row + found, name, value
        row += batch.num_rows
    return None


def csv_chunks(path, encoding="utf-8"):
    """The stored file as CSV, in byte chunks for a streaming response; checked first, so that a
    refusal (ExportRefused) comes before the response starts.

    UTF-8 comes with a byte-order mark, so Korean Excel opens it with the right encoding; CP949
    is for programs that read nothing else."""
    parquet = pq.ParquetFile(path)
    if encoding == "cp949":
        _check_cp949(parquet)
    return _csv_chunks(parquet, encoding)


def _csv_chunks(parquet, encoding):
    out = io.StringIO()
    writer = csv.writer(out)
    if encoding == "utf-8":
        out.write("\ufeff")
    writer.writerow([defuse_formula(name) for name in parquet.schema_arrow.names])
    for batch in parquet.iter_batches(batch_size=_batch_rows(parquet, EXPORT_BATCH_ROWS)):
        columns = [_python_values(column) for column in batch.columns]
        writer.writerows([defuse_formula(value) for value in row] for row in zip(*columns))
        yield out.getvalue().encode(encoding)
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue().encode(encoding)


def excel_refusal(rows, columns):
    """Why a dataset of `rows` rows and `columns` columns cannot be a workbook, or None when it
    fits."""
    if rows + 1 > EXCEL_MAX_ROWS:
        return gettext(
            "Excel takes at most {limit} rows, the header included, and this dataset has {rows} rows. "
            "Download it as CSV instead."
        ).format(limit=number(EXCEL_MAX_ROWS), rows=number(rows))
    if rows * columns > EXCEL_MAX_CELLS:
        return gettext(
            "This dataset is too large for an Excel file from the portal: it has {cells} cells, and "
            "the portal makes Excel files of at most {limit}. Download it as CSV instead."
        ).format(cells=number(rows * columns), limit=number(EXCEL_MAX_CELLS))
    return None


def xlsx_file(path, sheet_name, scratch):
    """The stored file as an Excel workbook, in an unnamed temporary file under `scratch` (on
    disk: a workbook is made whole before it is sent), read from its start.

    Cells are typed as the stored schema says: numbers, dates and booleans as Excel's own, text as
    text. Rows are written one by one (constant_memory), so a worker holds one batch at a time: a
    workbook of a million rows took under 200 MB in all."""
    parquet = pq.ParquetFile(path)
    refusal = excel_refusal(parquet.metadata.num_rows, len(parquet.schema_arrow))
    if refusal:
        raise ExportRefused(refusal)
    found = _first_text_cell(parquet, lambda column: pc.greater(pc.utf8_length(column), EXCEL_MAX_CELL_CHARS))
    if found:
        row, column, value = found
        raise ExportRefused(gettext(
            "Excel takes at most {limit} characters in a cell, and row {row} of column “{column}” "
            "holds {length}. Download the CSV instead."
        ).format(limit=number(EXCEL_MAX_CELL_CHARS), row=number(row), column=column, length=number(len(value))))
    out = tempfile.TemporaryFile(dir=scratch)
    try:
        with tempfile.TemporaryDirectory(dir=scratch, prefix=".export-") as rows_dir:
            _write_xlsx(parquet, sheet_name, out, rows_dir)
    except FileCreateError as error:
        out.close()
        raise OSError(f"the workbook could not be written: {error}") from error
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def _write_xlsx(parquet, sheet_name, out, rows_dir):
    workbook = xlsxwriter.Workbook(out, spreadsheets.workbook_options(rows_dir))
    sheet = workbook.add_worksheet(spreadsheets.sheet_name(sheet_name))
    header = workbook.add_format({"bold": True})
    header_text = workbook.add_format({"bold": True, "quote_prefix": True})
    text = workbook.add_format({"quote_prefix": True})
    kinds = [kind_of(field.type) for field in parquet.schema_arrow]
    names = parquet.schema_arrow.names
    formats = {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    for index, (name, kind) in enumerate(zip(names, kinds)):
        sheet.set_column(index, index, spreadsheets.column_width(name, {"date": 11, "datetime": 20}.get(kind, 9)))
        sheet.write_string(0, index, name, header_text if defuse_formula(name) != name else header)
    sheet.freeze_panes(1, 0)
    writers = [_cell_writer(sheet, kind, formats.get(kind), text) for kind in kinds]
    row = 1
    for batch in parquet.iter_batches(batch_size=_batch_rows(parquet, EXPORT_BATCH_ROWS)):
        columns = [_python_values(column) for column in batch.columns]
        for values in zip(*columns):
            for index, value in enumerate(values):
                if value is not None:
                    writers[index](row, index, value)
            row += 1
    # Not closed on the way out of an error: that would zip up a half-written sheet for nothing.
    workbook.close()


def _cell_writer(sheet, kind, cell_format, text_format):
    """How a column's values go into cells."""
    if kind == "boolean":
        return sheet.write_boolean
    if kind == "integer":
        def whole(row, column, value):
            if spreadsheets.too_long_for_excel(value):
                return sheet.write_string(row, column, str(value))
            return sheet.write_number(row, column, value)
        return whole
    if kind in ("float", "decimal"):
        return lambda row, column, value: sheet.write_number(row, column, float(value))
    if kind in ("date", "datetime"):
        def moment(row, column, value):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                # Excel has no time zones: a moment is written as the portal shows it, in its zone.
                value = timezone.localtime(value).replace(tzinfo=None)
            if spreadsheets.before_excel_dates(value):
                return sheet.write_string(row, column, value.isoformat())
            return sheet.write_datetime(row, column, value, cell_format)
        return moment

    def words(row, column, value):
        value = str(value)
        # A text cell is never run; marked, it stays text even when someone edits it in Excel.
        return sheet.write_string(row, column, value, text_format if defuse_formula(value) != value else None)
    return words


def _python_values(column):
    """A column's values as Python objects. Nanosecond timestamps are cut to microseconds, what
    Python's datetime holds: pyarrow gives them only as pandas' Timestamps, and the image has no
    pandas."""
    if pa.types.is_timestamp(column.type) and column.type.unit == "ns":
        column = column.cast(pa.timestamp("us", column.type.tz), safe=False)
    return column.to_pylist()


def download_name(name, suffix):
    return spreadsheets.file_name(name, suffix)


def attachment(filename):
    """The Content-Disposition of a download: RFC 6266's filename* keeps a Hangul name, and the
    plain filename beside it is its ASCII part, for clients that read only that."""
    ascii_name = filename.encode("ascii", "ignore").decode()
    if ascii_name == filename:
        return content_disposition_header(True, filename)
    stem, dot, suffix = ascii_name.rpartition(".")
    # What is left of "2025 매출 (CP949)" is "2025 (CP949)"; of "재고 현황", nothing.
    stem = re.sub(r"\s+", " ", re.sub(r"\(\s*\)|\[\s*\]", "", stem)).strip(" .-_")
    fallback = stem or "dataset"
    return f"{content_disposition_header(True, fallback + dot + suffix)}; filename*=utf-8''{quote(filename)}"


def preview(path, rows=20):
    """The first rows of the stored file (fewer when they are long), as lists of values, for the
    dataset's page."""
    parquet = pq.ParquetFile(path)
    batch = next(parquet.iter_batches(batch_size=_batch_rows(parquet, rows)), None)
    if batch is None:
        return []
    return [list(row) for row in zip(*(_python_values(column) for column in batch.columns))]


def _batch_rows(parquet, most):
    """Rows per batch, at most `most`, so that a batch stays near EXPORT_BATCH_BYTES: the portal
    stores text plain, so a row group's stored size over its rows is what a row takes once read."""
    metadata = parquet.metadata
    groups = [metadata.row_group(index) for index in range(metadata.num_row_groups)]
    row_bytes = max((group.total_byte_size / max(1, group.num_rows) for group in groups), default=1)
    return max(1, min(most, int(EXPORT_BATCH_BYTES // max(1, row_bytes))))
