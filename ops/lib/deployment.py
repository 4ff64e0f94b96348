"""The deployment the ops scripts act on: the compose project the script was started for (it
exports COMPOSE_FILE), or, with STACK_NAME set, that Swarm stack (ops/deploy) on the engine the
docker CLI points at. Its settings file, its containers, and the load its django container reports.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import envfile  # beside this file

ROOT = Path(__file__).resolve().parents[2]
# The probe's advice rules, which ops/autoscale applies on the host.
sys.path.insert(0, str(ROOT / "services" / "probe"))

STACK = os.environ.get("STACK_NAME", "").strip()


def settings_path():
    return os.environ.get("PORTAL_ENV_FILE", str(ROOT / ".env"))


def read_settings(path):
    """The settings file's values, read by envfile's parser; none before ops/up has created it."""
    if not Path(path).exists():
        return {}
    try:
        return envfile.values(path)
    except envfile.EnvError as exc:
        sys.exit(f"error: {exc}")


def compose(*args):
    command = ["docker", "compose", "--project-directory", str(ROOT), "--env-file", settings_path(), *args]
    return subprocess.run(command, capture_output=True, text=True)


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True)


def containers():
    """`docker compose ps`'s rows of every container of the project, by service and name."""
    result = compose("ps", "--all", "--format", "json")
    if result.returncode != 0:
        sys.exit(f"error: docker compose ps failed: {result.stderr.strip()}")
    return sorted((json.loads(line) for line in result.stdout.splitlines() if line.strip()),
                  key=lambda row: (row["Service"], row["Name"]))


def streamlit_replicas():
    """The running streamlit replicas, named as their snapshots name them: the compose project's
    containers, or the stack's tasks as "stack_streamlit.SLOT@NODE"."""
    if not STACK:
        return [row["Name"] for row in containers() if row["Service"] == "streamlit" and row["State"] == "running"]
    result = docker("service", "ps", f"{STACK}_streamlit", "-f", "desired-state=running",
                    "--format", "{{.Name}}@{{.Node}}|{{.CurrentState}}")
    if result.returncode != 0:
        sys.exit(f"error: docker service ps failed: {result.stderr.strip()}")
    return sorted(name for name, _, state in (line.partition("|") for line in result.stdout.splitlines())
                  if state.startswith("Running"))


def load_status():
    """What ops/status prints with --json (django's `manage.py loadstatus --json`): the figures,
    the advice, and the fresh snapshots the advice read. On a stack, from its django task on the
    engine the docker CLI points at (the portal.data node), as ops/status reads it."""
    command = ["python", "manage.py", "loadstatus", "--json"]
    if STACK:
        found = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={STACK}_django",
                       "--filter", "status=running").stdout.split()
        if not found:
            raise RuntimeError(f"no running {STACK}_django container on this engine: point DOCKER_HOST at the portal.data node")
        result = docker("exec", found[0], *command)
    else:
        result = compose("exec", "-T", "django", *command)
    if result.returncode != 0:
        raise RuntimeError(f"the load status did not come: {result.stderr.strip() or result.stdout.strip()}")
    return json.loads(result.stdout)
