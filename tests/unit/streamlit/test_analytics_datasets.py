"""Reading datasets: only inside the partner's folder, clear errors, one load per version."""
from __future__ import annotations

import datetime as dt
import os

import polars as pl
import pytest

from analytics import datasets
from analytics_support import sales_frame, write


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
        datasets.read(path)


def test_a_truncated_file_raises_a_dataset_error(tmp_path):
    path = write(tmp_path, "whole.parquet", sales_frame())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(datasets.DatasetError):
        datasets.read(path)


def test_normalise_treats_nan_as_missing_and_reads_iso_text_as_dates():
    frame = pl.DataFrame(
        {
            "x": [1.0, float("nan"), None],
            "day": ["2024-01-02", None, "2024-03-04"],
            "at": ["2024-01-02 10:00", "2024-01-02T11:30:00", None],
            "mixed": ["2024-01-02", "soon", None],
            "money": pl.Series(["1.50", "2.25", None]).cast(pl.Decimal(10, 2)),
        }
    )
    out = datasets.normalise(frame)
    assert out["x"].null_count() == 2
    assert out.schema["day"] == pl.Date
    assert out["day"].to_list() == [dt.date(2024, 1, 2), None, dt.date(2024, 3, 4)]
    assert out.schema["at"] == pl.Datetime("us")
    assert out.schema["mixed"] == pl.String
    assert out.schema["money"] == pl.Float64


def test_a_loaded_dataset_is_shared_and_a_new_version_replaces_it(store, monkeypatch):
    write(store, "acme/sales.parquet", sales_frame())
    reads = []
    real_read = datasets.read
    monkeypatch.setattr(datasets, "read", lambda path: reads.append(path) or real_read(path))

    first = datasets.load(store, "acme", "acme/sales.parquet", "v1")
    again = datasets.load(store, "acme", "acme/sales.parquet", "v1")
    assert again is first, "one shared object, not a copy per caller"
    assert len(reads) == 1

    write(store, "acme/sales.parquet", sales_frame().head(5))
    newer = datasets.load(store, "acme", "acme/sales.parquet", "v2")
    assert newer.profile.rows == 5
    assert len(reads) == 2

    datasets.load(store, "acme", "acme/sales.parquet", "v1")
    assert len(reads) == 3, "the old version was dropped from the cache, not kept"


def test_loading_refuses_before_reading(store, monkeypatch):
    monkeypatch.setattr(datasets, "read", lambda path: pytest.fail("read a refused path"))
    with pytest.raises(datasets.PathRefused):
        datasets.load(store, "acme", "../etc/passwd", "v1")

