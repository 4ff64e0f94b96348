"""ops/autoscale's rules: up at once, down slowly, never twice within a cool-down, inside the
bounds, and a reason with the figures that decided. The thresholds are the probe advice's."""
import pytest

import autoscale
from autoscale import Bounds, State, decide
from portal_probe.advice import Thresholds
from portal_probe.settings import SettingsError

NOW = 1_000_000.0
BOUNDS = Bounds(minimum=1, maximum=3, cooldown_seconds=300)
LEVELS = Thresholds(sessions_per_replica=10)


def replica(number, sessions=0, cpu=10.0, memory=20.0, healthy=True):
    return {
        "time": "2026-12-02T02:00:00+00:00", "service": "streamlit", "hostname": f"h{number}",
        "container": f"pp-streamlit-{number}", "health": {"ok": healthy, "reason": None if healthy else "down"},
        "cpu_percent": cpu, "cpu_quota_cores": 1.0, "cpu_count": 2, "memory_percent": memory,
        "workers": None, "sessions": sessions,
    }


def test_sessions_past_their_mark_scale_up_at_once_to_what_the_advice_says():
    decision = decide(1, [replica(1, sessions=25)], LEVELS, BOUNDS, State(), NOW)
    assert (decision.before, decision.after) == (1, 3)
    assert decision.reason.startswith("up: 25 sessions (10 a replica), busiest replica at 10 % CPU (mark 85 %)")
    assert decision.reason.endswith("the load needs 3")
    assert decision.state == State(changed_at=NOW, low_since=None)


def test_cpu_past_its_mark_scales_up_even_with_few_sessions():
    decision = decide(1, [replica(1, sessions=2, cpu=95.0)], LEVELS, BOUNDS, State(), NOW)
    assert decision.after == 2
    assert "95 % CPU (mark 85 %)" in decision.reason


def test_up_is_capped_at_the_maximum():
    decision = decide(2, [replica(1, sessions=40), replica(2, sessions=40)], LEVELS, BOUNDS, State(), NOW)
    assert decision.after == 3
    held = decide(3, [replica(n, sessions=40) for n in (1, 2, 3)], LEVELS, BOUNDS, State(), NOW)
    assert held.after == 3
    assert "held at STREAMLIT_MAX_REPLICAS 3" in held.reason


def test_no_second_change_within_the_cool_down():
    state = State(changed_at=NOW - 100)
    decision = decide(1, [replica(1, sessions=25)], LEVELS, BOUNDS, state, NOW)
    assert decision.after == 1
    assert "cool-down, 200s left" in decision.reason
    assert decide(1, [replica(1, sessions=25)], LEVELS, BOUNDS, state, NOW + 200).after == 3


def test_low_load_removes_a_replica_only_after_it_stayed_low_for_a_cool_down():
    quiet = [replica(1, sessions=1), replica(2, sessions=1)]
    first = decide(2, quiet, LEVELS, BOUNDS, State(changed_at=NOW - 1000), NOW)
    assert first.after == 2
    assert first.state.low_since == NOW
    assert "low for 0s of 300s" in first.reason
    later = decide(2, quiet, LEVELS, BOUNDS, first.state, NOW + 299)
    assert later.after == 2
    down = decide(2, quiet, LEVELS, BOUNDS, later.state, NOW + 300)
    assert (down.before, down.after) == (2, 1)
    assert down.reason.startswith("down: 2 sessions") and down.reason.endswith("for 300s")


def test_down_goes_one_replica_at_a_time():
    quiet = [replica(n) for n in (1, 2, 3)]
    decision = decide(3, quiet, LEVELS, BOUNDS, State(changed_at=NOW - 1000, low_since=NOW - 400), NOW)
    assert decision.after == 2


def test_a_busy_moment_restarts_the_low_count():
    busy = decide(2, [replica(1, sessions=12), replica(2, sessions=5)], LEVELS, BOUNDS, State(low_since=NOW - 250), NOW)
    assert busy.after == 2
    assert busy.state.low_since is None


def test_never_below_the_minimum():
    bounds = Bounds(minimum=2, maximum=3, cooldown_seconds=300)
    quiet = [replica(1), replica(2)]
    decision = decide(2, quiet, LEVELS, bounds, State(low_since=NOW - 1000), NOW)
    assert decision.after == 2
    assert decide(1, [replica(1)], LEVELS, bounds, State(), NOW).after == 2


def test_above_the_maximum_comes_down():
    decision = decide(4, [replica(n, sessions=30) for n in (1, 2, 3, 4)], LEVELS, BOUNDS, State(), NOW)
    assert (decision.after, decision.reason) == (3, "down: above STREAMLIT_MAX_REPLICAS 3")


def test_not_fewer_while_a_replica_warns():
    warned = [replica(1), replica(2, healthy=False)]
    decision = decide(2, warned, LEVELS, BOUNDS, State(low_since=NOW - 1000), NOW)
    assert decision.after == 2
    assert "not fewer while a replica warns: pp-streamlit-2 (streamlit): unhealthy: down" in decision.reason


def test_sessions_piled_on_one_replica_are_no_reason_to_scale():
    piled = [replica(1, sessions=14), replica(2, sessions=0)]
    decision = decide(2, piled, LEVELS, BOUNDS, State(), NOW)
    assert decision.after == 2
    assert "more replicas would not help" in decision.reason
    assert "STREAMLIT_ROUTING=user" in decision.reason


def test_nothing_while_a_running_replica_has_no_fresh_snapshot():
    decision = decide(2, [replica(1, sessions=30)], LEVELS, BOUNDS, State(), NOW)
    assert decision.after == 2
    assert "1 of 2 replicas have a fresh snapshot" in decision.reason


def test_the_log_line_has_the_time_and_before_and_after():
    decision = decide(1, [replica(1, sessions=25)], LEVELS, BOUNDS, State(), NOW)
    assert decision.line(0) == "1970-01-01T00:00:00Z streamlit 1→3: " + decision.reason


def test_bounds_come_from_the_settings_and_are_checked():
    assert Bounds.from_settings({"STREAMLIT_MIN_REPLICAS": "2", "STREAMLIT_MAX_REPLICAS": "5",
                                 "AUTOSCALE_COOLDOWN_SECONDS": "60"}) == Bounds(2, 5, 60.0)
    assert Bounds.from_settings({}) == Bounds(1, 4, 300.0)
    with pytest.raises(ValueError, match="STREAMLIT_MIN_REPLICAS 3 is above STREAMLIT_MAX_REPLICAS 2"):
        Bounds.from_settings({"STREAMLIT_MIN_REPLICAS": "3", "STREAMLIT_MAX_REPLICAS": "2"})
    with pytest.raises(SettingsError, match="STREAMLIT_MAX_REPLICAS must be a whole number"):
        Bounds.from_settings({"STREAMLIT_MAX_REPLICAS": "many"})


def test_the_state_survives_between_runs_and_a_broken_file_is_a_fresh_start(tmp_path):
    path = tmp_path / "portal.env.autoscale"
    assert autoscale.read_state(path) == State()
    autoscale.write_state(path, State(changed_at=NOW, low_since=None))
    assert autoscale.read_state(path) == State(changed_at=NOW)
    path.write_text("{not json")
    assert autoscale.read_state(path) == State()
