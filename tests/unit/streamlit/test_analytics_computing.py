"""Shared results, fair shares and the time limit of a replica's computations."""
from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from analytics import aggregate, computing, i18n
from analytics.settings import ComputationLimits, load
from analytics_support import TOKEN


@pytest.fixture(autouse=True)
def pytests_thread_keeps_its_priority(monkeypatch):
    """A run that makes way lowers its thread's CPU priority for good, and threads inherit it:
    lowered in pytest's own thread, it would pass to every thread a later test starts. The
    tests that look at priorities run their turns in threads of their own, as Streamlit does."""
    lower = computing._lower_own_priority
    monkeypatch.setattr(computing, "_lower_own_priority",
                        lambda: None if threading.current_thread() is threading.main_thread() else lower())


def counting(result):
    calls = []

    def compute():
        calls.append(1)
        return result

    return compute, calls


def test_sessions_asking_the_same_question_share_one_computation():
    shared = computing.Computations(ComputationLimits())
    compute, calls = counting("points")
    assert shared.get("acme", ("sales", "v1", "bars"), compute) == "points"
    assert shared.get("acme", ("sales", "v1", "bars"), compute) == "points"
    assert len(calls) == 1


def test_a_result_never_crosses_partners():
    shared = computing.Computations(ComputationLimits())
    shared.get("acme", ("sales", "v1", "bars"), lambda: "acme's")
    assert shared.get("globex", ("sales", "v1", "bars"), lambda: "globex's") == "globex's"
    assert shared.get("acme", ("sales", "v1", "bars"), lambda: "recomputed") == "acme's"


def test_one_partners_many_results_evict_only_its_own():
    shared = computing.Computations(ComputationLimits(), per_partner=2)
    shared.get("globex", "kept", lambda: "globex's")
    for question in range(5):
        shared.get("acme", question, lambda: question)
    assert shared.get("globex", "kept", lambda: "recomputed") == "globex's"
    assert shared.get("acme", 0, lambda: "recomputed") == "recomputed"


def test_a_question_asked_while_it_is_computed_waits_for_that_computation(monkeypatch):
    # Two turns: with one, the second session would wait for the turn, not for the result.
    shared = computing.Computations(ComputationLimits(per_partner=2))
    started, release, waits = threading.Event(), threading.Event(), threading.Event()
    calls = []

    class Watched(Future):
        def result(self, timeout=None):
            waits.set()
            return super().result(timeout)

    monkeypatch.setattr(computing, "Future", Watched)

    def slow():
        calls.append(1)
        started.set()
        release.wait()
        return "points"

    first = threading.Thread(target=shared.get, args=("acme", "q", slow))
    first.start()
    started.wait()
    answers = []
    second = threading.Thread(target=lambda: answers.append(shared.get("acme", "q", slow)))
    second.start()
    # The second asks while the first still computes: it waits for that result, not the cache's.
    assert waits.wait(10)
    release.set()
    first.join()
    second.join()
    assert answers == ["points"] and len(calls) == 1


def test_a_partner_past_its_share_waits_with_a_notice_while_others_go_on():
    shared = computing.Computations(ComputationLimits(per_partner=1))
    started, release, waiting = threading.Event(), threading.Event(), threading.Event()

    def heavy():
        started.set()
        release.wait()
        return "heavy"

    @contextlib.contextmanager
    def notice():
        waiting.set()
        yield

    first = threading.Thread(target=shared.get, args=("acme", "heavy", heavy))
    first.start()
    started.wait()
    answers = []
    second = threading.Thread(target=lambda: answers.append(shared.get("acme", "other", lambda: "other", notice)))
    second.start()
    waiting.wait()
    # Another partner is not held up by acme's turns, and is told nothing.
    told = []
    assert shared.get("globex", "mine", lambda: "mine", lambda: told.append(1) or contextlib.nullcontext()) == "mine"
    assert told == [] and answers == []
    release.set()
    first.join()
    second.join()
    assert answers == ["other"]


def heavy_frame() -> pl.LazyFrame:
    rng = np.random.default_rng(0)
    rows = 3_000_000
    return pl.DataFrame({"key": rng.integers(0, rows, rows), "value": rng.random(rows)}).lazy()


def test_a_run_stopped_as_it_leaves_the_notice_gives_its_turn_back():
    shared = computing.Computations(ComputationLimits(per_partner=1))
    taken, release = threading.Event(), threading.Event()

    def hold():
        with shared.turn("acme"):
            taken.set()
            release.wait()

    class Stopped(Exception):
        pass

    @contextlib.contextmanager
    def notice_then_stop():
        # What Streamlit does when the partner clicks again while the notice shows.
        release.set()
        yield
        raise Stopped

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait()
    with pytest.raises(Stopped):
        with shared.turn("acme", notice_then_stop):
            pass
    holder.join()
    def no_notice():
        raise AssertionError("the partner's turn was not given back")

    # The turn is back: the partner's next run starts at once, without a notice.
    with shared.turn("acme", no_notice):
        pass


def test_a_computation_past_the_time_limit_is_stopped_with_a_message():
    # No time at all: stopped before the engine starts, so the test does not depend on speed.
    shared = computing.Computations(ComputationLimits(seconds=0))
    frame = heavy_frame()
    with pytest.raises(computing.TooLong) as stopped:
        shared.get("acme", "median", lambda: aggregate.by_category(frame, "key", "median", "value"))
    assert "took longer than 0 seconds, so it was stopped" in str(stopped.value)
    with i18n.speaking("ko"):
        assert "중단되었습니다" in str(stopped.value)
    # Nothing is kept of it: asked again with time enough, it is computed.
    shared.limits = ComputationLimits(seconds=600)
    assert shared.get("acme", "median", lambda: "computed") == "computed"


def test_a_running_query_past_the_time_limit_is_cancelled_inside_the_engine():
    # A query of many steps, each far longer than nothing: the engine stops between steps, so
    # most of them never run. The steps are counted, not timed.
    rows = heavy_frame()
    medians = rows.group_by("key").agg(pl.col("value").median().alias("median"))
    steps_run = []

    def counted(frame):
        steps_run.append(1)
        return frame

    query, steps = rows, 40
    for _ in range(steps):
        query = (query.join(medians, on="key").sort("value")
                 .select("key", (pl.col("value") + pl.col("median")).alias("value")).map_batches(counted))
    shared = computing.Computations(ComputationLimits(per_partner=1, seconds=1))
    with pytest.raises(computing.TooLong):
        shared.get("acme", "steps", lambda: computing.collect(query))
    assert len(steps_run) < steps / 2
    # The partner's one turn is back once the query has stopped.
    with shared.turn("acme", lambda: pytest.fail("the partner's turn was not given back")):
        pass


def test_outside_a_computation_nothing_limits_the_time():
    assert computing.collect(heavy_frame().select(pl.len())).item() == 3_000_000


def test_polars_engine_threads_yield_the_cpu_to_the_scripts_threads():
    pl.DataFrame({"a": [1, 2, 2]}).lazy().group_by("a").len().collect()
    assert computing.lower_engine_priority() >= 1
    tasks = Path("/proc/self/task")
    names = {int(task.name): (task / "comm").read_text().strip() for task in tasks.iterdir()}
    engine = [tid for tid, name in names.items() if name.startswith("polars-")]
    assert engine and all(os.getpriority(os.PRIO_PROCESS, tid) == computing.ENGINE_NICENESS for tid in engine)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == 0


def test_the_limits_come_from_the_settings():
    base = {"INTERNAL_API_TOKEN": TOKEN}
    assert load(base).computation_limits == ComputationLimits(per_partner=1, seconds=30)
    chosen = load({**base, "STREAMLIT_COMPUTATIONS_PER_PARTNER": "3", "STREAMLIT_COMPUTATION_SECONDS": "5"})
    assert chosen.computation_limits == ComputationLimits(per_partner=3, seconds=5)


def test_a_computation_within_a_page_run_uses_the_runs_turn():
    shared = computing.Computations(ComputationLimits(per_partner=1))
    with shared.turn("acme"):
        assert shared.get("acme", "q", lambda: "points") == "points"


def test_a_question_waiting_for_a_turn_does_not_hold_up_the_turn_that_asks_it_too():
    # One tab's chart asks a question and waits for the partner's one turn, which another tab's
    # page run holds; that run then asks the same question.
    shared = computing.Computations(ComputationLimits(per_partner=1))
    waiting, done = threading.Event(), threading.Event()

    @contextlib.contextmanager
    def notice():
        waiting.set()
        yield

    answers = []
    second = threading.Thread(target=lambda: answers.append(shared.get("acme", "q", lambda: "points", notice)),
                              daemon=True)

    def page_run():
        with shared.turn("acme"):
            second.start()
            waiting.wait()
            answers.append(shared.get("acme", "q", lambda: "points"))
        done.set()

    first = threading.Thread(target=page_run, daemon=True)
    first.start()
    assert done.wait(10), "the page run waited for a question that waited for its turn"
    second.join(10)
    assert answers == ["points", "points"]


def held_turn(shared: computing.Computations, partner: str):
    """A thread holding one of the partner's turns until the returned event is set."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        with shared.turn(partner):
            taken.set()
            release.wait()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    taken.wait()
    return thread, release


def test_a_busy_partners_run_makes_way_for_a_partner_who_used_the_replica_less():
    shared = computing.Computations(ComputationLimits(per_partner=1))
    with shared.turn("acme"):  # acme has used the replica lately, globex not at all
        pass
    holder, release = held_turn(shared, "globex")
    paused, order = threading.Event(), []
    wait = shared._turns_changed.wait
    shared._turns_changed.wait = lambda timeout=None: paused.set() or wait(timeout)

    def acme_run():
        with shared.turn("acme"):
            computing.make_way()
            order.append("acme goes on")

    acme = threading.Thread(target=acme_run, daemon=True)
    acme.start()
    assert paused.wait(timeout=10), "acme's run did not pause for globex's"
    order.append("globex done")
    release.set()
    holder.join()
    acme.join()
    assert order == ["globex done", "acme goes on"]


def priority_in_a_turn(shared: computing.Computations, partner: str) -> int:
    """The niceness of a thread of its own (as Streamlit runs each rerun) once it took one of
    the partner's turns."""
    seen = []

    def run():
        with shared.turn(partner):
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0]


def test_a_busier_partners_run_yields_the_cpu_while_a_lighter_partner_is_about():
    own = os.getpriority(os.PRIO_PROCESS, 0)  # what pytest runs at, and every thread it starts
    shared = computing.Computations(ComputationLimits(per_partner=1))
    with shared.turn("acme"):  # 50 ms of work: far more than globex's empty turn below
        busy_until = time.monotonic() + 0.05
        while time.monotonic() < busy_until:
            pass
    assert priority_in_a_turn(shared, "acme") == own  # alone, a busy partner keeps its priority
    with shared.turn("globex"):  # then a lighter partner reruns, and its turn ends
        pass
    assert priority_in_a_turn(shared, "acme") == computing.MAKING_WAY_NICENESS
    assert priority_in_a_turn(shared, "globex") == own


def test_a_light_partner_never_waits_for_a_busier_one():
    shared = computing.Computations(ComputationLimits(per_partner=1))
    with shared.turn("acme"):
        pass
    holder, release = held_turn(shared, "acme")
    with shared.turn("globex"):
        computing.make_way()  # returns at once: acme is the busier
    release.set()
    holder.join()


def test_a_run_makes_way_for_a_bounded_time_only(monkeypatch):
    monkeypatch.setattr(computing, "YIELD_SECONDS", 0.05)
    shared = computing.Computations(ComputationLimits(per_partner=1))
    with shared.turn("acme"):
        pass
    holder, release = held_turn(shared, "globex")

    def acme_run():
        with shared.turn("acme"):
            computing.make_way()  # globex still runs, yet acme goes on
            computing.make_way()  # its time to make way is used up

    # In a thread of its own, as Streamlit runs each rerun: the lowered priority ends with it.
    acme = threading.Thread(target=acme_run)
    acme.start()
    acme.join(timeout=10)
    assert not acme.is_alive(), "acme's run waited beyond its time to make way"
    release.set()
    holder.join()


def test_outside_a_turn_making_way_does_nothing():
    computing.make_way()
