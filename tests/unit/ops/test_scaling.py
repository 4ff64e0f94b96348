"""ops/scale: which replicas its drain takes, how long it waits for their sessions, and a Swarm
stack scaled by its service."""
import subprocess

import pytest

import scaling


def test_the_highest_numbered_replicas_are_drained():
    names = ["pp-streamlit-10", "pp-streamlit-2", "pp-streamlit-1", "pp-streamlit-3"]
    assert scaling.drain_selection(names, 2) == (["pp-streamlit-1", "pp-streamlit-2"],
                                                 ["pp-streamlit-3", "pp-streamlit-10"])
    assert scaling.drain_selection(names, 4) == (sorted(names, key=scaling.replica_number), [])


def test_a_gap_in_the_numbers_keeps_the_lowest_ones():
    kept, drained = scaling.drain_selection(["pp-streamlit-2", "pp-streamlit-3"], 1)
    assert (kept, drained) == (["pp-streamlit-2"], ["pp-streamlit-3"])


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run_drain(counts, seconds, monkeypatch):
    """Drain one replica whose session count follows `counts` (then stays at the last)."""
    written = []
    monkeypatch.setattr(scaling, "in_replica", lambda container, *command: written.append((container, command)))
    monkeypatch.setattr(scaling, "reload_nginx", lambda: written.append(("nginx", ("reload",))))
    clock, said = Clock(), []
    remaining = list(counts)

    def count(container):
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    left = scaling.drain(["pp-streamlit-2"], seconds, count=count, clock=clock, sleep=clock.sleep, log=said.append)
    return left, clock.now - 1000.0, written, said


def test_a_drain_ends_as_soon_as_the_sessions_have_left(monkeypatch):
    left, waited, written, said = run_drain([2, 1, 0], 600, monkeypatch)
    assert (left, waited) == (0, 2 * scaling.DRAIN_POLL_SECONDS)
    # The replica is told when it will be stopped: the drain's end.
    # nginx renders its config once the replica says it drains: no new partner goes there.
    assert written == [("pp-streamlit-2", ("python3", "-m", "portal_probe", "drain", "1600")), ("nginx", ("reload",))]
    assert said[-1] == "drained: no session left"


def test_a_drain_stops_waiting_at_its_deadline(monkeypatch):
    left, waited, _, said = run_drain([3], 120, monkeypatch)
    assert (left, waited) == (3, 120)
    assert said[-1] == "drain time over with 3 sessions open: their pages reconnect to another replica"
    assert "still draining: 3 sessions open, 60s left" in said


def test_a_replica_gone_holds_no_session(monkeypatch):
    left, waited, _, _ = run_drain([0], 600, monkeypatch)
    assert (left, waited) == (0, 0)


def test_a_running_replica_that_does_not_answer_is_waited_for(monkeypatch):
    # A busy moment: its sessions are not taken for gone, and the next answer counts.
    left, waited, _, said = run_drain([None, None, 0], 600, monkeypatch)
    assert (left, waited) == (0, 2 * scaling.DRAIN_POLL_SECONDS)
    assert said[-1] == "drained: no session left"


def test_sessions_of_tells_a_replica_gone_from_one_that_did_not_answer(monkeypatch):
    answers = {"exec": (1, ""), "inspect": ""}

    def run(command, **options):
        kind = "inspect" if command[:2] == ["docker", "inspect"] else "exec"
        code, out = (0, answers["inspect"]) if kind == "inspect" else answers["exec"]
        return type("Done", (), {"returncode": code, "stdout": out})()

    monkeypatch.setattr(scaling.subprocess, "run", run)
    answers["inspect"] = "true\n"
    assert scaling.sessions_of("pp-streamlit-2") is None
    answers["inspect"] = ""
    assert scaling.sessions_of("pp-streamlit-2") == 0
    answers["exec"] = (0, "3\n")
    assert scaling.sessions_of("pp-streamlit-2") == 3


def test_a_swarm_stack_is_scaled_by_its_service_and_the_count_kept(monkeypatch, tmp_path):
    settings_file = tmp_path / ".env"
    settings_file.write_text("STREAMLIT_REPLICAS=2\n")
    asked = []
    monkeypatch.setattr(scaling, "STACK", "portal")
    monkeypatch.setattr(scaling, "settings_path", lambda: str(settings_file))
    monkeypatch.setattr(scaling, "docker", lambda *args: asked.append(args) or subprocess.CompletedProcess(args, 0, "", ""))
    # ops/scale and ops/autoscale both come through scale(); nothing of the compose project is asked.
    assert scaling.scale(3, {}) == 0
    assert asked == [("service", "scale", "--detach=false", "portal_streamlit=3")]
    assert settings_file.read_text() == "STREAMLIT_REPLICAS=3\n"


def test_a_refused_stack_scale_keeps_the_count(monkeypatch, tmp_path):
    settings_file = tmp_path / ".env"
    settings_file.write_text("STREAMLIT_REPLICAS=2\n")
    monkeypatch.setattr(scaling, "STACK", "portal")
    monkeypatch.setattr(scaling, "settings_path", lambda: str(settings_file))
    monkeypatch.setattr(scaling, "docker", lambda *args: subprocess.CompletedProcess(args, 1, "", "no such service"))
    with pytest.raises(scaling.ScaleError, match="no such service"):
        scaling.scale_stack(3)
    assert settings_file.read_text() == "STREAMLIT_REPLICAS=2\n"
