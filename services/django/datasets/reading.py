"""Reading, checking and converting a partner's table, within the dataset limits.

Nothing here imports Django: this code runs in the ingest child process (`datasets.child`), so a
file that needs more memory than it may have fails there, and never in a Gunicorn worker.

`inspect` reads the whole file and describes it (a Layout), or raises IngestError with a message
that says what is wrong and where. `convert` writes the described file as Parquet.

Every limit is checked while reading, before anything big is built: a CSV's columns at its
header, each value's length as the csv module reads it (and its UTF-8 size batch by batch), its
rows as they stream; a Parquet file's columns, rows and sizes in its footer before any page is
decoded, then each value and the size in memory batch by batch. Batches are bounded by values
and bytes, not rows, so a wide file or one with long values never builds a big batch.

CSV and TSV are read twice, once to check and once to write: a big file never sits in memory
whole.

Each column's type is decided here and nowhere else: a CSV's from its values (PATTERNS), a Parquet
file's from its own schema. The stored file carries that type (ARROW_TYPES), and what the catalog
says of a column is read off the same type (kind_of); the analytics take the stored types as they
are.
"""
import array
import codecs
import contextlib
import csv
import io
import os
from dataclasses import asdict, dataclass
from gettext import NullTranslations
from gettext import translation as catalog

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Values in one batch, and bytes in one batch: whichever comes first ends it.
BATCH_VALUES = 500_000
BATCH_BYTES = 16 * 2**20
# Fewer rows than this make decoding slow. A batch that is then too big for the child's memory
# (long values repeated by a dictionary) ends in a clear message all the same.
MIN_BATCH_ROWS = 1024
# What is buffered before it is written as one Parquet row group, and the most a page may hold.
ROW_GROUP_BYTES = 32 * 2**20
ROW_GROUP_ROWS = 1_000_000
PAGE_BYTES = 2**20
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
# The type a CSV column of each kind is stored as; kind_of gives each its kind back.
ARROW_TYPES = {
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "text": pa.string(),
}
# The kind of every stored type the portal takes, first match wins: a Parquet file may hold other
# widths and units of these (int32, a timestamp with a zone, text as a dictionary, decimals).
KINDS = (
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_integer, "integer"),
    (pa.types.is_floating, "float"),
    (pa.types.is_decimal, "decimal"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "datetime"),
    (pa.types.is_string, "text"),
    (pa.types.is_large_string, "text"),
    (pa.types.is_string_view, "text"),
)

# A dataset's size in memory is counted as Arrow holds it once decoded: every value at its type's
# width (a boolean as one byte), text at a 4-byte offset plus its UTF-8 bytes. The count depends
# only on the values, never on batches or on how the file encodes them, and the analytics count a
# stored file the same way (services/streamlit/app/analytics/datasets.py), so what is taken here
# loads there.
TEXT_OFFSET_BYTES = 4
# What Parquet stores beside the values (levels, page headers) that decoding does not keep: the
# footer's uncompressed sizes, less this much per value and per file, are a floor of the size in
# memory.
PARQUET_OVERHEAD_PER_VALUE = 1
PARQUET_OVERHEAD_BYTES = 2**20


class IngestError(Exception):
    """What is wrong with a file, worded for the person who uploaded it."""


# The child has no Django: it translates with the standard library's gettext, from the portal's
# own catalog (makemessages finds these gettext() calls), in the language its request names.
_translation = NullTranslations()


def use_language(language, locale_dir):
    """Messages from now on in this language (no catalog there: English, as written)."""
    global _translation
    _translation = catalog("django", locale_dir, languages=[language], fallback=True)


def gettext(message):
    return _translation.gettext(message)


def ngettext(singular, plural, count):
    return _translation.ngettext(singular, plural, count)


@dataclass(frozen=True)
class Limits:
    """The bounds every dataset must keep (the DATASET_MAX_* settings)."""

    columns: int
    rows: int
    cell_bytes: int
    memory_bytes: int


@dataclass(frozen=True)
class Layout:
    kind: str  # "csv" or "parquet"
    columns: tuple  # ((name, type), ...) in file order
    rows: int
    encoding: str = ""  # CSV and TSV only
    delimiter: str = ""  # CSV and TSV only
    row_bytes: int = 0  # no row takes more than this in memory: it bounds the batches that write it

    @property
    def source(self):
        if self.kind == "parquet":
            return "Parquet"
        return f"{DELIMITERS[self.delimiter]}-separated text in {ENCODINGS[self.encoding]}"

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "columns": tuple(tuple(column) for column in data["columns"])})


def inspect(path, limits):
    """Checks the whole file and describes it, or raises IngestError."""
    with open(path, "rb") as f:
        head = f.read(8192)
        f.seek(max(os.fstat(f.fileno()).st_size - 4, 0))
        if head.startswith(b"PAR1") and f.read(4) == b"PAR1":
            return _inspect_parquet(path, limits)
        if head.startswith(WORKBOOK_SIGNATURES):
            raise IngestError(
                gettext(
                    "This is an Excel workbook (or another archive), not CSV. "
                    "In Excel use Save As, CSV UTF-8, and upload that file."
                )
            )
        # Checked before any decoding: a binary file would otherwise read as a wrong encoding.
        if b"\0" in head:
            offset = head.index(b"\0")
            line_start = head.rfind(b"\n", 0, offset) + 1
            raise _binary_error(head.count(b"\n", 0, offset) + 1, offset - line_start + 1)
        return _inspect_csv(f, limits)


def convert(path, layout, target, limits):
    """Writes the inspected file as Parquet to `target`."""
    try:
        if layout.kind == "parquet":
            _write_parquet(path, layout, target)
        else:
            with open(path, "rb") as f:
                _write_csv(f, layout, target, limits)
    except MemoryError:  # Arrow's is an ArrowException too: it is not the file's fault
        raise
    except pa.ArrowException as error:
        raise IngestError(gettext("The file could not be converted to Parquet: {error}").format(error=error)) from None


# Messages that name a limit: the partner reads them, the staff find the setting by its name.


def _too_many_columns(count, limits):
    return IngestError(
        gettext("The file has {count:,} columns; the portal takes at most {limit:,} (DATASET_MAX_COLUMNS).").format(
            count=count, limit=limits.columns
        )
    )


def _too_many_rows(count, limits, more=False):
    if more:
        message = gettext(
            "The file has more than {count:,} rows; the portal takes at most {limit:,} (DATASET_MAX_ROWS)."
        )
    else:
        message = gettext("The file has {count:,} rows; the portal takes at most {limit:,} (DATASET_MAX_ROWS).")
    return IngestError(message.format(count=count, limit=limits.rows))


def _value_too_long(where, size, limits, more=False):
    if more:
        message = gettext(
            "{where}: a value of more than {size:,} bytes; "
            "the portal takes at most {limit:,} bytes in one value (DATASET_MAX_CELL_BYTES)."
        )
    else:
        message = gettext(
            "{where}: a value of {size:,} bytes; "
            "the portal takes at most {limit:,} bytes in one value (DATASET_MAX_CELL_BYTES)."
        )
    return IngestError(message.format(where=where, size=size, limit=limits.cell_bytes))


def _too_big(size, limits, bound=""):
    """bound: "" when size is the data's size, "at least" or "more than" when it is a bound of it."""
    if bound == "at least":
        message = gettext(
            "Once read, the data takes at least {size} of memory; the portal takes at most {limit} for one "
            "dataset (DATASET_MAX_MEMORY_MB). Upload fewer rows or columns."
        )
    elif bound == "more than":
        message = gettext(
            "Once read, the data takes more than {size} of memory; the portal takes at most {limit} for one "
            "dataset (DATASET_MAX_MEMORY_MB). Upload fewer rows or columns."
        )
    else:
        message = gettext(
            "Once read, the data takes {size} of memory; the portal takes at most {limit} for one dataset "
            "(DATASET_MAX_MEMORY_MB). Upload fewer rows or columns."
        )
    return IngestError(message.format(size=_megabytes(size), limit=_megabytes(limits.memory_bytes)))


def _megabytes(size):
    return f"{size / 2**20:,.1f} MB"


def _width(arrow_type):
    """Bytes one value of this type takes in memory, or None for text (offset plus its bytes)."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if _is_text(arrow_type):
        return None
    try:
        return max(1, arrow_type.bit_width // 8)
    except ValueError:  # no fixed width: nested types, which the portal refuses anyway
        return 0


def _is_text(arrow_type):
    checks = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view, pa.types.is_binary,
              pa.types.is_large_binary, pa.types.is_binary_view)
    return any(check(arrow_type) for check in checks)


def _text_lengths(column):
    """Each value's length in bytes (null where the value is missing), without decoding a dictionary."""
    if pa.types.is_dictionary(column.type):
        return pc.take(pc.binary_length(column.dictionary), column.indices)
    return pc.binary_length(column)


# CSV and TSV


def _inspect_csv(f, limits):
    encoding = _encoding(f)
    delimiter = _sniff_delimiter(f, encoding)
    with _text(f, encoding) as text, _field_limit(limits.cell_bytes):
        names, header_line, batches = _table(text, delimiter, limits)
        candidates = [list(PATTERNS) for _ in names]
        filled = [False] * len(names)
        text_bytes = [0] * len(names)
        longest = [0] * len(names)
        rows = 0
        for lines, batch in batches:
            for index, values in enumerate(batch):
                strings = _strings(values)
                lengths = pc.binary_length(strings)
                size = pc.max(lengths).as_py() or 0
                if size > limits.cell_bytes:
                    row = pc.indices_nonzero(pc.greater(lengths, limits.cell_bytes))[0].as_py()
                    where = gettext("Line {line}, column {column} (“{name}”)").format(
                        line=lines[row], column=index + 1, name=names[index]
                    )
                    raise _value_too_long(where, size, limits)
                longest[index] = max(longest[index], size)
                text_bytes[index] += pc.sum(lengths).as_py() or 0
                present = pc.drop_null(strings)
                if len(present):
                    filled[index] = True
                    candidates[index] = [kind for kind in candidates[index] if _fits(present, kind)]
            rows += len(lines)
    if rows == 0:
        raise IngestError(gettext("Line {line} is the header, but no rows of data follow it.").format(line=header_line))
    for index, name in enumerate(names):
        if not filled[index]:
            raise IngestError(
                gettext(
                    "Column {column} (“{name}”) is empty in every row, so its type cannot be inferred. "
                    "Fill it in or remove it."
                ).format(column=index + 1, name=name)
            )
    columns = tuple((name, kinds[0] if kinds else "text") for name, kinds in zip(names, candidates))
    memory = row_bytes = 0
    for (_, kind), size, longest_value in zip(columns, text_bytes, longest):
        width = _width(ARROW_TYPES[kind])
        memory += rows * (width or TEXT_OFFSET_BYTES) + (0 if width else size)
        row_bytes += width or (TEXT_OFFSET_BYTES + longest_value)
    if memory > limits.memory_bytes:
        raise _too_big(memory, limits)
    return Layout("csv", columns, rows, encoding, delimiter, row_bytes)


def _write_csv(f, layout, path, limits):
    schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in layout.columns])
    with (
        _text(f, layout.encoding) as text,
        _field_limit(limits.cell_bytes),
        _writer(path, schema, layout) as writer,
    ):
        row_groups = _RowGroups(writer, schema)
        _, _, batches = _table(text, layout.delimiter, limits)
        for _, batch in batches:
            arrays = [pc.cast(_strings(values), ARROW_TYPES[kind]) for values, (_, kind) in zip(batch, layout.columns)]
            row_groups.add(pa.record_batch(arrays, schema=schema))
        row_groups.flush()


def _writer(path, schema, layout):
    """A Parquet writer whose file the analytics can check quickly and read in small steps:
    text is stored plain (unless it came as categories, which Arrow keeps as dictionaries), so
    the footer's sizes are its sizes in memory where a dictionary could repeat one long value in
    every row; and no page holds much more than PAGE_BYTES."""
    encoded = [field.name for field in schema if _width(field.type) is not None or pa.types.is_dictionary(field.type)]
    values_per_check = max(1, min(1024, PAGE_BYTES // max(1, layout.row_bytes)))
    return pq.ParquetWriter(
        path, schema, compression="zstd", use_dictionary=encoded, write_batch_size=values_per_check,
        data_page_size=PAGE_BYTES,
    )


class _RowGroups:
    """Collects batches and writes them as row groups of a sensible size: small batches would
    otherwise each become a row group, and a footer of thousands of them."""

    def __init__(self, writer, schema):
        self.writer, self.schema = writer, schema
        self.batches, self.rows, self.bytes = [], 0, 0

    def add(self, batch):
        self.batches.append(batch)
        self.rows += batch.num_rows
        self.bytes += batch.nbytes
        if self.rows >= ROW_GROUP_ROWS or self.bytes >= ROW_GROUP_BYTES:
            self.flush()

    def flush(self):
        if self.batches:
            table = pa.Table.from_batches(self.batches, schema=self.schema)
            self.writer.write_table(table, row_group_size=table.num_rows)
        self.batches, self.rows, self.bytes = [], 0, 0


def _binary_error(line, column):
    return IngestError(
        gettext("Line {line}, column {column}: a NUL byte. This is a binary file, not CSV or TSV text.").format(
            line=line, column=column
        )
    )


def _encoding(f):
    f.seek(0)
    candidates = ["utf-8-sig"] if f.read(3) == codecs.BOM_UTF8 else ["utf-8", "cp949"]
    problems = []
    for encoding in candidates:
        problem = _first_undecodable(f, encoding)
        if problem is None:
            return encoding
        problems.append(f"{ENCODINGS[encoding]} ({problem})")
    raise IngestError(
        gettext("The file is not text in {encodings}. Save it as CSV UTF-8 and upload it again.").format(
            encodings=gettext(" or in ").join(problems)
        )
    )


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
            return gettext("line {line}, column {column}: byte 0x{byte:02x}").format(
                line=number, column=column, byte=raw[error.start]
            )
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


@contextlib.contextmanager
def _field_limit(limit):
    """The csv module refuses a value longer than this many characters as it reads it; a
    character is at least one byte, so no value longer than DATASET_MAX_CELL_BYTES is ever built.
    The limit is the process's: it is put back after."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _table(text, delimiter, limits):
    """The header's column names, its line number, and a generator of row batches: (the line of
    each row, the batch's values as columns)."""
    records = _records(text, delimiter, limits)
    first = next(records, None)
    if first is None:
        raise IngestError(gettext("The file has no header line: it holds only blank lines."))
    header_line, header = first
    if len(header) > limits.columns:
        raise _too_many_columns(len(header), limits)
    names = _column_names(header, header_line)
    return names, header_line, _batches(records, names, header_line, limits)


def _records(text, delimiter, limits):
    """(line number, values) of each row that is not blank, the line being where the row starts."""
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                where = gettext("Line {line}").format(line=line)
                raise _value_too_long(where, limits.cell_bytes, limits, more=True) from None
            if "unexpected end of data" in str(error):
                raise IngestError(
                    gettext("Line {line}: a quoted value starts on this line and is never closed.").format(line=line)
                ) from None
            invalid = gettext("Line {line}: this line is not valid CSV ({error}).")
            raise IngestError(invalid.format(line=line, error=error)) from None
        start, line = line, reader.line_num + 1
        if any(record):
            yield start, record


def _column_names(header, line):
    names = [cell.strip() for cell in header]
    seen = {}
    for column, name in enumerate(names, 1):
        if not name:
            raise IngestError(
                gettext("Line {line}, column {column}: the column name is empty. Every column needs a name.").format(
                    line=line, column=column
                )
            )
        if name in seen:
            raise IngestError(
                gettext(
                    "Line {line}, column {column}: the column name “{name}” repeats column {first}. "
                    "Column names must be unique."
                ).format(line=line, column=column, name=name, first=seen[name])
            )
        seen[name] = column
    return names


def _batches(records, names, header_line, limits):
    width = len(names)
    lines, columns, text_bytes, rows = array.array("q"), [[] for _ in names], 0, 0
    for line, record in records:
        if len(record) > width:
            raise IngestError(
                gettext(
                    "Line {line}, column {column}: this row has {values} values, "
                    "but the header (line {header}) names {width} columns."
                ).format(line=line, column=width + 1, values=len(record), header=header_line, width=width)
            )
        if len(record) < width:
            raise IngestError(
                gettext(
                    "Line {line}, column {column}: this row has {values} values, "
                    "but the header (line {header}) names {width} columns; “{missing}” is missing."
                ).format(
                    line=line,
                    column=len(record) + 1,
                    values=len(record),
                    header=header_line,
                    width=width,
                    missing=names[len(record)],
                )
            )
        rows += 1
        if rows > limits.rows:
            raise _too_many_rows(limits.rows, limits, more=True)
        lines.append(line)
        for column, value in zip(columns, record):
            column.append(value)
            text_bytes += len(value)
        if len(lines) * width >= BATCH_VALUES or text_bytes >= BATCH_BYTES:
            yield lines, columns
            lines, columns, text_bytes = array.array("q"), [[] for _ in names], 0
    if lines:
        yield lines, columns


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


def _inspect_parquet(path, limits):
    try:
        parquet = pq.ParquetFile(path)
        metadata, schema = parquet.metadata, parquet.schema_arrow
    except MemoryError:
        raise
    except (pa.ArrowException, OSError) as error:
        unreadable = gettext("The file looks like Parquet but cannot be read: {error}")
        raise IngestError(unreadable.format(error=error)) from None
    if metadata.num_columns > limits.columns:
        raise _too_many_columns(metadata.num_columns, limits)
    row_groups = [metadata.row_group(index) for index in range(metadata.num_row_groups)]
    rows = max(metadata.num_rows, sum(group.num_rows for group in row_groups))
    if rows > limits.rows:
        raise _too_many_rows(rows, limits)
    columns = _parquet_columns(schema, limits)
    _check_footer(schema, row_groups, rows, limits)
    if rows == 0:
        raise IngestError(gettext("The Parquet file has columns but no rows."))
    row_bytes, rows = _measure_parquet(path, schema, limits)
    return Layout("parquet", columns, rows, row_bytes=row_bytes)


def _parquet_columns(schema, limits):
    seen = {}
    columns = []
    for column, field in enumerate(schema, 1):
        if not field.name.strip():
            raise IngestError(
                gettext("Column {column}: the column name is empty. Every column needs a name.").format(column=column)
            )
        size = len(field.name.encode())
        if size > limits.cell_bytes:
            raise _value_too_long(gettext("Column {column}: the column name").format(column=column), size, limits)
        if field.name in seen:
            raise IngestError(
                gettext(
                    "Column {column}: the column name “{name}” repeats column {first}. Column names must be unique."
                ).format(column=column, name=field.name, first=seen[field.name])
            )
        seen[field.name] = column
        columns.append((field.name, _parquet_kind(field, column)))
    return tuple(columns)


def _check_footer(schema, row_groups, rows, limits):
    """What the footer alone shows to be over a limit, before a single page is decoded."""
    fixed = sum(rows * (_width(field.type) or TEXT_OFFSET_BYTES) for field in schema)
    stored = sum(group.total_byte_size for group in row_groups)
    values = rows * len(schema)
    floor = max(fixed, stored - values * PARQUET_OVERHEAD_PER_VALUE - PARQUET_OVERHEAD_BYTES)
    if floor > limits.memory_bytes:
        raise _too_big(floor, limits, "at least")
    # A column's stored bytes hold each of its values at least once (a dictionary stores each
    # distinct value once): more bytes than values at the limit means some value is longer.
    for group in row_groups:
        for index, field in enumerate(schema):
            chunk = group.column(index)
            ceiling = chunk.num_values * (limits.cell_bytes + TEXT_OFFSET_BYTES + PARQUET_OVERHEAD_PER_VALUE)
            if chunk.total_uncompressed_size > ceiling + PARQUET_OVERHEAD_BYTES:
                raise IngestError(
                    ngettext(
                        "Column {column} (“{name}”) holds a value longer than {limit:,} bytes "
                        "({size} of data for {values:,} value); the portal takes at "
                        "most {limit:,} bytes in one value (DATASET_MAX_CELL_BYTES).",
                        "Column {column} (“{name}”) holds a value longer than {limit:,} bytes "
                        "({size} of data for {values:,} values); the portal takes at "
                        "most {limit:,} bytes in one value (DATASET_MAX_CELL_BYTES).",
                        chunk.num_values,
                    ).format(
                        column=index + 1,
                        name=field.name,
                        limit=limits.cell_bytes,
                        size=_megabytes(chunk.total_uncompressed_size),
                        values=chunk.num_values,
                    )
                )


def _measure_parquet(path, schema, limits):
    """Decodes every page (each must decode, or the upload fails here and not in the analytics),
    checking each value's length and counting the size in memory. Returns (the most a row can
    take, rows)."""
    try:
        memory, rows, longest = 0, 0, {}
        for batch in _parquet_batches(pq.ParquetFile(path), limits):
            for index, (field, column) in enumerate(zip(schema, batch.columns)):
                width = _width(field.type)
                if width is not None:
                    memory += width * len(column)
                    continue
                lengths = _text_lengths(column)
                size = pc.max(lengths).as_py() or 0
                if size > limits.cell_bytes:
                    row = pc.indices_nonzero(pc.greater(lengths, limits.cell_bytes))[0].as_py()
                    where = gettext("Row {row:,}, column {column} (“{name}”)").format(
                        row=rows + row + 1, column=index + 1, name=field.name
                    )
                    raise _value_too_long(where, size, limits)
                longest[index] = max(longest.get(index, 0), size)
                memory += TEXT_OFFSET_BYTES * len(column) + (pc.sum(lengths).as_py() or 0)
            rows += batch.num_rows
            if rows > limits.rows:
                raise _too_many_rows(rows, limits, more=True)
            if memory > limits.memory_bytes:
                raise _too_big(memory, limits, "more than")
    except MemoryError:
        raise
    except (pa.ArrowException, OSError) as error:
        unreadable = gettext("The file looks like Parquet but cannot be read: {error}")
        raise IngestError(unreadable.format(error=error)) from None
    row_bytes = sum(
        width if width is not None else TEXT_OFFSET_BYTES + longest.get(index, 0)
        for index, width in enumerate(_width(field.type) for field in schema)
    )
    return row_bytes, rows


def _parquet_batches(parquet, limits):
    """The file's rows in batches of about BATCH_BYTES each, sized row group by row group from
    the footer: a text value takes its chunk's average size when stored plain, and up to the cell
    limit when a dictionary may repeat one long value in every row (unless Arrow keeps the column
    as a dictionary, which costs an index per row). The analytics read such text as dictionaries;
    the child does not: for text with many distinct values, which uploads usually have, that
    builds a dictionary as big as the text, and the child's own bound catches a batch that turns
    out too big."""
    metadata, schema = parquet.metadata, parquet.schema_arrow
    for index in range(metadata.num_row_groups):
        group, row_bytes = metadata.row_group(index), 0
        for column, field in enumerate(schema):
            chunk, width = group.column(column), _width(field.type)
            if width is not None or pa.types.is_dictionary(field.type):
                row_bytes += width or TEXT_OFFSET_BYTES
            elif chunk.has_dictionary_page:
                row_bytes += TEXT_OFFSET_BYTES + min(limits.cell_bytes, chunk.total_uncompressed_size)
            else:
                row_bytes += TEXT_OFFSET_BYTES + chunk.total_uncompressed_size // max(1, chunk.num_values)
        rows = min(BATCH_VALUES // len(schema), BATCH_BYTES // max(1, row_bytes))
        yield from parquet.iter_batches(batch_size=max(MIN_BATCH_ROWS, rows), row_groups=[index])


def kind_of(arrow_type):
    """What the catalog calls a column stored as this Arrow type, or None for one the portal does
    not take."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    return next((kind for check, kind in KINDS if check(arrow_type)), None)


def _parquet_kind(field, column):
    kind = kind_of(field.type)
    if kind is not None:
        return kind
    arrow_type = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
    if pa.types.is_null(arrow_type):
        raise IngestError(
            gettext("Column {column} (“{name}”) has no values, so its type cannot be inferred.").format(
                column=column, name=field.name
            )
        )
    raise IngestError(
        gettext(
            "Column {column} (“{name}”) holds {type}, which the portal does not take. "
            "Store it as text, numbers, true/false or dates."
        ).format(column=column, name=field.name, type=arrow_type)
    )


def _write_parquet(path, layout, target):
    source = pq.ParquetFile(path)
    # The largest row inspect saw bounds each batch's bytes, however long the file's values are.
    rows = max(1, min(BATCH_VALUES // len(layout.columns), BATCH_BYTES // max(1, layout.row_bytes)))
    with _writer(target, source.schema_arrow, layout) as writer:
        row_groups = _RowGroups(writer, source.schema_arrow)
        for batch in source.iter_batches(batch_size=rows):
            row_groups.add(batch)
        row_groups.flush()
