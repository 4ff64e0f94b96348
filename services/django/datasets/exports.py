"""What the portal hands back out of a stored dataset: the CSV download and the page's preview.

Anything exported is opened in a spreadsheet sooner or later, where a cell starting with = + - @
runs as a formula (CSV injection). Such text cells leave here with a leading apostrophe, which
spreadsheets read as "this is text".
"""
import csv
import io
import re

import pyarrow.parquet as pq

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number is not a formula; "-5" stays a number in the spreadsheet.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
EXPORT_BATCH_ROWS = 10_000
# A dataset is bounded as a whole (DATASET_MAX_MEMORY_MB), not row by row: rows of long values
# would make EXPORT_BATCH_ROWS of them hundreds of MB in a worker. A batch stays near this size.
EXPORT_BATCH_BYTES = 8 * 2**20


def defuse_formula(value):
    """The value, with an apostrophe in front if a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_chunks(path):
    """The stored file as CSV text, in chunks for a streaming response.

    UTF-8 with a byte-order mark, so Korean Excel opens it with the right encoding."""
    parquet = pq.ParquetFile(path)
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow([defuse_formula(name) for name in parquet.schema_arrow.names])
    for batch in parquet.iter_batches(batch_size=_batch_rows(parquet, EXPORT_BATCH_ROWS)):
        columns = [column.to_pylist() for column in batch.columns]
        writer.writerows([defuse_formula(value) for value in row] for row in zip(*columns))
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()


def preview(path, rows=20):
    """The first rows of the stored file (fewer when they are long), as lists of values, for the
    dataset's page."""
    parquet = pq.ParquetFile(path)
    batch = next(parquet.iter_batches(batch_size=_batch_rows(parquet, rows)), None)
    if batch is None:
        return []
    return [list(row) for row in zip(*(column.to_pylist() for column in batch.columns))]


def _batch_rows(parquet, most):
    """Rows per batch, at most `most`, so that a batch stays near EXPORT_BATCH_BYTES: the portal
    stores text plain, so a row group's stored size over its rows is what a row takes once read."""
    metadata = parquet.metadata
    groups = [metadata.row_group(index) for index in range(metadata.num_row_groups)]
    row_bytes = max((group.total_byte_size / max(1, group.num_rows) for group in groups), default=1)
    return max(1, min(most, int(EXPORT_BATCH_BYTES // max(1, row_bytes))))
