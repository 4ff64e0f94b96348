"""Reading datasets: only inside the partner's folder, within the dataset limits, clear errors,
one load per version, kept per partner where no session can clear them."""
from __future__ import annotations

import datetime as dt
import os
import threading
from types import SimpleNamespace

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import streamlit as st
from streamlit.runtime.app_session import AppSession

from analytics import datasets, profile, settings
from analytics.settings import DatasetLimits
from analytics_support import TOKEN, catalog_payload, dataset_entry, sales_frame, write

LIMITS = DatasetLimits()


def test_a_path_inside_the_partners_folder_resolves(store):
    path = write(store, "acme/2024/sales.parquet", sales_frame())
    assert datasets.resolve_path(store, "acme", "acme/2024/sales.parquet") == path.resolve()


@pytest.mark.parametrize(
    "relative",
    [
        "globex/sales.parquet",
        "acme/../globex/sales.parquet",
        "acme/../acme/sales.parquet",  # lands inside, but catalog paths are plain: refused all the same
        "../outside.parquet",
        "/etc/passwd",
        "acme",
        "acme/",
        "",
        "acme/sales\0.parquet",
        "acme-other/sales.parquet",
    ],
)
def test_paths_outside_the_partners_folder_are_refused(store, relative):
    write(store, "globex/sales.parquet", sales_frame())
    with pytest.raises(datasets.PathRefused, match="outside your folder"):
        datasets.resolve_path(store, "acme", relative)


def test_a_symlink_out_of_the_folder_is_refused(store, tmp_path):
    (store / "acme").mkdir()
    outside = write(tmp_path, "elsewhere/secret.parquet", sales_frame())
    os.symlink(outside, store / "acme" / "link.parquet")
    with pytest.raises(datasets.PathRefused):
        datasets.resolve_path(store, "acme", "acme/link.parquet")


def test_a_partner_folder_that_is_a_symlink_elsewhere_is_refused(store, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, "sales.parquet", sales_frame())
    os.symlink(elsewhere, store / "acme")
    with pytest.raises(datasets.PathRefused):
        datasets.resolve_path(store, "acme", "acme/sales.parquet")


def test_a_symlink_inside_the_folder_is_followed(store):
    target = write(store, "acme/real.parquet", sales_frame())
    os.symlink(target, store / "acme" / "alias.parquet")
    assert datasets.resolve_path(store, "acme", "acme/alias.parquet") == target.resolve()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing"),
        (b"", "could not be read as Parquet"),
        (b"PAR1garbagePAR1", "could not be read as Parquet"),
    ],
)
def test_unreadable_files_raise_a_dataset_error(tmp_path, content, message):
    path = tmp_path / "data.parquet"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(datasets.DatasetError, match=message):
        datasets.read(path, LIMITS)


def test_a_truncated_file_raises_a_dataset_error(tmp_path):
    path = write(tmp_path, "whole.parquet", sales_frame())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(datasets.DatasetError):
        datasets.read(path, LIMITS)


def test_normalise_treats_nan_as_missing_and_decimals_as_floats_and_infers_no_type():
    frame = pl.DataFrame(
        {
            "x": [1.0, float("nan"), None],
            "day": ["2024-01-02", None, "2024-03-04"],
            "money": pl.Series(["1.50", "2.25", None]).cast(pl.Decimal(10, 2)),
        }
    )
    out = datasets.normalise(frame)
    assert out["x"].null_count() == 2
    assert out.schema["money"] == pl.Float64
    assert out["day"].to_list() == ["2024-01-02", None, "2024-03-04"], "text stays text, however it looks"


def stored(path, columns: dict[str, pa.Array]):
    """A Parquet file with exactly these columns and types."""
    pq.write_table(pa.table(columns), path)
    return path


def test_a_dataset_is_analysed_with_the_types_its_file_stores(tmp_path):
    path = stored(
        tmp_path / "typed.parquet",
        {
            "day": pa.array([dt.date(2024, 1, 2), dt.date(2024, 1, 3)], pa.date32()),
            "at": pa.array([dt.datetime(2024, 1, 2, 9, 30), None], pa.timestamp("us")),
            "units": pa.array([1, 2], pa.int64()),
            "price": pa.array([1.5, None], pa.float64()),
            "paid": pa.array([True, False], pa.bool_()),
            "region": pa.array(["north", "south"], pa.string()),
            # Text that only looks like dates: a Parquet file may store dates as text, and so they stay.
            "as_text": pa.array(["2024-01-02", "2024-01-03"], pa.string()),
        },
    )

    loaded = datasets.read(path, LIMITS)

    assert loaded.frame.schema == pl.Schema(
        {"day": pl.Date, "at": pl.Datetime("us"), "units": pl.Int64, "price": pl.Float64, "paid": pl.Boolean,
         "region": pl.String, "as_text": pl.String}
    )
    kinds = {column.name: column.kind for column in loaded.profile.columns}
    assert kinds == {"day": "date", "at": "date", "units": "number", "price": "number", "paid": "category",
                     "region": "category", "as_text": "category"}
    assert loaded.profile.names(profile.DATE) == ["day", "at"]
    assert loaded.profile.column("as_text").values == ("2024-01-02", "2024-01-03")


@pytest.fixture
def reads(monkeypatch):
    """The paths datasets.read is asked to read, in order."""
    seen = []
    real_read = datasets.read
    monkeypatch.setattr(datasets, "read", lambda path, limits: seen.append(path.name) or real_read(path, limits))
    return seen


def load(store, partner, name, version="v1", limits=LIMITS):
    return datasets.load(store, partner, f"{partner}/{name}", version, limits)


def test_a_loaded_dataset_is_shared_and_a_new_version_replaces_it(store, reads):
    write(store, "acme/sales.parquet", sales_frame())

    first = load(store, "acme", "sales.parquet")
    again = load(store, "acme", "sales.parquet")
    assert again is first, "one shared object, not a copy per caller"
    assert len(reads) == 1

    write(store, "acme/sales.parquet", sales_frame().head(5))
    newer = load(store, "acme", "sales.parquet", "v2")
    assert newer.profile.rows == 5
    assert len(reads) == 2

    load(store, "acme", "sales.parquet", "v1")
    assert len(reads) == 3, "the old version was dropped from the cache, not kept"


def test_loading_refuses_before_reading(store, monkeypatch):
    monkeypatch.setattr(datasets, "read", lambda path, limits: pytest.fail("read a refused path"))
    with pytest.raises(datasets.PathRefused):
        datasets.load(store, "acme", "../etc/passwd", "v1", LIMITS)


# The cache: per partner, and out of every session's reach


def test_a_partner_loading_more_evicts_only_its_own_datasets(store, reads):
    for partner, name in [("acme", "a1"), ("acme", "a2"), ("globex", "g1"), ("acme", "a3")]:
        write(store, f"{partner}/{name}.parquet", sales_frame())
        load(store, partner, f"{name}.parquet")
    assert reads == ["a1.parquet", "a2.parquet", "g1.parquet", "a3.parquet"]

    load(store, "globex", "g1.parquet")
    load(store, "acme", "a3.parquet")
    load(store, "acme", "a2.parquet")
    assert len(reads) == 4, "globex's dataset and acme's two latest stayed"
    load(store, "acme", "a1.parquet")
    assert reads[4:] == ["a1.parquet"], "acme's least recently used one made room"
    assert datasets.CACHED_PER_PARTNER == 2


def test_clearing_streamlits_caches_leaves_the_datasets_loaded(store, reads):
    write(store, "acme/sales.parquet", sales_frame())
    first = load(store, "acme", "sales.parquet")

    # What the server runs when any session's websocket sends a clear_cache message.
    AppSession._handle_clear_cache_request(SimpleNamespace(_session_state={}))
    st.cache_resource.clear()
    st.cache_data.clear()

    assert load(store, "acme", "sales.parquet") is first
    assert len(reads) == 1


def test_concurrent_first_loads_of_one_version_read_it_once(store, monkeypatch):
    write(store, "acme/sales.parquet", sales_frame())
    sessions = 6
    entered, release, reads = [], threading.Event(), []
    real_read, real_resolve = datasets.read, datasets.resolve_path

    def slow_read(path, limits):
        reads.append(path)
        assert release.wait(timeout=30), "the other sessions never all arrived"
        return real_read(path, limits)

    def counted_resolve(*args):
        entered.append(threading.get_ident())
        return real_resolve(*args)

    monkeypatch.setattr(datasets, "read", slow_read)
    monkeypatch.setattr(datasets, "resolve_path", counted_resolve)
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(load(store, "acme", "sales.parquet")))
               for _ in range(sessions)]
    for thread in threads:
        thread.start()
    while len(entered) < sessions:  # every session is on its way into the cache
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=30)

    assert len(reads) == 1
    assert len(loaded) == sessions and all(data is loaded[0] for data in loaded)


# The limits


def parquet(path, table, **options):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **options)
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if a page of any file is decoded."""
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", lambda *a, **k: pytest.fail("decoded a page"))
    monkeypatch.setattr(pl, "read_parquet", lambda *a, **k: pytest.fail("read the file"))


def refusal(path, limits=LIMITS):
    with pytest.raises(datasets.DatasetTooBig) as refused:
        datasets.read(path, limits)
    return str(refused.value)


def test_a_value_over_the_cell_limit_in_the_footer_is_refused_before_decoding(tmp_path, no_decoding):
    # pyarrow compresses one 64 MiB string to a few kilobytes.
    path = parquet(tmp_path / "bomb.parquet", pa.table({"x": ["a" * 2**26]}), compression="zstd")
    assert path.stat().st_size < 100_000

    assert refusal(path) == (
        "Its column “x” holds a value longer than 65,536 bytes; "
        "the analytics take at most 65,536 bytes in one value (DATASET_MAX_CELL_BYTES)."
    )


def test_a_value_just_over_the_cell_limit_is_refused_with_its_row(tmp_path):
    path = parquet(tmp_path / "long.parquet", pa.table({"id": [1, 2, 3], "note": ["ok", "x" * 65_537, None]}))

    assert refusal(path) == (
        "Row 2 of its column “note” holds a value of 65,537 bytes; "
        "the analytics take at most 65,536 bytes in one value (DATASET_MAX_CELL_BYTES)."
    )


def test_too_many_columns_are_refused_from_the_footer(tmp_path, no_decoding):
    path = parquet(tmp_path / "wide.parquet", pa.table({f"c{i}": [i] for i in range(501)}))

    assert refusal(path) == "It has 501 columns; the analytics take at most 500 (DATASET_MAX_COLUMNS)."


def test_too_many_rows_are_refused_from_the_footer(tmp_path, no_decoding):
    path = parquet(tmp_path / "long.parquet", pa.table({"n": pa.array([0] * 1001, pa.int8())}))

    assert refusal(path, DatasetLimits(rows=1000)) == (
        "It has 1,001 rows; the analytics take at most 1,000 (DATASET_MAX_ROWS)."
    )


def test_a_dataset_surely_over_the_memory_budget_is_refused_from_the_footer(tmp_path, no_decoding):
    # 300,000 rows of two 8-byte numbers are 4.6 MB in memory, whatever the file's compression.
    path = parquet(tmp_path / "big.parquet", pa.table({"a": [0] * 300_000, "b": [0.0] * 300_000}))

    assert refusal(path, DatasetLimits(memory_bytes=2**22)) == (
        "Once read, it takes at least 4.6 MB of memory; "
        "the analytics take at most 4.0 MB for one dataset (DATASET_MAX_MEMORY_MB)."
    )


def test_text_repeated_past_the_memory_budget_is_counted_without_being_built(tmp_path):
    # One distinct 1 KB value a few thousand times: a dictionary of one entry in the file, 4 MB
    # once decoded. The footer cannot tell; the batches count it.
    path = parquet(tmp_path / "repeated.parquet", pa.table({"x": ["v" * 1000] * 5000}))
    assert pq.ParquetFile(path).metadata.row_group(0).total_byte_size < 100_000

    message = refusal(path, DatasetLimits(memory_bytes=2**21))
    assert message.startswith("Once read, it takes more than ") and "(DATASET_MAX_MEMORY_MB)" in message


def test_a_dataset_within_every_limit_loads(tmp_path):
    frame = sales_frame()
    path = write(tmp_path, "sales.parquet", frame)
    assert datasets.read(path, DatasetLimits(rows=60, columns=5, cell_bytes=10)).frame.height == 60


def test_a_refusal_is_kept_like_a_dataset(store, monkeypatch):
    write(store, "acme/sales.parquet", sales_frame())
    checks = []
    real_check = datasets.check
    monkeypatch.setattr(datasets, "check", lambda path, limits: checks.append(path) or real_check(path, limits))

    for _ in range(3):
        with pytest.raises(datasets.DatasetTooBig, match="DATASET_MAX_ROWS"):
            load(store, "acme", "sales.parquet", limits=DatasetLimits(rows=10))
    assert len(checks) == 1


def test_the_page_says_why_a_dataset_over_a_limit_is_not_shown(app, portal, monkeypatch):
    monkeypatch.setenv("DATASET_MAX_ROWS", "10")
    settings.get.cache_clear()
    portal.payloads["acme"] = catalog_payload([dataset_entry("1", "Sales", "acme/sales.parquet")])

    app.run()

    assert not app.exception
    assert app.error[0].value == (
        "The dataset “Sales” cannot be shown. It has 60 rows; the analytics take at most 10 (DATASET_MAX_ROWS)."
    )
    assert not app.dataframe


@pytest.mark.parametrize("name", ["DATASET_MAX_COLUMNS", "DATASET_MAX_ROWS", "DATASET_MAX_CELL_BYTES",
                                  "DATASET_MAX_MEMORY_MB"])
@pytest.mark.parametrize("value", ["0", "-1", "many", "1.5"])
def test_a_malformed_limit_is_refused_by_name(name, value):
    # The schema's own words: "must be a whole number", or the bounds it must be within.
    with pytest.raises(settings.SettingsError, match=f"^{name} must be (a whole number|between 1 and|at least 1)"):
        settings.load({"INTERNAL_API_TOKEN": TOKEN, name: value})


def test_the_limits_come_from_the_environment_with_defaults():
    assert settings.load({"INTERNAL_API_TOKEN": TOKEN}).dataset_limits == DatasetLimits(500, 5_000_000, 65536, 2**27)
    loaded = settings.load({
        "INTERNAL_API_TOKEN": TOKEN, "DATASET_MAX_COLUMNS": "10", "DATASET_MAX_ROWS": "20",
        "DATASET_MAX_CELL_BYTES": "30", "DATASET_MAX_MEMORY_MB": "40",
    })
    assert loaded.dataset_limits == DatasetLimits(10, 20, 30, 40 * 2**20)

