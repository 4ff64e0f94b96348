"""Reading, checking and converting a partner's table, within the dataset limits.

Nothing here imports Django: this code runs in the ingest child process (`datasets.child`), so a
file that needs more memory than it may have fails there, and never in a Gunicorn worker.

`examine` reads the whole file and describes it (a Layout) with what the partner checks before
storing it (Findings: the first rows as written and as they will be stored, and the values that do
not read as their column's kind), or raises IngestError with a message that says what is wrong and
where. `inspect` is the Layout alone. `convert` writes the described file as Parquet.

The file may be CSV or TSV text, an Excel workbook (.xlsx, .xls, read by calamine) or Parquet.
A workbook's sheet is read as rows of values like a CSV's: calamine gives Excel's own numbers,
dates and true/false as typed values, which are written in their ISO form (_cell_text) and so
meet the same rules as text, Korean forms included. Above its header a sheet (or a CSV) may
hold a title: the header is the first of its first rows with the most values, unless the partner
picks another (Options.header_line). The partner may also choose a column's kind over the one
found (Options.kinds): its values that do not read as that kind are stored as missing, and the
preview says how many there are and where.

Every limit is checked while reading, before anything big is built: a CSV's columns at its
header, each value's length as the csv module reads it (and its UTF-8 size batch by batch), its
rows as they stream; a Parquet file's columns, rows and sizes in its footer before any page is
decoded, then each value and the size in memory batch by batch. Batches are bounded by values
and bytes, not rows, so a wide file or one with long values never builds a big batch.

CSV, TSV and workbooks are read twice, once to check and once to write: a big text file never
sits in memory whole (calamine holds a sheet whole, within the child's bound).

Each column's type is decided here and nowhere else: a CSV's from its values (PATTERNS), a Parquet
file's from its own schema. The stored file carries that type (ARROW_TYPES), and what the catalog
says of a column is read off the same type (kind_of); the analytics take the stored types as they
are.

A CSV's values may be written the Korean way; each is rewritten in the ISO form of its kind, and
only the typed value is stored:
- dates year first: 2025-01-01, 2025-1-1, 2025.01.01, 2025. 1. 1. (as Korean Excel writes it),
  2025/01/01, 2025년 1월 1일; datetimes are such a date then a 24-hour time (09:30, 9:30:05.5,
  after a space or ISO's T) or a 12-hour one after 오전 or 오후 (오후 3:04:05);
- a two-digit year (25.01.01, 25-01-01, 25/01/01) only in a column where every value is written
  so and reads as a date year first, and at least one value cannot be a date day first (85.03.12:
  there is no day 85): 25.01.01 could be 25 January 2001 just as well, and a date read the wrong
  way round is worse than text. So a column of recent dates alone (years 01 to 29, each of which
  could be a day) mostly stays text. The century is Excel's: 00 to 29 are the 2000s, 30 to 99 the
  1900s;
- numbers with thousands separators (4,584,943; a comma is never a decimal point), a currency
  mark (₩1,200, ￦1,200, the won sign that CP949 has, 1,200원, $1,200.50), and a negative as
  -1,200, (1,200), △1,200 or ▲1,200 (Korean accounting marks a negative with either triangle;
  stock tables mark a rise with ▲ and a fall with ▼, which is no form here, so their columns stay
  text);
- a percentage is stored as the fraction it stands for: 12.5% as the float 0.125.
A column takes a kind only when every value fits it, in whichever of these forms, except that a
column mixes no currencies, no percentages with other numbers, and no two-digit years with
four-digit ones; and a number is an integer only when no value has a fraction or a percent sign.
"""
import array
import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import os
from dataclasses import asdict, dataclass, replace
from gettext import NullTranslations
from gettext import translation as catalog

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import python_calamine

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
# Zip (xlsx) and OLE (xls) signatures: such a file is read as a workbook.
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
# The first rows of a file, among which its header is looked for and can be picked; the rows of
# data the preview shows; the values shown of those that do not read as their column's kind.
HEAD_RECORDS = 20
PREVIEW_ROWS = 10
MISFIT_EXAMPLES = 3
# What a preview shows of one value.
SHOWN_CHARACTERS = 80
# A text column is said to be nearly of a kind when at most this share of its values is not;
# the kinds it is tried for, narrowest first.
NEAR_SHARE = 0.2
NEAR_KINDS = ("integer", "float", "date", "datetime", "boolean")
# The first rows that could be the header, tried in turn (_inspect_rows).
HEADER_TRIES = 3

# What a text column may turn out to hold, narrowest first; "text" always fits. A pattern guards
# each cast because Arrow alone would read the code "007" as the number 7. Values are matched
# once rewritten in ISO form (REWRITES), so the Korean forms meet the same guards.
PATTERNS = {
    "boolean": r"^(?i)(true|false)$",
    "integer": r"^-?(0|[1-9][0-9]{0,17})$",
    "float": r"^[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$",
}
# The Korean forms (see the module's docstring). Arrow's regular expressions (RE2) have no
# backreferences: each form is spelled out, so that one value keeps one separator.
DATE = (
    r"[0-9]{4}(\. ?[0-9]{1,2}\. ?[0-9]{1,2}\.?|/[0-9]{1,2}/[0-9]{1,2}|-[0-9]{1,2}-[0-9]{1,2}"
    r"|년 ?[0-9]{1,2}월 ?[0-9]{1,2}일)"
)
SHORT_DATE = r"^[0-9]{2}(\.[0-9]{2}\.[0-9]{2}|/[0-9]{2}/[0-9]{2}|-[0-9]{2}-[0-9]{2})$"
TIME = r"([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?| (오전|오후) ?(0?[1-9]|1[0-2]):[0-9]{2}(:[0-9]{2})?)"
DATETIME = f"^{DATE}{TIME}$"
AMOUNT = r"([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?"
UNSIGNED = rf"([₩￦$] ?{AMOUNT}|{AMOUNT}( ?원|%)?)"
NUMBER = rf"^([-△▲]?{UNSIGNED}|[₩￦$] ?-{AMOUNT}|\({UNSIGNED}\))$"
# Which field is which, in a value written in one of the forms above.
DATE_PARTS = r"^(?P<year>[0-9]{2,4})[^0-9]+(?P<month>[0-9]{1,2})[^0-9]+(?P<day>[0-9]{1,2})"
TIME_PARTS = DATE_PARTS + r"[^0-9]+?(?P<noon>오전|오후)? ?(?P<hour>[0-9]{1,2}):(?P<rest>[0-9:.]+)$"
# An ISO datetime whose time is one of the day (PATTERNS lets 25:61 through to the cast).
VALID_TIME = r"^.{10}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
# Values rewritten at once (see _read).
REWRITE_VALUES = 65536
# Two-digit years as Excel reads them when they are typed in: below this one in the 2000s.
CENTURY_PIVOT = "30"
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


class _MisfitRow(IngestError):
    """A row that does not fit the header's columns: perhaps another row is the header."""


class _BlankFile(IngestError):
    """A file, or a sheet, of blank lines only."""


def _blank():
    return _BlankFile(gettext("The file has no header line: it holds only blank lines."))


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
class Options:
    """What the partner chose in the preview; the defaults are what the file itself suggests."""

    sheet: str = ""  # a workbook's sheet; "" is its first sheet with data
    header_line: int = 0  # the header's line of a text file, or row of a sheet; 0 looks for it
    kinds: tuple = ()  # ((column name, kind), ...) chosen over the kinds found

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "kinds": tuple(tuple(pair) for pair in data.get("kinds", ()))})


@dataclass(frozen=True)
class Layout:
    kind: str  # "csv", "excel" or "parquet"
    columns: tuple  # ((name, type), ...) in file order
    rows: int
    encoding: str = ""  # CSV and TSV only
    delimiter: str = ""  # CSV and TSV only
    row_bytes: int = 0  # no row takes more than this in memory: it bounds the batches that write it
    sheet: str = ""  # workbooks only
    header_line: int = 0  # CSV, TSV and workbooks: the header's line (a sheet's row)
    chosen: tuple = ()  # the columns whose kind the partner chose: a value that does not fit is stored missing

    @property
    def source(self):
        if self.kind == "parquet":
            return "Parquet"
        if self.kind == "excel":
            return f"Excel workbook, sheet {self.sheet!r}"
        return f"{DELIMITERS[self.delimiter]}-separated text in {ENCODINGS[self.encoding]}"

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        columns = tuple(tuple(column) for column in data["columns"])
        return cls(**{**data, "columns": columns, "chosen": tuple(data.get("chosen", ()))})


@dataclass(frozen=True)
class Findings:
    """What the preview shows of a file, besides its Layout. Lines are a text file's lines, or a
    sheet's rows as Excel numbers them."""

    sheets: tuple = ()  # a workbook's sheets, in its order
    head: tuple = ()  # ((line, (value, ...)), ...): the first rows as written, the header among them
    found: tuple = ()  # each column's kind as found in its values, before the partner's choice
    misfits: tuple = ()  # each column's values that do not read as its kind: (count, ((line, value), ...))
    near: tuple = ()  # each text column's kind nearly all its values read as: (kind, count, examples), or ()
    rows: tuple = ()  # the first rows of data as they will be stored: JSON values, None for missing

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**data)


def examine(path, limits, options=Options()):
    """Checks the whole file and describes it with what its preview shows: (Layout, Findings),
    or raises IngestError."""
    with open(path, "rb") as f:
        head = f.read(8192)
        f.seek(max(os.fstat(f.fileno()).st_size - 4, 0))
        if head.startswith(b"PAR1") and f.read(4) == b"PAR1":
            return _inspect_parquet(path, limits)
        if head.startswith(WORKBOOK_SIGNATURES):
            return _inspect_workbook(f, limits, options)
        # Checked before any decoding: a binary file would otherwise read as a wrong encoding.
        if b"\0" in head:
            offset = head.index(b"\0")
            line_start = head.rfind(b"\n", 0, offset) + 1
            raise _binary_error(head.count(b"\n", 0, offset) + 1, offset - line_start + 1)
        return _inspect_csv(f, limits, options)


def inspect(path, limits, options=Options()):
    """Checks the whole file and describes it, or raises IngestError."""
    return examine(path, limits, options)[0]


def convert(path, layout, target, limits):
    """Writes the inspected file as Parquet to `target`."""
    try:
        if layout.kind == "parquet":
            _write_parquet(path, layout, target)
        elif layout.kind == "excel":
            with open(path, "rb") as f, _workbook(f) as workbook:
                _write_rows(_sheet_records(workbook, layout.sheet), layout, target, limits, sheet=True)
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


# CSV, TSV and workbooks: rows of values, read the same way


def _inspect_csv(f, limits, options):
    encoding = _encoding(f)
    delimiter = _sniff_delimiter(f, encoding)
    with _text(f, encoding) as text, _field_limit(limits.cell_bytes):

        def rows():
            text.seek(0)
            return _records(text, delimiter, limits)

        table, findings = _inspect_rows(rows, limits, options, sheet=False)
    return Layout("csv", encoding=encoding, delimiter=delimiter, **table), findings


def _write_csv(f, layout, path, limits):
    with _text(f, layout.encoding) as text, _field_limit(limits.cell_bytes):
        _write_rows(_records(text, layout.delimiter, limits), layout, path, limits, sheet=False)


def _inspect_rows(rows, limits, options, sheet):
    """Reads the header and every row after it, checking each value; returns what a Layout says
    of them (as keywords) and the Findings of the preview. `rows()` reads the file's rows anew.

    Unless the partner picked the header, the first rows that could be it are tried in turn (at
    most HEADER_TRIES): a subtitle such as "(단위: 원)" above the header may hold enough values to
    look like one, and then the rows below it do not fit. Only a row that does not fit moves on
    to the next candidate; any other trouble is the file's. The first candidate's is the one
    told when none reads."""
    if options.header_line:
        return _inspect_below(rows(), options.header_line, limits, options, sheet)
    first_error = None
    for line in _header_candidates(rows())[:HEADER_TRIES]:
        try:
            return _inspect_below(rows(), line, limits, options, sheet)
        except _MisfitRow as error:
            first_error = first_error or error
        except IngestError:
            if first_error is None:
                raise
    raise first_error


def _header_candidates(records):
    """The lines of the first rows that hold more than half as many values as the fullest of
    them, in order: a title above the header holds fewer."""
    head = list(itertools.islice(records, HEAD_RECORDS))
    filled = [sum(1 for value in values if value.strip()) for _, values in head]
    if not head or not max(filled):
        raise _blank()
    return [line for (line, _), count in zip(head, filled) if 2 * count > max(filled)]


def _inspect_below(records, header_line, limits, options, sheet):
    head, header_line, names, batches = _table(records, limits, header_line, sheet)
    chosen = {name: kind for name, kind in options.kinds if name in names and kind in ARROW_TYPES}
    candidates = [list(PATTERNS) for _ in names]
    forms = [{kind: set() for kind in PATTERNS} for _ in names]
    # Per column and kind: [how many values do not read as it, the first of them as (line, value)].
    misfits = [[0, []] for _ in names]
    # Per text column, the same for each kind it held until it turned text (None before that).
    near = [None for _ in names]
    present = [0] * len(names)
    text_bytes = [0] * len(names)
    longest = [0] * len(names)
    sample_lines, sample = [], [[] for _ in names]
    rows = 0
    for lines, batch in batches:
        taken = max(0, PREVIEW_ROWS - len(sample_lines))
        sample_lines.extend(lines[:taken])
        for index, values in enumerate(batch):
            sample[index].extend(values[:taken])
            strings = _strings(values)
            lengths = pc.binary_length(strings)
            size = pc.max(lengths).as_py() or 0
            if size > limits.cell_bytes:
                row = pc.indices_nonzero(pc.greater(lengths, limits.cell_bytes))[0].as_py()
                raise _value_too_long(_place(lines[row], index + 1, names[index], sheet), size, limits)
            longest[index] = max(longest[index], size)
            text_bytes[index] += pc.sum(lengths).as_py() or 0
            filled = pc.drop_null(strings)
            if not len(filled):
                continue
            present[index] += len(filled)
            held = candidates[index]
            candidates[index] = _fitting(filled, held, forms[index])
            name = names[index]
            if name in chosen:
                _count_misfits(strings, chosen[name], lines, misfits[index])
                continue
            if near[index] is None and held and not candidates[index]:
                # Turned text in this batch: each kind it held fitted every value before it.
                near[index] = {kind: [0, []] for kind in NEAR_KINDS if kind in held}
            # Counted value by value while few enough values do not fit.
            for kind in list(near[index] or ()):
                _count_misfits(strings, kind, lines, near[index][kind])
                if near[index][kind][0] > NEAR_SHARE * present[index]:
                    del near[index][kind]
        rows += len(lines)
    if rows == 0:
        raise IngestError(_no_rows(header_line, sheet))
    for index, name in enumerate(names):
        if not present[index]:
            raise IngestError(
                gettext(
                    "Column {column} (“{name}”) is empty in every row, so its type cannot be inferred. "
                    "Fill it in or remove it."
                ).format(column=index + 1, name=name)
            )
    found = [next((kind for kind in kinds if _consistent(seen[kind])), "text") for kinds, seen in zip(candidates, forms)]
    kinds = [chosen.get(name, kind) for name, kind in zip(names, found)]
    memory = row_bytes = 0
    for kind, size, longest_value in zip(kinds, text_bytes, longest):
        width = _width(ARROW_TYPES[kind])
        memory += rows * (width or TEXT_OFFSET_BYTES) + (0 if width else size)
        row_bytes += width or (TEXT_OFFSET_BYTES + longest_value)
    if memory > limits.memory_bytes:
        raise _too_big(memory, limits)
    table = {
        "columns": tuple(zip(names, kinds)),
        "rows": rows,
        "row_bytes": row_bytes,
        "header_line": header_line,
        "chosen": tuple(name for name, kind, first in zip(names, kinds, found) if kind != first),
    }
    findings = Findings(
        head=tuple((line, tuple(_shown(value) for value in values)) for line, values in head),
        found=tuple(found),
        misfits=tuple(
            (count, tuple(examples)) if kind != first else (0, ())
            for (count, examples), kind, first in zip(misfits, kinds, found)
        ),
        near=tuple(
            _nearest(tried) if kind == first == "text" else () for tried, kind, first in zip(near, kinds, found)
        ),
        rows=tuple(zip(*(_stored_values(values, kind) for values, kind in zip(sample, kinds)))),
    )
    return table, findings


def _write_rows(records, layout, path, limits, sheet):
    schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in layout.columns])
    with _writer(path, schema, layout) as writer:
        row_groups = _RowGroups(writer, schema)
        _, _, _, batches = _table(records, limits, layout.header_line, sheet)
        for _, batch in batches:
            arrays = [
                _each(_strings(values), kind)[0] if name in layout.chosen else _typed(_strings(values), kind)
                for values, (name, kind) in zip(batch, layout.columns)
            ]
            row_groups.add(pa.record_batch(arrays, schema=schema))
        row_groups.flush()


def _count_misfits(strings, kind, lines, counted):
    """Adds the values that do not read as `kind` to `counted`: [count, first (line, value)s]."""
    wrong = pc.indices_nonzero(pc.invert(_fits_each(strings, kind)))
    counted[0] += len(wrong)
    for row in wrong[: max(0, MISFIT_EXAMPLES - len(counted[1]))].to_pylist():
        counted[1].append((lines[row], _shown(strings[row].as_py())))


def _nearest(tried):
    """The kind of those still tried that the fewest values do not read as: (kind, count,
    examples), or () when none is near."""
    if not tried:  # never tried (text from its first value on) or none near
        return ()
    kind = min(tried, key=lambda kind: (tried[kind][0], NEAR_KINDS.index(kind)))
    return (kind, tried[kind][0], tuple(tried[kind][1]))


def _stored_values(values, kind):
    """The values as the preview shows them stored: JSON values, None for missing."""
    strings = _strings(values)
    typed = strings if kind == "text" else _each(strings, kind)[0]
    return [_json_value(value) for value in typed.to_pylist()]


def _json_value(value):
    if isinstance(value, str):
        return _shown(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _shown(str(value))  # a Parquet file's decimals


def _shown(value):
    if value is None or len(value) <= SHOWN_CHARACTERS:
        return value
    return value[: SHOWN_CHARACTERS - 1] + "…"


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


def _table(records, limits, header_line, sheet):
    """The first rows as written, the header's line, its column names, and a generator of the
    batches of rows after it: (the line of each row, the batch's values as columns). The header
    is the row at `header_line`, one of the first rows."""
    head = list(itertools.islice(records, HEAD_RECORDS))
    if not head:
        raise _blank()
    lines = [line for line, _ in head]
    if header_line not in lines:
        raise IngestError(
            gettext("Line {line} is not one of the file's first rows that hold values ({first} to {last}).").format(
                line=header_line, first=lines[0], last=lines[-1]
            )
        )
    index = lines.index(header_line)
    header_line, header = head[index]
    rest = itertools.chain(head[index + 1 :], records)
    if sheet:
        # A sheet's rows are as wide as its widest: the header ends at its last name.
        named = [column for column, name in enumerate(header, 1) if name.strip()]
        header = header[: max(named, default=1)]
        rest = _within(rest, len(header))
    if len(header) > limits.columns:
        raise _too_many_columns(len(header), limits)
    names = _column_names(header, header_line, sheet)
    return head, header_line, names, _batches(rest, names, header_line, limits)


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
        if any(value.strip() for value in record):
            yield start, record


def _column_names(header, line, sheet):
    names = [cell.strip() for cell in header]
    seen = {}
    for column, name in enumerate(names, 1):
        if not name:
            if sheet:
                empty = gettext("Row {line}, column {column}: the column name is empty. Every column needs a name.")
            else:
                empty = gettext("Line {line}, column {column}: the column name is empty. Every column needs a name.")
            raise IngestError(empty.format(line=line, column=column))
        if name in seen:
            if sheet:
                repeated = gettext(
                    "Row {line}, column {column}: the column name “{name}” repeats column {first}. "
                    "Column names must be unique."
                )
            else:
                repeated = gettext(
                    "Line {line}, column {column}: the column name “{name}” repeats column {first}. "
                    "Column names must be unique."
                )
            raise IngestError(repeated.format(line=line, column=column, name=name, first=seen[name]))
        seen[name] = column
    return names


def _place(line, column, name, sheet):
    if sheet:
        return gettext("Row {line}, column {column} (“{name}”)").format(line=line, column=column, name=name)
    return gettext("Line {line}, column {column} (“{name}”)").format(line=line, column=column, name=name)


def _no_rows(line, sheet):
    if sheet:
        return gettext("Row {line} is the header, but no rows of data follow it.").format(line=line)
    return gettext("Line {line} is the header, but no rows of data follow it.").format(line=line)


def _batches(records, names, header_line, limits):
    width = len(names)
    lines, columns, text_bytes, rows = array.array("q"), [[] for _ in names], 0, 0
    for line, record in records:
        if len(record) > width:
            raise _MisfitRow(
                gettext(
                    "Line {line}, column {column}: this row has {values} values, "
                    "but the header (line {header}) names {width} columns."
                ).format(line=line, column=width + 1, values=len(record), header=header_line, width=width)
            )
        if len(record) < width:
            raise _MisfitRow(
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


def _fitting(values, kinds, forms):
    """The kinds, of `kinds`, that every value (none missing) reads as. Adds the forms the values
    are written in to each one's `forms`, which _consistent judges once the whole column is read."""
    fitting = {}
    for kind in kinds:
        if kind == "float" and "integer" in fitting:
            seen = fitting["integer"]  # integers read as floats too, written in the same forms
        else:
            seen = _fits(values, kind)
        if seen is not None:
            fitting[kind] = seen
            forms[kind] |= seen
    return list(fitting)


def _fits(values, kind):
    """The forms the values are written in when every one reads as `kind`, else None."""
    try:
        typed, seen = _read(values, kind)
    except pa.ArrowInvalid:  # a value in the right form that is no such thing: 2025-02-30, 24:00
        return None
    return None if typed is None else seen


def _read(values, kind):
    """The values as `kind` and the forms they were written in, or (None, None) when a value is
    in no form of `kind`. Values all in ISO form already cost one match, and values plainly not
    of the kind two: only a column in Korean forms is rewritten, a slice at a time, so that what
    a rewrite builds on its way stays small however big the batch."""
    iso = pc.match_substring_regex(values, PATTERNS[kind])
    if _every(iso):
        return pc.cast(values, ARROW_TYPES[kind]), ISO_FORMS.get(kind, set())
    if kind not in REWRITES:
        return None, None
    forms, rewrite = REWRITES[kind]
    written = pc.match_substring_regex(values, forms)
    if not _every(pc.or_(iso, written)):
        return None, None
    pieces, seen = [], set()
    for start in range(0, len(values), REWRITE_VALUES):
        piece, piece_seen = rewrite(values.slice(start, REWRITE_VALUES), written.slice(start, REWRITE_VALUES))
        if not _every(pc.match_substring_regex(piece, PATTERNS[kind])):
            return None, None
        pieces.append(pc.cast(piece, ARROW_TYPES[kind]))
        seen |= piece_seen
    return pa.chunked_array(pieces, ARROW_TYPES[kind]), seen


def _every(mask):
    return pc.all(mask, min_count=0).as_py()


def _consistent(forms):
    """Whether the forms a column's values are written in make one kind of value: an amount in
    won beside one in dollars, or 12% beside 0.3 (0.3% or 30%?), say nothing certain."""
    if {"won", "dollar"} <= forms or {"percent", "plain"} <= forms:
        return False
    if "short year" in forms:
        return "long year" not in forms and "not day first" in forms
    return True


def _typed(strings, kind):
    """The column's values (missing ones null) as the kind inspect found."""
    if kind == "text":
        return strings
    typed, _ = _read(strings, kind)
    return typed.combine_chunks() if isinstance(typed, pa.ChunkedArray) else typed


def _each(strings, kind):
    """The values as `kind` one by one, where _read takes a column whole: (the values, each one
    that does not read as `kind` missing; which values read as it, missing ones included)."""
    if kind == "text":
        return strings, pc.or_(pc.is_null(strings), True)
    candidate, good = _readable(strings, kind)
    fits = pc.or_(pc.is_null(strings), good)
    return pc.cast(pc.if_else(good, candidate, pa.scalar(None, pa.string())), ARROW_TYPES[kind]), fits


def _fits_each(strings, kind):
    """Which values read as `kind` (missing ones included), without making the typed values."""
    if kind == "text":
        return pc.or_(pc.is_null(strings), True)
    return pc.or_(pc.is_null(strings), _readable(strings, kind)[1])


def _readable(strings, kind):
    """The values in ISO form where they are written in a Korean one, and which of those are a
    value of `kind` (a day of the calendar, a time of the day); missing ones are not."""
    missing = pc.is_null(strings)
    iso = pc.fill_null(pc.match_substring_regex(strings, PATTERNS[kind]), False)
    candidate = strings
    if kind in REWRITES and not _every(pc.or_(iso, missing)):
        forms, rewrite = REWRITES[kind]
        written = pc.and_(pc.invert(iso), pc.fill_null(pc.match_substring_regex(strings, forms), False))
        if pc.any(written).as_py():
            pieces = [
                rewrite(strings.slice(start, REWRITE_VALUES), written.slice(start, REWRITE_VALUES))[0]
                for start in range(0, len(strings), REWRITE_VALUES)
            ]
            candidate = pa.concat_arrays([piece.cast(pa.string()) for piece in pieces])
    good = pc.fill_null(pc.match_substring_regex(candidate, PATTERNS[kind]), False)
    if kind in ("date", "datetime"):
        good = pc.and_(good, _is_date(pc.utf8_slice_codeunits(candidate, 0, 10)))
    if kind == "datetime":
        good = pc.and_(good, pc.fill_null(pc.match_substring_regex(candidate, VALID_TIME), False))
    return candidate, good


# Each rewrite takes a column's values and which of them are written in its Korean forms, and
# gives those back in ISO form (the others as they are, for the pattern to judge), with the
# forms it saw.


def _number(values, written):
    # NUMBER allows one sign at most, and a currency or a percent sign but not both: the number
    # is what is left between the marks, less its thousands separators.
    percent = pc.and_(written, pc.match_substring(values, "%"))
    iso = pc.binary_join_element_wise(
        pc.if_else(pc.match_substring_regex(values, "[-(△▲]"), "-", ""),
        pc.replace_substring(pc.replace_substring_regex(values, "^[^0-9]+|[^0-9]+$", ""), ",", ""),
        pc.if_else(percent, "e-2", ""),  # 12.5e-2 parses as exactly the float 0.125 does
        "",
    )
    seen = {
        "won": pc.any(pc.and_(written, pc.match_substring_regex(values, "[₩￦원]"))),
        "dollar": pc.any(pc.and_(written, pc.match_substring(values, "$"))),
        "percent": pc.any(percent),
        "plain": pc.invert(pc.all(percent)),
    }
    return pc.if_else(written, iso, values), {form for form, there in seen.items() if there.as_py()}


def _date(values, written):
    short = pc.match_substring_regex(values, SHORT_DATE)
    year, month, day = pc.extract_regex(values, DATE_PARTS).flatten()
    iso = pc.if_else(written, _iso_date(_full_year(year), month, day), values)
    seen = set()
    if pc.any(pc.and_(written, pc.invert(short))).as_py():
        seen.add("long year")
    if pc.any(short).as_py():
        seen.add("short year")
        day_first = _iso_date(_full_year(day), month, year)
        if pc.any(pc.and_(short, pc.invert(_is_date(day_first)))).as_py():
            seen.add("not day first")
    return iso, seen


def _datetime(values, written):
    # A date alone is its midnight: Excel gives a datetime cell at 00:00 as a date, so a column
    # of times may hold some; a column of dates alone is a date column all the same (date is
    # tried first).
    date_only = pc.and_(written, pc.fill_null(pc.match_substring_regex(values, f"^{DATE}$"), False))
    if pc.any(date_only).as_py():
        midnight = pc.binary_join_element_wise(_date(values, date_only)[0], " 00:00:00", "")
        written = pc.and_(written, pc.invert(date_only))
        values = pc.if_else(date_only, midnight, values)
    year, month, day, noon, hour, rest = pc.extract_regex(values, TIME_PARTS).flatten()
    hour = pc.cast(hour, pa.int32())
    twelve = pc.if_else(pc.equal(hour, 12), 0, hour)  # 오전 12:30 is 00:30, 오후 12:30 is 12:30
    hour = pc.if_else(pc.equal(noon, "오후"), pc.add(twelve, 12), pc.if_else(pc.equal(noon, "오전"), twelve, hour))
    hour = pc.utf8_lpad(pc.cast(hour, pa.string()), width=2, padding="0")
    iso = pc.binary_join_element_wise(_iso_date(year, month, day), " ", hour, ":", rest, "")
    return pc.if_else(written, iso, values), set()


def _iso_date(year, month, day):
    pad = {"width": 2, "padding": "0"}
    return pc.binary_join_element_wise(year, pc.utf8_lpad(month, **pad), pc.utf8_lpad(day, **pad), "-")


def _full_year(year):
    century = pc.if_else(pc.less(year, CENTURY_PIVOT), "20", "19")
    return pc.if_else(pc.equal(pc.utf8_length(year), 2), pc.binary_join_element_wise(century, year, ""), year)


def _is_date(iso):
    """Whether each ISO date is a day of the calendar (strptime alone would take 2025-02-30 for
    2025-03-02)."""
    parsed = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    return pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), iso), False)


# The kinds that have Korean forms: the forms' pattern, and the rewrite of a column that has them.
REWRITES = {
    "integer": (NUMBER, _number),
    "float": (NUMBER, _number),
    "date": (f"^{DATE}$|{SHORT_DATE}", _date),
    "datetime": (f"{DATETIME}|^{DATE}$", _datetime),
}
# The forms of values that are ISO already.
ISO_FORMS = {"integer": {"plain"}, "float": {"plain"}, "date": {"long year"}}


# Excel workbooks


def _inspect_workbook(f, limits, options):
    with _workbook(f) as workbook:
        sheets = _sheets(workbook)
        if options.sheet and options.sheet not in sheets:
            raise IngestError(
                gettext("The workbook has no sheet named “{sheet}”; its sheets are {sheets}.").format(
                    sheet=options.sheet, sheets=", ".join(f"“{name}”" for name in sheets)
                )
            )
        # Unless the partner chose one, the first sheet that reads as a table: a cover or a
        # summary often comes first. When none reads, the first one's trouble is the one told.
        errors = []
        for sheet in [options.sheet] if options.sheet else sheets:
            try:
                table, findings = _inspect_rows(
                    lambda: _sheet_records(workbook, sheet), limits, options, sheet=True
                )
            except IngestError as error:
                errors.append(error)
                continue
            return Layout("excel", sheet=sheet, **table), replace(findings, sheets=tuple(sheets))
        told = [error for error in errors if not isinstance(error, _BlankFile)]
        if not told:
            raise IngestError(gettext("Every sheet of this workbook is empty."))
        raise told[0]


@contextlib.contextmanager
def _workbook(f):
    """The workbook in this file. Calamine tells the format by the content, whatever the name."""
    f.seek(0)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(f)
    except python_calamine.PasswordError:
        raise IngestError(
            gettext("This workbook is protected by a password. Save it without one and upload it again.")
        ) from None
    except Exception as error:  # calamine's errors, and an archive that holds no workbook
        raise IngestError(
            gettext(
                "This file looks like an Excel workbook but cannot be read as one ({error}). "
                "Open it in Excel and save it again as .xlsx, or as CSV UTF-8."
            ).format(error=error)
        ) from None
    try:
        yield workbook
    finally:
        workbook.close()


def _sheets(workbook):
    """The names of the workbook's visible worksheets (not chart sheets), in its order."""
    return [
        sheet.name
        for sheet in workbook.sheets_metadata
        if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
        and sheet.visible == python_calamine.SheetVisibleEnum.Visible
    ]


def _sheet_records(workbook, name):
    """(row, values) of each row of the sheet that is not blank, rows numbered as Excel does and
    each value written as text (_cell_text)."""
    # Calamine gives a sheet's rows from its first (blank ones above the data included), so the
    # count is Excel's row number.
    for number, row in enumerate(workbook.get_sheet_by_name(name).iter_rows(), 1):
        values = [_cell_text(value) for value in row]
        if any(value.strip() for value in values):
            yield number, values


def _cell_text(value):
    """A cell's value written so that it reads as its kind: Excel's numbers, dates and
    true/false in their ISO form; a time of day or a duration as text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Excel stores every number as a float: a whole one is an integer.
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _within(records, width):
    """A sheet's rows cut to the header's width; a value beyond it is refused."""
    for line, values in records:
        beyond = next((column for column in range(width, len(values)) if values[column].strip()), None)
        if beyond is not None:
            raise _MisfitRow(
                gettext(
                    "Row {line}, column {column}: a value beyond the last named column; the header "
                    "names {width} columns. Name this column, or clear the cell."
                ).format(line=line, column=beyond + 1, width=width)
            )
        yield line, values[:width]


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
    layout = Layout("parquet", columns, rows, row_bytes=row_bytes)
    first = next(pq.ParquetFile(path).iter_batches(batch_size=PREVIEW_ROWS), None)
    shown = [[_json_value(value) for value in column.to_pylist()] for column in first.columns] if first else []
    findings = Findings(
        found=tuple(kind for _, kind in columns),
        misfits=tuple((0, ()) for _ in columns),
        near=tuple(() for _ in columns),
        rows=tuple(zip(*shown)),
    )
    return layout, findings


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
