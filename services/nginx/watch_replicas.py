"""Keep nginx's streamlit and django upstreams in step with the replicas and tasks that run.

nginx resolves each `server` name once, at start or reload. A replica that restarts may come
back with a new address, and `docker compose up --scale` adds replicas nginx has never heard of;
without a reload nginx keeps sending clients to the old address. This loop asks Docker's DNS
every WATCH_INTERVAL seconds and reloads nginx gracefully (open websockets stay on the old
workers) when a replica went away, or a new or moved one answers its health check. A replica
nginx already routes to stays while its address holds: a slow health answer under load must not
reshuffle its partners. Django's addresses are followed the same way: in a Swarm stack its task
may start after nginx, or come back on a new address.
"""
import os
import subprocess
import sys
import time

import render_config
from envsettings import Number


def main():
    interval = render_config.setting("WATCH_INTERVAL", default=2, rule=Number())
    service = os.environ.get("STREAMLIT_SERVICE", "streamlit")
    django = os.environ.get("DJANGO_SERVICE", "django")
    routed = render_config.healthy_replicas(service)
    django_routed = render_config.addresses_of(django, render_config.DJANGO_PORT)
    while True:
        time.sleep(interval)
        resolved = render_config.running_replicas(service)
        django_now = render_config.addresses_of(django, render_config.DJANGO_PORT)
        if resolved == routed and django_now == django_routed:
            continue
        wanted = {name: address for name, address in resolved.items()
                  if routed.get(name) == address or render_config.answers_health(address)}
        if wanted == routed and django_now == django_routed:
            continue
        print(f"watch_replicas: streamlit replicas now {sorted(wanted)}, django at {django_now}: "
              "reloading nginx", file=sys.stderr, flush=True)
        result = subprocess.run(["/opt/nginx/reload"], capture_output=True, text=True)
        if result.returncode == 0:
            routed, django_routed = wanted, django_now
        else:
            print(f"watch_replicas: reload failed: {result.stderr.strip()}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
