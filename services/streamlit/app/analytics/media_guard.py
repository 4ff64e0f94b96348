"""Exported files belong to the partner they were made for.

Streamlit serves every file a page hands out (a download's CSV) from /app/media/<id> to whoever
asks for that URL. nginx lets only signed-in browsers reach /app/, but any signed-in partner
given another partner's link would get that partner's rows. So each file's bytes are registered
with their partner when a page makes them (`owned`), and the middleware answers a media request
only when the partner nginx vouches for made that file; any other gets 404, as for a file that
does not exist. The bytes themselves are the key: Streamlit's media ids are private to it.
"""
from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from analytics import identity

# Streamlit keeps a download's file while the session that made it lives; a partner who comes
# back to a link later gets 404 anyway. Bounded per partner, so one partner's loop of exports
# can neither grow the registry nor push out another partner's files.
KEEP_SECONDS = 3600
KEEP_FILES_PER_PARTNER = 200

# partner -> sha256 of the bytes -> when they were made, oldest first.
_owners: dict[str, OrderedDict[str, float]] = {}
_lock = threading.Lock()
_clock = time.monotonic


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def register(partner: str, data: bytes) -> None:
    digest, now = _digest(data), _clock()
    with _lock:
        made = _owners.setdefault(partner, OrderedDict())
        made[digest] = now
        made.move_to_end(digest)
        while made and (len(made) > KEEP_FILES_PER_PARTNER or now - next(iter(made.values())) > KEEP_SECONDS):
            made.popitem(last=False)


def made_for(partner: str, data: bytes) -> bool:
    digest = _digest(data)
    with _lock:
        made_at = _owners.get(partner, {}).get(digest)
    return made_at is not None and _clock() - made_at <= KEEP_SECONDS


def owned(partner: str, make: Callable[[], bytes], allowed: Callable[[], bool]) -> Callable[[], bytes]:
    """`make`, for st.download_button's deferred data: run only while `allowed()` says the
    sign-in behind the tab still holds (the click reaches the replica over the websocket, with
    no rerun to check it), and registering what it makes as the partner's."""

    def make_and_register() -> bytes:
        if not allowed():
            raise PermissionError("the sign-in behind this tab has ended")
        data = make()
        register(partner, data)
        return data

    return make_and_register


_NOT_FOUND = b"Not found"
# Asked of Streamlit without these: a range of the file, or its compressed bytes, could not be
# told apart from another file.
_WHOLE_FILE_UNWANTED = (b"range", b"if-range", b"accept-encoding")


class MediaGuard:
    """ASGI middleware in front of Streamlit's routes: media files only for their partner."""

    def __init__(self, app) -> None:
        from streamlit import config

        self.app = app
        base = config.get_option("server.baseUrlPath").strip("/")
        self.prefix = f"/{base}/media/" if base else "/media/"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        partner = headers.get(identity.PARTNER_HEADER.lower(), "")
        head = scope["method"] == "HEAD"
        inner = dict(
            scope,
            method="GET",
            headers=[(n, v) for n, v in scope["headers"] if n.lower() not in _WHOLE_FILE_UNWANTED],
        )
        start: dict = {}
        chunks: list[bytes] = []

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, keep)
        # Streamlit sends a file in one piece: that very object is hashed and sent, no copy.
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        # Off the event loop: hashing a large export must not hold up the replica's other sessions.
        if start.get("status") == 200 and partner and await asyncio.to_thread(made_for, partner, body):
            # A partner's file stays out of every cache between the replica and the browser.
            start["headers"] = [*start.get("headers", []), (b"cache-control", b"private, no-store")]
            await send(start)
            await send({"type": "http.response.body", "body": b"" if head else body})
            return
        await send({
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(_NOT_FOUND)).encode())],
        })
        await send({"type": "http.response.body", "body": b"" if head else _NOT_FOUND})
