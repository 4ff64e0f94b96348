"""The bundle on a three-node swarm, deployed with ops/deploy: what partners and ops would notice.

Runs in order, sharing one swarm and one stack: deploy, log in, routing, a node lost, a rolling
update. node1 is the manager, the data node and an edge node; node2 an edge node; node3 neither.
"""
import json
import secrets
import time

import pytest
from websocket import WebSocketBadStatusException

from portal_stack.logins import create_partner_user, login
from portal_stack.streamlit_session import StreamlitSession
from support.swarm import Clients, Deployment, wait_until
from support.uploads import small_csv, upload

CLIENTS = 12


@pytest.fixture(scope="module")
def partner(deployment):
    slug = f"swarm-{secrets.token_hex(3)}"
    username, password = create_partner_user(deployment, slug)
    return {"slug": slug, "username": username, "password": password}


@pytest.fixture(scope="module")
def cookie(deployment, partner):
    session = login(deployment.swarm.url("node1"), partner["username"], partner["password"])
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


@pytest.fixture(scope="module")
def clients(deployment):
    found = Clients(deployment.swarm, f"{deployment.swarm.registry}/partner-portal-nginx:latest", CLIENTS)
    yield found
    found.remove()


def test_a_missing_label_is_named_and_nothing_is_deployed(swarm, env_file):
    # Before the stack exists: taking a label off a node later would move the stack's tasks.
    swarm.docker("node", "update", "--label-rm", "portal.data", "node1")
    try:
        result = Deployment(swarm, env_file).deploy()
    finally:
        swarm.docker("node", "update", "--label-add", "portal.data=true", "node1")
    assert result.returncode != 0
    assert "portal.data=true" in result.stderr
    assert swarm.docker("stack", "ls", "--format", "{{.Name}}").stdout.strip() == ""


def test_ops_deploy_from_nothing_brings_every_service_up_healthy_over_several_nodes(deployment):
    result = deployment.first
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"ops/deploy from nothing: {result.seconds:.0f} s, the portal answering on every edge node "
          f"after {result.answered:.0f} s")
    tasks = deployment.tasks()
    assert all(task["state"].startswith("Running") for task in tasks), tasks
    by_service = {}
    for task in tasks:
        by_service.setdefault(task["service"], []).append(task["node"])
    assert sorted(by_service["nginx"]) == ["node1", "node2"]  # every edge node, only those
    assert by_service["django"] == ["node1"]  # the data node
    assert len(by_service["streamlit"]) == 2 and len(set(by_service["streamlit"])) == 2


def test_every_edge_node_serves_the_static_files_from_its_own_image(deployment):
    import requests

    page = requests.get(f"{deployment.swarm.url('node2')}/accounts/login/", timeout=10)
    stylesheet = page.text.split('href="/static/', 1)[1].split('"', 1)[0]
    for node in ("node1", "node2"):
        reply = requests.get(f"{deployment.swarm.url(node)}/static/{stylesheet}", timeout=10)
        assert reply.status_code == 200 and "text/css" in reply.headers["Content-Type"]


def test_the_engine_applies_no_new_privileges_that_the_stack_cannot_ask_for(deployment):
    for service in ("nginx", "django", "streamlit"):
        task = deployment.tasks(service)[0]
        status = deployment.exec(task, "cat", "/proc/self/status").stdout
        assert "NoNewPrivs:\t1" in status, service
        assert deployment.exec(task, "sh", "-c", "touch /probe-root 2>&1 || echo refused").stdout.strip().endswith("refused")


def test_running_ops_deploy_again_changes_nothing_that_did_not_change(deployment):
    before = {task["id"] for task in deployment.tasks()}
    result = deployment.deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"ops/deploy again, nothing changed: {result.seconds:.0f} s")
    assert {task["id"] for task in deployment.tasks()} == before


def test_a_partner_logs_in_through_an_edge_node_and_works_on_a_replica_of_another_node(deployment, partner):
    swarm = deployment.swarm
    replica_nodes = {task["node"] for task in deployment.tasks("streamlit")}
    for edge in ("node2", "node1"):
        session = login(swarm.url(edge), partner["username"], partner["password"])
        upstream = deployment.upstream_for(session, edge)
        assert upstream is not None
        slot, node = deployment.replica_slots()[upstream]
        if node != edge:
            break
    else:
        pytest.fail(f"this client always lands on its edge node's own replica ({replica_nodes})")
    # Uploaded through the edge node to django on the data node; the replica on another node
    # fetches the file from django (no volume is shared) and shows it.
    assert upload(session, swarm.url(edge), small_csv(rows=20), name="Swarm sales").status_code == 302
    app = StreamlitSession(swarm.url(edge), cookies=session.cookies.get_dict())
    try:
        app.rerun()
        shown = app.texts()
        assert "Swarm sales" in shown and any(text.startswith("20 rows · 3 columns") for text in shown), shown
    finally:
        app.close()
    print(f"logged in through {edge}, served by streamlit slot {slot} on {node}, which fetched the dataset")


def test_clients_spread_over_the_replicas_and_stick_across_an_nginx_reload(deployment, clients, cookie):
    first = deployment.served_by("node1", clients.once("node1", cookie, "spread-a"))
    assert len(first) == CLIENTS, first
    mapping = {address: slots[0] for address, slots in first.items()}
    assert len(set(mapping.values())) == 2, mapping
    deployment.exec(deployment.nginx("node1"), "/opt/nginx/reload")
    again = deployment.served_by("node1", clients.once("node1", cookie, "spread-b"))
    assert {address: slots[0] for address, slots in again.items()} == mapping
    # The other edge node's nginx hashes the same clients the same way: the ring is by slot.
    other = deployment.served_by("node2", clients.once("node2", cookie, "spread-c"))
    assert {address: slots[0] for address, slots in other.items()} == mapping



def test_the_ops_status_page_lists_every_task_with_its_node(deployment):
    password = secrets.token_urlsafe(16)
    deployment.manage("createsuperuser", "--noinput", "--username", "ops", "--email", "ops@example.invalid",
                      env={"DJANGO_SUPERUSER_PASSWORD": password})
    session = login(deployment.swarm.url("node2"), "ops", password)
    expected = set()
    for task in deployment.tasks():
        slot = "" if task["service"] == "nginx" else f".{task['slot']}"
        expected.add(f"{deployment.stack}_{task['service']}{slot}@{task['node']}")

    def missing():
        page = session.get(f"{deployment.swarm.url('node2')}/ops/status/", timeout=10).text
        return {name for name in expected if f"<td>{name}</td>" not in page}

    wait_until(f"every task on the status page ({sorted(expected)})", lambda: not missing(), timeout=60, interval=1)
    # ops/status, against the stack, from the same snapshots.
    result = deployment.ops("status", "--json")
    assert result.returncode == 0, result.stderr
    # Tasks that an earlier test stopped or moved stay listed as stale for a day.
    rows = [row for row in json.loads(result.stdout)["containers"] if row["health"] != "stale"]
    assert {row["container"] for row in rows} == expected
    assert all(row["memory_limit_bytes"] for row in rows), rows


def slots_now(deployment):
    return {task["slot"]: task for task in deployment.tasks("streamlit")}


def mapping_of(deployment, clients, cookie, tag):
    """{client address: the slot that served its request}, one request from each client now."""
    served = deployment.served_by("node1", clients.once("node1", cookie, tag))
    return {address: slots[-1] for address, slots in served.items()}


def moment(timestamp):
    """Docker's RFC 3339 time (nanoseconds, Z) as seconds since the epoch."""
    from datetime import datetime
    head, _, fraction = timestamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(head + "+00:00").timestamp() + float(f"0.{fraction or 0}")


def test_ops_scale_adds_a_replica_that_takes_only_its_share_and_removes_it_again(deployment, clients, cookie):
    mapping = mapping_of(deployment, clients, cookie, "scale-before")
    result = deployment.ops("scale", "3")
    assert result.returncode == 0, result.stderr
    grown = wait_until("the third replica taking clients", lambda: (
        now := mapping_of(deployment, clients, cookie, f"scale-{time.monotonic()}")) and 3 in now.values() and now,
        timeout=120, interval=1)
    # The ring by slot: a client either stays where it was or moves to the new replica.
    assert all(grown[address] in (slot, 3) for address, slot in mapping.items()), (mapping, grown)
    result = deployment.ops("scale", "2")
    assert result.returncode == 0, result.stderr
    # Swarm picks which replica goes; only that replica's clients move.
    kept = {int(slot) for slot in slots_now(deployment)}
    assert len(kept) == 2

    def settled():
        now = mapping_of(deployment, clients, cookie, f"scale-{time.monotonic()}")
        return set(now.values()) <= kept and all(now[a] == slot for a, slot in grown.items() if slot in kept)

    wait_until("only the removed replica's clients moved", settled, timeout=120, interval=1)


def test_a_worker_stopped_under_traffic_moves_only_its_own_partners(deployment, clients, cookie):
    mapping = mapping_of(deployment, clients, cookie, "fault-before")
    # A worker that runs a replica (node1, the manager, runs django and stays).
    [victim] = [task for task in deployment.tasks("streamlit") if task["node"] != "node1"][:1]
    lost_slot = int(victim["slot"])
    lost = {address for address, slot in mapping.items() if slot == lost_slot}
    kept = set(mapping) - lost
    assert lost and kept, mapping

    traffic = clients.start("node1", cookie, "fault")
    started = time.monotonic()
    deployment.swarm.stop_node(victim["node"])
    moved = wait_until(
        f"slot {lost_slot} to run again on another node",
        lambda: (task := slots_now(deployment).get(victim["slot"])) and task["node"] != victim["node"]
        and task["state"].startswith("Running") and task,
        timeout=240, interval=1)
    recovered = time.monotonic() - started
    # Its partners are served by their own slot again once nginx has the new task.
    wait_until("the lost slot's partners back on it", lambda: all(
        mapping_of(deployment, clients, cookie, f"fault-{time.monotonic()}").get(a) == lost_slot for a in lost),
        timeout=60, interval=1)
    records = traffic.finish()
    served = deployment.served_by("node1", records)

    failed_kept = [r for r in records if r["address"] in kept and r["status"] != 200]
    failed_lost = [r for r in records if r["address"] in lost and r["status"] != 200]
    print(f"node {victim['node']} stopped: slot {lost_slot} running on {moved['node']} after {recovered:.0f} s; "
          f"{len(records)} requests, failed: {len(failed_kept)} of other partners, {len(failed_lost)} of its own")
    assert not failed_kept
    # Partners of the other replica never moved.
    assert all(set(served[address]) == {mapping[address]} for address in kept)
    assert mapping_of(deployment, clients, cookie, "fault-after") == mapping


def test_a_rolling_update_under_traffic_fails_only_requests_in_flight_on_a_stopped_replica(deployment, clients, cookie):
    swarm = deployment.swarm
    image = f"{swarm.registry}/partner-portal-streamlit"
    # A new version of the image: the same one with one more label, pushed beside it.
    from support.swarm import run
    run("docker", "build", "-q", "-t", f"{image}:rolling", "-", env={"DOCKER_BUILDKIT": "0"},
        input=f"FROM {image}:latest\nLABEL portal.test-version=rolling\n")
    run("docker", "push", "-q", f"{image}:rolling")
    mapping = mapping_of(deployment, clients, cookie, "roll-before")
    old_tasks = slots_now(deployment)

    traffic = clients.start("node1", cookie, "roll")
    started = time.monotonic()
    swarm.docker("service", "update", "--detach=true", "--image", f"{image}:rolling", f"{deployment.stack}_streamlit")

    def done():
        state = swarm.docker("service", "inspect", "-f", "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}",
                             f"{deployment.stack}_streamlit").stdout.strip()
        assert state not in ("paused", "rollback_started", "rollback_completed"), state
        return state == "completed"

    wait_until("the rolling update to complete", done, timeout=300, interval=1)
    took = time.monotonic() - started
    wait_until("every partner on its own slot again",
               lambda: mapping_of(deployment, clients, cookie, f"roll-{time.monotonic()}") == mapping,
               timeout=60, interval=1)
    records = traffic.finish()

    new_tasks = slots_now(deployment)
    assert all(new_tasks[slot]["id"] != old_tasks[slot]["id"] for slot in old_tasks)
    # When each old task stopped: a request that failed must have been in flight on it then.
    stopped = {}
    for slot, task in old_tasks.items():
        info = json.loads(swarm.docker("inspect", task["id"]).stdout)[0]
        stopped[int(slot)] = info["Status"]["Timestamp"]
    failed = [r for r in records if r["status"] != 200]
    print(f"rolling update of {len(old_tasks)} replicas: {took:.0f} s; {len(records)} requests, "
          f"{len(failed)} failed")
    # In flight: sent to the old task of its slot before that task had stopped (its grace period
    # included), answered only after.
    not_in_flight = [r for r in failed if not (r["started"] <= moment(stopped[mapping[r["address"]]]) + 1
                                               and r["ended"] >= moment(stopped[mapping[r["address"]]]) - 12)]
    assert not not_in_flight, not_in_flight


def test_a_replica_swarm_stops_drains_first_while_its_open_session_keeps_working(deployment, partner):
    """Swarm picks the replica it stops (scale-in, a drained node, an update); a forced update
    stops every one, each after its replacement answers, the one that holds a session included."""
    swarm, service = deployment.swarm, f"{deployment.stack}_streamlit"
    # A drain short enough for the tabs' notice (five minutes ahead) to show at once, and Swarm's
    # grace period after it.
    updated = swarm.docker("service", "update", "--detach=false", "--env-add", "STREAMLIT_DRAIN_SECONDS=240",
                           "--stop-grace-period", "270s", service, check=False, timeout=600)
    assert updated.returncode == 0, updated.stderr
    session = login(swarm.url("node1"), partner["username"], partner["password"])
    app = StreamlitSession(swarm.url("node1"), cookies=session.cookies.get_dict())
    app.rerun()
    [holder] = wait_until("the replica that holds the session", lambda: [
        task for task in deployment.tasks("streamlit") if open_sessions(deployment, task)], timeout=30)
    swarm.docker("service", "update", "--detach=true", "--force", service)
    deadline = wait_until("the stopped replica draining", lambda: drain_deadline(deployment, holder), timeout=240)

    # Still working, and the partner is told the page will move.
    app.rerun()
    assert any("This analytics server is being retired" in text for text in app.texts()), app.texts()
    # Swarm takes a task it stops out of its DNS at once, and each nginx routes the slot to the
    # replacement at its next look at the replicas (WATCH_INTERVAL): a new session waits for that.
    [replacement] = [task for task in deployment.tasks("streamlit") if task["slot"] == holder["slot"]]
    replacement_addresses = deployment.addresses(replacement)
    wait_until("nginx sending this client to the holder's replacement", lambda: deployment.upstream_for(
        session, "node1") in replacement_addresses, timeout=60, interval=1)
    # The new session goes there too: the same client, so the same hash.
    other = wait_until("a new session on the replacement", lambda: new_session(
        swarm.url("node1"), session.cookies.get_dict()), timeout=120, interval=1)
    other.rerun()
    assert not any("being retired" in text for text in other.texts())
    assert open_sessions(deployment, holder) == 1
    other.close()

    app.close()
    node, container = deployment.container_of(holder)
    wait_until("the drained replica stopped", lambda: swarm.docker(
        "inspect", "-f", "{{.State.Running}}", container, node=node, check=False).stdout.strip() != "true",
        timeout=60, interval=1)
    # It stopped because its last session left, well before its deadline.
    assert time.time() < deadline
    said = swarm.docker("logs", container, node=node, check=False)
    assert "analytics: drained: no session left" in said.stdout + said.stderr


def new_session(url, cookies):
    try:
        return StreamlitSession(url, cookies=cookies)
    except WebSocketBadStatusException:
        return None


def open_sessions(deployment, task):
    """The session websockets a replica holds, as it counts them itself."""
    found = deployment.exec(task, "cat", "/tmp/portal-peers.json", check=False)
    return sum(json.loads(found.stdout).values()) if found.returncode == 0 and found.stdout.strip() else 0


def drain_deadline(deployment, task):
    found = deployment.exec(task, "cat", "/tmp/portal-drain", check=False)
    return float(found.stdout) if found.returncode == 0 and found.stdout.strip() else None


def test_backup_and_restore_against_the_stack(deployment, partner, tmp_path):
    """ops/backup while the stack runs; ops/restore with django stopped; ops/deploy starts it."""
    swarm, archive = deployment.swarm, tmp_path / "swarm-backup.tar.gz"
    result = deployment.ops("backup", str(archive))
    assert result.returncode == 0, result.stderr
    late = f"late-{secrets.token_hex(3)}"
    deployment.manage("createpartner", late, "--name", "Late")

    refused = deployment.ops("restore", str(archive))
    assert refused.returncode != 0 and "docker service scale" in refused.stderr
    swarm.docker("service", "scale", "--detach=false", f"{deployment.stack}_django=0")
    wait_until("django's container gone", lambda: not swarm.docker(
        "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={deployment.stack}_django").stdout.strip(),
        timeout=60, interval=1)
    result = deployment.ops("restore", str(archive))
    assert result.returncode == 0, result.stderr
    result = deployment.deploy()
    assert result.returncode == 0, result.stderr
    wait_until("the portal back", lambda: login_answers(deployment, partner), timeout=120, interval=1)
    slugs = deployment.manage("shell", "-c", "from partners.models import Partner; "
                              "print(' '.join(Partner.objects.values_list('slug', flat=True)))").stdout.split()
    assert partner["slug"] in slugs and late not in slugs


def login_answers(deployment, partner):
    try:
        login(deployment.swarm.url("node1"), partner["username"], partner["password"])
        return True
    except Exception:
        return False
