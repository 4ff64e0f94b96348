"""The machine line: what the numbers were measured on, and the versions that made them."""
from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib.metadata import version

from portal_bench.project import BenchProject, engine, limits, run

GUNICORN_SETTINGS = ("import runpy; c = runpy.run_path('/srv/portal/gunicorn.conf.py'); "
                     "print(c['workers'], c['threads'], c['worker_class'])")


def describe(project: BenchProject) -> dict:
    (nginx,) = project.containers("nginx")
    (django,) = project.containers("django")
    replica = project.containers("streamlit")[0]
    workers, threads, worker_class = _exec(django, "python3", "-c", GUNICORN_SETTINGS).split()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory": _memory_total(),
        "kernel": platform.release(),
        "docker": engine("/version")["Version"],
        "compose": run("docker", "compose", "version", "--short").strip(),
        "nginx": re.sub(r"^.*nginx/", "", _exec(nginx, "nginx", "-v")).strip(),
        "gunicorn": _exec(django, "python3", "-c", "import gunicorn; print(gunicorn.__version__)").strip(),
        "django": _exec(django, "python3", "-c", "import django; print(django.get_version())").strip(),
        "streamlit": _exec(replica, "python3", "-c", "import streamlit; print(streamlit.__version__)").strip(),
        "python": _exec(django, "python3", "-c", "import platform; print(platform.python_version())").strip(),
        "load_python": platform.python_version(),
        "locust": version("locust"),
        "gunicorn_workers": int(workers),
        "gunicorn_threads": int(threads),
        "gunicorn_worker_class": worker_class,
        "replicas": len(project.containers("streamlit")),
        "limits": {"nginx": limits(nginx), "django": limits(django), "streamlit": limits(replica)},
    }


def _exec(container: str, *command: str) -> str:
    """A command's output in a container (standard error when that is where it writes: nginx -v)."""
    result = subprocess.run(["docker", "exec", container, *command], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} in {container} failed: {result.stderr.strip()}")
    return result.stdout or result.stderr


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total() -> int:
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")
