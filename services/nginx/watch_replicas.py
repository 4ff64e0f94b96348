"""Keep nginx's streamlit upstream in step with the replicas that run.

nginx resolves each `server` name once, at start or reload. A replica that restarts may come
back with a new address, and `docker compose up --scale` adds replicas nginx has never heard of;
without a reload nginx keeps sending clients to the old address. This loop asks Docker's DNS
every WATCH_INTERVAL seconds and reloads nginx gracefully (open websockets stay on the old
workers) when a replica went away, or a new or moved one answers its health check. A replica
nginx already routes to stays while its address holds: a slow health answer under load must not
reshuffle its partners.
"""
import os
import subprocess
import sys
import time

import render_config


def main():
    interval = float(os.environ.get("WATCH_INTERVAL", "2"))
    service = os.environ.get("STREAMLIT_SERVICE", "streamlit")
    routed = render_config.healthy_replicas(service)
    while True:
        time.sleep(interval)
        resolved = render_config.running_replicas(service)
        if resolved == routed:
            continue
        wanted = {name: address for name, address in resolved.items()
                  if routed.get(name) == address or render_config.answers_health(address)}
        if wanted == routed:
            continue
        print(f"watch_replicas: streamlit replicas now {sorted(wanted)}: reloading nginx",
              file=sys.stderr, flush=True)
        result = subprocess.run(["/opt/nginx/reload"], capture_output=True, text=True)
        if result.returncode == 0:
            routed = wanted
        else:
            print(f"watch_replicas: reload failed: {result.stderr.strip()}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
