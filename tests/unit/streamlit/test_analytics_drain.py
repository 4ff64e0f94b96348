"""A replica being retired tells its tabs, a few minutes ahead, that the page will reconnect;
and it counts its open sessions per client address for the probe."""
from __future__ import annotations

import asyncio
import time

from portal_probe import replica

from analytics import drain, peers
from analytics_support import texts


def test_no_notice_while_not_draining_or_while_the_stop_is_far():
    assert drain.notice_text(None) is None
    assert drain.notice_text(drain.NOTICE_SECONDS + 1) is None


def test_the_notice_names_the_minutes_left_and_never_zero():
    assert drain.notice_text(250).startswith(
        "This analytics server is being retired: in about 5 min. this page reconnects to another one by itself")
    assert "in about 1 min." in drain.notice_text(0)


def test_seconds_left_come_from_the_deadline_ops_wrote(tmp_path):
    path = tmp_path / "portal-drain"
    assert drain.seconds_left(now=1000, path=path) is None
    path.write_text("1240\n")
    assert drain.seconds_left(now=1000, path=path) == 240
    assert drain.seconds_left(now=2000, path=path) == 0


def test_a_draining_replicas_page_shows_the_notice_above_the_page(app, portal, monkeypatch, tmp_path):
    path = tmp_path / "portal-drain"
    monkeypatch.setattr(replica, "DRAIN_FILE", path)
    app.run()
    assert not any("being retired" in text for text in texts(app.warning))
    path.write_text("9999999999")
    app.run()
    assert not any("being retired" in text for text in texts(app.warning)), "a far stop says nothing yet"
    path.write_text(str(int(time.time()) + 120))
    app.run()
    assert not app.exception
    assert any(text.startswith("This analytics server is being retired: in about 2 min.") for text in texts(app.warning))


def websocket_scope(address: bytes | None, path="/app/_stcore/stream"):
    headers = [(b"host", b"portal")] + ([(b"x-real-ip", address)] if address else [])
    return {"type": "websocket", "path": path, "headers": headers}


def test_open_websockets_are_counted_per_client_address_until_they_close():
    written: list[dict] = []
    opened, release = asyncio.Event(), asyncio.Event()
    streams = []

    async def streamlit(scope, receive, send):
        if scope["path"].endswith("/_stcore/stream"):
            streams.append(scope)
            if len(streams) == 3:  # every tab is counted before Streamlit gets it
                opened.set()
            await release.wait()

    middleware = peers.WebsocketPeers(streamlit, write=lambda counts: written.append(counts))

    async def scenario():
        tabs = [asyncio.create_task(middleware(websocket_scope(b"203.0.113.7"), None, None)) for _ in range(2)]
        other = asyncio.create_task(middleware(websocket_scope(b"198.51.100.2"), None, None))
        await asyncio.wait_for(opened.wait(), 5)
        during = written[-1]
        await middleware({"type": "http", "path": "/app/_stcore/health", "headers": []}, None, None)
        await middleware(websocket_scope(b"192.0.2.1", path="/app/other"), None, None)
        release.set()
        await asyncio.wait_for(asyncio.gather(*tabs, other), 5)
        return during

    during = asyncio.run(scenario())
    assert written[0] == {}
    assert during == {"203.0.113.7": 2, "198.51.100.2": 1}
    assert {address: count for address, count in written[-1].items() if count} == {}


def health_answer(middleware):
    """The status line and headers the middleware sends for a health request."""
    sent = []

    async def streamlit(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(streamlit)({"type": "http", "path": "/app/_stcore/health", "headers": []}, None, send))
    start = sent[0]
    return start["status"], dict(start["headers"]), sent[1]["body"]


def test_the_health_answer_says_when_the_replica_drains(tmp_path):
    path = tmp_path / "drain"
    answer = health_answer(lambda app: drain.DrainingHealth(app, path=path))
    assert answer == (200, {b"content-type": b"text/plain"}, b"ok")
    path.write_text("1764650000")
    status, headers, body = health_answer(lambda app: drain.DrainingHealth(app, path=path))
    # Still healthy (Docker's check and the probe read it too): only nginx's renderer reads the header.
    assert (status, body) == (200, b"ok")
    assert headers[drain.DRAINING_HEADER] == b"1764650000"
