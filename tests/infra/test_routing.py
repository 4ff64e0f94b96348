"""Sticky routing by client address across Streamlit replicas: spread, stickiness, scaling,
failover and forwarding, seen from client containers with addresses of their own."""
import subprocess
from collections import Counter

import pytest

from support.clients import (FrontClients, front_subnet, replica_by_address, replicas_serving,
                             same_block_addresses, spread_addresses)
from support.logins import create_partner_user, login
from support.streamlit_session import StreamlitSession

HEALTH = "/app/_stcore/health"


def scale(stack, replicas):
    result = stack.ops("scale", str(replicas))
    assert result.returncode == 0, result.stderr
    assert len(stack.container_names("streamlit")) == replicas


@pytest.fixture(scope="module")
def session_cookie(stack):
    username, password = create_partner_user(stack, "routing")
    session = login(stack.url, username, password)
    return session.cookies["sessionid"]


@pytest.fixture(scope="module")
def three_replicas(stack):
    original = len(stack.container_names("streamlit"))
    scale(stack, 3)
    yield
    scale(stack, original)


@pytest.fixture(scope="module")
def clients(stack, three_replicas):
    subnet = front_subnet(stack)
    front = FrontClients(stack)
    spread = spread_addresses(subnet, 12)
    one_block = same_block_addresses(subnet, 4, block_index=13)
    front.start(spread + one_block)
    yield front, spread, one_block
    front.stop()


def serving(stack, front, cookie, addresses, count=1, headers=None):
    """{address: [replica of each request]} for `count` requests from each client."""
    mapping = replica_by_address(stack)
    result = {}
    for address in addresses:
        statuses, marker = front.get(address, HEALTH, f"sessionid={cookie}", count, headers)
        assert statuses == [200] * count, f"{address}: {statuses}"
        result[address] = replicas_serving(stack, marker, mapping)
    return result


def one_replica_each(served):
    for address, replicas in served.items():
        assert len(set(replicas)) == 1, f"{address} was served by {Counter(replicas)}"
    return {address: replicas[0] for address, replicas in served.items()}


def test_clients_in_distinct_24s_spread_over_every_replica(stack, clients, session_cookie):
    front, spread, _ = clients
    placement = one_replica_each(serving(stack, front, session_cookie, spread))
    assert set(placement.values()) == set(stack.container_names("streamlit")), Counter(placement.values())


def test_each_client_stays_on_one_replica_also_after_an_nginx_reload(stack, clients, session_cookie):
    front, spread, one_block = clients
    addresses = spread + one_block
    before = one_replica_each(serving(stack, front, session_cookie, addresses, count=20))
    (nginx,) = stack.container_names("nginx")
    subprocess.run(["docker", "exec", nginx, "nginx", "-s", "reload"], check=True, capture_output=True)
    after = one_replica_each(serving(stack, front, session_cookie, addresses, count=20))
    assert after == before


def test_a_spoofed_forwarded_for_from_an_untrusted_client_changes_nothing(stack, clients, session_cookie):
    front, spread, _ = clients
    placement = one_replica_each(serving(stack, front, session_cookie, spread))
    client = spread[0]
    # Claim to be a client that lives on another replica: nginx must not believe it.
    other = next(a for a in spread if placement[a] != placement[client])
    spoofed = serving(stack, front, session_cookie, [client], count=5, headers={"X-Forwarded-For": other})
    assert set(spoofed[client]) == {placement[client]}
    records = [r for r in stack.nginx_log() if r["uri"].startswith(HEALTH)][-5:]
    assert {r["client"] for r in records} == {client}


def test_an_open_websocket_survives_scaling_other_replicas_and_reloads(stack, clients, session_cookie):
    app = StreamlitSession(stack.url, cookies={"sessionid": session_cookie})
    try:
        assert app.status == 101
        app.rerun()
        scale(stack, 4)
        (nginx,) = stack.container_names("nginx")
        subprocess.run(["docker", "exec", nginx, "nginx", "-s", "reload"], check=True, capture_output=True)
        app.rerun()
        scale(stack, 3)
        _, elements = app.rerun()
        assert elements, "the session drew nothing after the scale and reload"
    finally:
        app.close()


def test_scaling_up_gives_new_clients_to_the_new_replica_and_moves_few_existing(stack, clients, session_cookie):
    front, spread, _ = clients
    before = one_replica_each(serving(stack, front, session_cookie, spread))
    scale(stack, 4)
    try:
        newest = stack.container_names("streamlit")[-1]
        after = one_replica_each(serving(stack, front, session_cookie, spread))
        moved = [a for a in spread if after[a] != before[a]]
        # Consistent hashing moves about 1/4 of the clients, and only onto the new replica.
        if stack.setting("STREAMLIT_ROUTING") == "consistent":
            assert len(moved) <= len(spread) // 2, f"{len(moved)} of {len(spread)} clients moved"
            assert all(after[a] == newest for a in moved)
        subnet = front_subnet(stack)
        newcomers = FrontClients(stack)
        new_addresses = spread_addresses(subnet, 16, skip=14)
        newcomers.start(new_addresses)
        try:
            placed = one_replica_each(serving(stack, newcomers, session_cookie, new_addresses))
        finally:
            newcomers.stop()
        assert newest in placed.values(), Counter(placed.values())
    finally:
        scale(stack, 3)


def test_a_dead_replicas_clients_fail_over_within_seconds_and_it_comes_back(stack, clients, session_cookie):
    front, spread, _ = clients
    client = spread[0]
    (victim,) = set(serving(stack, front, session_cookie, [client])[client])
    pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", victim], check=True, capture_output=True,
                         text=True).stdout.strip()
    mapping = replica_by_address(stack)
    # A crash, not a stop: the restart policy must bring it back by itself.
    subprocess.run(["kill", "-9", pid], check=True)

    def served_elsewhere():
        statuses, marker = front.get(client, HEALTH, f"sessionid={session_cookie}")
        replicas = replicas_serving(stack, marker, mapping)
        return statuses == [200] and replicas and replicas[-1] != victim and replicas[-1]

    stack.wait_until(f"{client} to be served by a replica other than {victim}", served_elsewhere, timeout=10)
    stack.wait_until(f"{victim} to restart healthy", lambda: any(
        row["Name"] == victim and row["Health"] == "healthy" for row in stack.containers("streamlit")), timeout=120)


@pytest.fixture
def routing_by_user(stack, three_replicas):
    """STREAMLIT_ROUTING=user, as ops set it in .env and apply with ops/up; put back after."""
    before = stack.setting("STREAMLIT_ROUTING")
    stack.set_setting("STREAMLIT_ROUTING=user")
    up = stack.ops("up")
    assert up.returncode == 0, up.stderr
    yield
    stack.set_setting(f"STREAMLIT_ROUTING={before}")
    back = stack.ops("up")
    assert back.returncode == 0, back.stderr


def test_routing_by_user_spreads_colleagues_behind_one_address(stack, clients, routing_by_user):
    front, _, one_block = clients
    office = one_block[0]
    username, password = create_partner_user(stack, "one-office")
    people = [(username, password)]
    for number in range(2, 13):
        colleague, secret = f"one-office-{number}", f"colleague password {number}"
        stack.manage("addpartneruser", "one-office", colleague, "--password-stdin", input=secret + "\n")
        people.append((colleague, secret))
    cookies = {name: login(stack.url, name, secret).cookies["sessionid"] for name, secret in people}

    mapping = replica_by_address(stack)
    placement = {}
    for name, cookie in cookies.items():
        statuses, marker = front.get(office, HEALTH, f"sessionid={cookie}", 5)
        assert statuses == [200] * 5, f"{name}: {statuses}"
        served = replicas_serving(stack, marker, mapping)
        assert len(set(served)) == 1, f"{name} was served by {Counter(served)}"
        placement[name] = served[0]
    # Twelve people from one address: under address routing all of them share one replica.
    assert len(set(placement.values())) >= 2, Counter(placement.values())
