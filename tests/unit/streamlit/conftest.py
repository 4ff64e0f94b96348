"""Fixtures for the analytics app: small datasets written in tmp_path, the portal's internal API
faked at its boundary, and the identity headers nginx would set."""
from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.runtime.context import StreamlitHeaders
from streamlit.testing.v1 import AppTest

from analytics import datasets, i18n, identity, portal_api, settings
from analytics_support import APP, PARTNER, TICKET, TOKEN, USER, catalog_payload, compile_catalogs, dataset_entry, sales_frame, write


@pytest.fixture(scope="session", autouse=True)
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The .mo files the image build makes, compiled here from the repository's .po files with
    Babel (no gettext tools on the host)."""
    built = compile_catalogs(tmp_path_factory.mktemp("locale"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(i18n, "LOCALE_DIR", built)
        i18n.translations.cache_clear()
        yield built
    i18n.translations.cache_clear()


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The DATASETS_DIR of a test, and a clean process: settings re-read, caches empty."""
    root = tmp_path / "datasets"
    root.mkdir()
    monkeypatch.setenv("INTERNAL_API_TOKEN", TOKEN)
    monkeypatch.setenv("DATASETS_DIR", str(root))
    # The existing tests read English; Korean runs set the portal's answer or this.
    monkeypatch.setenv("PORTAL_LANGUAGE", "en")
    monkeypatch.setenv("PORTAL_TIME_ZONE", "Asia/Seoul")
    # Nothing listens there: a test that reaches the network by mistake fails fast.
    monkeypatch.setenv("PORTAL_INTERNAL_URL", "http://127.0.0.1:9")
    settings.get.cache_clear()
    portal_api.forget()
    st.cache_resource.clear()
    datasets.cache.clear()
    yield root
    settings.get.cache_clear()
    portal_api.forget()
    st.cache_resource.clear()
    datasets.cache.clear()


class FakePortal:
    """Stands in for portal_api.fetch_catalog and fetch_session: the answers the internal API
    would give. The session behind the test's tab is active for acme until a test says not."""

    def __init__(self) -> None:
        self.payloads: dict[str, dict] = {}
        self.calls: list[str] = []
        # English by default: the existing tests read English; Korean runs set "ko".
        self.sessions: dict[str, portal_api.SessionState] = {
            TICKET: portal_api.SessionState(portal_api.ACTIVE, PARTNER, language="en")
        }
        self.session_calls: list[tuple[str, bool]] = []
        self.accept_languages: list[str] = []
        self.saved_languages: list[tuple[str, str]] = []
        self.refuse_language = False
        self.events: list[tuple[str, dict[str, str]]] = []

    def fetch_session(
        self, ticket: str, config: settings.Settings, activity: bool, accept_language: str = ""
    ) -> portal_api.SessionState:
        self.session_calls.append((ticket, activity))
        self.accept_languages.append(accept_language)
        return self.sessions.get(ticket, portal_api.SessionState("signed_out", language="en"))

    def speak(self, language: str, ticket: str = TICKET) -> None:
        """The portal decides this language for the session from now on."""
        self.sessions[ticket] = dataclasses.replace(self.sessions[ticket], language=language)

    def save_language(self, ticket: str, language: str, config: settings.Settings) -> None:
        if self.refuse_language:
            raise portal_api.PortalError("The language could not be saved just now. Please try again in a moment.")
        self.saved_languages.append((ticket, language))
        self.speak(language, ticket)
        portal_api._sessions.drop(ticket)

    def record_event(self, ticket: str, event: dict[str, str], config: settings.Settings) -> bool:
        self.events.append((ticket, event))
        return True

    def fetch(self, slug: str, config: settings.Settings) -> portal_api.Catalog:
        self.calls.append(slug)
        if slug not in self.payloads:
            raise portal_api.UnknownPartner(f"The portal does not know the partner {slug!r}.")
        return portal_api.parse_catalog(self.payloads[slug])


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, store: Path) -> FakePortal:
    """acme with two datasets, Sales and Sales 2024b, both on disk."""
    fake = FakePortal()
    write(store, "acme/sales.parquet", sales_frame())
    write(store, "acme/sales-b.parquet", sales_frame().with_columns(pl.col("units") * 2))
    fake.payloads[PARTNER] = catalog_payload(
        [
            dataset_entry("1", "Sales", "acme/sales.parquet"),
            dataset_entry("2", "Sales 2024b", "acme/sales-b.parquet"),
        ]
    )
    monkeypatch.setattr(portal_api, "fetch_catalog", fake.fetch)
    monkeypatch.setattr(portal_api, "fetch_session", fake.fetch_session)
    monkeypatch.setattr(portal_api, "save_language", fake.save_language)
    monkeypatch.setattr(portal_api, "record_event", fake.record_event)
    return fake


@pytest.fixture
def headers(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The identity headers of the session; a test edits or clears the dict before running.
    AppTest cannot seed st.context.headers, so the app's one reader of them is replaced."""
    current = {identity.PARTNER_HEADER: PARTNER, identity.USER_HEADER: USER, identity.SESSION_HEADER: TICKET}
    monkeypatch.setattr(
        identity, "request_headers", lambda: StreamlitHeaders(list(current.items()))
    )
    return current


@pytest.fixture
def app(headers: dict[str, str]) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30)


class PortalServer:
    """A tiny stand-in for Django's internal API over real HTTP."""

    def __init__(self) -> None:
        self.responses: dict[str, tuple[int, bytes]] = {}
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requests.append({"path": self.path, **dict(self.headers.items())})
                path = self.path.partition("?")[0]
                status, body = server.responses.get(path, (404, b'{"detail": "not found"}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                server.requests.append({"path": self.path, "method": "POST", "body": body, **dict(self.headers.items())})
                status, answer = server.responses.get(f"POST {self.path}", (404, b'{"detail": "not found"}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.answer_session(TICKET, {"state": "active", "partner": PARTNER, "user": USER})

    def answer(self, slug: str, payload: dict | bytes, status: int = 200) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.responses[f"/internal/partners/{slug}/datasets"] = (status, body)

    def answer_session(self, ticket: str, payload: dict | bytes, status: int = 200) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.responses[f"/internal/sessions/{ticket}"] = (status, body)


@pytest.fixture
def portal_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[PortalServer]:
    server = PortalServer()
    # A short poll interval keeps shutdown (which waits for the next poll) quick.
    thread = threading.Thread(target=server.httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    monkeypatch.setenv("PORTAL_INTERNAL_URL", server.url)
    settings.get.cache_clear()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join()
