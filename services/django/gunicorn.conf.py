"""Gunicorn settings, from the environment (compose.yaml passes them from .env), read through the
schema's reader as every setting is: a malformed value stops the start with the variable's name."""
from envsettings import read

bind = "0.0.0.0:8000"
workers = read("GUNICORN_WORKERS")
# gthread keeps nginx's upstream connections alive; a sync worker closes each one, and the
# TIME_WAIT sockets that piles up in nginx collapse throughput under load.
worker_class = "gthread"
threads = read("GUNICORN_THREADS")
# Gunicorn's default: a worker whose main loop is silent this long is restarted (with gthread
# a long request runs in a thread and does not count).
timeout = 30
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
