"""Process start: settings check, warm-up, hand-over to Streamlit."""
from __future__ import annotations

import pytest

from analytics import serve, settings, warmup


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

