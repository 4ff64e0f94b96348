"""Process start (settings check, warm-up, hand-over to Streamlit) and the benchmark helper."""
from __future__ import annotations

import json

import polars as pl
import pytest

from analytics import bench, serve, settings, warmup


def test_serve_stops_on_a_bad_setting_naming_it(monkeypatch):
    monkeypatch.delenv("INTERNAL_API_TOKEN")
    settings.get.cache_clear()
    monkeypatch.setattr(serve.cli, "main", lambda **kwargs: pytest.fail("Streamlit started"))
    with pytest.raises(SystemExit, match="INTERNAL_API_TOKEN"):
        serve.main()


def test_serve_warms_the_process_before_streamlit_starts(monkeypatch):
    steps = []
    monkeypatch.setattr(warmup, "warm", lambda: steps.append("warm"))
    monkeypatch.setattr(serve.cli, "main", lambda **kwargs: steps.append(("streamlit", kwargs)))
    serve.main()
    assert steps == ["warm", ("streamlit", {"prog_name": "streamlit"})]


def test_warm_runs_every_path_once():
    warmup.warm()


def test_generated_bench_data_looks_like_sales(tmp_path):
    path = bench.generate(1000, tmp_path / "sales.parquet")
    frame = pl.read_parquet(path)
    assert frame.height == 1000
    assert frame.schema["date"] == pl.Date
    assert set(frame["region"]) <= set(bench.REGIONS)
    assert frame["discount"].is_nan().sum() > 0


def test_bench_prints_timings_as_json(tmp_path, capsys):
    bench.main(["--rows", "2000", "--dir", str(tmp_path), "--repeat", "2"])
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
