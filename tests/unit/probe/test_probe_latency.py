"""Request times from nginx's JSON access log: the window, the routes, websockets left out."""
import json
import os
from datetime import datetime, timedelta, timezone

from portal_probe.latency import latency_report, percentile, read_recent, truncate_if_large

NOW = datetime(2026, 11, 28, 1, 0, 0, tzinfo=timezone.utc)


def line(seconds_ago, uri, request_time, status=200):
    ended = (NOW - timedelta(seconds=seconds_ago)).isoformat()
    return json.dumps({"time": ended, "uri": uri, "status": status, "request_time": request_time})


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([], 0.5) is None


def test_only_requests_in_the_window_count_and_routes_are_split():
    lines = [
        line(10, "/", 0.010),
        line(20, "/app/", 0.200),
        line(299, "/datasets/1/", 0.030),
        line(301, "/", 9.0),  # older than five minutes
    ]
    recent = read_recent(lines, NOW)
    assert recent == {"portal": [0.010, 0.030], "app": [0.200]}


def test_websockets_and_garbage_lines_are_left_out():
    lines = [line(5, "/app/_stcore/stream", 3600.0, status=101), "{not json", line(5, "/", 0.5), ""]
    assert read_recent(lines, NOW) == {"portal": [0.5], "app": []}


def test_report_over_a_real_file(tmp_path):
    log = tmp_path / "access.json"
    log.write_text("\n".join([line(1, "/", 0.1)] * 19 + [line(1, "/app/", 2.0)]) + "\n")
    report = latency_report(log, NOW)
    assert report["requests"] == 20
    assert report["p50_ms"] == 100.0
    assert report["p95_ms"] == 100.0
    assert report["routes"]["app"] == {"requests": 1, "p50_ms": 2000.0, "p95_ms": 2000.0}


def test_no_log_yet_gives_an_empty_report(tmp_path):
    report = latency_report(tmp_path / "missing.json", NOW)
    assert report["requests"] == 0 and report["p95_ms"] is None


def test_a_large_log_is_cut_back_and_a_small_one_kept(tmp_path):
    log = tmp_path / "access.json"
    log.write_bytes(b"x" * 100)
    truncate_if_large(log, limit=1000)
    assert log.stat().st_size == 100
    with open(log, "ab") as appender:
        appender.write(b"y" * 1000)
        appender.flush()
        truncate_if_large(log, limit=1000)
        assert log.stat().st_size == 0
        appender.write(b"z")  # an appending writer goes on from the new end
        appender.flush()
    assert log.read_bytes() == b"z"
    assert os.path.exists(log)
