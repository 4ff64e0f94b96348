"""A bad .env stops ops/up before anything starts, naming the file and line at fault."""
import os
import shutil
import subprocess

import pytest

from support.stack import ROOT

# Another project name: whatever ops/up might start must not touch the stack under test.
PROJECT = "partner-portal-badconfig"


def edit(path, name, value):
    """Set NAME=value on its own line, as an operator's editor would; returns the line number."""
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if line.startswith(f"{name}="):
            lines[number - 1] = f"{name}={value}"
            break
    else:
        lines.append(f"{name}={value}")
        number = len(lines)
    path.write_text("\n".join(lines) + "\n")
    return number


def ops_up(env_file):
    env = dict(os.environ, COMPOSE_PROJECT_NAME=PROJECT, PORTAL_ENV_FILE=str(env_file))
    return subprocess.run([str(ROOT / "ops" / "up")], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def env_file(stack, tmp_path):
    copy = tmp_path / "bad.env"
    shutil.copy(stack.env_file, copy)
    return copy


@pytest.mark.parametrize("name, value, message", [
    ("NOT_A_SETTING", "1", "NOT_A_SETTING is not a setting of this bundle"),
    ("GUNICORN_WORKERS", "four", "GUNICORN_WORKERS must be a whole number"),
    ("TLS_CERT_FILE", "/nonexistent/cert.pem", "TLS_CERT_FILE names /nonexistent/cert.pem, which is not a file"),
])
def test_a_bad_value_stops_ops_up_with_the_line_at_fault(stack, env_file, name, value, message):
    number = edit(env_file, name, value)
    result = ops_up(env_file)
    assert result.returncode != 0
    assert f"{env_file}:{number}: {message}" in result.stderr, result.stderr
    assert not stack_started()


def test_a_port_in_use_stops_ops_up_with_the_line_at_fault(stack, env_file):
    # The stack under test holds its own port: another project asking for it must stop.
    number = edit(env_file, "PORTAL_PORT", stack.url.rsplit(":", 1)[1])
    result = ops_up(env_file)
    assert result.returncode != 0
    assert f"{env_file}:{number}: PORTAL_PORT" in result.stderr and "already in use" in result.stderr, result.stderr
    assert not stack_started()


def stack_started():
    listed = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"],
                            capture_output=True, text=True, check=True)
    return listed.stdout.strip()
