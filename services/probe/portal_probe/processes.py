"""The process layout each service must show, checked against a table of process records.

The checks take the table as an argument, so tests hand them fake records instead of psutil's.
A zombie's command line is empty, so a dead master or server shows up as missing; zombie
workers are found through their parent.
"""

import os
from dataclasses import dataclass

import psutil

ZOMBIE = psutil.STATUS_ZOMBIE


@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    ppid: int
    cmdline: tuple[str, ...]
    status: str
    threads: int = 1

    @property
    def command_line(self) -> str:
        return " ".join(self.cmdline)


@dataclass(frozen=True)
class ProcessCheck:
    problems: tuple[str, ...]
    summary: str
    workers: int | None = None


def read_process_table() -> list[ProcessRecord]:
    """Every process this container can see, except the probe itself."""
    own_pid = os.getpid()
    table = []
    for process in psutil.process_iter(["pid", "ppid", "cmdline", "status", "num_threads"]):
        info = process.info
        if info["pid"] == own_pid:
            continue
        table.append(
            ProcessRecord(
                pid=info["pid"],
                ppid=info["ppid"] or 0,
                # None when access is denied; empty for zombies, whose memory is gone.
                cmdline=tuple(info["cmdline"] or ()),
                status=info["status"] or "",
                threads=info["num_threads"] or 0,
            )
        )
    return table


def check_processes(service: str, table: list[ProcessRecord], gunicorn_workers: int) -> ProcessCheck:
    if service == "nginx":
        return check_nginx(table)
    if service == "django":
        return check_gunicorn(table, gunicorn_workers)
    if service == "streamlit":
        return check_streamlit(table)
    raise ValueError(f"unknown service {service!r}")


def check_nginx(table: list[ProcessRecord]) -> ProcessCheck:
    # nginx retitles its processes; psutil then reads the title as the command line.
    master = next((record for record in table if "nginx: master process" in record.command_line), None)
    if master is None:
        return ProcessCheck(("no nginx master process",), "")
    children = _children(table, master)
    # Workers left from before a reload say "worker process is shutting down": they still serve.
    worker_count = sum(
        1 for child in children if child.status != ZOMBIE and "nginx: worker process" in child.command_line
    )
    problems = _zombie_problems(children, "nginx")
    if worker_count == 0:
        problems.append("no nginx worker process")
    return ProcessCheck(tuple(problems), f"nginx master pid {master.pid} + {worker_count} workers", worker_count)


def check_gunicorn(table: list[ProcessRecord], expected_workers: int) -> ProcessCheck:
    gunicorns = [record for record in table if _program_index(record, "gunicorn") is not None]
    gunicorn_pids = {record.pid for record in gunicorns}
    # Workers are forks of the master and look like it; the master is the one whose parent is not gunicorn.
    masters = [record for record in gunicorns if record.ppid not in gunicorn_pids]
    if not masters:
        return ProcessCheck(("no gunicorn master process",), "")
    if len(masters) > 1:
        pids = ", ".join(str(master.pid) for master in masters)
        return ProcessCheck((f"{len(masters)} gunicorn master processes (pids {pids})",), "")
    master = masters[0]
    children = _children(table, master)
    worker_count = sum(1 for child in children if child.status != ZOMBIE and child.pid in gunicorn_pids)
    problems = _zombie_problems(children, "gunicorn")
    if worker_count != expected_workers:
        problems.append(f"{worker_count} gunicorn workers, expected {expected_workers}")
    return ProcessCheck(tuple(problems), f"gunicorn master pid {master.pid} + {worker_count} workers", worker_count)


def check_streamlit(table: list[ProcessRecord]) -> ProcessCheck:
    servers = [record for record in table if _runs_streamlit_server(record)]
    if not servers:
        return ProcessCheck(("no streamlit server process (streamlit run)",), "")
    return ProcessCheck((), f"streamlit server pid {servers[0].pid}")


def _children(table: list[ProcessRecord], parent: ProcessRecord) -> list[ProcessRecord]:
    return [record for record in table if record.ppid == parent.pid]


def _zombie_problems(children: list[ProcessRecord], label: str) -> list[str]:
    zombie_pids = [str(child.pid) for child in children if child.status == ZOMBIE]
    return [f"zombie {label} worker pid {', '.join(zombie_pids)}"] if zombie_pids else []


def _program_index(record: ProcessRecord, program: str) -> int | None:
    """Where the program itself appears in argv (a path to it, `-m program`, or its retitled name).

    Matching whole arguments keeps a wrapper such as `sh -c "... && gunicorn ..."` from counting.
    """
    for index, argument in enumerate(record.cmdline):
        if os.path.basename(argument) == program or argument.startswith(f"{program}:"):
            return index
    return None


# The analytics image starts Streamlit through its own launcher, which warms the process first
# and then runs Streamlit's command line in it: `python3 -m analytics.serve run streamlit_app.py`.
STREAMLIT_LAUNCHERS = ("streamlit", "analytics.serve")


def _runs_streamlit_server(record: ProcessRecord) -> bool:
    for launcher in STREAMLIT_LAUNCHERS:
        index = _program_index(record, launcher)
        if index is not None and record.cmdline[index + 1 : index + 2] == ("run",):
            return True
    return False
