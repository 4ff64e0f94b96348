"""Time an upload's two waits, as the portal's own code runs them: the preview (the file read
whole and checked in the ingest child) and the store after the partner confirms (read again and
written as Parquet), for one generated file. Peak memory is the largest resident size of the
ingest children this process ran, which is what the file cost to read.

Runs inside a django container of the bench project (`python3 - --kind xlsx --rows 100000 <
ingest_timing.py`, in the image's working directory), one process per file so that the children's
peak is that file's alone; prints one JSON object. The dataset it stores is deleted again.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time

BRANCHES = ("강남", "서초", "송파", "마포", "종로")


def rows(count: int):
    """Korean business data: a date, a branch, an amount, a share and a note."""
    start = dt.date(2025, 1, 1)
    for index in range(count):
        yield start + dt.timedelta(days=index % 365), BRANCHES[index % 5], 1_000_000 + index * 7, (index % 100) / 100, f"메모 {index}"


def write_csv(path: str, count: int) -> None:
    """The values written the Korean way, in CP949, as Korean Excel saves a CSV."""
    with open(path, "w", encoding="cp949", newline="") as out:
        out.write("거래일자,지점,매출액,비율,비고\r\n")
        for date, branch, amount, share, note in rows(count):
            out.write(f'{date:%Y.%m.%d},{branch},"{amount:,}원",{share:.0%},{note}\r\n')


def write_xlsx(path: str, count: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet, dates = book.add_worksheet("매출"), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["거래일자", "지점", "매출액", "비율", "비고"])
    for row, (date, branch, amount, share, note) in enumerate(rows(count), 1):
        sheet.write_datetime(row, 0, dt.datetime.combine(date, dt.time()), dates)
        sheet.write_row(row, 1, [branch, amount, share, note])
    book.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("csv", "xlsx"), required=True)
    parser.add_argument("--rows", type=int, required=True)
    options = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings

    from datasets import ingest
    from partners.models import Partner

    folder = tempfile.mkdtemp(dir=settings.FILE_UPLOAD_TEMP_DIR)
    path = os.path.join(folder, f"bench.{options.kind}")
    (write_csv if options.kind == "csv" else write_xlsx)(path, options.rows)
    file_bytes = os.path.getsize(path)
    partner, _ = Partner.objects.get_or_create(slug="bench-ingest", defaults={"name": "Bench ingest"})
    try:
        started = time.perf_counter()
        layout, findings = ingest.examine(path)
        previewed = time.perf_counter()
        dataset = ingest.store(path, layout, partner, name=f"bench {options.kind} {time.time_ns()}")
        stored = time.perf_counter()
        dataset.delete()
    finally:
        os.unlink(path)
        os.rmdir(folder)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({
        "kind": options.kind,
        "rows": layout.rows,
        "file_bytes": file_bytes,
        "kinds": dict(layout.columns),
        "preview_ms": (previewed - started) * 1000,
        "store_ms": (stored - previewed) * 1000,
        "peak_bytes": peak_kib * 1024,
        "child_limit_mb": settings.DATASET_INGEST_MEMORY_MB,
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
