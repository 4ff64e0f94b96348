"""Scale-in that drains, ops/autoscale acting on the advice, and the advice naming one address's
sessions, against the composed stack.

Sessions are raw Streamlit websockets (support.streamlit_session). The host reaches nginx from
one address: under address routing that is the "many tabs behind one address" case; the drain
and autoscale tests route by user, so that the host can still place sessions on either replica.
"""
import json
import os
import secrets
import subprocess
import time

import pytest
import requests
from portal_probe.replica import PEERS_FILE

from support.clients import replica_by_address, replicas_serving
from support.logins import create_partner_user, login
from support.stack import ROOT
from support.streamlit_session import StreamlitSession

HEALTH = "/app/_stcore/health"
DRAIN_SECONDS = 90  # under the notice's few minutes: the tabs are told at once
COOLDOWN_SECONDS = 20
# The probe's session mark for ops/autoscale, low enough that three sessions are load
# (ops/autoscale lets the environment override the settings file's thresholds).
SESSIONS_MARK = "2"
NOTICE = "This analytics server is being retired"


def ops_env(stack, **extra):
    return dict(os.environ, COMPOSE_PROJECT_NAME=stack.project, PORTAL_ENV_FILE=stack.env_file, **extra)


def scale(stack, replicas):
    result = stack.ops("scale", str(replicas))
    assert result.returncode == 0, result.stderr
    assert len(stack.container_names("streamlit")) == replicas


@pytest.fixture(scope="module")
def partner(stack):
    """The session cookies of ten users of one partner (a new one each run: the stack may be reused)."""
    slug = f"scaling-{secrets.token_hex(3)}"
    username, password = create_partner_user(stack, slug)
    cookies = [login(stack.url, username, password).cookies["sessionid"]]
    for number in range(2, 11):
        name, secret = f"{slug}-{number}", secrets.token_urlsafe(16)
        stack.manage("addpartneruser", slug, name, "--password-stdin", input=secret + "\n")
        cookies.append(login(stack.url, name, secret).cookies["sessionid"])
    return cookies


def test_sessions_from_one_address_make_the_advice_say_more_replicas_will_not_spread_them(stack, partner):
    if stack.setting("STREAMLIT_ROUTING") == "user":
        pytest.skip("routing by user spreads one address's people: nothing to advise")
    # One more tab than a replica should hold, all from the host's one address, as the people of
    # one partner behind a NAT; the stack's own mark, since ops/status reads django's settings.
    mark = stack.setting("STREAMLIT_SESSIONS_PER_REPLICA")
    tabs = [open_session(stack, partner[number % len(partner)]) for number in range(mark + 1)]
    try:
        def advice():
            for tab in tabs:
                tab.rerun()
            result = stack.ops("status", "--json")
            assert result.returncode == 0, result.stderr
            (streamlit,) = [a for a in json.loads(result.stdout)["advice"] if a["service"] == "streamlit"]
            return "from one client address" in streamlit["recommendation"] and streamlit["recommendation"]

        interval = stack.setting("PROBE_INTERVAL")
        said = stack.wait_until("the advice to name the one address", advice, timeout=3 * interval + 10, interval=2)
        assert "will not spread them; STREAMLIT_ROUTING=user" in said
    finally:
        for tab in tabs:
            tab.close()


@pytest.fixture(scope="module")
def scaling_settings(stack):
    """Routing by user (applied with ops/up when it was not), short drain and cool-down, one
    replica to start from; all put back after."""
    names = ("STREAMLIT_ROUTING", "STREAMLIT_DRAIN_SECONDS", "AUTOSCALE_COOLDOWN_SECONDS",
             "STREAMLIT_MIN_REPLICAS", "STREAMLIT_MAX_REPLICAS")
    before = {name: stack.settings.get(name, "") for name in names}
    replicas = len(stack.container_names("streamlit"))
    for assignment in (f"STREAMLIT_DRAIN_SECONDS={DRAIN_SECONDS}", f"AUTOSCALE_COOLDOWN_SECONDS={COOLDOWN_SECONDS}",
                       "STREAMLIT_MIN_REPLICAS=1", "STREAMLIT_MAX_REPLICAS=2"):
        stack.set_setting(assignment)
    if before["STREAMLIT_ROUTING"] != "user":
        stack.set_setting("STREAMLIT_ROUTING=user")
        up = stack.ops("up")
        assert up.returncode == 0, up.stderr
    yield
    for name, value in before.items():
        stack.set_setting(f"{name}={value}")
    if before["STREAMLIT_ROUTING"] != "user":
        back = stack.ops("up")
        assert back.returncode == 0, back.stderr
    scale(stack, replicas)


@pytest.fixture(scope="module")
def people(partner, scaling_settings):
    """The partner's users, once routing is by user."""
    return partner


def replica_of(stack, cookie):
    """The replica nginx sends this user's new requests to now."""
    marker = secrets.token_hex(6)
    reply = requests.get(f"{stack.url}{HEALTH}?t={marker}", cookies={"sessionid": cookie}, timeout=10)
    assert reply.status_code == 200
    served = stack.wait_until("nginx to log the request", lambda: replicas_serving(
        stack, marker, replica_by_address(stack)), timeout=10)
    return served[-1]


def sessions_on(container):
    """The session websockets open on a replica, as the replica itself counts them (its health
    checks' short connections are not among them)."""
    out = subprocess.run(["docker", "exec", container, "cat", str(PEERS_FILE)],
                         check=True, capture_output=True, text=True).stdout
    return sum(json.loads(out).values())


def open_session(stack, cookie):
    session = StreamlitSession(stack.url, cookies={"sessionid": cookie})
    assert session.status == 101
    session.rerun()
    return session


def two_replicas_and_a_user_of_the_second(stack, people):
    """(first, second, {cookie: replica}, a cookie routed to the second) on two replicas."""
    scale(stack, 2)
    first, second = stack.container_names("streamlit")
    placement = {cookie: replica_of(stack, cookie) for cookie in people}
    on_second = [cookie for cookie, replica in placement.items() if replica == second]
    assert on_second, f"none of {len(people)} users is routed to {second}: {placement.values()}"
    return first, second, placement, on_second[0]


def test_a_draining_replica_gets_no_new_session_while_its_open_one_keeps_working(stack, people):
    first, second, _, user = two_replicas_and_a_user_of_the_second(stack, people)
    staying = open_session(stack, user)
    try:
        stack.wait_until(f"{second} to count the open session", lambda: sessions_on(second) == 1, timeout=10)
        started = time.monotonic()
        scaling = subprocess.Popen([str(ROOT / "ops" / "scale"), "1"], env=ops_env(stack),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stack.wait_until(f"{second} to leave nginx's upstream",
                             lambda: staying.rerun() and replica_of(stack, user) == first, timeout=60)
            # The same user's new tab (a reconnect would be one too) goes to the other replica.
            newcomer = open_session(stack, user)
            assert sessions_on(second) == 1
            assert sessions_on(first) == 1
            # The open session still works, and its partner is told.
            stack.wait_until("the drain notice in the open tab",
                             lambda: any(NOTICE in text for text in (staying.rerun() and staying.texts())), timeout=30)
            assert scaling.poll() is None, "ops/scale stopped the replica while a session was open"
        finally:
            staying.close()
        out, err = scaling.communicate(timeout=60)
        assert scaling.returncode == 0, err
        # It stopped because the session left, not because the drain time was over.
        assert time.monotonic() - started < DRAIN_SECONDS, err
        assert "drained: no session left" in err
        assert stack.container_names("streamlit") == [first]
        _, elements = newcomer.rerun()
        assert elements
        newcomer.close()
    finally:
        staying.close()



def answers(url):
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:  # a port that does not listen yet
        return False


def served(stack, path, cookie):
    """(status, replica) of one request to `path` as this user, from nginx's log."""
    marker = secrets.token_hex(6)
    reply = requests.get(f"{stack.url}{path}?t={marker}", cookies={"sessionid": cookie}, timeout=10)
    replicas = stack.wait_until("nginx to log the request", lambda: replicas_serving(
        stack, marker, replica_by_address(stack)), timeout=10)
    return reply.status_code, replicas[-1]


def test_a_draining_replica_gets_no_new_partner_after_an_nginx_restart_and_its_downloads_still_reach_it(stack, people):
    first, second, placement, user = two_replicas_and_a_user_of_the_second(stack, people)
    (nginx,) = stack.container_names("nginx")
    # What ops/scale does to retire a replica: its stop time, in its own /tmp.
    subprocess.run(["docker", "exec", second, "python3", "-m", "portal_probe", "drain", str(int(time.time()) + 600)],
                   check=True, capture_output=True)
    try:
        subprocess.run(["docker", "restart", nginx], check=True, capture_output=True)
        stack.wait_until("nginx to answer after its restart", lambda: answers(f"{stack.url}/healthz"), timeout=60)
        # nginx learnt the drain from the replica itself, not from a file of its own it lost.
        assert replica_of(stack, user) == first
        assert all(replica_of(stack, cookie) == replica for cookie, replica in placement.items() if replica == first)
        # A file the partner's session handed out is asked of that session's replica (unknown
        # here: the replica's own 404), not of the replica new pages go to.
        status, replica = served(stack, "/app/media/0123456789abcdef0123456789abcdef.csv", user)
        assert (status, replica) == (404, second)
    finally:
        subprocess.run(["docker", "exec", second, "python3", "-m", "portal_probe", "kept"], check=True)
        subprocess.run(["docker", "exec", nginx, "/opt/nginx/reload"], capture_output=True)
    stack.wait_until(f"{second} to take its users again", lambda: replica_of(stack, user) == second, timeout=30)

def autoscale_once(stack):
    result = subprocess.run([str(ROOT / "ops" / "autoscale"), "--once"],
                            env=ops_env(stack, STREAMLIT_SESSIONS_PER_REPLICA=SESSIONS_MARK),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def autoscale_until(stack, change, timeout, tabs):
    """Run `ops/autoscale --once` as a timer would until it logs `change` ("1→2"); its lines.
    The open `tabs` rerun between rounds, as partners at work: a client that reads nothing for a
    while answers no websocket ping, and the server closes it (a browser always answers)."""
    lines = []

    def changed():
        for tab in tabs:
            tab.rerun()
        lines.append(autoscale_once(stack))
        return f"streamlit {change}:" in lines[-1]

    try:
        stack.wait_until(f"ops/autoscale to scale {change}", changed, timeout=timeout, interval=3)
    except AssertionError as error:
        raise AssertionError(f"{error}; it said:\n" + "\n".join(lines)) from None
    return lines


def test_autoscale_adds_a_replica_under_load_and_removes_one_after_it_without_closing_a_session(stack, people):
    scale(stack, 1)
    interval = stack.setting("PROBE_INTERVAL")
    keeper, *load = [open_session(stack, cookie) for cookie in people[:3]]
    try:
        lines = autoscale_until(stack, "1→2", timeout=4 * interval + 30, tabs=[keeper, *load])
        assert "up: 3 sessions (2 a replica)" in lines[-1]
        assert len(stack.container_names("streamlit")) == 2
        newest = stack.container_names("streamlit")[-1]
        assert newest in {replica_of(stack, cookie) for cookie in people}, "the new replica serves nobody"
        # Load over: two of the three leave; the third stays open through the scale-in.
        for session in load:
            session.close()
        lines = autoscale_until(stack, "2→1", timeout=2 * COOLDOWN_SECONDS + 4 * interval + 60, tabs=[keeper])
        assert any("cool-down" in line or "low for" in line for line in lines), lines
        assert "down: 1 session (2 a replica)" in lines[-1]
        assert len(stack.container_names("streamlit")) == 1
        _, elements = keeper.rerun()
        assert elements, "the open session drew nothing after the scale-in"
    finally:
        for session in [keeper, *load]:
            session.close()
