"""The probes' snapshot files, read and checked: what each container reports now.

A snapshot older than 3 x PROBE_INTERVAL is stale: its container is gone (a scale-down, a
recreate) or its reporter died. Stale snapshots feed neither the history nor the advice; the
status page lists them, marked, for a day after their last report.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from numbers import Real

from django.conf import settings
from portal_probe.report import load_snapshots

# After this, a stale snapshot's container is taken for gone and left off the page.
FORGET_AFTER = timedelta(hours=24)


class Malformed(ValueError):
    """A snapshot lacks a field the probe always writes, or has one of the wrong kind."""


@dataclass(frozen=True)
class Reading:
    """One snapshot, checked; `snapshot` is the probe's dict, as `portal_probe.advice` takes it."""

    snapshot: dict
    time: datetime
    container: str
    service: str
    healthy: bool
    reason: str | None
    cpu_percent: float
    cpu_quota_cores: float | None
    cpu_count: int
    memory_bytes: int | None
    memory_limit_bytes: int | None
    memory_percent: float | None
    sessions: int | None
    connections: int | None
    latency: dict | None


def parse(snapshot):
    """The snapshot as a Reading, or Malformed naming what is wrong.

    Every field the probe writes must be there (null where the probe allows it): the advice reads
    them all. Only `container` (older probes) and `latency` (nginx only) may be missing.
    """
    if not isinstance(snapshot, dict):
        raise Malformed("not a JSON object")
    text = _field(snapshot, "time", str)
    try:
        time = datetime.fromisoformat(text)
    except ValueError:
        raise Malformed(f"time is not an ISO date and time: {text!r}") from None
    if time.tzinfo is None:
        raise Malformed("time has no time zone")
    health = _field(snapshot, "health", dict)
    hostname = _field(snapshot, "hostname", str)
    container = snapshot.get("container")
    if container is not None and not isinstance(container, str):
        raise Malformed(f"container is {container!r}")
    _field(snapshot, "workers", int, nullable=True)
    latency = snapshot.get("latency")
    return Reading(
        snapshot=snapshot,
        time=time.astimezone(timezone.utc),
        container=container or hostname,
        service=_field(snapshot, "service", str),
        healthy=_field(health, "ok", bool),
        reason=_field(health, "reason", str, nullable=True),
        cpu_percent=float(_field(snapshot, "cpu_percent", Real)),
        cpu_quota_cores=_field(snapshot, "cpu_quota_cores", Real, nullable=True),
        cpu_count=_field(snapshot, "cpu_count", int),
        memory_bytes=_field(snapshot, "memory_bytes", int, nullable=True),
        memory_limit_bytes=_field(snapshot, "memory_limit_bytes", int, nullable=True),
        memory_percent=_field(snapshot, "memory_percent", Real, nullable=True),
        sessions=_field(snapshot, "sessions", int, nullable=True),
        connections=_field(snapshot, "connections", int, nullable=True),
        latency=latency if isinstance(latency, dict) else None,
    )


def _field(mapping, name, kind, nullable=False):
    if name not in mapping:
        raise Malformed(f"no {name}")
    value = mapping[name]
    if value is None and nullable:
        return None
    # bool is an int to Python, and JSON's true is no number of bytes.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Malformed(f"{name} is {value!r}")
    return value


def stale_after():
    return timedelta(seconds=3 * settings.PROBE_INTERVAL)


def read_folder(folder):
    """Every snapshot in the folder, checked: (readings, [(container or '?', problem)])."""
    readings, malformed = [], []
    for snapshot in load_snapshots(folder):
        try:
            readings.append(parse(snapshot))
        except Malformed as error:
            named = snapshot if isinstance(snapshot, dict) else {}
            malformed.append((str(named.get("container") or named.get("hostname") or "?"), str(error)))
    return readings, malformed


@dataclass(frozen=True)
class ContainerNow:
    """A row of the status table: the newest reading of one container, and how old it is."""

    reading: Reading
    age: timedelta
    stale: bool


def current(readings, now):
    """The newest reading of each container, stale ones marked, gone ones left out; by service."""
    newest = {}
    for reading in readings:
        kept = newest.get(reading.container)
        if kept is None or kept.time < reading.time:
            newest[reading.container] = reading
    rows = []
    for reading in newest.values():
        age = max(now - reading.time, timedelta(0))  # a clock a little ahead is no future
        if age <= FORGET_AFTER:
            rows.append(ContainerNow(reading, age, stale=age > stale_after()))
    return sorted(rows, key=lambda row: (row.reading.service, natural_key(row.reading.container)))


def natural_key(text):
    """streamlit-2 before streamlit-10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]
