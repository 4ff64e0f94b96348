"""Request times over the last minutes, from nginx's JSON access log (the nginx container's own).

nginx writes every request twice: to its output (for `docker compose logs`) and to a file inside
the container that only this module reads. The file is cut back to nothing once it passes
MAX_LOG_BYTES: the history lives in the container's output, this file only has to cover the
window.
"""

import json
import math
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEFAULT_LOG = Path("/tmp/nginx/access.json")
WINDOW = timedelta(minutes=5)
# Enough for the window at hundreds of requests a second; reading more is wasted work.
TAIL_BYTES = 8 * 1024 * 1024
MAX_LOG_BYTES = 16 * 1024 * 1024


def route(uri: str) -> str:
    return "app" if uri.startswith("/app/") else "portal"


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarise(times_s: list[float]) -> dict:
    return {
        "requests": len(times_s),
        "p50_ms": None if not times_s else round(percentile(times_s, 0.50) * 1000, 1),
        "p95_ms": None if not times_s else round(percentile(times_s, 0.95) * 1000, 1),
    }


def read_recent(lines: list[str], now: datetime, window: timedelta = WINDOW) -> dict[str, list[float]]:
    """Request times in seconds by route, for requests that ended within the window.

    Websockets are left out: their time is how long a partner kept the tab open.
    """
    since = now - window
    by_route: dict[str, list[float]] = {"portal": [], "app": []}
    for line in lines:
        try:
            record = json.loads(line)
            ended = datetime.fromisoformat(record["time"])
            if ended < since or record["status"] == 101:
                continue
            by_route[route(record["uri"])].append(float(record["request_time"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by truncation, or not ours
    return by_route


def tail_lines(path: Path, limit: int = TAIL_BYTES) -> list[str]:
    try:
        with open(path, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - limit))
            data = log.read()
    except FileNotFoundError:
        return []
    return data.decode("utf-8", "replace").splitlines()


def latency_report(path: Path = DEFAULT_LOG, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    by_route = read_recent(tail_lines(path), now)
    everything = by_route["portal"] + by_route["app"]
    report = {"window_s": int(WINDOW.total_seconds()), **summarise(everything),
              "routes": {name: summarise(times) for name, times in by_route.items()}}
    truncate_if_large(path)
    return report


def truncate_if_large(path: Path, limit: int = MAX_LOG_BYTES) -> None:
    """nginx appends (O_APPEND), so cutting the file to zero lets it go on writing at the start."""
    try:
        if path.stat().st_size > limit:
            os.truncate(path, 0)
    except FileNotFoundError:
        pass
