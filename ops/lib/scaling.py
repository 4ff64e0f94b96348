"""ops/scale N: run N Streamlit replicas without dropping a partner's session.

  up:   start the new replicas, wait until they are healthy, then reload nginx so they take new
        clients (open websockets stay where they are);
  down: drain the surplus replicas, then stop them. Draining tells a replica when it will stop
        (a file in its own /tmp): its health answer then says so, and nginx, reloaded at once
        and after any restart, sends it no new partner (pages that reconnect go to the others;
        nginx's old workers keep the open websockets to it until they close; its partners'
        downloads still reach it); its tabs warn. It waits until the sessions have left or
        STREAMLIT_DRAIN_SECONDS have passed.
N is kept in the settings file as STREAMLIT_REPLICAS, so the next ops/up starts as many.
ops/autoscale calls `scale` here, so both drain the same way.

With STACK_NAME set, the Swarm stack (ops/deploy) is scaled instead, with `docker service scale`:
the nginx of every edge node takes new replicas once they answer. Swarm picks the tasks it
removes, and they may run on another node's engine, out of `docker exec`'s reach, so a replica
drains itself instead: Swarm stops a task with SIGTERM and waits its stop_grace_period (longer
than STREAMLIT_DRAIN_SECONDS), and the replica's start script drains it first (analytics.retire).
N is kept for the next ops/deploy.
"""
import re
import subprocess
import sys
import time

import envfile  # beside this file
import envsettings  # envfile puts it on the path
from deployment import STACK, compose, docker, read_settings, settings_path

from portal_probe.replica import wait_for_sessions  # noqa: E402  (deployment puts the probe on the path)

DRAIN_POLL_SECONDS = 5
DRAIN_PROGRESS_SECONDS = 60


class ScaleError(Exception):
    pass


def say(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


def replica_number(name):
    """N of "project-streamlit-N"."""
    match = re.search(r"-(\d+)$", name)
    return int(match.group(1)) if match else 0


def drain_selection(names, target):
    """(kept, drained): the `target` lowest-numbered replicas stay, so that compose's next
    numbers are the ones freed."""
    ordered = sorted(names, key=replica_number)
    return ordered[:target], ordered[target:]


def running_replicas():
    result = compose("ps", "--status", "running", "--format", "{{.Name}}", "streamlit")
    if result.returncode != 0:
        raise ScaleError(f"docker compose ps failed: {result.stderr.strip()}")
    return sorted(result.stdout.split(), key=replica_number)


def nginx_running():
    return bool(compose("ps", "-q", "--status", "running", "nginx").stdout.strip())


def reload_nginx():
    """nginx renders its config anew: replicas that came, and those that drain (their health
    answer says so), which get no new partner from then on."""
    result = compose("exec", "-T", "nginx", "/opt/nginx/reload")
    if result.returncode != 0:
        raise ScaleError(f"nginx did not reload: {result.stderr.strip()}")


def in_replica(container, *command):
    return subprocess.run(["docker", "exec", container, *command], capture_output=True, text=True)


def sessions_of(container):
    """The sessions the replica holds now: 0 once it is gone, None when it runs but did not
    answer (a busy moment), which the drain counts as sessions still open."""
    result = in_replica(container, "python3", "-m", "portal_probe", "sessions")
    if result.returncode == 0 and result.stdout.strip().isdigit():
        return int(result.stdout)
    running = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", container],
                             capture_output=True, text=True)
    return None if running.stdout.strip() == "true" else 0


def drain(containers, seconds, *, count=sessions_of, clock=time.time, sleep=time.sleep, log=say):
    """Retire the replicas: tell them when they stop, so that nginx sends them no new partner and
    their tabs warn, then wait until they hold no session, or `seconds` have passed.
    Returns the sessions still open at the end (their pages reconnect to another replica)."""
    deadline = clock() + seconds
    for container in containers:
        in_replica(container, "python3", "-m", "portal_probe", "drain", str(int(deadline)))
    reload_nginx()
    log(f"draining {', '.join(containers)}: up to {seconds}s for their sessions to end")

    def open_sessions():
        counted = [count(container) for container in containers]
        return sum(held or 0 for held in counted), None not in counted

    return wait_for_sessions(open_sessions, deadline, poll_seconds=DRAIN_POLL_SECONDS,
                             progress_seconds=DRAIN_PROGRESS_SECONDS, clock=clock, sleep=sleep, log=log)


def scale(target, settings):
    """Run `target` replicas; returns the sessions a drain had to end (0 when none, or on a stack,
    where each replica Swarm stops drains itself and says so in its own log)."""
    if STACK:
        scale_stack(target)
        return 0
    if not nginx_running():
        raise ScaleError("the stack is not running: start it with ops/up")
    current = running_replicas()
    ended = 0
    kept, drained = drain_selection(current, target)
    for container in kept:
        # Kept after all (an earlier ops/scale stopped while it drained): taking partners again.
        in_replica(container, "python3", "-m", "portal_probe", "kept")
    if drained:
        say(f"taking {', '.join(drained)} out of nginx: no new partners go there")
        ended = drain(drained, envsettings.read("STREAMLIT_DRAIN_SECONDS", settings))
        say(f"stopping {', '.join(drained)}")
        # These very containers, whatever order compose would pick.
        stopped = subprocess.run(["docker", "rm", "-f", *drained], capture_output=True, text=True)
        if stopped.returncode != 0:
            raise ScaleError(f"could not stop {', '.join(drained)}: {stopped.stderr.strip()}")
    say(f"scaling streamlit from {len(current)} to {target} replicas")
    result = compose("up", "-d", "--no-deps", "--no-recreate", "--wait", "--wait-timeout", "300",
                     "--scale", f"streamlit={target}", "streamlit")
    if result.returncode != 0:
        raise ScaleError(f"docker compose up failed: {result.stderr.strip()}")
    running = running_replicas()
    say(f"reloading nginx with {len(running)} replica" + ("" if len(running) == 1 else "s"))
    reload_nginx()
    envfile.set_value(settings_path(), f"STREAMLIT_REPLICAS={target}")
    return ended


def scale_stack(target):
    """Run `target` replicas of the Swarm stack's streamlit service."""
    service = f"{STACK}_streamlit"
    say(f"scaling {service} to {target} replicas; a replica Swarm removes drains by itself")
    result = docker("service", "scale", "--detach=false", f"{service}={target}")
    if result.returncode != 0:
        raise ScaleError(f"docker service scale failed: {result.stderr.strip()}")
    envfile.set_value(settings_path(), f"STREAMLIT_REPLICAS={target}")


def main(argv):
    if len(argv) != 1 or not argv[0].isdigit() or int(argv[0]) < 1:
        sys.exit("usage: ops/scale N   (N >= 1 streamlit replicas)")
    try:
        scale(int(argv[0]), read_settings(settings_path()))
    except ScaleError as error:
        sys.exit(f"error: {error}")
    if STACK:
        print(docker("service", "ps", f"{STACK}_streamlit", "-f", "desired-state=running",
                     "--format", "  {{.Name}}  {{.Node}}  {{.CurrentState}}").stdout, end="")
        return
    say(f"streamlit runs {argv[0]} replica" + ("" if argv[0] == "1" else "s") + ":")
    print(compose("ps", "streamlit", "--format", "  {{.Name}}  {{.Status}}").stdout, end="")


if __name__ == "__main__":
    main(sys.argv[1:])
