"""The bench's own compose project: addresses on its networks, extra containers started from the
stack's images, memory and CPU from the Docker engine, and the partner the scenarios log in as.

Load goes from this host straight to containers' addresses on the project's own networks (the
host reaches both, `internal` only cuts the back network off from the outside), never through
the published port: Docker's userland proxy would be measured with it, and every client would
look like one.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from portal_bench.analytics_timing import generate
from portal_stack.logins import create_partner_user, login
from portal_stack.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
PARTNER = "bench"
STARTED = time.monotonic()


def say(message: str) -> None:
    """Progress, on standard error (standard output carries the report), with the time so far."""
    print(f"==> [{time.monotonic() - STARTED:4.0f} s] {message}", file=sys.stderr, flush=True)


def note(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


def run(*command: str, timeout: float = 300) -> str:
    """A command's standard output; fails with its standard error."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def engine(path: str) -> dict:
    """GET on the Docker engine's API (its unix socket); `docker stats` takes a second a call."""
    socket_path = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
    connection = _UnixConnection(socket_path)
    try:
        connection.request("GET", path)
        reply = connection.getresponse()
        body = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"Docker engine: GET {path}: {reply.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        connection.close()


def usage(container: str) -> dict:
    """{"memory": working set in bytes (as `docker stats` counts it), "cpu_seconds": CPU time
    used so far}."""
    data = engine(f"/containers/{quote(container)}/stats?stream=false&one-shot=true")
    memory = data.get("memory_stats", {})
    detail = memory.get("stats", {})
    # v1 calls reclaimable page cache total_inactive_file, v2 inactive_file.
    inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    return {
        "memory": max(memory.get("usage", 0) - inactive, 0),
        "cpu_seconds": data["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9,
    }


def limits(container: str) -> dict:
    """The container's own CPU and memory limits: {"cpus": float | None, "memory": bytes | None}."""
    host = engine(f"/containers/{quote(container)}/json")["HostConfig"]
    return {"cpus": host.get("NanoCpus", 0) / 1e9 or None, "memory": host.get("Memory") or None}


def answers(url: str, headers: dict | None = None, timeout: float = 3) -> bool:
    """Whether a GET of `url` answers 200 itself (a redirect is not followed: it is no answer)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


class BenchProject:
    def __init__(self, name: str, env_file: str, url: str, workdir: Path):
        self.name = name
        self.stack = Stack(name, env_file, url)
        self.workdir = workdir
        self.url = url.rstrip("/")
        # What browsers on this host send, and what DJANGO_ALLOWED_HOSTS accepts.
        self.host_header = self.url.split("://", 1)[1]
        self.session_cookie = ""
        self.username = ""
        self.cookies: dict[str, str] = {}
        self.one_offs: list[str] = []

    # -- operating it ------------------------------------------------------------------------
    def env(self) -> dict:
        return dict(os.environ, COMPOSE_PROJECT_NAME=self.name, PORTAL_ENV_FILE=self.stack.env_file)

    def ops(self, script: str, *args: str, timeout: float = 600) -> None:
        """One of the operator's scripts, against this project; its output goes to a log file
        that is shown when it fails."""
        log = self.workdir / f"ops-{script}.log"
        with log.open("a") as out:
            result = subprocess.run([str(ROOT / "ops" / script), *args], env=self.env(), stdout=out,
                                    stderr=subprocess.STDOUT, timeout=timeout)
        if result.returncode != 0:
            tail = "\n".join(log.read_text().splitlines()[-30:])
            raise RuntimeError(f"ops/{script} {' '.join(args)} failed ({result.returncode}):\n{tail}")

    def compose(self, *args: str, input: str | None = None, timeout: float = 300) -> str:
        result = self.stack.compose(*args, check=False, input=input, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"docker compose {' '.join(args[:4])} … failed: {result.stderr.strip()[-2000:]}")
        return result.stdout

    def set_setting(self, assignment: str) -> None:
        self.stack.set_setting(assignment)

    def containers(self, service: str) -> list[str]:
        return self.stack.container_names(service)

    def address(self, container: str, network: str = "back") -> str:
        networks = engine(f"/containers/{quote(container)}/json")["NetworkSettings"]["Networks"]
        return networks[f"{self.name}_{network}"]["IPAddress"]

    def source_address(self, container: str, network: str = "front") -> str:
        """The address this host's requests to `container` come from (its own on that network)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((self.address(container, network), 9))  # UDP: nothing is sent
            return probe.getsockname()[0]

    def one_off(self, service: str, suffix: str, *command: str, options: tuple[str, ...] = ()) -> str:
        """A container of `service` (same image, settings, volumes and networks) that nginx does
        not know: `compose run` gives it no service alias. `options` go to `compose run` (volumes,
        variables). Returns its name."""
        name = f"{self.name}-bench-{suffix.replace(' ', '-')}"
        self.remove(name)
        self.compose("run", "-d", "--no-deps", "--name", name, *options, service, *command)
        self.one_offs.append(name)
        return name

    def remove(self, name: str) -> None:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        if name in self.one_offs:
            self.one_offs.remove(name)

    def remove_one_offs(self) -> None:
        for name in list(self.one_offs):
            self.remove(name)

    def nginx_config(self) -> str:
        (nginx,) = self.containers("nginx")
        return run("docker", "exec", nginx, "cat", "/tmp/nginx/nginx.conf")

    def recreate_nginx(self) -> None:
        """nginx reads its settings (routing, trusted proxies) when it renders its config at
        start: recreate it, nothing else."""
        self.compose("up", "-d", "--no-deps", "--wait", "--wait-timeout", "120", "nginx")

    # -- a partner to log in as --------------------------------------------------------------
    def create_partner(self, rows: int, slug: str = PARTNER) -> None:
        """A partner, one logged-in portal session, and a generated dataset of `rows` rows. The
        first partner made is the one `identity_headers` speaks for unless told another."""
        username, password = create_partner_user(self.stack, slug, f"Bench Partner {slug}")
        self.cookies[slug] = login(self.url, username, password).cookies["sessionid"]
        if not self.session_cookie:
            self.session_cookie, self.username = self.cookies[slug], username
        with tempfile.TemporaryDirectory() as directory:
            path = generate(rows, Path(directory) / "sales.parquet")
            # The django service's own user reads it: through a one-off container of the service
            # with the folder mounted (its filesystem is read-only, its /tmp a tmpfs).
            Path(directory).chmod(0o755)
            path.chmod(0o644)
            self.compose("run", "--rm", "--no-deps", "--entrypoint", "python", "-v", f"{directory}:/import:ro",
                         "django", "manage.py", "importdataset", slug, "/import/sales.parquet",
                         "--name", f"Sales {rows:,}")

    def identity_headers(self, slug: str | None = None) -> dict:
        """What nginx's gate tells a replica about a partner's session (the first partner made,
        or `slug`'s): asked of the gate itself, on the django container, as nginx asks it."""
        cookie = self.cookies[slug] if slug else self.session_cookie
        (django,) = self.containers("django")
        connection = http.client.HTTPConnection(self.address(django), 8000, timeout=10)
        try:
            connection.request("GET", "/auth/check", headers={"Host": self.host_header,
                                                              "Cookie": f"sessionid={cookie}"})
            answer = connection.getresponse()
            answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise RuntimeError(f"the gate refused the bench partner's session ({answer.status})")
        return {name: answer.getheader(name) for name in ("X-Portal-Partner", "X-Portal-User", "X-Portal-Session")}
