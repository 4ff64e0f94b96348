"""What a streamlit replica keeps in its own /tmp for ops and for its probe: one owner for the
names and the formats, shared by the app, the probe's reporter and ops/scale.

- DRAIN_FILE: the moment (Unix time) the replica will be stopped, written by `mark_draining`
  only: ops/scale runs it through `docker exec` (`python3 -m portal_probe drain`), a replica
  Swarm stops runs it itself (analytics.retire), and the app tells its tabs from the file.
- PEERS_FILE: how many open sessions (websockets) come from each client address, kept by the
  app's middleware (only the replica sees its websockets' client addresses, in the X-Real-IP
  nginx sets); the reporter copies it into the snapshot, where the advice reads it.
`wait_for_sessions` is the drain's wait, the same whether ops/scale drains replicas from the
host or a replica Swarm stops drains itself (analytics.retire).
A replica's /tmp is its own tmpfs: nothing a partner can reach writes there, and a replica that
restarts starts without either file.
"""
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DRAIN_FILE = Path("/tmp/portal-drain")
PEERS_FILE = Path("/tmp/portal-peers.json")


def drain_deadline(path: Path = DRAIN_FILE) -> float | None:
    """When this replica will be stopped; None while it is not draining."""
    try:
        return float(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def mark_draining(deadline: float, path: Path = DRAIN_FILE) -> float:
    """The replica drains until `deadline` (Unix time), or until an earlier deadline already set,
    which its tabs were told. Returns the deadline in effect."""
    earlier = drain_deadline(path)
    if earlier is not None and earlier <= deadline:
        return earlier
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(f"{int(deadline)}\n", encoding="ascii")
    os.replace(temporary, path)
    return float(int(deadline))


def mark_kept(path: Path = DRAIN_FILE) -> None:
    """Kept after all (an ops/scale that stopped while it drained): it takes new partners again."""
    path.unlink(missing_ok=True)


def write_peers(counts: dict[str, int], path: Path = PEERS_FILE) -> None:
    """Readers see the old counts or the new ones, never half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({address: count for address, count in counts.items() if count > 0}, out)
    os.replace(temporary, path)


def read_peers(path: Path = PEERS_FILE) -> dict[str, int] | None:
    """{client address: open sessions}; None where nothing keeps the file (not a replica, or an
    old image)."""
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {str(address): int(count) for address, count in counts.items()} if isinstance(counts, dict) else None


def wait_for_sessions(open_sessions: Callable[[], tuple[int, bool]], deadline: float, *, poll_seconds: float,
                      progress_seconds: float = 60, clock: Callable[[], float] = time.time,
                      sleep: Callable[[float], None] = time.sleep, log: Callable[[str], None] = print) -> int:
    """Wait until no session is open, or until `deadline` (Unix time); returns the sessions still
    open at the end. `open_sessions()` gives (sessions, certain): not certain while a replica did
    not answer (a busy moment), whose sessions still count as open."""
    next_progress = clock() + progress_seconds
    while True:
        held, certain = open_sessions()
        if held == 0 and certain:
            log("drained: no session left")
            return 0
        now = clock()
        if now >= deadline:
            log(f"drain time over with {held} sessions open: their pages reconnect to another replica")
            return held
        if now >= next_progress:
            log(f"still draining: {held} sessions open, {deadline - now:.0f}s left")
            next_progress = now + progress_seconds
        sleep(min(poll_seconds, max(0.0, deadline - now)))
