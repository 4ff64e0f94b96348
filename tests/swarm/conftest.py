"""Fixtures of the swarm tests: a three-node swarm in containers with a registry, the bundle
deployed on it with ops/deploy, torn down at the end, pass or fail.

    .venv/bin/python -m pytest tests/swarm -m swarm     # alone; ops/test runs them too
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from support.swarm import FRONT_SUBNET, NODE_IPS, ROOT, Deployment, Swarm, wait_until


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


@pytest.fixture(scope="session")
def env_file(swarm):
    """The stack's settings, from .env.example with fresh secrets, as ops/up makes them."""
    env_file = Path(tempfile.mkdtemp()) / "swarm.env"
    subprocess.run([sys.executable, str(ROOT / "ops" / "lib" / "envfile.py"), "create", str(ROOT / ".env.example"),
                    str(env_file), f"REGISTRY={swarm.registry}", f"FRONT_SUBNET={FRONT_SUBNET}",
                    "STREAMLIT_REPLICAS=2", "STREAMLIT_MEM_LIMIT=1g", "GUNICORN_WORKERS=2", "PROBE_INTERVAL=5",
                    # The nodes' own addresses are how the tests reach the portal.
                    "DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1," + ",".join(NODE_IPS.values())],
                   check=True)
    return env_file


@pytest.fixture(scope="session")
def deployment(swarm, env_file):
    started = time.monotonic()
    found = Deployment(swarm, env_file)
    found.first = found.deploy()
    if found.first.returncode == 0:
        # ops/deploy is done when every task is healthy; nginx takes django up within seconds.
        for node in ("node1", "node2"):
            answers = []

            def answered(node=node):
                answers.append(login_page(swarm.url(node)))
                return answers[-1] == 200

            try:
                wait_until(f"the portal on {node}", answered, timeout=60)
            except AssertionError as error:
                # What the partner would have seen, and what nginx said meanwhile.
                said = swarm.docker("service", "logs", "--tail", "30", f"{found.stack}_nginx", check=False)
                raise AssertionError(f"{error}; its last answer: {answers[-1:]}; nginx's log:\n"
                                     f"{said.stdout[-4000:]}{said.stderr[-2000:]}") from None
        found.first.answered = time.monotonic() - started
    yield found


def login_page(url):
    try:
        return requests.get(f"{url}/accounts/login/", timeout=5).status_code
    except requests.RequestException as error:
        return repr(error)
