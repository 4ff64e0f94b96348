"""The internal API the probes send their load snapshots to, from every container on every node."""
import json

import pytest
from django.test import Client

TOKEN = "unit-tests-internal-token-not-a-secret"


@pytest.fixture(autouse=True)
def settings_for_snapshots(settings, tmp_path):
    settings.INTERNAL_API_TOKEN = TOKEN
    settings.PROBE_REPORT_DIR = tmp_path / "reports"
    return settings


def snapshot(container="partner-portal_streamlit.2@node3"):
    return {
        "time": "2026-12-02T03:00:00+00:00", "service": "streamlit", "hostname": "f00d", "container": container,
        "health": {"ok": True, "reason": None}, "cpu_percent": 3.5, "cpu_quota_cores": 1.0, "cpu_count": 2,
        "memory_bytes": 200_000_000, "memory_limit_bytes": 1_000_000_000, "memory_percent": 20.0,
        "processes": 2, "threads": 9, "workers": None, "connections": 3, "sessions": 1,
    }


def send(body, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return Client().post("/internal/load", data=data, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_a_snapshot_is_kept_under_its_container_name(settings_for_snapshots):
    assert send(snapshot()).status_code == 201
    kept = json.loads((settings_for_snapshots.PROBE_REPORT_DIR / "partner-portal_streamlit.2@node3.json").read_text())
    assert kept["sessions"] == 1


@pytest.mark.django_db
def test_without_the_token_nothing_is_kept(settings_for_snapshots):
    assert send(snapshot(), token=None).status_code == 401
    assert send(snapshot(), token="wrong").status_code == 403
    assert not list(settings_for_snapshots.PROBE_REPORT_DIR.glob("*.json"))


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"not json", {"time": "now"}, snapshot("../../etc/passwd"), snapshot(".hidden")])
def test_what_is_no_snapshot_or_names_no_plain_file_is_refused(settings_for_snapshots, body):
    assert send(body).status_code == 400
    assert not list(settings_for_snapshots.PROBE_REPORT_DIR.glob("*.json"))


@pytest.mark.django_db
def test_an_oversized_body_is_refused(settings_for_snapshots):
    assert send(b"{" + b" " * 70_000 + b"}").status_code == 413
