import json
import stat
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from portal_probe.cgroup import Memory
from portal_probe.health import HealthResult
from portal_probe.processes import ProcessCheck, ProcessRecord
from portal_probe.report import build_snapshot, count_established, load_snapshots, write_snapshot

MIB = 1 << 20


def connection(status, local_port):
    return SimpleNamespace(status=status, laddr=SimpleNamespace(port=local_port), raddr=())


CONNECTIONS = [
    connection("ESTABLISHED", 8501),
    connection("ESTABLISHED", 8501),
    connection("TIME_WAIT", 8501),
    connection("ESTABLISHED", 40000),
    connection("LISTEN", 8501),
]


def snapshot_for(service, health_problems=(), memory=Memory(300 * MIB, 1000 * MIB), workers=None):
    health = HealthResult(service, tuple(health_problems), (), ProcessCheck((), "", workers))
    table = [ProcessRecord(1, 0, ("x",), "sleeping", threads=10), ProcessRecord(2, 1, ("y",), "sleeping", threads=3)]
    return build_snapshot(
        service=service,
        hostname="3f2a9c",
        container="replica-1",
        now=datetime(2025, 3, 1, 12, 0, 5, 123, tzinfo=timezone(timedelta(hours=1))),
        health=health,
        table=table,
        memory=memory,
        cpu_percent_of_quota=41.26,
        cpu_quota_cores=1.0,
        cpu_count=2,
        connections=CONNECTIONS,
    )


def test_count_established_filters_by_local_port():
    assert count_established(CONNECTIONS) == 3
    assert count_established(CONNECTIONS, local_port=8501) == 2


def test_streamlit_snapshot_shape():
    assert snapshot_for("streamlit") == {
        "time": "2025-03-01T11:00:05+00:00",
        "service": "streamlit",
        "hostname": "3f2a9c",
        "container": "replica-1",
        "health": {"ok": True, "reason": None},
        "cpu_percent": 41.3,
        "cpu_quota_cores": 1.0,
        "cpu_count": 2,
        "memory_bytes": 300 * MIB,
        "memory_limit_bytes": 1000 * MIB,
        "memory_percent": 30.0,
        "processes": 2,
        "threads": 13,
        "workers": None,
        "connections": 3,
        "sessions": 2,
    }


def test_django_snapshot_has_workers_not_sessions_and_carries_the_failure():
    snapshot = snapshot_for("django", health_problems=("3 gunicorn workers, expected 4", "HTTP 500"), workers=3)
    assert snapshot["health"] == {"ok": False, "reason": "3 gunicorn workers, expected 4; HTTP 500"}
    assert (snapshot["workers"], snapshot["sessions"]) == (3, None)


def test_snapshot_without_memory_limit_has_no_percent():
    snapshot = snapshot_for("nginx", memory=Memory(5 * MIB, None))
    assert (snapshot["memory_limit_bytes"], snapshot["memory_percent"]) == (None, None)


def test_write_snapshot_replaces_the_hosts_file_and_leaves_no_temp_files(tmp_path):
    report_dir = tmp_path / "reports"
    first = snapshot_for("streamlit")
    write_snapshot(first, report_dir)
    second = {**first, "cpu_percent": 99.0}
    target = write_snapshot(second, report_dir)
    assert target == report_dir / "replica-1.json"
    assert [path.name for path in report_dir.iterdir()] == ["replica-1.json"]
    assert json.loads(target.read_text())["cpu_percent"] == 99.0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_load_snapshots_skips_unreadable_files(tmp_path):
    write_snapshot(snapshot_for("streamlit"), tmp_path)
    (tmp_path / "half-written.json").write_text('{"service": ')
    assert [snapshot["container"] for snapshot in load_snapshots(tmp_path)] == ["replica-1"]
