"""The report's PNG charts: latency and throughput against concurrency, from the results."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from portal_bench.document import PAGE_NAMES, http_row, levels  # noqa: E402
from portal_bench.gate import SERIES as GATE_SERIES  # noqa: E402
from portal_bench.portal import PAGES, SERVERS, STATIC  # noqa: E402

# The same look in every run, so a regenerated chart differs only where the numbers do.
matplotlib.rcParams.update({"svg.hashsalt": "bench", "figure.dpi": 100, "font.size": 9})


def render(results: dict, directory: Path) -> list[tuple[str, str]]:
    """Write the charts into `directory`; [(title, file name)]."""
    directory.mkdir(parents=True, exist_ok=True)
    charts = [
        ("Portal pages: p95 latency against concurrent users", "portal-latency.png", _portal_latency),
        ("Portal pages: requests per second against concurrent users", "portal-throughput.png", _portal_throughput),
        ("The auth gate: p50 latency of one asset", "gate.png", _gate),
        ("Streamlit sessions on one replica: rerun latency and memory", "sessions.png", _sessions),
    ]
    written = []
    for title, name, draw in charts:
        figure = draw(results)
        for axis in figure.axes:
            _plain_numbers(axis)
        figure.suptitle(title)
        figure.tight_layout(rect=(0, 0, 1, 0.94))
        figure.savefig(directory / name, metadata={"Software": None})
        plt.close(figure)
        written.append((title, name))
    return written


def _portal_latency(results):
    figure, axes = _portal_pages(results, "p95", "p95 latency (ms)", yscale="log")
    for axis in axes:
        axis.axhline(1000, color="grey", linestyle=":", linewidth=1)
    return figure


def _portal_throughput(results):
    figure, _ = _portal_pages(results, "rps", "requests per second", ylim=(0, None))
    return figure


def _portal_pages(results, figure_name, label, **scale):
    """One panel a page: every server's `figure_name` against concurrent users."""
    figure, axes = plt.subplots(1, len(PAGES), figsize=(10, 4), sharey=True)
    for axis, page in zip(axes, PAGES):
        for series in (*SERVERS, STATIC):
            kind = "static" if series == STATIC else page
            users = levels(results, series, kind)
            axis.plot(users, [http_row(results, series, kind, u)[figure_name] for u in users], marker="o", label=series)
        axis.set(title=PAGE_NAMES[page], xlabel="concurrent users", xscale="log", **scale)
        axis.set_xticks(users, [str(u) for u in users])
    axes[0].set_ylabel(label)
    axes[0].legend()
    return figure, axes


def _gate(results):
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for series in GATE_SERIES:
        users = levels(results, series, "asset")
        axis.plot(users, [http_row(results, series, "asset", u)["p50"] for u in users], marker="o", label=series)
    axis.set(xlabel="concurrent users", ylabel="p50 latency (ms)", xscale="log")
    axis.set_xticks(users, [str(u) for u in users])
    axis.legend()
    return figure


def _sessions(results):
    levels_ = results["sessions"]["levels"]
    sessions = [level["sessions"] for level in levels_]
    figure, latency = plt.subplots(figsize=(7, 4))
    latency.plot(sessions, [level["p50"] for level in levels_], marker="o", label="p50 rerun")
    latency.plot(sessions, [level["p95"] for level in levels_], marker="o", label="p95 rerun")
    plain = results["sessions"]["plain"]["levels"]
    latency.plot([level["sessions"] for level in plain], [level["p95"] for level in plain], marker="^",
                 color="tab:red", label="p95 rerun, plain page")
    latency.axhline(1000, color="grey", linestyle=":", linewidth=1, label="1 s")
    latency.set(xlabel="sessions on one replica", ylabel="rerun latency (ms)", yscale="log")
    memory = latency.twinx()
    memory.plot(sessions, [level["memory_peak"] / 2**20 for level in levels_], color="tab:green", marker="s",
                linestyle="--", label="peak memory")
    memory.set_ylabel("replica memory (MiB)")
    memory.set_ylim(bottom=0)
    handles = latency.get_legend_handles_labels()[0] + memory.get_legend_handles_labels()[0]
    latency.legend(handles, [h.get_label() for h in handles], loc="upper left")
    return figure


def _plain_numbers(axis):
    """Log axes labelled 200, 1000, 5000 rather than in powers of ten."""
    for scale, ticks in ((axis.get_xscale(), axis.xaxis), (axis.get_yscale(), axis.yaxis)):
        if scale == "log":
            if ticks is axis.yaxis:
                ticks.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ticks.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ticks.set_minor_formatter(NullFormatter())
