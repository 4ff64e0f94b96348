"""The replicas' Streamlit configuration (services/streamlit/config.toml), read by Streamlit's own
config loader: with it, Streamlit never looks up an address of its own, neither for a foreign
origin (on the event loop, where a lookup with no way out froze a replica) nor at start."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit import config, net_util
from streamlit.web import bootstrap
from streamlit.web.server.starlette import starlette_websocket

CONFIG = Path(__file__).resolve().parents[3] / "services" / "streamlit" / "config.toml"


@pytest.fixture
def replica_config(tmp_path, monkeypatch):
    """Streamlit's options as a replica reads them: its config.toml in .streamlit/ of the app's folder."""
    (tmp_path / ".streamlit").mkdir()
    shutil.copy(CONFIG, tmp_path / ".streamlit" / "config.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    config.get_config_options(force_reparse=True)
    yield
    monkeypatch.undo()
    config.get_config_options(force_reparse=True)


@pytest.fixture
def no_lookups(monkeypatch):
    looked_up = []

    def refuse(*args):
        looked_up.append(args)
        raise AssertionError("Streamlit looked up an address")

    monkeypatch.setattr(net_util, "get_external_ip", refuse)
    monkeypatch.setattr(net_util, "get_internal_ip", refuse)
    return looked_up


def test_the_config_file_is_the_one_read(replica_config):
    assert config.get_option("server.baseUrlPath") == "app"
    assert config.get_option("server.enableXsrfProtection") is True


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:1", "null"])
def test_a_foreign_origin_makes_streamlit_look_up_nothing(replica_config, no_lookups, origin):
    # nginx refuses these before a replica; a replica left alone decides without a lookup.
    starlette_websocket._is_origin_allowed(origin, "portal.example:8080")

    assert no_lookups == []


def test_the_start_banner_looks_up_nothing(replica_config, no_lookups, capsys):
    bootstrap._print_url(is_running_hello=False)

    assert no_lookups == []
    assert "localhost" in capsys.readouterr().out


def test_a_replica_s_runs_end_without_a_pass_over_the_whole_heap(replica_config):
    # Streamlit's default is a full collection after every run (its ScriptRunner reads this
    # option); ops/bench's sessions section measures what turning it off is worth.
    assert config.get_option("runner.postScriptGC") is False
