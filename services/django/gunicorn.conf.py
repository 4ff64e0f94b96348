"""Gunicorn settings, from the environment (compose.yaml passes them from .env)."""
import os
import sys


def _whole_number(name, default):
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        sys.exit(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


bind = "0.0.0.0:8000"
workers = _whole_number("GUNICORN_WORKERS", 4)
# gthread keeps nginx's upstream connections alive; a sync worker closes each one, and the
# TIME_WAIT sockets that piles up in nginx collapse throughput under load.
worker_class = "gthread"
threads = _whole_number("GUNICORN_THREADS", 2)
timeout = _whole_number("GUNICORN_TIMEOUT", 30)
# Longer than nginx's upstream keepalive_timeout (60 s), so nginx always closes first.
keepalive = 75
# Heartbeat files in memory, not on the container's (later read-only) filesystem.
worker_tmp_dir = "/dev/shm"
accesslog = None  # nginx writes the access log, as JSON
errorlog = "-"
loglevel = "info"
# No control socket: nothing here runs `gunicornc`, workers are set from the environment, and
# its default place ($HOME/.gunicorn) is on the read-only root filesystem.
control_socket_disable = True
