"""Gunicorn settings, from the environment (compose.yaml passes them from .env), read as the
portal reads its own: a malformed value stops the start with the variable's name."""
from portal import env

bind = "0.0.0.0:8000"
workers = env.integer("GUNICORN_WORKERS", 4, minimum=1)
# gthread keeps nginx's upstream connections alive; a sync worker closes each one, and the
# TIME_WAIT sockets that piles up in nginx collapse throughput under load.
worker_class = "gthread"
threads = env.integer("GUNICORN_THREADS", 2, minimum=1)
timeout = env.integer("GUNICORN_TIMEOUT", 30, minimum=1)
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
