import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import portal_probe
from portal_probe.cli import main
from portal_probe.processes import ProcessRecord

PROBE_PARENT = Path(portal_probe.__file__).resolve().parents[1]
STREAMLIT_TABLE = [ProcessRecord(1, 0, ("/usr/bin/python3", "-m", "streamlit", "run", "app.py"), "sleeping", 12)]
DJANGO_TABLE = [ProcessRecord(1, 0, ("/usr/local/bin/gunicorn", "portal.wsgi"), "sleeping")] + [
    ProcessRecord(2 + n, 1, ("/usr/local/bin/gunicorn", "portal.wsgi"), "sleeping") for n in range(4)
]


@pytest.fixture
def health_server():
    """A real HTTP server on 127.0.0.1 answering `status` and remembering the Host headers it saw."""
    seen_hosts = []

    class Handler(BaseHTTPRequestHandler):
        status = 200

        def do_GET(self):
            seen_hosts.append(self.headers["Host"])
            self.send_response(self.status)
            if self.status == 302:
                self.send_header("Location", "/elsewhere")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # listening from here on
    # A short poll interval only makes shutdown quick; requests are served as they come.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    server.handler = Handler
    server.seen_hosts = seen_hosts
    server.url = f"http://127.0.0.1:{server.server_address[1]}/health"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


def run_main(capsys, argv, environ, table=STREAMLIT_TABLE, cgroup_root=None):
    exit_code = main(argv, environ=environ, read_table=lambda: table, cgroup_root=cgroup_root)
    out, err = capsys.readouterr()
    return exit_code, out, err


def test_check_exits_0_with_one_ok_line(capsys, health_server, cgroup_v2):
    exit_code, out, err = run_main(
        capsys, ["check", "streamlit"], {"PROBE_URL": health_server.url}, cgroup_root=cgroup_v2()
    )
    assert exit_code == 0
    assert err == ""
    assert out.count("\n") == 1
    assert out.startswith("ok: streamlit: streamlit server pid 1; memory 50 % of 1000.0 MiB; ")
    assert f"{health_server.url} 200 in " in out


def test_check_sends_django_its_host_name(capsys, health_server, cgroup_v2):
    exit_code, out, _ = run_main(
        capsys, ["check", "django"], {"PROBE_URL": health_server.url}, table=DJANGO_TABLE, cgroup_root=cgroup_v2()
    )
    assert exit_code == 0, out
    assert health_server.seen_hosts == ["localhost"]


def test_check_notes_a_missing_memory_limit_and_passes(capsys, health_server, cgroup_v2):
    root = cgroup_v2(**{"memory.max": "max\n"})
    exit_code, out, _ = run_main(capsys, ["check", "streamlit"], {"PROBE_URL": health_server.url}, cgroup_root=root)
    assert exit_code == 0
    assert "memory 500.0 MiB, no limit: memory check skipped" in out


def test_check_fails_on_memory_over_the_fail_level(capsys, health_server, cgroup_v2):
    environ = {"PROBE_URL": health_server.url, "PROBE_MEM_FAIL": "40"}
    exit_code, out, err = run_main(capsys, ["check", "streamlit"], environ, cgroup_root=cgroup_v2())
    assert exit_code == 1
    assert out == ""
    assert err == "fail: streamlit: memory 50 % of 1000.0 MiB, over 40 %\n"


@pytest.mark.parametrize("status", [503, 302])
def test_check_fails_on_any_status_but_200(capsys, health_server, cgroup_v2, status):
    health_server.handler.status = status
    exit_code, _, err = run_main(
        capsys, ["check", "streamlit"], {"PROBE_URL": health_server.url}, cgroup_root=cgroup_v2()
    )
    assert exit_code == 1
    assert err == f"fail: streamlit: {health_server.url}: HTTP {status}\n"


def test_check_fails_when_the_endpoint_does_not_answer_in_time(capsys, cgroup_v2):
    # A listening socket nobody accepts from: the connection opens, no answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/health"
        environ = {"PROBE_URL": url, "PROBE_TIMEOUT": "0.2"}
        exit_code, _, err = run_main(capsys, ["check", "streamlit"], environ, cgroup_root=cgroup_v2())
    assert exit_code == 1
    assert err == f"fail: streamlit: {url}: no answer within 0.2 s\n"


def test_check_joins_every_problem_into_one_line(capsys, cgroup_v2):
    url = f"http://127.0.0.1:{closed_port()}/healthz"
    exit_code, _, err = run_main(
        capsys, ["check", "django"], {"PROBE_URL": url}, table=DJANGO_TABLE[:3], cgroup_root=cgroup_v2()
    )
    assert exit_code == 1
    assert err == f"fail: django: 2 gunicorn workers, expected 4; {url}: Connection refused\n"


def test_check_reports_a_bad_cgroup_file_in_one_line(capsys, health_server, cgroup_v2):
    root = cgroup_v2(**{"memory.current": "?\n"})
    exit_code, _, err = run_main(capsys, ["check", "streamlit"], {"PROBE_URL": health_server.url}, cgroup_root=root)
    assert exit_code == 1
    assert err == "fail: streamlit: cannot read memory.current: malformed value '?'\n"


def test_check_reports_a_malformed_setting_by_name(capsys, cgroup_v2):
    exit_code, _, err = run_main(capsys, ["check", "django"], {"GUNICORN_WORKERS": "four"}, cgroup_root=cgroup_v2())
    assert exit_code == 1
    assert err == "fail: django: GUNICORN_WORKERS must be a whole number, got 'four'\n"


def test_unexpected_errors_become_one_line(capsys, cgroup_v2):
    def broken_table():
        raise RuntimeError("process table unreadable")

    exit_code = main(["check", "nginx"], environ={}, read_table=broken_table, cgroup_root=cgroup_v2())
    assert exit_code == 1
    assert capsys.readouterr().err == "fail: nginx: unexpected RuntimeError: process table unreadable\n"


def test_module_exits_1_with_one_line_on_an_unreachable_endpoint():
    url = f"http://127.0.0.1:{closed_port()}/app/_stcore/health"
    # As in the images: the probe beside the settings' reader.
    path = os.pathsep.join([str(PROBE_PARENT), str(PROBE_PARENT.parent / "base" / "lib")])
    environ = {**os.environ, "PYTHONPATH": path, "PROBE_URL": url, "PROBE_TIMEOUT": "2"}
    completed = subprocess.run(
        [sys.executable, "-m", "portal_probe", "check", "streamlit"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 1
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("fail: streamlit: ")
    assert f"{url}: Connection refused" in lines[0]


def test_report_once_prints_one_snapshot(capsys, health_server, cgroup_v1):
    exit_code, out, _ = run_main(
        capsys, ["report", "streamlit", "--once"], {"PROBE_URL": health_server.url}, cgroup_root=cgroup_v1()
    )
    snapshot = json.loads(out)
    assert exit_code == 0
    assert snapshot["service"] == "streamlit"
    assert snapshot["health"] == {"ok": True, "reason": None}
    assert snapshot["memory_percent"] == pytest.approx(58.6, abs=0.1)
    assert snapshot["cpu_quota_cores"] == pytest.approx(1.5)
    assert snapshot["cpu_percent"] == 0.0  # the fixture's usage counter does not move
    assert (snapshot["processes"], snapshot["threads"]) == (1, 12)


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "postgres"])
    assert exit_info.value.code == 2
