"""A replica its orchestrator stops drains itself first.

Swarm stops a task with SIGTERM and kills it only after its stop_grace_period: on scale-in, when
its node is drained, at an update. It picks the task, which may run on any node, so nothing
outside can drain it the way ops/scale drains a replica on one host. With DRAIN_ON_STOP set
(compose.swarm.yaml), the container's start script runs `python3 -m analytics.retire` on that
signal and stops the server only when it returns:

- the drain file gets its deadline, STREAMLIT_DRAIN_SECONDS from now (a drain already under way
  keeps its own): the health answer then says the replica drains, so no nginx sends it a new
  partner, and its tabs warn (analytics.drain);
- it returns once no session is open, or at the deadline, whichever comes first.

It imports neither Streamlit nor polars: it runs beside the server, at the moment it is stopped.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import envsettings
from portal_probe import replica

POLL_SECONDS = 2


def open_sessions(path: Path = replica.PEERS_FILE) -> int:
    """The session websockets the replica holds now (analytics.peers counts them)."""
    return sum((replica.read_peers(path) or {}).values())


def retire(seconds: float, *, sessions: Callable[[], int] = open_sessions, clock: Callable[[], float] = time.time,
           sleep: Callable[[float], None] = time.sleep, path: Path = replica.DRAIN_FILE,
           log: Callable[[str], None] = print) -> int:
    """Drain for at most `seconds`; returns the sessions still open at the end."""
    deadline = replica.mark_draining(clock() + seconds, path)
    log(f"retiring: no new partners; up to {max(0, deadline - clock()):.0f}s for {sessions()} open sessions to end")
    return replica.wait_for_sessions(lambda: (sessions(), True), deadline, poll_seconds=POLL_SECONDS,
                                     clock=clock, sleep=sleep, log=log)


def main() -> int:
    try:
        seconds = envsettings.read("STREAMLIT_DRAIN_SECONDS", os.environ)
    except envsettings.SettingError as error:
        print(f"analytics: {error}; stopping without a drain", file=sys.stderr)
        return 1
    retire(seconds, log=lambda line: print(f"analytics: {line}", file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
