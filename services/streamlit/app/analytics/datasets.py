"""Reading a partner's Parquet files: only from the partner's own folder, once per version.

Loaded data lives in st.cache_resource: one immutable polars frame per (path, version), shared
read-only by every session of the replica. st.cache_data would hand each caller its own
unpickled copy, so memory would grow with every concurrent rerun. Nothing here mutates a loaded
frame; every page works on frame.lazy() and collects only small results.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl
import pyarrow as pa
import streamlit as st

from analytics import profile

log = logging.getLogger(__name__)

# A 1,000,000-row dataset of a dozen columns takes roughly 100 MB in memory: a handful of
# datasets per replica stays well inside a container's memory limit.
CACHED_DATASETS = 4

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$"
_DATE_SNIFF_ROWS = 200


class DatasetError(Exception):
    """A dataset cannot be shown; the message is meant for the partner."""


class PathRefused(DatasetError):
    pass


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
        f"The dataset's file {relative!r} is outside your folder, so it was not opened."
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


def read(path: Path) -> LoadedDataset:
    """Read and profile one Parquet file (no caching). Raises DatasetError; the details go to
    the log, not to the partner."""
    try:
        frame = pl.read_parquet(path)
    except FileNotFoundError as error:
        log.warning("dataset file missing: %s", path)
        raise DatasetError(
            "Its file is missing from the dataset store. Please upload it again in the portal."
        ) from error
    except (OSError, pl.exceptions.PolarsError, pa.ArrowException) as error:
        log.warning("dataset file unreadable: %s: %s", path, error)
        raise DatasetError(
            "Its file could not be read as Parquet: it may be damaged. "
            "Please upload it again in the portal."
        ) from error
    frame = normalise(frame)
    return LoadedDataset(frame=frame, profile=profile.build(frame))


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """Make the columns mean what they hold: NaN counts as missing, decimals are analysed as
    floats, and text columns holding nothing but ISO dates become dates (uploads from CSV often
    carry dates as text)."""
    changes: list[pl.Expr | pl.Series] = []
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            changes.append(pl.col(name).fill_nan(None))
        elif dtype.is_decimal():
            changes.append(pl.col(name).cast(pl.Float64))
        elif dtype == pl.String:
            parsed = _as_dates(frame.get_column(name))
            if parsed is not None:
                changes.append(parsed)
    return frame.with_columns(changes) if changes else frame


def _as_dates(column: pl.Series) -> pl.Series | None:
    sniff = column.drop_nulls().head(_DATE_SNIFF_ROWS)
    if sniff.is_empty():
        return None
    if sniff.str.contains(_ISO_DATE).all():
        parsed = column.str.to_date("%Y-%m-%d", strict=False)
    elif sniff.str.contains(_ISO_DATETIME).all():
        parsed = column.str.to_datetime(strict=False)
    else:
        return None
    # Only when every value parsed: a column that is mostly dates keeps its text.
    return parsed if parsed.null_count() == column.null_count() else None


@st.cache_resource(max_entries=CACHED_DATASETS, show_spinner="Loading the dataset…")
def _cached_read(path: str, version: str) -> LoadedDataset:
    return read(Path(path))


_loaded_versions: dict[str, str] = {}
_loaded_versions_lock = threading.Lock()


def load(datasets_dir: Path, partner: str, relative: str, version: str) -> LoadedDataset:
    """A partner's dataset, from the shared cache. A new version of a file is a new cache key;
    the old version's entry is dropped at once rather than waiting to age out."""
    path = str(resolve_path(datasets_dir, partner, relative))
    with _loaded_versions_lock:
        stale = _loaded_versions.get(path)
        _loaded_versions[path] = version
    if stale is not None and stale != version:
        _cached_read.clear(path, stale)
    return _cached_read(path, version)
