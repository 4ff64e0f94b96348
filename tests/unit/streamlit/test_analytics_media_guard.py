"""Exported files answer only to the partner they were made for: the middleware in front of
Streamlit's own media route and storage, driven over ASGI as the server drives it."""
from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1.util import patch_config_options
from streamlit.web.server.starlette.starlette_routes import create_media_routes

from analytics import media_guard

CSV = b"region,amount\nSeoul,120\n" * 50


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    monkeypatch.setattr(media_guard, "_owners", {})


@pytest.fixture(autouse=True)
def base_path():
    # The replicas' config.toml serves the app under /app.
    with patch_config_options({"server.baseUrlPath": "app"}):
        yield


def always():
    return True


def media_app(*files: bytes) -> tuple[Starlette, list[str]]:
    """Streamlit's media route over its in-memory storage, holding these files: (app, paths)."""
    storage = MemoryMediaFileStorage("/media")
    ids = [storage.load_and_get_id(data, "text/csv", MediaFileKind.DOWNLOADABLE, "export.csv") for data in files]
    return Starlette(routes=create_media_routes(storage, "app")), [f"/app/media/{file_id}" for file_id in ids]


def answer(app, path, partner=None, method="GET", extra=()):
    """The ASGI messages the guard sends back for one request."""
    headers = [(b"host", b"portal")] + list(extra)
    if partner is not None:
        headers.append((b"x-portal-partner", partner.encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("10.0.0.1", 1), "server": ("portal", 80),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(media_guard.MediaGuard(app)(scope, receive, send))
    return sent


def fetch(app, path, **request):
    """(status, body) of the answer."""
    sent = answer(app, path, **request)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def fetch_headers(app, path, **request):
    return dict(answer(app, path, **request)[0]["headers"])


def test_a_file_answers_the_partner_it_was_made_for():
    app, (path,) = media_app(media_guard.owned("acme", lambda: CSV, always)())

    status, body = fetch(app, path, partner="acme")

    assert (status, body) == (200, CSV)


@pytest.mark.parametrize("partner", ["globex", "", None], ids=["another partner", "empty", "no header"])
def test_a_file_is_404_to_anyone_else(partner):
    app, (path,) = media_app(media_guard.owned("acme", lambda: CSV, always)())

    status, body = fetch(app, path, partner=partner)

    assert status == 404
    assert b"Seoul" not in body


@pytest.mark.parametrize("variant", ["/app//media/{id}", "/app/media//{id}", "/app/./media/{id}", "/APP/media/{id}"])
def test_no_spelling_of_the_path_gets_past_the_guard(variant):
    app, (path,) = media_app(media_guard.owned("acme", lambda: CSV, always)())
    file_id = path.rsplit("/", 1)[1]

    status, body = fetch(app, variant.format(id=file_id), partner="globex")

    assert status == 404 and b"Seoul" not in body


def test_a_file_nobody_registered_is_404_even_when_streamlit_has_it():
    app, (path,) = media_app(CSV)

    assert fetch(app, path, partner="acme")[0] == 404


def test_the_same_bytes_made_by_two_partners_answer_both():
    media_guard.owned("acme", lambda: CSV, always)()
    media_guard.owned("globex", lambda: CSV, always)()
    app, (path,) = media_app(CSV)

    assert fetch(app, path, partner="acme")[0] == 200
    assert fetch(app, path, partner="globex")[0] == 200
    assert fetch(app, path, partner="initech")[0] == 404


def test_a_range_is_answered_with_the_whole_file_and_head_with_none():
    app, (path,) = media_app(media_guard.owned("acme", lambda: CSV, always)())

    assert fetch(app, path, partner="acme", extra=[(b"range", b"bytes=0-3")]) == (200, CSV)
    assert fetch(app, path, partner="acme", method="HEAD") == (200, b"")
    assert fetch(app, path, partner="globex", method="HEAD") == (404, b"")


def test_a_file_is_compared_as_made_not_as_compressed():
    # Behind the guard sit Streamlit's own middlewares, its gzip among them.
    from streamlit.web.server.starlette.starlette_app import create_streamlit_middleware

    storage = MemoryMediaFileStorage("/media")
    file_id = storage.load_and_get_id(media_guard.owned("acme", lambda: CSV, always)(), "text/csv",
                                      MediaFileKind.DOWNLOADABLE, "export.csv")
    app = Starlette(routes=create_media_routes(storage, "app"), middleware=create_streamlit_middleware())

    assert fetch(app, f"/app/media/{file_id}", partner="acme", extra=[(b"accept-encoding", b"gzip")]) == (200, CSV)


def test_a_partners_file_is_kept_out_of_caches():
    app, (path,) = media_app(media_guard.owned("acme", lambda: CSV, always)())

    assert fetch_headers(app, path, partner="acme")[b"cache-control"] == b"private, no-store"


def test_a_missing_file_stays_404():
    app, _ = media_app()

    assert fetch(app, "/app/media/nothing.csv", partner="acme")[0] == 404


def test_no_file_is_made_once_the_sign_in_has_ended():
    made = []
    make = media_guard.owned("acme", lambda: made.append(1) or CSV, lambda: False)

    with pytest.raises(PermissionError):
        make()

    assert made == [] and not media_guard.made_for("acme", CSV)


def test_the_registry_forgets_old_files(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(media_guard, "_clock", lambda: now[0])
    app, (path,) = media_app(media_guard.owned("acme", lambda: CSV, always)())
    now[0] += media_guard.KEEP_SECONDS + 1

    assert fetch(app, path, partner="acme")[0] == 404


def test_one_partners_exports_never_push_out_anothers(monkeypatch):
    monkeypatch.setattr(media_guard, "KEEP_FILES_PER_PARTNER", 3)
    media_guard.register("globex", b"globex file")
    for n in range(5):
        media_guard.register("acme", b"file %d" % n)

    assert [media_guard.made_for("acme", b"file %d" % n) for n in range(5)] == [False, False, True, True, True]
    assert media_guard.made_for("globex", b"globex file")
