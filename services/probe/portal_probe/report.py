"""Load snapshots: what the container uses against its own limits, kept as JSON for ops to read.

Each container sends its snapshot to Django's internal API (PROBE_REPORT_URL), over the internal
network from any node; Django keeps it as `<container name>.json` in its report folder, where
`ops/status` and Django's ops page read it and turn the snapshots into advice.
"""

import json
import os
import socket
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import NoReturn
from datetime import datetime, timezone
from pathlib import Path

import psutil

from portal_probe.cgroup import Memory, cpu_percent, open_cgroup, sample_cpu
from portal_probe.health import HealthResult, run_check
from portal_probe.latency import latency_report
from portal_probe.names import container_name
from portal_probe.processes import ProcessRecord
from portal_probe.replica import read_peers
from portal_probe.settings import Settings

STREAMLIT_PORT = 8501
# CPU percent is an average over a window; shorter ones mostly show the probe's own start-up.
MIN_CPU_WINDOW_S = 1.0


def build_snapshot(
    *,
    service: str,
    hostname: str,
    container: str,
    now: datetime,
    health: HealthResult,
    table: list[ProcessRecord],
    memory: Memory,
    cpu_percent_of_quota: float,
    cpu_quota_cores: float | None,
    cpu_count: int,
    connections: Iterable,
) -> dict:
    connections = list(connections)
    return {
        "time": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "service": service,
        "hostname": hostname,
        "container": container,
        "health": {"ok": health.ok, "reason": None if health.ok else "; ".join(health.problems)},
        "cpu_percent": round(cpu_percent_of_quota, 1),
        "cpu_quota_cores": cpu_quota_cores,
        "cpu_count": cpu_count,
        "memory_bytes": memory.working_set_bytes,
        "memory_limit_bytes": memory.limit_bytes,
        "memory_percent": None if memory.percent is None else round(memory.percent, 1),
        "processes": len(table),
        "threads": sum(record.threads for record in table),
        "workers": health.processes.workers,
        "connections": count_established(connections),
        # Each browser tab holds one websocket to the server, through nginx.
        "sessions": count_established(connections, local_port=STREAMLIT_PORT) if service == "streamlit" else None,
    }


def count_established(connections: Iterable, local_port: int | None = None) -> int:
    return sum(
        1
        for connection in connections
        if connection.status == psutil.CONN_ESTABLISHED
        and (local_port is None or (connection.laddr and connection.laddr.port == local_port))
    )


def read_tcp_connections() -> list:
    try:
        return psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        pass
    # Where the system-wide table is refused, gather what each visible process shows.
    seen = {}
    for process in psutil.process_iter():
        try:
            for connection in process.net_connections(kind="tcp"):
                seen[(connection.laddr, connection.raddr)] = connection
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
    return list(seen.values())


class Reporter:
    """Takes snapshots of one container; CPU is averaged since the previous snapshot."""

    def __init__(
        self, service: str, settings: Settings, read_table: Callable[[], list[ProcessRecord]], cgroup_root: Path
    ):
        self.service = service
        self.settings = settings
        self.read_table = read_table
        self.cgroup_root = cgroup_root
        self.cgroup = open_cgroup(cgroup_root)
        self.hostname = socket.gethostname()
        self.container = container_name(self.hostname)
        self.previous_cpu = sample_cpu(self.cgroup)

    def snapshot(self) -> dict:
        if self.container == self.hostname:
            # Docker's DNS may not know a container yet when it starts (a swarm task is added
            # once it runs): ask again until it does, or every snapshot keeps the bare hostname.
            self.container = container_name(self.hostname)
        table = self.read_table()
        health = run_check(self.service, self.settings, table, self.cgroup_root)
        waited = time.monotonic() - self.previous_cpu.monotonic_seconds
        if waited < MIN_CPU_WINDOW_S:
            time.sleep(MIN_CPU_WINDOW_S - waited)
        current_cpu = sample_cpu(self.cgroup)
        quota_cores = self.cgroup.cpu_quota_cores()
        cpu_count = len(os.sched_getaffinity(0))
        snapshot = build_snapshot(
            service=self.service,
            hostname=self.hostname,
            container=self.container,
            now=datetime.now(timezone.utc),
            health=health,
            table=table,
            memory=self.cgroup.memory(),
            cpu_percent_of_quota=cpu_percent(self.previous_cpu, current_cpu, quota_cores, cpu_count),
            cpu_quota_cores=quota_cores,
            cpu_count=cpu_count,
            connections=read_tcp_connections(),
        )
        self.previous_cpu = current_cpu
        if self.service == "nginx":
            snapshot["latency"] = latency_report()
        if self.service == "streamlit":
            snapshot["sessions_by_address"] = read_peers()
        return snapshot


def write_snapshot(snapshot: dict, directory: Path) -> Path:
    """Write `<container>.json` so that readers see the old file or the new one, never half of one."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{snapshot.get('container') or snapshot['hostname']}.json"
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as temp_file:
            json.dump(snapshot, temp_file, indent=2)
        os.chmod(temp_name, 0o644)  # readers (ops, Django) run as other users
        os.replace(temp_name, target)
    except BaseException:
        os.unlink(temp_name)
        raise
    return target


def load_snapshots(directory: Path) -> list[dict]:
    """Every snapshot in the folder; a file that cannot be read or parsed is left out."""
    snapshots = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            snapshots.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return snapshots


def send_snapshot(snapshot: dict, url: str, token: str, timeout_s: float) -> None:
    """POST the snapshot to Django's internal API; raises OSError when it is not taken."""
    request = urllib.request.Request(
        url, data=json.dumps(snapshot).encode(), method="POST",
        # Host: the name Django answers the internal API under, whatever the service is called.
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "localhost"},
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as reply:
        reply.read()


def run_report_loop(reporter: Reporter, directory: Path, interval_s: float) -> NoReturn:
    settings = reporter.settings
    while True:
        try:
            snapshot = reporter.snapshot()
            if settings.report_url:
                send_snapshot(snapshot, settings.report_url, settings.token, settings.timeout_s)
            else:
                write_snapshot(snapshot, directory)
        except Exception as error:  # one bad round must not end the history
            print(f"report: {reporter.service}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        time.sleep(interval_s)
