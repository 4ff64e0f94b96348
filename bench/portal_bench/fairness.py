"""The fair-shares benchmark: does one partner's heavy work slow another partner's session on the
same replica?

One fresh replica (as in the sessions benchmark). Partner B's tabs do what the sessions
benchmark's do (change the Explore chart's aggregate after a think time), first alone, then
while partner A's tabs, on a dataset of their own many times the size, work without pause: each
moves the number filter of Explore to a new range, a question nobody asked before, so every
rerun of theirs computes (a row count and the monthly median of the filtered rows). B's rerun
p95 with A at work over B's alone is the figure; the replica bounds A's computations at once
(STREAMLIT_COMPUTATIONS_PER_PARTNER), and A's tabs that waited their turn were told so.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
import time

from portal_bench import stats
from portal_bench.project import BenchProject, answers, note
from portal_bench.sessions import find_control, open_session, think_and_rerun
from portal_stack.stack import wait_until
from portal_stack.streamlit_session import widget

HEAVY_PARTNER = "bench-heavy"
NUMBER_CHOICE = "Number column"
NUMBER_COLUMN = "revenue"
HEAVY_AGGREGATE = "median"
WAITING = "Waiting for your other analyses"
# A's browsers stand for machines of their own: on the bench's host their client yields the
# CPU to the replica and to B's client, whose clock is the measure.
HEAVY_CLIENT_NICENESS = 10


def run(project: BenchProject, plan) -> dict:
    note(f"partner A: {plan.fairness_rows:,} rows of its own")
    project.create_partner(plan.fairness_rows, HEAVY_PARTNER)
    replica = project.one_off("streamlit", "fairness")
    try:
        url = f"http://{project.address(replica)}:8501"
        wait_until("a fresh streamlit replica to answer", lambda: answers(f"{url}/app/_stcore/health"), timeout=300)
        alone = _partner_b(project, url, plan)
        note(f"partner B alone: {len(alone['latencies'])} reruns, p95 {_seconds(alone['latencies'])}")
        heavy = _HeavyPartner(project, url, plan)
        heavy.start()
        try:
            loaded = _partner_b(project, url, plan)
        finally:
            heavy.stop()
        note(f"partner B beside {plan.fairness_heavy_sessions} heavy tabs of A: {len(loaded['latencies'])} "
             f"reruns, p95 {_seconds(loaded['latencies'])}; A: {len(heavy.latencies)} reruns, "
             f"{len(heavy.waited)} told to wait, {len(heavy.errors)} errors")
    finally:
        project.remove(replica)
    p95_alone, p95_loaded = stats.percentile(alone["latencies"], 95), stats.percentile(loaded["latencies"], 95)
    return {
        "b_sessions": plan.fairness_sessions,
        "heavy_sessions": plan.fairness_heavy_sessions,
        "heavy_rows": plan.fairness_rows,
        "rows": plan.session_rows,
        "seconds": plan.fairness_seconds,
        "think": list(plan.think_seconds),
        "alone": {"reruns": len(alone["latencies"]), "errors": alone["errors"], "p50": stats.percentile(alone["latencies"], 50),
                  "p95": p95_alone},
        "loaded": {"reruns": len(loaded["latencies"]), "errors": loaded["errors"],
                   "p50": stats.percentile(loaded["latencies"], 50), "p95": p95_loaded},
        "heavy": {"reruns": len(heavy.latencies), "waited": len(heavy.waited), "errors": len(heavy.errors),
                  "p50": stats.percentile(heavy.latencies, 50), "p95": stats.percentile(heavy.latencies, 95)},
        "ratio": stats.ratio(p95_loaded, p95_alone),
    }


def _seconds(latencies: list[float]) -> str:
    p95 = stats.percentile(latencies, 95)
    return "-" if p95 is None else f"{p95 / 1000:.2f} s"


def _partner_b(project: BenchProject, url: str, plan) -> dict:
    """B's tabs for `fairness_seconds`, as the sessions benchmark runs them."""
    tabs = [open_session(url, project.identity_headers())[0] for _ in range(plan.fairness_sessions)]
    latencies, errors = [], []
    try:
        control, options = find_control(tabs[0])
        # Each of B's views once, untimed: both phases then find B's results shared, as a
        # partner's own tabs do after their first look.
        for option in options:
            tabs[0].rerun([widget(control, string_value=option)], tabs[0].fragment_of(control))
        deadline = time.monotonic() + plan.fairness_seconds
        threads = [threading.Thread(target=think_and_rerun, args=(tab, i, control, options, plan.think_seconds, deadline,
                                                         latencies, errors)) for i, tab in enumerate(tabs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for tab in tabs:
            tab.close()
    return {"latencies": latencies, "errors": len(errors)}


class _HeavyPartner:
    """Partner A's tabs, in a process of their own: each sets Explore's number filter to a new
    random range, back to back.

    A's browsers are not B's. In one process, A's tabs' threads would hold the GIL while they
    parse A's charts, and B's measured reruns would include that wait on the client's side.
    """

    def __init__(self, project: BenchProject, url: str, plan):
        context = multiprocessing.get_context("spawn")  # the bench's own threads are not the child's
        self.halt, self.ready, self.results = context.Event(), context.Event(), context.Queue()
        self.process = context.Process(target=_heavy_tabs, daemon=True, args=(
            url, project.identity_headers(HEAVY_PARTNER), plan.fairness_heavy_sessions, self.halt, self.ready, self.results))
        self.latencies: list[float] = []
        self.errors: list[str] = []
        # The seconds of each rerun told to wait its turn.
        self.waited: list[float] = []

    def start(self) -> None:
        self.process.start()
        try:
            wait_until("partner A's tabs to open", lambda: self.ready.is_set() or not self.process.is_alive(),
                       timeout=300)
            if not self.ready.is_set():
                raise RuntimeError(f"partner A's tabs did not open: {self._result()['errors']}")
        except BaseException:
            self._end()
            raise

    def stop(self) -> None:
        self.halt.set()
        result = self._result()
        self._end()
        self.latencies, self.waited, self.errors = result["latencies"], result["waited"], result["errors"]

    def _end(self) -> None:
        """The process gone: given 30 s to close its tabs, then stopped (a tab that hangs
        would otherwise keep it, and its load, into the next benchmark)."""
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()

    def _result(self) -> dict:
        try:
            return self.results.get(timeout=150)
        except queue.Empty:  # the process hung or died without a word
            return {"latencies": [], "waited": [], "errors": ["partner A's process sent no result"]}


def _heavy_tabs(url, headers, sessions, halt, ready, results) -> None:
    """Partner A's process: open the tabs, rerun them until `halt`, put what they measured."""
    latencies, waited, errors = [], [], []
    threads = []
    os.nice(HEAVY_CLIENT_NICENESS)
    try:
        tabs = [open_session(url, headers)[0] for _ in range(sessions)]
        # The costliest of the chart's aggregates, kept as each tab's choice.
        control, _ = find_control(tabs[0])
        chosen = [widget(_selectbox(tabs[0], NUMBER_CHOICE), string_value=NUMBER_COLUMN),
                  widget(control, string_value=HEAVY_AGGREGATE)]
        for tab in tabs:
            tab.rerun(chosen)
        slider = _element(tabs[0], "slider")
        # list.append is atomic: the tabs' threads share the lists.
        threads = [threading.Thread(target=_heavy_tab, args=(tab, i, chosen, slider, halt, latencies, waited, errors))
                   for i, tab in enumerate(tabs)]
        for thread in threads:
            thread.start()
        ready.set()
    except Exception as error:  # reported to the bench, which stops
        errors.append(repr(error))
    for thread in threads:
        thread.join()
    results.put({"latencies": latencies, "waited": waited, "errors": errors})


def _heavy_tab(tab, index, chosen, slider, halt, latencies, waited, errors) -> None:
    chooser = random.Random(1000 + index)
    try:
        while not halt.is_set():
            low, high = sorted(chooser.uniform(slider.min, slider.max) for _ in range(2))
            try:
                seconds, elements = tab.rerun([*chosen, widget(slider.id, double_array_value={"data": [low, high]})])
            except Exception as error:  # counted; this tab stops
                errors.append(repr(error))
                return
            latencies.append(seconds * 1000)
            if any(WAITING in body for body in _alerts(elements)):
                waited.append(seconds)
    finally:
        tab.close()


def _selectbox(tab, label: str) -> str:
    for element in tab.elements:
        if element.WhichOneof("type") == "selectbox" and element.selectbox.label == label:
            return element.selectbox.id
    raise RuntimeError(f"the Explore page has no {label!r} selectbox; did the filter panel change?")


def _element(tab, kind: str):
    for element in tab.elements:
        if element.WhichOneof("type") == kind:
            return getattr(element, kind)
    raise RuntimeError(f"the Explore page drew no {kind} after {NUMBER_CHOICE!r} was set; did the page change?")


def _alerts(elements) -> list[str]:
    return [element.alert.body for element in elements if element.WhichOneof("type") == "alert"]
