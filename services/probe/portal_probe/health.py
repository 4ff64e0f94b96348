"""The healthcheck: process layout, memory against the cgroup limit, and the health endpoint."""

from dataclasses import dataclass
from pathlib import Path

from portal_probe.cgroup import CgroupError, open_cgroup
from portal_probe.endpoint import HEALTH_URLS, HOST_HEADERS, check_endpoint
from portal_probe.processes import ProcessCheck, ProcessRecord, check_processes
from portal_probe.settings import Settings


@dataclass(frozen=True)
class HealthResult:
    service: str
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    processes: ProcessCheck

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def line(self) -> str:
        """What the healthcheck prints: "ok: ..." or "fail: ...", always one line."""
        if self.ok:
            return f"ok: {self.service}: " + "; ".join(self.notes)
        return f"fail: {self.service}: " + "; ".join(self.problems)


def run_check(service: str, settings: Settings, table: list[ProcessRecord], cgroup_root: Path) -> HealthResult:
    problems: list[str] = []
    notes: list[str] = []

    processes = check_processes(service, table, settings.gunicorn_workers)
    problems += processes.problems
    notes.append(processes.summary)

    try:
        memory = open_cgroup(cgroup_root).memory()
    except CgroupError as error:
        problems.append(str(error))
    else:
        if memory.percent is None:
            notes.append(f"memory {format_bytes(memory.working_set_bytes)}, no limit: memory check skipped")
        elif memory.percent > settings.mem_fail_percent:
            problems.append(
                f"memory {memory.percent:.0f} % of {format_bytes(memory.limit_bytes)},"
                f" over {settings.mem_fail_percent:g} %"
            )
        else:
            notes.append(f"memory {memory.percent:.0f} % of {format_bytes(memory.limit_bytes)}")

    endpoint = check_endpoint(
        settings.url_override or HEALTH_URLS[service], settings.timeout_s, HOST_HEADERS.get(service)
    )
    if endpoint.problem:
        problems.append(endpoint.problem)
    else:
        notes.append(f"{endpoint.url} 200 in {endpoint.elapsed_ms:.0f} ms")

    return HealthResult(service, tuple(problems), tuple(notes), processes)


def format_bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"
