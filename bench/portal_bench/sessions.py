"""The sessions benchmark: partner sessions on one Streamlit replica, the app's Explore page and
its anchor, the same page written the plain way (plain_explore.py: pandas, st.cache_data, the
whole script rerun on every change), measured in the same run on the same data and limits.

Each level has a fresh replica of its own (an extra container of the streamlit service, same
image, settings, limits and volumes, that nginx does not route to), so sessions closed at an
earlier level, which Streamlit keeps for a while, weigh nothing. Then N simulated browser tabs (the
websocket protocol of portal_stack.streamlit_session, with the identity headers nginx's gate
would set) open the Explore page of the partner's generated dataset and, for a fixed time, each
changes the chart's aggregate after a think time, and waits for the rerun to finish (as a
browser does, only the fragment that holds the control when it is in one). Memory is the
container's working set as the engine reports it, polled during the level. A series stops after
the first level whose p95 passes GIVE_UP_MS: the 1 s crossing is bracketed by then, and more
sessions would only queue longer.
"""
from __future__ import annotations

import random
import shutil
import threading
import time
from pathlib import Path

from streamlit.util import calc_hash

from portal_bench import stats
from portal_bench.analytics_timing import generate
from portal_bench.project import BenchProject, answers, limits, note, usage
from portal_stack.stack import wait_until
from portal_stack.streamlit_session import StreamlitSession, widget

# st.navigation names a page by its URL path (app_pages/explore.py is "explore") and hashes it
# to the page_script_hash the browser sends.
PAGE = "explore"
PAGE_TITLE = "Explore"
CONTROL = "Aggregate"
PLAIN_SCRIPTS = [Path(__file__).with_name(name) for name in ("plain_explore.py", "plain_app.py")]
GIVE_UP_MS = 3000.0


def run(project: BenchProject, plan) -> dict:
    folder = _plain_files(project, plan)
    pages = {
        "ours": (PAGE, lambda count: project.one_off("streamlit", f"sessions-{count}")),
        "plain": (None, lambda count: project.one_off(
            "streamlit", f"plain-{count}", "python3", "-m", "streamlit", "run", "/bench/plain_app.py",
            options=("-v", f"{folder}:/bench:ro", "-e", "PLAIN_DATASET=/bench/sales.parquet"))),
    }
    series = {name: {"levels": [], "idle": [], "limit": None} for name in pages}
    # The two pages take turns level by level, so that whatever else the machine does weighs on
    # both alike.
    for count in plan.session_levels:
        for name, (page, start) in pages.items():
            measured = series[name]
            if measured["levels"] and _gave_up(measured["levels"][-1]):
                continue
            replica = start(count)
            try:
                url = f"http://{project.address(replica)}:8501"
                wait_until("a fresh streamlit replica to answer", lambda: answers(f"{url}/app/_stcore/health"),
                           timeout=300)
                measured["limit"] = measured["limit"] or limits(replica)
                measured["idle"].append(usage(replica)["memory"])
                level = _level(project, replica, url, count, plan, page)
            finally:
                project.remove(replica)
            measured["levels"].append(level)
            p95 = f"{level['p95'] / 1000:.2f} s" if level["p95"] is not None else "-"
            note(f"{name}, {count} session{'s' if count > 1 else ''}: {level['reruns']} reruns, p95 {p95}, "
                 f"peak {level['memory_peak'] / 2**20:.0f} MiB")
    ours, plain = ({"memory_limit": m["limit"]["memory"], "cpu_limit": m["limit"]["cpus"],
                    "memory_idle": min(m["idle"]), "levels": m["levels"]} for m in series.values())
    return {
        "page": PAGE_TITLE,
        "control": CONTROL,
        "rows": plan.session_rows,
        "seconds": plan.session_seconds,
        "think": list(plan.think_seconds),
        **ours,
        "plain": plain,
    }


def dropped_sessions(level: dict) -> bool:
    """Whether the replica dropped tabs at a level: a websocket that failed ends its tab, and a
    replica whose memory ran out restarts and drops them all."""
    return level["errors"] > 0


def _gave_up(level: dict) -> bool:
    return level["p95"] is None or level["p95"] > GIVE_UP_MS or dropped_sessions(level)


def _plain_files(project: BenchProject, plan) -> Path:
    """The plain page, its server, and the same generated dataset (same rows, same seed) the
    partner has, readable by the streamlit image's own user."""
    folder = project.workdir / "plain"
    folder.mkdir(parents=True, exist_ok=True)
    generate(plan.session_rows, folder / "sales.parquet")
    for script in PLAIN_SCRIPTS:
        shutil.copy(script, folder / script.name)
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def open_session(url: str, headers: dict, page: str | None = PAGE) -> tuple[StreamlitSession, float]:
    """A tab on the Explore page, after its first run; (session, seconds of that run). `page`:
    the st.navigation page to open; None for a single-page app."""
    session = StreamlitSession(url, headers=headers, timeout=120)
    if page is not None:
        session.page_script_hash = calc_hash(page)
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


def _level(project: BenchProject, replica: str, url: str, count: int, plan, page: str | None) -> dict:
    sessions, first_runs = [], []
    try:
        for _ in range(count):
            session, seconds = open_session(url, project.identity_headers(), page)
            sessions.append(session)
            first_runs.append(seconds * 1000)
        control, options = find_control(sessions[0])
        sampler = _MemorySampler(replica)
        sampler.start()
        cpu_before, started = usage(replica)["cpu_seconds"], time.monotonic()
        latencies, errors = [], []
        deadline = started + plan.session_seconds
        threads = [threading.Thread(target=think_and_rerun, args=(s, i, control, options, plan.think_seconds, deadline,
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


def think_and_rerun(session, index, control, options, think, deadline, latencies, errors):
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
            seconds, _ = session.rerun([widget(control, string_value=options[turn % len(options)])],
                                       session.fragment_of(control))
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
