"""Keep nginx's streamlit and django upstreams in step with the replicas and tasks that run.

nginx resolves each `server` name once, at start or reload. A replica that restarts may come
back with a new address, and `docker compose up --scale` adds replicas nginx has never heard of;
without a reload nginx keeps sending clients to the old address. This loop asks Docker's DNS and
each replica's health every WATCH_INTERVAL seconds and reloads nginx gracefully (open websockets
stay on the old workers) when a replica went away, a new or moved one answers, or one starts
draining. A replica nginx already routes to stays as it is while its address holds and it does
not answer: a slow health answer under load must not reshuffle its partners. Django's addresses
are followed the same way: in a Swarm stack its task may start after nginx, or come back on a
new address.
"""
import os
import subprocess
import sys
import time

import render_config
from envsettings import Number


def wanted_replicas(resolved, routed, state_of):
    """{name: (address, state)} nginx should route to, from the replicas DNS has now."""
    wanted = {}
    for name, address in resolved.items():
        state = state_of(address)
        if state is None and name in routed and routed[name][0] == address:
            state = routed[name][1]
        if state is not None:
            wanted[name] = (address, state)
    return wanted


def main():
    interval = render_config.setting("WATCH_INTERVAL", default=2, rule=Number())
    service = os.environ.get("STREAMLIT_SERVICE", "streamlit")
    django = os.environ.get("DJANGO_SERVICE", "django")
    routed = render_config.answering_replicas(service)
    django_routed = render_config.addresses_of(django, render_config.DJANGO_PORT)
    while True:
        time.sleep(interval)
        wanted = wanted_replicas(render_config.running_replicas(service), routed, render_config.replica_state)
        django_now = render_config.addresses_of(django, render_config.DJANGO_PORT)
        if wanted == routed and django_now == django_routed:
            continue
        draining = sorted(name for name, (_, state) in wanted.items() if state == render_config.DRAINING)
        print(f"watch_replicas: streamlit replicas now {sorted(wanted)}"
              + (f" ({', '.join(draining)} draining)" if draining else "")
              + f", django at {django_now}: reloading nginx", file=sys.stderr, flush=True)
        result = subprocess.run(["/opt/nginx/reload"], capture_output=True, text=True)
        if result.returncode == 0:
            routed, django_routed = wanted, django_now
        else:
            print(f"watch_replicas: reload failed: {result.stderr.strip()}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
