"""Fixtures of the swarm tests: a three-node swarm in containers with a registry, the bundle
deployed on it with ops/deploy, torn down at the end, pass or fail.

    .venv/bin/python -m pytest tests/swarm -m swarm     # alone; ops/test runs them too
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from support.swarm import FRONT_SUBNET, ROOT, Swarm, wait_until

STACK = "partner-portal"


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(__file__).parent in Path(item.fspath).parents:
            item.add_marker(pytest.mark.swarm)


@pytest.fixture(scope="session")
def swarm():
    cluster = Swarm()
    try:
        yield cluster.up()
    finally:
        cluster.down()


class Deployment:
    """The stack as ops/deploy left it, and the ways tests look at it."""

    def __init__(self, swarm, env_file):
        self.swarm = swarm
        self.env_file = env_file
        self.stack = STACK

    def environment(self, **extra):
        return {**os.environ, "DOCKER_HOST": self.swarm.docker_host(), "PORTAL_ENV_FILE": str(self.env_file),
                # The images build on this machine's engine, where the cache is warm.
                "BUILD_DOCKER_HOST": os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"),
                "STACK_NAME": STACK, **extra}

    def deploy(self, **extra):
        started = time.monotonic()
        result = subprocess.run([str(ROOT / "ops" / "deploy")], env=self.environment(**extra),
                                capture_output=True, text=True, timeout=900)
        result.seconds = time.monotonic() - started
        return result

    def ops(self, script, *args, **extra):
        return subprocess.run([str(ROOT / "ops" / script), *args], env=self.environment(**extra),
                              capture_output=True, text=True, timeout=600)

    def tasks(self, service=None):
        """[{service, slot, node, state, id}] of the running tasks (desired state running)."""
        args = ["stack", "ps", STACK, "-f", "desired-state=running", "--no-trunc",
                "--format", "{{.Name}}|{{.Node}}|{{.CurrentState}}|{{.ID}}"]
        rows = []
        for line in self.swarm.docker(*args).stdout.splitlines():
            name, node, state, task_id = line.split("|")
            service_name, _, slot = name.partition(".")
            service_name = service_name.removeprefix(f"{STACK}_")
            if service is None or service_name == service:
                rows.append({"service": service_name, "slot": slot, "node": node, "state": state, "id": task_id})
        return rows

    def container_of(self, task):
        """(node, container id) of a task, for docker exec on its node."""
        out = self.swarm.docker("inspect", "-f", "{{.Status.ContainerStatus.ContainerID}}", task["id"]).stdout.strip()
        return task["node"], out

    def exec(self, task, *command, input=None, env=None):
        node, container = self.container_of(task)
        options = [f"--env={name}={value}" for name, value in (env or {}).items()]
        return self.swarm.docker("exec", "-i", *options, container, *command, node=node, input=input)

    def manage(self, *args, input=None, env=None):
        [django] = self.tasks("django")
        return self.exec(django, "python", "manage.py", *args, input=input, env=env)

    def nginx(self, node):
        [task] = [t for t in self.tasks("nginx") if t["node"] == node]
        return task

    def nginx_log(self, node):
        """nginx's JSON access log on one edge node, every line since its task started."""
        node_name, container = self.container_of(self.nginx(node))
        out = self.swarm.docker("logs", container, node=node_name).stdout
        records = []
        for line in out.splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    pass
        return records

    def replica_slots(self):
        """{task address: (slot, node)} of every streamlit task that ran, gone ones too."""
        ids = self.swarm.docker("service", "ps", "-q", "--no-trunc", f"{STACK}_streamlit").stdout.split()
        nodes = {line.split()[0]: line.split()[1] for line in
                 self.swarm.docker("node", "ls", "--format", "{{.ID}} {{.Hostname}}").stdout.splitlines()}
        found = {}
        for task in json.loads(self.swarm.docker("inspect", *ids).stdout):
            for attachment in task.get("NetworksAttachments") or []:
                for address in attachment.get("Addresses") or []:
                    found[address.split("/")[0]] = (task["Slot"], nodes.get(task["NodeID"], task["NodeID"]))
        return found

    def served_by(self, node, records):
        """{client address: [slot of the replica that served each of its requests, in order]}."""
        upstream_of = {}
        for line in self.nginx_log(node):
            marker = line["uri"].partition("t=")[2]
            if marker and line.get("upstream"):
                upstream_of[marker] = line["upstream"].split(",")[-1].split(":")[0].strip()
        slots = self.replica_slots()
        served = {}
        for record in records:
            address = upstream_of.get(record["marker"])
            if record["status"] == 200 and address:
                served.setdefault(record["address"], []).append(slots.get(address, (address, ""))[0])
        return served


@pytest.fixture(scope="session")
def deployment(swarm):
    workdir = Path(tempfile.mkdtemp())
    env_file = workdir / "swarm.env"
    subprocess.run([sys.executable, str(ROOT / "ops" / "lib" / "envfile.py"), "create", str(ROOT / ".env.example"),
                    str(env_file), f"REGISTRY={swarm.registry}", f"FRONT_SUBNET={FRONT_SUBNET}",
                    "STREAMLIT_REPLICAS=2", "STREAMLIT_MEM_LIMIT=1g", "GUNICORN_WORKERS=2", "PROBE_INTERVAL=5",
                    # The nodes' own addresses are how the tests reach the portal.
                    "DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1," + ",".join(swarm_addresses())],
                   check=True)
    started = time.monotonic()
    found = Deployment(swarm, env_file)
    found.first = found.deploy()
    if found.first.returncode == 0:
        # ops/deploy is done when every task is healthy; nginx takes django up within seconds.
        for node in ("node1", "node2"):
            wait_until(f"the portal on {node}", lambda node=node: login_page(swarm.url(node)) == 200, timeout=60)
        found.first.answered = time.monotonic() - started
    yield found


def login_page(url):
    try:
        return requests.get(f"{url}/accounts/login/", timeout=5).status_code
    except requests.RequestException:
        return None


def swarm_addresses():
    from support.swarm import NODE_IPS
    return list(NODE_IPS.values())
