"""Reading, checking and storing a partner's uploaded table.

`inspect` reads the whole file and describes it (a Layout), or raises IngestError with a message
that says what is wrong and where. `store` writes the described file as Parquet into the
partner's folder and commits its Dataset row in the same step. Both take a binary file object
that can seek, so uploads and the importdataset command share one path.

CSV and TSV are read twice, once to check and once to write, in batches: a big file never sits
in memory whole.
"""
import codecs
import contextlib
import csv
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import files
from .models import Dataset

BATCH_ROWS = 50_000
SNIFF_BYTES = 64 * 1024
# Tried in this order; the first wins a tie.
DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}
ENCODINGS = {"utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8", "cp949": "CP949/EUC-KR"}
# Zip (xlsx) and OLE (xls) signatures: the most common wrong file is the workbook itself.
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")

# What a text column may turn out to hold, narrowest first; "text" always fits. A pattern guards
# each cast because Arrow alone would read the code "007" as the number 7.
PATTERNS = {
    "boolean": r"^(?i)(true|false)$",
    "integer": r"^-?(0|[1-9][0-9]{0,17})$",
    "float": r"^[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$",
}
ARROW_TYPES = {
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "text": pa.string(),
}


class IngestError(Exception):
    """What is wrong with a file, worded for the person who uploaded it."""


@dataclass(frozen=True)
class Layout:
    kind: str  # "csv" or "parquet"
    columns: tuple  # ((name, type), ...) in file order
    rows: int
    encoding: str = ""  # CSV and TSV only
    delimiter: str = ""  # CSV and TSV only

    @property
    def source(self):
        if self.kind == "parquet":
            return "Parquet"
        return f"{DELIMITERS[self.delimiter]}-separated text in {ENCODINGS[self.encoding]}"


def inspect(f):
    """Checks the whole file and describes it, or raises IngestError."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    if size == 0:
        raise IngestError("The file is empty.")
    if size > settings.UPLOAD_MAX_MB * 1024 * 1024:
        raise IngestError(
            f"The file is {size / 2**20:.1f} MB ({size:,} bytes); the limit is {settings.UPLOAD_MAX_MB} MB."
        )
    f.seek(0)
    head = f.read(8192)
    f.seek(max(size - 4, 0))
    if head.startswith(b"PAR1") and f.read(4) == b"PAR1":
        return _inspect_parquet(f)
    if head.startswith(WORKBOOK_SIGNATURES):
        raise IngestError(
            "This is an Excel workbook (or another archive), not CSV. "
            "In Excel use Save As, CSV UTF-8, and upload that file."
        )
    # Checked before any decoding: a binary file would otherwise read as a wrong encoding.
    if b"\0" in head:
        offset = head.index(b"\0")
        line_start = head.rfind(b"\n", 0, offset) + 1
        raise _binary_error(head.count(b"\n", 0, offset) + 1, offset - line_start + 1)
    return _inspect_csv(f)


def store(f, layout, partner, *, name, description="", uploaded_by=None, replacing=None):
    """Writes the inspected file as Parquet into the partner's folder and commits its row.

    The file is written under a temporary name in the same folder, synced, and renamed inside
    the transaction that saves the row. On any failure neither a row nor a file remains.
    With `replacing`, that dataset gets the new file and its old file goes after the commit.
    """
    folder = settings.DATASETS_DIR / partner.slug
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=files.TEMP_PREFIX, suffix=".parquet", dir=folder)
    os.close(fd)
    relative = files.new_path(partner.slug)
    final = settings.DATASETS_DIR / relative
    try:
        try:
            _WRITERS[layout.kind](f, layout, temp)
        except pa.ArrowException as error:
            raise IngestError(f"The file could not be converted to Parquet: {error}") from None
        os.chmod(temp, 0o644)  # Streamlit reads it as another user
        with open(temp, "rb") as written:
            sha256 = hashlib.file_digest(written, "sha256").hexdigest()
            os.fsync(written.fileno())
        with transaction.atomic(durable=True):
            dataset = replacing or Dataset(partner_id=partner.id)
            if replacing:
                files.remove_after_commit(replacing.path)
            dataset.name = name
            dataset.description = description
            dataset.path = relative
            dataset.rows = layout.rows
            dataset.columns = [{"name": column, "type": kind} for column, kind in layout.columns]
            dataset.size_bytes = os.path.getsize(temp)
            dataset.sha256 = sha256
            dataset.uploaded_by = uploaded_by
            dataset.uploaded_at = timezone.now()
            dataset.save()
            os.replace(temp, final)
            files.fsync_dir(folder)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    return dataset


# CSV and TSV


def _inspect_csv(f):
    encoding = _encoding(f)
    delimiter = _sniff_delimiter(f, encoding)
    with _text(f, encoding) as text:
        names, header_line, batches = _table(text, delimiter)
        candidates = [list(PATTERNS) for _ in names]
        filled = [False] * len(names)
        rows = 0
        for batch in batches:
            rows += len(batch[0])
            for index, values in enumerate(batch):
                present = pc.drop_null(_strings(values))
                if len(present):
                    filled[index] = True
                    candidates[index] = [kind for kind in candidates[index] if _fits(present, kind)]
    if rows == 0:
        raise IngestError(f"Line {header_line} is the header, but no rows of data follow it.")
    for index, name in enumerate(names):
        if not filled[index]:
            raise IngestError(
                f"Column {index + 1} (“{name}”) is empty in every row, so its type cannot be inferred. "
                "Fill it in or remove it."
            )
    columns = tuple((name, kinds[0] if kinds else "text") for name, kinds in zip(names, candidates))
    return Layout("csv", columns, rows, encoding, delimiter)


def _write_csv(f, layout, path):
    schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in layout.columns])
    with _text(f, layout.encoding) as text, pq.ParquetWriter(path, schema, compression="zstd") as writer:
        _, _, batches = _table(text, layout.delimiter)
        for batch in batches:
            arrays = [pc.cast(_strings(values), ARROW_TYPES[kind]) for values, (_, kind) in zip(batch, layout.columns)]
            writer.write_batch(pa.record_batch(arrays, schema=schema))


def _binary_error(line, column):
    return IngestError(f"Line {line}, column {column}: a NUL byte. This is a binary file, not CSV or TSV text.")


def _encoding(f):
    f.seek(0)
    candidates = ["utf-8-sig"] if f.read(3) == codecs.BOM_UTF8 else ["utf-8", "cp949"]
    problems = []
    for encoding in candidates:
        problem = _first_undecodable(f, encoding)
        if problem is None:
            return encoding
        problems.append(f"{ENCODINGS[encoding]} ({problem})")
    raise IngestError(f"The file is not text in {' or in '.join(problems)}. Save it as CSV UTF-8 and upload it again.")


def _first_undecodable(f, encoding):
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    f.seek(0)
    # Both encodings keep "\n" a single byte of its own, so each line decodes on its own.
    for number, raw in enumerate(f, 1):
        if number == 1 and encoding == "utf-8-sig":
            raw = raw[len(codecs.BOM_UTF8) :]
        if b"\0" in raw:
            offset = raw.index(b"\0")
            raise _binary_error(number, len(raw[:offset].decode(codec, "replace")) + 1)
        try:
            raw.decode(codec)
        except UnicodeDecodeError as error:
            column = len(raw[: error.start].decode(codec, "replace")) + 1
            return f"line {number}, column {column}: byte 0x{raw[error.start]:02x}"
    return None


def _sniff_delimiter(f, encoding):
    """The delimiter that splits the first lines into the same number of columns, and the most."""
    f.seek(0)
    sample = f.read(SNIFF_BYTES)
    whole = len(sample) < SNIFF_BYTES
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=whole)
    if not whole:
        text = text[: text.rfind("\n") + 1]  # the last line may be cut short
    best, best_score = ",", None
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(row)]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        score = (len({len(row) for row in rows}) == 1, len(rows[0]))
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


@contextlib.contextmanager
def _text(f, encoding):
    f.seek(0)
    text = io.TextIOWrapper(f, encoding=encoding, newline="")
    try:
        yield text
    finally:
        text.detach()  # the caller's file stays open


def _table(text, delimiter):
    """The header's column names, its line number, and a generator of row batches (as columns)."""
    records = _records(text, delimiter)
    first = next(records, None)
    if first is None:
        raise IngestError("The file has no header line: it holds only blank lines.")
    header_line, header = first
    names = _column_names(header, header_line)
    return names, header_line, _batches(records, names, header_line)


def _records(text, delimiter):
    """(line number, values) of each row that is not blank, the line being where the row starts."""
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise IngestError(f"Line {line}: a quoted value starts on this line and is never closed.") from None
            raise IngestError(f"Line {line}: this line is not valid CSV ({error}).") from None
        start, line = line, reader.line_num + 1
        if any(record):
            yield start, record


def _column_names(header, line):
    names = [cell.strip() for cell in header]
    seen = {}
    for column, name in enumerate(names, 1):
        if not name:
            raise IngestError(f"Line {line}, column {column}: the column name is empty. Every column needs a name.")
        if name in seen:
            raise IngestError(
                f"Line {line}, column {column}: the column name “{name}” repeats column {seen[name]}. "
                "Column names must be unique."
            )
        seen[name] = column
    return names


def _batches(records, names, header_line):
    width = len(names)
    columns = [[] for _ in names]
    for line, record in records:
        if len(record) > width:
            raise IngestError(
                f"Line {line}, column {width + 1}: this row has {len(record)} values, "
                f"but the header (line {header_line}) names {width} columns."
            )
        if len(record) < width:
            raise IngestError(
                f"Line {line}, column {len(record) + 1}: this row has {len(record)} values, "
                f"but the header (line {header_line}) names {width} columns; “{names[len(record)]}” is missing."
            )
        for column, value in zip(columns, record):
            column.append(value)
        if len(columns[0]) == BATCH_ROWS:
            yield columns
            columns = [[] for _ in names]
    if columns[0]:
        yield columns


def _strings(values):
    # An empty cell is a missing value, whatever the column's type.
    return pa.array([value or None for value in values], pa.string())


def _fits(values, kind):
    if not pc.all(pc.match_substring_regex(values, PATTERNS[kind])).as_py():
        return False
    try:
        pc.cast(values, ARROW_TYPES[kind])
    except pa.ArrowInvalid:
        return False
    return True


# Parquet


def _inspect_parquet(f):
    f.seek(0)
    try:
        parquet = pq.ParquetFile(f)
        schema = parquet.schema_arrow
        rows = parquet.metadata.num_rows
        for _ in parquet.iter_batches(batch_size=BATCH_ROWS):
            pass  # every page must decode, or the upload fails here and not in Streamlit
    except (pa.ArrowException, OSError) as error:
        raise IngestError(f"The file looks like Parquet but cannot be read: {error}") from None
    seen = {}
    columns = []
    for column, field in enumerate(schema, 1):
        if not field.name.strip():
            raise IngestError(f"Column {column}: the column name is empty. Every column needs a name.")
        if field.name in seen:
            raise IngestError(
                f"Column {column}: the column name “{field.name}” repeats column {seen[field.name]}. "
                "Column names must be unique."
            )
        seen[field.name] = column
        columns.append((field.name, _parquet_kind(field, column)))
    if rows == 0:
        raise IngestError("The Parquet file has columns but no rows.")
    return Layout("parquet", tuple(columns), rows)


def _parquet_kind(field, column):
    arrow_type = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
    checks = [
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_integer, "integer"),
        (pa.types.is_floating, "float"),
        (pa.types.is_decimal, "decimal"),
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "datetime"),
        (pa.types.is_string, "text"),
        (pa.types.is_large_string, "text"),
        (pa.types.is_string_view, "text"),
    ]
    for check, kind in checks:
        if check(arrow_type):
            return kind
    if pa.types.is_null(arrow_type):
        raise IngestError(f"Column {column} (“{field.name}”) has no values, so its type cannot be inferred.")
    raise IngestError(
        f"Column {column} (“{field.name}”) holds {arrow_type}, which the portal does not take. "
        "Store it as text, numbers, true/false or dates."
    )


def _write_parquet(f, layout, path):
    f.seek(0)
    source = pq.ParquetFile(f)
    with pq.ParquetWriter(path, source.schema_arrow, compression="zstd") as writer:
        for batch in source.iter_batches(batch_size=BATCH_ROWS):
            writer.write_batch(batch)


_WRITERS = {"csv": _write_csv, "parquet": _write_parquet}
