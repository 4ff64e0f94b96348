"""Uploads are bounded while they are read (columns, rows, one value's bytes, the size in memory),
and reading runs in a child process whose death leaves the worker standing and nothing stored."""
import csv
import io
import os
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django_helpers import files_in, parquet_bytes, spooled, upload

from datasets import exports, ingest, reading
from datasets.models import Dataset

pytestmark = pytest.mark.django_db(transaction=True)


def refused(client, content, filename="data.csv"):
    """The one error the upload form shows for this file."""
    response = upload(client, content, filename=filename)
    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    return error


@pytest.fixture(autouse=True)
def nothing_left(datasets_dir, upload_dir):
    """Every upload here is refused: no row, no file in the datasets folder, no spooled upload."""
    yield
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []
    assert [name for name in files_in(upload_dir) if ".upload" in name] == []


def test_a_csv_of_100000_columns_is_refused_at_its_header(alice_client):
    content = (",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" * 100_000) + "\n").encode()

    assert refused(alice_client, content) == (
        "The file has 100,000 columns; the portal takes at most 500 (DATASET_MAX_COLUMNS)."
    )


def test_the_column_limit_is_a_setting(settings, alice_client):
    settings.DATASET_MAX_COLUMNS = 2

    assert refused(alice_client, b"a,b,c\n1,2,3\n") == (
        "The file has 3 columns; the portal takes at most 2 (DATASET_MAX_COLUMNS)."
    )


def test_rows_past_the_limit_are_refused_as_they_stream(settings, alice_client):
    settings.DATASET_MAX_ROWS = 10

    assert refused(alice_client, b"n\n" + b"1\n" * 11) == (
        "The file has more than 10 rows; the portal takes at most 10 (DATASET_MAX_ROWS)."
    )


def test_a_value_past_the_cell_limit_is_refused_as_the_csv_module_reads_it(alice_client):
    content = b"id,note\n1,short\n2," + b"x" * 65_537 + b"\n"

    assert refused(alice_client, content) == (
        "Line 3: a value of more than 65,536 bytes; "
        "the portal takes at most 65,536 bytes in one value (DATASET_MAX_CELL_BYTES)."
    )


def test_the_cell_limit_counts_utf8_bytes_not_characters(alice_client):
    # 30,000 Korean characters: well under the limit in characters, 90,000 bytes in UTF-8.
    content = "id,메모\n1,짧음\n2,".encode() + ("가" * 30_000).encode() + b"\n"

    assert refused(alice_client, content) == (
        "Line 3, column 2 (“메모”): a value of 90,000 bytes; "
        "the portal takes at most 65,536 bytes in one value (DATASET_MAX_CELL_BYTES)."
    )


def test_a_csv_over_the_memory_budget_is_refused(settings, alice_client):
    settings.DATASET_MAX_MEMORY_MB = 1
    # 150,000 integers take 8 bytes each once read: 1.1 MB.
    message = refused(alice_client, b"n\n" + b"7\n" * 150_000)

    assert message == (
        "Once read, the data takes 1.1 MB of memory; the portal takes at most 1.0 MB for one dataset "
        "(DATASET_MAX_MEMORY_MB). Upload fewer rows or columns."
    )


def zstd_parquet(table):
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def test_a_parquet_file_with_one_64_mib_string_is_refused_from_its_footer(alice_client, monkeypatch):
    content = zstd_parquet(pa.table({"x": ["a" * 2**26]}))
    assert len(content) < 100_000, "a few kilobytes on disk"
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", lambda *a, **k: pytest.fail("decoded a page"))

    assert refused(alice_client, content, "bomb.parquet") == (
        "Column 1 (“x”) holds a value longer than 65,536 bytes (64.0 MB of data for 1 value); "
        "the portal takes at most 65,536 bytes in one value (DATASET_MAX_CELL_BYTES)."
    )


def test_a_parquet_value_just_over_the_cell_limit_is_refused_with_its_row(alice_client):
    content = parquet_bytes(pa.table({"id": [1, 2], "note": ["fine", "x" * 65_537]}))

    assert refused(alice_client, content, "long.parquet") == (
        "Row 2, column 2 (“note”): a value of 65,537 bytes; "
        "the portal takes at most 65,536 bytes in one value (DATASET_MAX_CELL_BYTES)."
    )


def test_a_parquet_column_name_past_the_cell_limit_is_refused(settings, alice_client):
    settings.DATASET_MAX_CELL_BYTES = 10

    assert refused(alice_client, parquet_bytes(pa.table({"a much too long name": [1]})), "names.parquet") == (
        "Column 1: the column name: a value of 20 bytes; "
        "the portal takes at most 10 bytes in one value (DATASET_MAX_CELL_BYTES)."
    )


def test_parquet_columns_and_rows_are_refused_from_the_footer(settings, alice_client, monkeypatch):
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", lambda *a, **k: pytest.fail("decoded a page"))
    wide = parquet_bytes(pa.table({f"c{i}": [i] for i in range(501)}))
    assert refused(alice_client, wide, "wide.parquet") == (
        "The file has 501 columns; the portal takes at most 500 (DATASET_MAX_COLUMNS)."
    )

    settings.DATASET_MAX_ROWS = 1000
    long = parquet_bytes(pa.table({"n": pa.array([0] * 1001, pa.int8())}))
    assert refused(alice_client, long, "long.parquet") == (
        "The file has 1,001 rows; the portal takes at most 1,000 (DATASET_MAX_ROWS)."
    )


def test_parquet_surely_over_the_memory_budget_is_refused_from_the_footer(settings, alice_client, monkeypatch):
    settings.DATASET_MAX_MEMORY_MB = 4
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", lambda *a, **k: pytest.fail("decoded a page"))
    content = parquet_bytes(pa.table({"a": [0] * 300_000, "b": [0.0] * 300_000}))

    assert refused(alice_client, content, "big.parquet") == (
        "Once read, the data takes at least 4.6 MB of memory; the portal takes at most 4.0 MB for one "
        "dataset (DATASET_MAX_MEMORY_MB). Upload fewer rows or columns."
    )


def test_parquet_text_repeated_past_the_memory_budget_is_counted_while_decoding(settings, alice_client):
    settings.DATASET_MAX_MEMORY_MB = 2
    # One 1 KB value 5,000 times: a one-entry dictionary in the file, 5 MB once read.
    content = parquet_bytes(pa.table({"x": ["v" * 1000] * 5000}))

    message = refused(alice_client, content, "repeated.parquet")
    assert message.startswith("Once read, the data takes more than ") and "(DATASET_MAX_MEMORY_MB)" in message


def test_importdataset_is_bounded_like_an_upload(settings, acme, tmp_path):
    settings.DATASET_MAX_COLUMNS = 2
    source = tmp_path / "wide.csv"
    source.write_bytes(b"a,b,c\n1,2,3\n")

    with pytest.raises(CommandError, match=r"The file has 3 columns; the portal takes at most 2 \(DATASET_MAX_"):
        call_command("importdataset", "acme", str(source), "--name", "Wide", stdout=io.StringIO())


# The child process


@pytest.fixture
def csv_file():
    """A file as an upload spools it; the request that spooled it would remove it after."""
    path = spooled(b"city,amount\nSeoul,1\nBusan,2\n")
    yield path
    path.unlink()


def test_a_good_file_is_read_and_converted_in_a_child_process(real_child, acme, csv_file, datasets_dir, monkeypatch):
    ran = []
    real_run = ingest._run_child
    monkeypatch.setattr(ingest, "_run_child", lambda request: ran.append(request) or real_run(request))

    layout = ingest.inspect(csv_file)
    dataset = ingest.store(csv_file, layout, acme, name="Sales")

    assert len(ran) == 2, "inspect and convert each ran in a child"
    assert pq.read_table(datasets_dir / dataset.path).to_pylist() == [
        {"city": "Seoul", "amount": 1},
        {"city": "Busan", "amount": 2},
    ]
    dataset.delete()


def test_a_refusal_comes_back_from_the_child_with_its_message(real_child, settings, alice_client):
    settings.DATASET_MAX_COLUMNS = 2

    assert refused(alice_client, b"a,b,c\n1,2,3\n") == (
        "The file has 3 columns; the portal takes at most 2 (DATASET_MAX_COLUMNS)."
    )


def test_a_child_out_of_memory_is_a_clear_message(real_child, settings, alice_client):
    # Every dataset limit raised, the child's memory lowered: one 64 MiB value cannot be read.
    settings.DATASET_MAX_CELL_BYTES = 2**27
    settings.DATASET_MAX_MEMORY_MB = 1024
    settings.DATASET_INGEST_MEMORY_MB = 128

    assert refused(alice_client, zstd_parquet(pa.table({"x": ["a" * 2**26]})), "bomb.parquet") == (
        "Reading this file needs more memory than the portal gives one upload (128 MB, "
        "DATASET_INGEST_MEMORY_MB), so nothing was stored. Upload a smaller file, or one with fewer columns."
    )


# The child's own bounds, then endless computing, or waiting: what a workbook unpacking to
# gigabytes of XML, or a child stuck on something, does within the real limits.
SPIN_BOUNDED = "import sys; from datasets.child import _bound; _bound(int(sys.argv[1]), int(sys.argv[2]))\nwhile True: pass"
WAIT = "import time; time.sleep(60)"


def test_a_file_that_computes_too_long_is_stopped_with_a_clear_message(real_child, alice_client, monkeypatch):
    monkeypatch.setattr(ingest, "INGEST_CPU_SECONDS", 1)
    monkeypatch.setattr(ingest, "CHILD", [sys.executable, "-c", SPIN_BOUNDED])

    assert refused(alice_client, b"a\n1\n") == (
        "Reading this file takes longer than the portal gives one upload (1 seconds), so nothing was "
        "stored. Upload a smaller file, or save the workbook as CSV UTF-8 and upload that."
    )


def test_a_child_that_waits_too_long_is_stopped_too(real_child, alice_client, monkeypatch):
    monkeypatch.setattr(ingest, "INGEST_WALL_SECONDS", 1)
    monkeypatch.setattr(ingest, "CHILD", [sys.executable, "-c", WAIT])

    assert refused(alice_client, b"a\n1\n").startswith("Reading this file takes longer than the portal gives")


def test_a_workbook_that_would_need_terabytes_is_a_memory_refusal(real_child, alice_client, tmp_path):
    # Two cells at opposite corners of the sheet: calamine asks for the whole range at once, and
    # aborts when the child's bound refuses it.
    path = tmp_path / "corners.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write(0, 0, "a")
    sheet.write(1048575, 16383, "x")
    book.close()

    assert refused(alice_client, path.read_bytes(), "corners.xlsx") == ingest.OUT_OF_MEMORY.format(megabytes=320)


KILL_ITSELF = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
# Writes part of the Parquet file it was asked for, then dies as the OOM killer would kill it.
DIE_WRITING = (
    "import json, os, signal, sys; request = json.load(sys.stdin); "
    "open(request['target'], 'wb').write(b'PAR1 half a file'); os.kill(os.getpid(), signal.SIGKILL)"
)


def test_a_child_killed_while_reading_is_a_clear_message_and_the_worker_goes_on(real_child, alice_client, monkeypatch):
    monkeypatch.setattr(ingest, "CHILD", [sys.executable, "-c", KILL_ITSELF])

    assert refused(alice_client, b"a\n1\n") == ingest.KILLED
    monkeypatch.undo()
    assert alice_client.get("/").status_code == 200, "the process that ran it serves on"


def test_a_child_killed_while_writing_leaves_no_partial_file(real_child, acme, csv_file, datasets_dir, monkeypatch):
    layout = ingest.inspect(csv_file)
    monkeypatch.setattr(ingest, "CHILD", [sys.executable, "-c", DIE_WRITING])

    with pytest.raises(ingest.IngestError) as error:
        ingest.store(csv_file, layout, acme, name="Sales")

    assert str(error.value) == ingest.KILLED


def test_a_disk_error_in_the_child_comes_back_as_that_error(real_child, csv_file, tmp_path):
    layout = ingest.inspect(csv_file)

    with pytest.raises(FileNotFoundError):
        ingest._convert(csv_file, layout, tmp_path / "no such folder" / "out.parquet")


def test_the_child_bounds_its_own_memory_before_it_imports_anything(settings):
    """With a bound too small for pyarrow itself, the child fails while importing it: the bound
    covers all it allocates."""
    child = subprocess.run(
        [*ingest.CHILD, "48"], input="{}", capture_output=True, text=True, cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", **ingest.CHILD_ENVIRONMENT},
    )
    assert child.returncode != 0 and child.stdout == ""


def test_reading_restores_the_csv_field_limit(tmp_path):
    before = csv.field_size_limit()
    path = tmp_path / "data.csv"
    path.write_bytes(b"a\n1\n")

    reading.inspect(path, reading.Limits(columns=5, rows=5, cell_bytes=10, memory_bytes=2**20))

    assert csv.field_size_limit() == before


def test_sweepdatasets_removes_uploads_spooled_by_a_process_that_died(upload_dir):
    old, young = upload_dir / "tmpold.upload.csv", upload_dir / "tmpyoung.upload.parquet"
    slot = upload_dir / ".ingest-slot-0"
    for path in (old, young, slot):
        path.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(slot, (two_hours_ago, two_hours_ago))

    out = io.StringIO()
    call_command("sweepdatasets", stdout=out)

    assert "1 stray file(s)" in out.getvalue()
    assert sorted(path.name for path in upload_dir.iterdir()) == [".ingest-slot-0", "tmpyoung.upload.parquet"]
    young.unlink()


def test_a_stored_dataset_of_long_rows_is_exported_in_small_batches(tmp_path):
    # 1,000 values of 60 KB: within every limit, 57 MB once read; 10,000-row batches would hold it all.
    path = tmp_path / "long.parquet"
    pq.write_table(pa.table({"note": ["x" * 60_000] * 1000}), path, use_dictionary=False, compression="zstd")

    chunks = [len(chunk) for chunk in exports.csv_chunks(path)]

    assert sum(chunks) > 60_000_000 and max(chunks) < 2 * exports.EXPORT_BATCH_BYTES
    assert 0 < len(exports.preview(path, rows=500)) < 500, "no more than about EXPORT_BATCH_BYTES shown"
