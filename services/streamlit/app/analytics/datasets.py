"""Reading a partner's Parquet files: only from the partner's own folder, within the dataset
limits, once per version.

Loaded data lives in this module's cache: one immutable polars frame per (path, version), shared
read-only by every session of the replica. st.cache_data would hand each caller its own
unpickled copy, so memory would grow with every concurrent rerun; st.cache_resource is emptied
for every partner by any session's clear_cache message, and its one bound for the whole replica
lets one partner's loads evict another's. Nothing here mutates a loaded frame; every page works
on frame.lazy() and collects only small results.

A file over a limit is refused before it is loaded: its footer first (rows, columns, and sizes
that are surely too big), then its pages in small batches, text read as dictionaries so that
nothing big is built, counting each value's length and the size in memory the way the portal's
ingest counts it (services/django/datasets/reading.py): a dataset the portal took loads here.

Each column's type is the one the file stores, which the portal's ingest decided: nothing here
works a type out again from the values, so a column stored as text stays text.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analytics import profile
from analytics.i18n import lazy_
from analytics.settings import DatasetLimits

log = logging.getLogger(__name__)

# Datasets kept per partner. Loading a dataset evicts only the partner's own least recently used
# one, so no partner can push another's data out. A replica took up to about 5 times a dataset's
# size (as DATASET_MAX_MEMORY_MB counts it) while loading text-heavy data, 2 to 3 times for
# numbers, and less than that once it was loaded (the README has the figures).
CACHED_PER_PARTNER = 2
# Values, and bytes, decoded in one batch while a file is checked.
CHECK_BATCH_VALUES = 500_000
CHECK_BATCH_BYTES = 16 * 2**20
# As in the portal's ingest: text at a 4-byte offset plus its bytes; what Parquet stores beside
# the values (levels, page headers) that decoding does not keep, per value and per file.
TEXT_OFFSET_BYTES = 4
PARQUET_OVERHEAD_PER_VALUE = 1
PARQUET_OVERHEAD_BYTES = 2**20


class DatasetError(Exception):
    """A dataset cannot be shown; the message is meant for the partner."""


class PathRefused(DatasetError):
    pass


class DatasetTooBig(DatasetError):
    """A dataset over one of the limits; the message names it."""


@dataclass(frozen=True)
class LoadedDataset:
    frame: pl.DataFrame
    profile: profile.Profile

    def lazy(self) -> pl.LazyFrame:
        return self.frame.lazy()


def resolve_path(datasets_dir: Path, partner: str, relative: str) -> Path:
    """The file a catalog path names, refused unless it lies inside the partner's folder.

    The path is resolved (symlinks followed) before the check, so a link pointing out of the
    folder is refused as firmly as '..' or an absolute path.
    """
    refused = PathRefused(
        lazy_("The dataset's file {relative!r} is outside your folder, so it was not opened.", relative=relative)
    )
    parts = PurePosixPath(relative)
    if not relative or "\0" in relative or parts.is_absolute() or ".." in parts.parts:
        raise refused
    root = datasets_dir.resolve()
    folder = (root / partner).resolve()
    if folder.parent != root:
        raise refused
    target = (root / parts).resolve()
    if not target.is_relative_to(folder) or target == folder:
        raise refused
    return target


def read(path: Path, limits: DatasetLimits) -> LoadedDataset:
    """Check, read and profile one Parquet file (no caching). Raises DatasetError; the details go
    to the log, not to the partner."""
    try:
        check(path, limits)
        frame = pl.read_parquet(path)
    except DatasetTooBig as error:
        log.warning("dataset refused: %s: %s", path, error)
        raise
    except FileNotFoundError as error:
        log.warning("dataset file missing: %s", path)
        raise DatasetError(
            lazy_("Its file is missing from the dataset store. Please upload it again in the portal.")
        ) from error
    except (OSError, pl.exceptions.PolarsError, pa.ArrowException) as error:
        log.warning("dataset file unreadable: %s: %s", path, error)
        raise DatasetError(
            lazy_(
                "Its file could not be read as Parquet: it may be damaged. "
                "Please upload it again in the portal."
            )
        ) from error
    frame = normalise(frame)
    return LoadedDataset(frame=frame, profile=profile.build(frame))


def check(path: Path, limits: DatasetLimits) -> None:
    """Raises DatasetTooBig when the file is over a limit, building nothing big to find out."""
    parquet = pq.ParquetFile(path)
    metadata, schema = parquet.metadata, parquet.schema_arrow
    if metadata.num_columns > limits.columns:
        raise DatasetTooBig(
            lazy_(
                "It has {columns} columns; the analytics take at most {limit} (DATASET_MAX_COLUMNS).",
                columns=f"{metadata.num_columns:,}", limit=f"{limits.columns:,}",
            )
        )
    groups = [metadata.row_group(index) for index in range(metadata.num_row_groups)]
    rows = max(metadata.num_rows, sum(group.num_rows for group in groups))
    if rows > limits.rows:
        raise _too_many_rows(rows, limits)
    fixed = sum(rows * (_width(field.type) or TEXT_OFFSET_BYTES) for field in schema)
    stored = sum(group.total_byte_size for group in groups)
    floor = max(fixed, stored - rows * len(schema) * PARQUET_OVERHEAD_PER_VALUE - PARQUET_OVERHEAD_BYTES)
    if floor > limits.memory_bytes:
        raise _too_big(floor, limits, "at least ")
    # A column's stored bytes hold each of its values at least once: more bytes than values at
    # the limit can hold means some value is longer.
    ceiling = limits.cell_bytes + TEXT_OFFSET_BYTES + PARQUET_OVERHEAD_PER_VALUE
    for group in groups:
        for index in range(group.num_columns):
            chunk = group.column(index)
            if chunk.total_uncompressed_size > chunk.num_values * ceiling + PARQUET_OVERHEAD_BYTES:
                raise DatasetTooBig(
                    lazy_(
                        "Its column “{column}” holds a value longer than {limit} bytes; the analytics take "
                        "at most {limit} bytes in one value (DATASET_MAX_CELL_BYTES).",
                        column=chunk.path_in_schema, limit=f"{limits.cell_bytes:,}",
                    )
                )
    memory, seen = 0, 0
    for batch in _batches(path, parquet.metadata, schema):
        for field, column in zip(schema, batch.columns):
            width = _width(field.type)
            if width is not None:
                memory += width * len(column) if width else column.nbytes
                continue
            lengths = _text_lengths(column)
            longest = pc.max(lengths).as_py() or 0
            if longest > limits.cell_bytes:
                row = seen + pc.indices_nonzero(pc.greater(lengths, limits.cell_bytes))[0].as_py() + 1
                raise DatasetTooBig(
                    lazy_(
                        "Row {row} of its column “{column}” holds a value of {size} bytes; the analytics "
                        "take at most {limit} bytes in one value (DATASET_MAX_CELL_BYTES).",
                        row=f"{row:,}", column=field.name, size=f"{longest:,}", limit=f"{limits.cell_bytes:,}",
                    )
                )
            memory += TEXT_OFFSET_BYTES * len(column) + (pc.sum(lengths).as_py() or 0)
        seen += batch.num_rows
        if seen > limits.rows:
            raise _too_many_rows(seen, limits)
        if memory > limits.memory_bytes:
            raise _too_big(memory, limits, "more than ")


def _batches(path: Path, metadata: pq.FileMetaData, schema: pa.Schema):
    """The file's rows in batches of about CHECK_BATCH_BYTES each, sized row group by row group
    from the footer as the portal's ingest sizes them. Text stored with a dictionary is read as
    one (an index per row, whatever its values' length): a dictionary can repeat one long value in
    every row, and decoding that would build what the check is meant to refuse. Text stored plain
    (as the portal stores it) takes its chunk's average size."""
    # The Arrow type of each stored column, where there is one per column (no nested values).
    flat = metadata.num_columns == len(schema)
    types = schema.types if flat else [pa.binary()] * metadata.num_columns
    groups = [metadata.row_group(index) for index in range(metadata.num_row_groups)]
    dictionaries = {
        schema.names[column] for column, arrow_type in enumerate(types) if flat and _width(arrow_type) is None
        and any(group.column(column).has_dictionary_page for group in groups)
    }
    parquet = pq.ParquetFile(path, read_dictionary=sorted(dictionaries))
    for index, group in enumerate(groups):
        row_bytes = 0
        for column, arrow_type in enumerate(types):
            chunk, width = group.column(column), _width(arrow_type)
            if width is not None:
                row_bytes += width or TEXT_OFFSET_BYTES
            elif flat and schema.names[column] in dictionaries:
                row_bytes += TEXT_OFFSET_BYTES
            else:
                row_bytes += TEXT_OFFSET_BYTES + chunk.total_uncompressed_size // max(1, chunk.num_values)
        rows = min(CHECK_BATCH_VALUES // max(1, group.num_columns), CHECK_BATCH_BYTES // max(1, row_bytes))
        yield from parquet.iter_batches(batch_size=max(1, rows), row_groups=[index])


def _too_many_rows(rows: int, limits: DatasetLimits) -> DatasetTooBig:
    return DatasetTooBig(
        lazy_(
            "It has {rows} rows; the analytics take at most {limit} (DATASET_MAX_ROWS).",
            rows=f"{rows:,}", limit=f"{limits.rows:,}",
        )
    )


def _too_big(size: int, limits: DatasetLimits, qualifier: str) -> DatasetTooBig:
    values = {"size": f"{size / 2**20:,.1f}", "limit": f"{limits.memory_bytes / 2**20:,.1f}"}
    if qualifier == "at least ":
        return DatasetTooBig(lazy_(
            "Once read, it takes at least {size} MB of memory; the analytics take at most {limit} MB "
            "for one dataset (DATASET_MAX_MEMORY_MB).", **values,
        ))
    return DatasetTooBig(lazy_(
        "Once read, it takes more than {size} MB of memory; the analytics take at most {limit} MB "
        "for one dataset (DATASET_MAX_MEMORY_MB).", **values,
    ))


def _width(arrow_type: pa.DataType) -> int | None:
    """Bytes one value of this type takes in memory (a boolean counts one), None for text, 0 when
    it has no fixed width (nested values, counted as Arrow holds them)."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    text = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view, pa.types.is_binary,
            pa.types.is_large_binary, pa.types.is_binary_view)
    if any(is_text(arrow_type) for is_text in text):
        return None
    try:
        return max(1, arrow_type.bit_width // 8)
    except ValueError:
        return 0


def _text_lengths(column: pa.Array) -> pa.Array:
    """Each value's length in bytes, without decoding a dictionary."""
    if pa.types.is_dictionary(column.type):
        return pc.take(pc.binary_length(column.dictionary), column.indices)
    return pc.binary_length(column)


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """The stored columns made fit to compute with, each keeping its kind: NaN counts as missing
    (pandas writes missing numbers as NaN, which polars would take for a value in means, bounds
    and filters), and decimals are analysed as floats (a range slider takes no Decimal bounds,
    and a float is precise enough for statistics and charts)."""
    changes = []
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            changes.append(pl.col(name).fill_nan(None))
        elif dtype.is_decimal():
            changes.append(pl.col(name).cast(pl.Float64))
    return frame.with_columns(changes) if changes else frame


class DatasetCache:
    """Loaded datasets, at most `per_partner` of each partner's, least recently used out first.

    Concurrent first loads of one (path, version) read it once: the others wait for that read.
    A new version of a file replaces the old one at once. A refusal for being over a limit is
    kept like a dataset (its message), so a partner's reruns do not check a big file again and
    again.
    """

    def __init__(self, per_partner: int) -> None:
        self._per_partner = per_partner
        self._lock = threading.Lock()
        # partner -> path -> (version, the dataset or the message that refused it)
        self._entries: dict[str, OrderedDict[str, tuple[str, LoadedDataset | str]]] = {}
        self._loading: dict[tuple[str, str], Future] = {}

    def get(self, partner: str, path: str, version: str, read: Callable[[], LoadedDataset]) -> LoadedDataset:
        with self._lock:
            entries = self._entries.setdefault(partner, OrderedDict())
            found = entries.get(path)
            if found is not None and found[0] == version:
                entries.move_to_end(path)
                return _unwrap(found[1])
            if found is not None:
                del entries[path]
            pending = self._loading.get((path, version))
            loads = pending is None
            if loads:
                pending = self._loading[(path, version)] = Future()
        if not loads:
            return _unwrap(pending.result())
        try:
            kept: LoadedDataset | str = read()
        except DatasetTooBig as refused:
            # The message itself, not its text: each session reads it in its own language.
            kept = refused.args[0]
        except BaseException as error:
            with self._lock:
                del self._loading[(path, version)]
            pending.set_exception(error)
            raise
        with self._lock:
            del self._loading[(path, version)]
            entries = self._entries.setdefault(partner, OrderedDict())
            entries[path] = (version, kept)
            entries.move_to_end(path)
            while len(entries) > self._per_partner:
                entries.popitem(last=False)
        pending.set_result(kept)
        return _unwrap(kept)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _unwrap(kept: LoadedDataset | str) -> LoadedDataset:
    if isinstance(kept, str):
        raise DatasetTooBig(kept)
    return kept


cache = DatasetCache(CACHED_PER_PARTNER)


def load(
    datasets_dir: Path,
    partner: str,
    relative: str,
    version: str,
    limits: DatasetLimits,
    fetch: Callable[[Path], None] | None = None,
) -> LoadedDataset:
    """A partner's dataset, from the shared cache. `fetch` puts this replica's copy of the file in
    place (from the portal, over the internal network) when it has none yet; a fetch that fails
    is logged, and the dataset is then missing like a lost file."""
    path = resolve_path(datasets_dir, partner, relative)

    def read_copy() -> LoadedDataset:
        if fetch is not None and not path.exists():
            try:
                fetch(path)
            except Exception as error:  # the partner reads "missing"; ops read why in the log
                log.warning("dataset file not fetched: %s: %s", path, error)
        return read(path, limits)

    return cache.get(partner, str(path), version, read_copy)


def keep_only(datasets_dir: Path, partner: str, relatives: set[str]) -> None:
    """Remove this replica's copies of the partner's files that its catalog no longer names: a
    new version (a new file) replaces the old copy."""
    folder = datasets_dir / partner
    wanted = {resolve_path(datasets_dir, partner, relative) for relative in relatives}
    for copy in folder.glob("*.parquet") if folder.is_dir() else ():
        if copy.resolve() not in wanted:
            copy.unlink(missing_ok=True)
