"""A replica runs on one core, and moves to a less busy one when another replica shares its own.

Why one core: a replica's scripts take turns on the GIL, so its Python uses one core at most,
and polars' engine threads came on top of it on a second core. There the kernel let a heavy
partner's computation run beside a light partner's rerun rather than after it, and, under a
CPU limit of one CPU (a CFS quota), the two used the quota in part of each 100 ms period and the
kernel paused every thread of the replica until the next. On one core the kernel's scheduler
decides who runs: it favours threads that have just woken, a partner's rerun, over threads that
run all the time, and polars' niced engine threads (analytics.computing) take what the scripts
leave. The replica's CPU limit (STREAMLIT_CPUS) is headroom above that core for what Docker
starts beside it: at exactly one CPU, a health check beside a busy replica paused all of it.

Why it moves: the kernel no longer spreads a pinned replica. Every CHECK_SECONDS the replica
compares its core's load with the least busy core it may use (from /proc/stat, which counts the
whole host) and moves there when that leaves both less loaded than its own is now. Two replicas
on one core both see the idle one; each moves with a chance of one half, so they part in a few
checks rather than swapping for ever.

    python3 -m analytics.cores pin PID    pin PID (the container's start script) to one core
"""
from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

CHECK_SECONDS = 10.0
# A move has to take at least this share of a core off the replica's own core.
MARGIN = 0.25


def busy_times(stat: str) -> dict[int, tuple[int, int]]:
    """Per CPU, (busy, total) clock ticks since boot from /proc/stat's text."""
    times = {}
    for line in stat.splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            ticks = [int(field) for field in fields]
            # idle and iowait are the idle columns.
            idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
            times[int(name[3:])] = (sum(ticks[:8]) - idle, sum(ticks[:8]))
    return times


def busy_shares(before: Mapping[int, tuple[int, int]], after: Mapping[int, tuple[int, int]]) -> dict[int, float]:
    """Per CPU, the share of the time between two readings it was busy (0 to 1)."""
    shares = {}
    for cpu, (busy, total) in after.items():
        busy_before, total_before = before.get(cpu, (busy, total))
        shares[cpu] = (busy - busy_before) / (total - total_before) if total > total_before else 0.0
    return shares


def better_core(own: int, shares: Mapping[int, float], mine: float, allowed: set[int],
                chance: Callable[[], float] = random.random) -> int | None:
    """The core to move to, or None to stay: the least busy allowed core, if the replica's own
    load (`mine`, in cores) added to it still leaves it MARGIN less busy than `own` is now; and
    then only with a chance of one half (see the module)."""
    others = [cpu for cpu in allowed if cpu != own]
    if not others:
        return None
    idlest = min(others, key=lambda cpu: (shares.get(cpu, 0.0), cpu))
    if shares.get(idlest, 0.0) + mine < shares.get(own, 0.0) - MARGIN and chance() < 0.5:
        return idlest
    return None


def pin(pid: int, cpu: int) -> None:
    """Every thread of `pid` on `cpu`; children it starts afterwards inherit it. A process or
    thread that ended meanwhile (a health check) is passed over."""
    try:
        tasks = [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return
    for task in tasks:
        try:
            os.sched_setaffinity(task, {cpu})
        except OSError:
            continue


def cpu_list(text: str) -> set[int]:
    """The CPUs of a list such as "0-3,6"."""
    cpus = set()
    for part in text.strip().split(","):
        if part:
            low, _, high = part.partition("-")
            cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def allowed_cores() -> set[int]:
    """The cores the container may use (its cpuset), whatever this process is pinned to."""
    for path in ("/sys/fs/cgroup/cpuset.cpus.effective", "/sys/fs/cgroup/cpuset/cpuset.effective_cpus",
                 "/sys/fs/cgroup/cpuset/cpuset.cpus"):
        try:
            return cpu_list(Path(path).read_text())
        except (OSError, ValueError):
            continue
    return os.sched_getaffinity(0)


def container_pids() -> list[int]:
    """The processes this container's /proc shows: its own (a PID namespace of its own)."""
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def first_core(allowed: set[int]) -> int:
    """A core to start on: the least busy over a short look, ties broken at random, so that
    replicas started together do not all take the first."""
    before = busy_times(Path("/proc/stat").read_text())
    time.sleep(0.2)
    shares = busy_shares(before, busy_times(Path("/proc/stat").read_text()))
    return min(allowed, key=lambda cpu: (round(shares.get(cpu, 0.0), 1), random.random()))


def keep_balanced() -> threading.Thread | None:
    """Start the thread that moves the container to a better core when there is one; None when
    this process is not pinned to one core of several (not started by the start script)."""
    pinned, allowed = os.sched_getaffinity(0), allowed_cores()
    if len(pinned) != 1 or len(allowed) < 2:
        return None
    (cpu,) = pinned

    def check() -> None:
        nonlocal cpu
        before, used_before = busy_times(Path("/proc/stat").read_text()), time.process_time()
        while True:
            time.sleep(CHECK_SECONDS)
            try:
                after, used = busy_times(Path("/proc/stat").read_text()), time.process_time()
            except (OSError, ValueError):  # no usable /proc/stat: stay where it is
                continue
            mine = (used - used_before) / CHECK_SECONDS
            target = better_core(cpu, busy_shares(before, after), mine, allowed)
            if target is not None:
                for pid in container_pids():
                    pin(pid, target)
                cpu = target
            before, used_before = after, used

    thread = threading.Thread(target=check, name="analytics-cores", daemon=True)
    thread.start()
    return thread


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "pin" or not argv[1].isdigit():
        print("usage: python3 -m analytics.cores pin PID", file=sys.stderr)
        return 2
    # A replica that cannot be pinned still serves, only less fairly: never a reason to stop.
    try:
        allowed = os.sched_getaffinity(int(argv[1]))
        if len(allowed) > 1:
            pin(int(argv[1]), first_core(allowed))
    except (OSError, ValueError) as error:
        print(f"analytics: not pinned to one core: {error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
