"""What of Streamlit a browser can reach through nginx: the websocket from the portal's own pages
only, and only the routes the app's pages use. A foreign page's handshake must never reach a
replica, nor hold anybody else up."""
import secrets
import statistics
import threading
import time

import pytest
import requests
import websocket

from support.fresh import new_partner
from support.summary import count

BAD_INPUTS = "bad inputs tried"


@pytest.fixture(scope="module")
def partner(stack):
    return new_partner(stack, "surface")


def handshake(stack, origin, cookies, tag=""):
    """The websocket handshake's status: 101 when opened. `tag` marks it in nginx's log."""
    url = stack.url.replace("http", "ws", 1) + "/app/_stcore/stream" + (f"?tag={tag}" if tag else "")
    header = ["Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
    kwargs = {"suppress_origin": True} if origin is None else {"origin": origin}
    try:
        ws = websocket.create_connection(url, header=header, timeout=60, **kwargs)
    except websocket.WebSocketBadStatusException as refused:
        return refused.status_code
    ws.close()
    return 101


FOREIGN_ORIGINS = ["http://evil.example", "http://localhost:1", "http://127.0.0.1:1", "null", "https://{host}", None]


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS, ids=[str(o) for o in FOREIGN_ORIGINS])
def test_a_websocket_from_a_foreign_origin_is_refused_before_any_replica(stack, request, partner, origin):
    count(request.config, BAD_INPUTS, "foreign websocket origin", 1)
    host = stack.url.split("://", 1)[1]
    tag = secrets.token_hex(8)

    assert handshake(stack, None if origin is None else origin.format(host=host), partner.cookies, tag) == 403

    def logged():
        return [r for r in stack.nginx_log() if r["uri"] == f"/app/_stcore/stream?tag={tag}"]

    (line,) = stack.wait_until("nginx to log the refused handshake", logged, timeout=30)
    assert line["status"] == 403
    assert line["upstream"] == "", f"the refused handshake reached {line['upstream']}"


def test_the_portals_own_origin_opens_the_websocket(stack, partner):
    assert handshake(stack, stack.url, partner.cookies) == 101


def health_time(stack, cookies, times=9):
    """The median time of /app/_stcore/health answers, asked one after another."""
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        response = requests.get(f"{stack.url}/app/_stcore/health", cookies=cookies, timeout=120)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.text == "ok"
    return statistics.median(seconds)


def test_foreign_handshakes_hold_nobody_up(stack, partner):
    alone = health_time(stack, partner.cookies)
    stop = threading.Event()
    tried = []

    def attack():
        while not stop.is_set():
            tried.append(handshake(stack, "http://evil.example", partner.cookies))

    attackers = [threading.Thread(target=attack) for _ in range(2)]
    for thread in attackers:
        thread.start()
    try:
        meanwhile = health_time(stack, partner.cookies)
    finally:
        stop.set()
        for thread in attackers:
            thread.join()
    assert tried and set(tried) == {403}
    # Against the same requests a moment before: a replica frozen by a foreign handshake
    # answered in 18.5 s instead of 10 ms, nearly 2,000 times slower.
    assert meanwhile < 20 * alone, f"health took {meanwhile * 1000:.1f} ms against {alone * 1000:.1f} ms alone"


# Every route Streamlit serves under /app/ and whether a signed-in partner may reach it. The
# README's security section gives the reasons.
OPEN_ROUTES = [
    ("GET", "/app/", 200),
    ("GET", "/app/explore", 200),
    ("GET", "/app/_stcore/health", 200),
    ("GET", "/app/_stcore/host-config", 200),
]
CLOSED_ROUTES = [
    ("PUT", "/app/_stcore/upload_file/{session}/file-1"),
    ("DELETE", "/app/_stcore/upload_file/{session}/file-1"),
    ("GET", "/app/_stcore/metrics"),
    ("GET", "/app/_stcore/script-health-check"),
    ("GET", "/app/_stcore/agent/openapi.json"),
    ("POST", "/app/_stcore/agent/interact"),
    ("POST", "/app/_stcore/agent/mcp"),
    ("GET", "/app/_stcore/bidi-components/x/index.js"),
    ("GET", "/app/_stcore/anything-new"),
    ("GET", "/app/component/x/index.html"),
    ("GET", "/app/auth/login"),
    ("GET", "/app/auth/logout"),
    ("GET", "/app/oauth2callback"),
]


@pytest.mark.parametrize("method, path, status", OPEN_ROUTES, ids=[p for _, p, _ in OPEN_ROUTES])
def test_the_routes_the_pages_use_answer(stack, partner, method, path, status):
    assert partner.session.request(method, f"{stack.url}{path}", allow_redirects=False).status_code == status


@pytest.mark.parametrize("method, path", CLOSED_ROUTES, ids=[f"{m} {p}" for m, p in CLOSED_ROUTES])
def test_routes_the_app_does_not_use_are_404(stack, request, partner, method, path):
    count(request.config, BAD_INPUTS, "unused Streamlit route", 1)
    response = partner.session.request(method, f"{stack.url}{path.format(session='s-1')}",
                                       files={"file": ("x.bin", b"x" * 1024)} if method == "PUT" else None,
                                       allow_redirects=False)
    assert response.status_code == 404
    assert "metrics" not in response.text and "session" not in response.text.lower()


def test_streamlit_sends_no_cross_origin_permission(stack, partner):
    response = partner.session.get(f"{stack.url}/app/_stcore/health", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_gunicorn_starts_without_errors_on_its_read_only_root(stack):
    logs = stack.compose("logs", "--no-color", "django").stdout
    assert "Booting worker" in logs
    for trouble in ("Read-only file system", "Control server error", "control socket"):
        assert trouble not in logs
