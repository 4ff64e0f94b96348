"""The sessions benchmark: partner sessions on one Streamlit replica.

Each level has a fresh replica of its own (an extra container of the streamlit service, same
image, settings, limits and volumes, that nginx does not route to), so sessions closed at an
earlier level, which Streamlit keeps for a while, weigh nothing. Then N simulated browser tabs (the
websocket protocol of portal_stack.streamlit_session, with the identity headers nginx's gate
would set) open the Explore page of the partner's generated dataset and, for a fixed time, each
changes the chart's aggregate after a think time, and waits for the rerun to finish. Memory is
the container's working set as the engine reports it, polled during the level.
"""
from __future__ import annotations

import random
import threading
import time

from streamlit.util import calc_hash

from portal_bench import stats
from portal_bench.project import BenchProject, answers, limits, note, usage
from portal_stack.stack import wait_until
from portal_stack.streamlit_session import StreamlitSession, widget

# st.navigation names a page by its URL path (app_pages/explore.py is "explore") and hashes it
# to the page_script_hash the browser sends.
PAGE = "explore"
PAGE_TITLE = "Explore"
CONTROL = "Aggregate"


def run(project: BenchProject, plan) -> dict:
    # Every level's replica starts (and warms up) before the first level: one at a time, the
    # warm-ups would take longer than the levels.
    replicas = {count: project.one_off("streamlit", f"sessions-{count}") for count in plan.session_levels}
    urls = {count: f"http://{project.address(name)}:8501" for count, name in replicas.items()}
    for url in urls.values():
        wait_until("a fresh streamlit replica to answer", lambda: answers(f"{url}/app/_stcore/health"), timeout=300)
    limit = limits(next(iter(replicas.values())))
    levels, idle = [], []
    for count, replica in replicas.items():
        try:
            idle.append(usage(replica)["memory"])
            level = _level(project, replica, urls[count], count, plan)
        finally:
            project.remove(replica)
        levels.append(level)
        p95 = f"{level['p95'] / 1000:.2f} s" if level["p95"] is not None else "-"
        note(f"{count} session{'s' if count > 1 else ''}: {level['reruns']} reruns, p95 {p95}, peak {level['memory_peak'] / 2**20:.0f} MiB")
    return {
        "page": PAGE_TITLE,
        "control": CONTROL,
        "rows": plan.session_rows,
        "seconds": plan.session_seconds,
        "think": list(plan.think_seconds),
        "memory_limit": limit["memory"],
        "cpu_limit": limit["cpus"],
        "memory_idle": min(idle),
        "levels": levels,
    }


def open_session(url: str, headers: dict) -> tuple[StreamlitSession, float]:
    """A tab on the Explore page, after its first run; (session, seconds of that run)."""
    session = StreamlitSession(url, headers=headers, timeout=120)
    session.page_script_hash = calc_hash(PAGE)
    seconds, _ = session.rerun()
    if PAGE_TITLE not in session.texts():
        session.close()
        raise RuntimeError(f"the {PAGE_TITLE} page did not open (it drew {session.texts()[:6]}); "
                           "the page's URL path or title changed?")
    return session, seconds


def find_control(session: StreamlitSession) -> tuple[str, list[str]]:
    """The id and options of the selectbox the sessions turn."""
    for element in session.elements:
        if element.WhichOneof("type") == "selectbox" and element.selectbox.label == CONTROL:
            return element.selectbox.id, list(element.selectbox.options)
    raise RuntimeError(f"the {PAGE_TITLE} page has no {CONTROL!r} selectbox to change; did the page change?")


def _level(project: BenchProject, replica: str, url: str, count: int, plan) -> dict:
    sessions, first_runs = [], []
    try:
        for _ in range(count):
            session, seconds = open_session(url, project.identity_headers())
            sessions.append(session)
            first_runs.append(seconds * 1000)
        control, options = find_control(sessions[0])
        sampler = _MemorySampler(replica)
        sampler.start()
        cpu_before, started = usage(replica)["cpu_seconds"], time.monotonic()
        latencies, errors = [], []
        deadline = started + plan.session_seconds
        threads = [threading.Thread(target=_partner, args=(s, i, control, options, plan.think_seconds, deadline,
                                                           latencies, errors))
                   for i, s in enumerate(sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        cpu = (usage(replica)["cpu_seconds"] - cpu_before) / elapsed
        settled = usage(replica)["memory"]
        peak = sampler.stop()
    finally:
        for session in sessions:
            session.close()
    return {
        "sessions": count,
        "reruns": len(latencies),
        "errors": len(errors),
        "rerun_rate": len(latencies) / elapsed,
        "first_run_p50": stats.percentile(first_runs, 50),
        "p50": stats.percentile(latencies, 50),
        "p95": stats.percentile(latencies, 95),
        "max": max(latencies) if latencies else None,
        "cpu_cores": cpu,
        "memory_settled": settled,
        "memory_peak": max(peak, settled),
    }


def _partner(session, index, control, options, think, deadline, latencies, errors):
    """One tab: think, change the control to its next option, wait for the rerun; until the
    deadline. list.append is atomic, so the threads share the result lists."""
    chooser = random.Random(index)
    turn = index
    while True:
        time.sleep(chooser.uniform(*think))
        if time.monotonic() >= deadline:
            return
        turn += 1
        try:
            seconds, _ = session.rerun([widget(control, string_value=options[turn % len(options)])])
        except Exception as error:  # a dropped websocket ends this tab, and counts
            errors.append(repr(error))
            return
        latencies.append(seconds * 1000)


class _MemorySampler(threading.Thread):
    """The replica's peak working set while the level runs."""

    def __init__(self, container: str, interval: float = 0.5):
        super().__init__(daemon=True)
        self.container, self.interval = container, interval
        self.peak = 0
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            self.peak = max(self.peak, usage(self.container)["memory"])
            self.halt.wait(self.interval)

    def stop(self) -> int:
        self.halt.set()
        self.join()
        return self.peak
