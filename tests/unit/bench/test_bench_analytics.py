"""The script the analytics benchmark runs inside a streamlit replica, run here in-process on the app's code."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from analytics import settings
from portal_bench import analytics_timing


@pytest.fixture(autouse=True)
def replica_settings(tmp_path, monkeypatch):
    """What the streamlit service's environment gives the script in a replica."""
    monkeypatch.setenv("INTERNAL_API_TOKEN", "bench-unit-tests-internal-token-0123")
    monkeypatch.setenv("DATASETS_DIR", str(tmp_path / "datasets"))
    # The base image puts the settings reader on every replica's path.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[3] / "services" / "base" / "lib"))
    settings.get.cache_clear()
    yield
    settings.get.cache_clear()


def test_generated_bench_data_looks_like_sales(tmp_path):
    path = analytics_timing.generate(1000, tmp_path / "sales.parquet")
    frame = pl.read_parquet(path)
    assert frame.height == 1000
    assert frame.schema["date"] == pl.Date
    assert set(frame["region"]) <= set(analytics_timing.REGIONS)
    assert frame["discount"].is_nan().sum() > 0


def test_bench_prints_timings_as_json(tmp_path, capsys):
    analytics_timing.main(["--rows", "2000", "--dir", str(tmp_path), "--repeat", "2"])
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 2000
    assert result["columns"] == 8
    assert result["memory_bytes"] > 0
    timings = result["ms"]
    assert set(timings) == {
        "generate", "imports", "first_load", "filter_change", "group_by", "comparison", "cache_data_copy"
    }
    assert result["copy_bytes"] > 0
    assert timings["first_load"] > 0
    assert timings["imports"] > 0
    assert 0 < timings["group_by"]["min"] <= timings["group_by"]["median"]
