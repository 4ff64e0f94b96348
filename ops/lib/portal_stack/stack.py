"""One composed project of this bundle: its settings, its containers, and ways to act on it."""
import json
import os
import subprocess
import time
from pathlib import Path

import envfile

ROOT = Path(__file__).resolve().parents[3]


def wait_until(what, condition, timeout=120, interval=0.5):
    """Poll `condition` until it returns something true; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Stack:
    def __init__(self, project, env_file, url):
        self.project = project
        self.env_file = env_file
        self.url = url.rstrip("/")

    @property
    def settings(self):
        """The project's settings file as it is now (ops/scale and TLS tests change it)."""
        return envfile.values(self.env_file)

    def setting(self, name):
        """NAME as the services read it: the file's value or the schema's default, converted."""
        return envfile.setting(self.env_file, name)

    def set_setting(self, assignment):
        """NAME=VALUE in the project's settings file, checked against the schema, as ops change
        it; `ops("up")` applies it."""
        envfile.set_value(self.env_file, assignment)

    def compose_files(self):
        """The compose files this project's .env asks for, as ops/lib/common.sh picks them."""
        picked = subprocess.run(
            ["bash", "-c", '. "$1"; compose_files', "-", str(ROOT / "ops" / "lib" / "common.sh")],
            env=dict(os.environ, PORTAL_ENV_FILE=self.env_file), check=True, capture_output=True, text=True,
        )
        return picked.stdout.strip()

    def compose(self, *args, check=True, input=None, timeout=300):
        """docker compose on this project, with the files ops/lib/common.sh picks."""
        command = ["docker", "compose", "--project-directory", str(ROOT), "--env-file", self.env_file,
                   "-p", self.project, *args]
        return subprocess.run(command, check=check, capture_output=True, text=True, input=input, timeout=timeout,
                              env=dict(os.environ, COMPOSE_FILE=self.compose_files()))

    def ops(self, script, *args, timeout=600):
        """Run one of the operator's scripts against this project, as an operator would."""
        env = dict(os.environ, COMPOSE_PROJECT_NAME=self.project, PORTAL_ENV_FILE=self.env_file)
        return subprocess.run([str(ROOT / "ops" / script), *args], env=env, capture_output=True, text=True,
                              timeout=timeout)

    def containers(self, service=None, all=False):
        """[{Name, Service, State, Health, ...}] as `docker compose ps` reports them."""
        args = ["ps", "--format", "json"] + (["--all"] if all else []) + ([service] if service else [])
        out = self.compose(*args).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        return sorted(rows, key=lambda row: row["Name"])

    def container_names(self, service):
        return [row["Name"] for row in self.containers(service)]

    def addresses(self, container):
        """The container's IP addresses, one per network it is on."""
        out = subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                              container], check=True, capture_output=True, text=True).stdout
        return out.split()

    def manage(self, *args, input=None):
        """manage.py in the django container; returns its standard output."""
        result = self.compose("exec", "-T", "django", "python", "manage.py", *args, input=input)
        return result.stdout

    wait_until = staticmethod(wait_until)

    def healthy(self, service):
        rows = self.containers(service)
        return rows and all(row["State"] == "running" and row["Health"] == "healthy" for row in rows)

    def nginx_log(self, since=None):
        """nginx's JSON access log lines as dicts (its container's output)."""
        args = ["logs", "--no-color", "--no-log-prefix"] + (["--since", since] if since else []) + ["nginx"]
        records = []
        for line in self.compose(*args).stdout.splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records
