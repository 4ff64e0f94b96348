"""A replica its orchestrator stops drains itself first: it marks itself draining, waits for its
sessions to leave or for the drain time, and only then is its server stopped."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from analytics import drain, retire

ROOT = Path(__file__).resolve().parents[3]


class Clock:
    """Time that moves only when the drain sleeps."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_stopped_replica_marks_itself_draining_and_ends_once_its_sessions_have_left(tmp_path):
    path, clock, logged = tmp_path / "portal-drain", Clock(), []
    held = iter([2, 2, 1, 0])
    left = retire.retire(900, sessions=lambda: next(held), clock=clock, sleep=clock.sleep, path=path, log=logged.append)
    assert left == 0
    # Its health answer and its tabs read the deadline from here (analytics.drain).
    assert drain.seconds_left(now=1000, path=path) == 900
    assert clock.now < 1000 + 900
    assert logged[-1] == "drained: no session left"


def test_at_the_deadline_it_ends_with_the_sessions_still_open(tmp_path):
    path, clock, logged = tmp_path / "portal-drain", Clock(), []
    left = retire.retire(60, sessions=lambda: 3, clock=clock, sleep=clock.sleep, path=path, log=logged.append)
    assert left == 3 and clock.now == 1060
    assert "drain time over with 3 sessions open" in logged[-1]


def test_a_drain_already_under_way_keeps_its_earlier_deadline(tmp_path):
    path, clock = tmp_path / "portal-drain", Clock()
    path.write_text("1100\n")
    retire.retire(900, sessions=lambda: 1, clock=clock, sleep=clock.sleep, path=path, log=lambda _: None)
    assert clock.now == 1100 and drain.seconds_left(now=1000, path=path) == 100


def test_the_sessions_are_the_websockets_the_replica_counts(tmp_path):
    peers = tmp_path / "portal-peers.json"
    assert retire.open_sessions(peers) == 0
    peers.write_text('{"203.0.113.7": 2, "198.51.100.1": 1}')
    assert retire.open_sessions(peers) == 3


def test_the_start_script_stops_the_server_only_after_the_drain(tmp_path):
    """services/streamlit/start under SIGTERM, with DRAIN_ON_STOP, against a stand-in python3
    that logs what each of its modules is asked to do."""
    events = tmp_path / "events"
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    fake.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import signal, sys, time
        module = sys.argv[2]
        def log(what):
            with open({str(events)!r}, "a") as out:
                out.write(f"{{module}} {{what}}\\n")
        if module == "analytics.serve":
            signal.signal(signal.SIGTERM, lambda *_: (log("stopped"), sys.exit(0)))
            log("listening")
            while True:
                time.sleep(0.05)
        elif module == "analytics.retire":
            log("drained")
        """))
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "DRAIN_ON_STOP": "true",
           "STREAMLIT_SERVER_COOKIE_SECRET": "x" * 32}
    start = subprocess.Popen(["sh", str(ROOT / "services/streamlit/start")], env=env)
    try:
        assert _wait_for(lambda: events.exists() and "listening" in events.read_text()), "the server never started"
        start.send_signal(signal.SIGTERM)
        assert start.wait(timeout=30) == 0
    finally:
        # Still running here only when the test failed.
        start.kill()
    assert events.read_text().splitlines() == ["analytics.serve listening", "analytics.retire drained",
                                               "analytics.serve stopped"]


def _wait_for(condition, timeout: float = 30) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False
