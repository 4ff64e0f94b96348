"""The routing benchmark: where the real nginx sends simulated client addresses, in both address
modes (consistent and ip_hash).

Many client addresses cannot come from one host, so nginx is told to trust this host's own
address on the front network (TRUSTED_PROXIES) and every request names its simulated client in
X-Forwarded-For; nginx's realip then sets $remote_addr, which both routing modes hash. Which
replica served each request is read from nginx's JSON access log. Switching STREAMLIT_ROUTING
recreates nginx (it renders its config at start); replica counts change through ops/scale; a
failure is a replica stopped, measured once nginx's replica watcher has taken it out.
"""
from __future__ import annotations

import http.client
import ipaddress
import random
import secrets
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from portal_bench import stats
from portal_bench.project import BenchProject, engine, note
from portal_stack.stack import wait_until

PATH = "/app/_stcore/health"
# Private addresses: they only ever travel in a header, and real clients never have them here.
POOL = ipaddress.ip_network("10.0.0.0/8")


def simulated_addresses(count: int, seed: int = 0) -> list[str]:
    """`count` distinct addresses drawn at random from POOL: nearly every one in a /24 of its own."""
    chooser = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        found.add(str(POOL[chooser.randrange(1, POOL.num_addresses - 1)]))
    return sorted(found, key=ipaddress.ip_address)


def run(project: BenchProject, plan) -> dict:
    addresses = simulated_addresses(plan.routing_clients)
    (nginx,) = project.containers("nginx")
    trusted = project.source_address(nginx)
    modes = {}
    for index, mode in enumerate(plan.routing_modes):
        configure(project, mode, trusted)
        # Up in one mode and down in the next: each count is reached with one ops/scale.
        counts = plan.routing_counts if index % 2 == 0 else tuple(reversed(plan.routing_counts))
        placements, failure = {}, None
        for count in counts:
            scale(project, count)
            placements[count] = place(project, addresses)
            note(f"{mode}, {count} replicas: {dict(sorted(Counter(placements[count].values()).items()))}")
            if count == plan.routing_fail_at and failure is None:
                failure = fail_one(project, addresses, placements[count])
        modes[mode] = summarize(placements, failure, plan)
    return {"clients": len(addresses), "pool": str(POOL), "modes": modes}


def summarize(placements: dict[int, dict[str, str]], failure: dict | None, plan) -> dict:
    """The figures of one mode, from {replica count: {client: replica}}."""
    spread = {}
    for count in sorted(placements):
        served = Counter(placements[count].values())
        per_replica = [served[name] for name in sorted(served, key=_number)]
        per_replica += [0] * (count - len(per_replica))
        spread[count] = {"clients": per_replica, **stats.spread(per_replica)}
    scale = None
    if len(plan.routing_counts) > 1:
        low, high = sorted(plan.routing_counts)[-2:]
        scale = {"from": low, "to": high, "moved": stats.moved_fraction(placements[low], placements[high])}
    return {"spread": spread, "scale": scale, "failure": failure}


def configure(project: BenchProject, mode: str, trusted: str) -> None:
    project.set_setting(f"STREAMLIT_ROUTING={mode}")
    project.set_setting(f"TRUSTED_PROXIES={trusted}/32")
    project.recreate_nginx()


def scale(project: BenchProject, count: int) -> None:
    if len(project.containers("streamlit")) != count:
        project.ops("scale", str(count))


def place(project: BenchProject, addresses: list[str]) -> dict[str, str]:
    """{client address: replica container} as nginx routed one request from each."""
    (nginx,) = project.containers("nginx")
    target = (project.address(nginx, "front"), 8080)
    token = secrets.token_hex(4)
    since = datetime.now(timezone.utc).isoformat()
    headers = {"Host": project.host_header, "Cookie": f"sessionid={project.session_cookie}"}

    def send(chunk: list[tuple[int, str]]) -> list[int]:
        connection = http.client.HTTPConnection(*target, timeout=30)
        statuses = []
        try:
            for index, address in chunk:
                for attempt in range(3):
                    try:
                        connection.request("GET", f"{PATH}?route={token}-{index}",
                                           headers={**headers, "X-Forwarded-For": address})
                        reply = connection.getresponse()
                        reply.read()
                        break
                    except ConnectionError:
                        # A graceful reload (ops/scale, the replica watcher) closes idle kept-alive
                        # connections; like a browser, send the GET again on a new one.
                        connection.close()
                        if attempt == 2:
                            raise
                statuses.append(reply.status)
        finally:
            connection.close()
        return statuses

    numbered = list(enumerate(addresses))
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for chunk in pool.map(send, [numbered[i::8] for i in range(8)]) for s in chunk]
    if set(statuses) != {200}:
        raise RuntimeError(f"routing requests answered {Counter(statuses)}; every one should be 200")
    replicas = replica_addresses(project)
    placement = {}
    # The access log reaches `docker compose logs` a moment after the response.
    for _ in range(20):
        for record in project.stack.nginx_log(since=since):
            marker = record["uri"].partition(f"route={token}-")[2]
            if not marker:
                continue
            address = addresses[int(marker)]
            if record["client"] != address:
                raise RuntimeError(f"nginx saw client {record['client']}, not {address}: it does not take the client "
                                   "from X-Forwarded-For (TRUSTED_PROXIES)")
            final = record["upstream"].split(",")[-1].strip().rsplit(":", 1)[0]
            placement[address] = replicas.get(final, final)
        if len(placement) == len(addresses):
            return placement
        time.sleep(0.5)
    raise RuntimeError(f"nginx's log shows {len(placement)} of {len(addresses)} routing requests")


def replica_addresses(project: BenchProject) -> dict[str, str]:
    return {project.address(name): name for name in project.containers("streamlit")}


def fail_one(project: BenchProject, addresses: list[str], before: dict[str, str]) -> dict:
    """Stop the first replica, measure once nginx routes without it, and bring it back."""
    victim = sorted(set(before.values()), key=_number)[0]
    subprocess.run(["docker", "stop", victim], check=True, capture_output=True)
    try:
        wait_until(f"nginx to take {victim} out", lambda: victim not in project.nginx_config(), timeout=120)
        time.sleep(1)  # the rendered config is in place just before nginx reloads with it
        after = place(project, addresses)
    finally:
        subprocess.run(["docker", "start", victim], check=True, capture_output=True)
    wait_until(f"{victim} to be healthy again", lambda: _healthy(victim), timeout=180)
    wait_until(f"nginx to route to {victim} again", lambda: victim in project.nginx_config(), timeout=180)
    survivors = [a for a in addresses if before[a] != victim]
    note(f"{victim} stopped: {stats.moved_fraction(before, after):.0%} of clients moved")
    return {
        "of": len(set(before.values())),
        "stopped": victim,
        "victim_share": 1 - len(survivors) / len(addresses),
        "moved": stats.moved_fraction(before, after),
        "survivors_moved": sum(before[a] != after[a] for a in survivors) / len(survivors),
    }


def _healthy(container: str) -> bool:
    state = engine(f"/containers/{container}/json")["State"]
    return state.get("Health", {}).get("Status") == "healthy"


def _number(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0
