"""Identity headers, settings, and the internal API client over real HTTP."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.context import StreamlitHeaders

from analytics import identity, portal_api, settings
from analytics_support import TICKET, TOKEN, catalog_payload, dataset_entry


def test_identity_comes_from_the_portal_headers_in_any_case():
    headers = StreamlitHeaders([("x-portal-partner", "acme"), ("X-PORTAL-USER", "ann"), ("x-Portal-Session", TICKET)])
    assert identity.from_headers(headers) == identity.Identity(partner="acme", user="ann", ticket=TICKET)


@pytest.mark.parametrize(
    "sent",
    [
        [],
        [("X-Portal-Partner", "acme")],
        [("X-Portal-User", "ann")],
        [("X-Portal-Partner", ""), ("X-Portal-User", "ann")],
        [("X-Portal-Partner", "acme/../globex"), ("X-Portal-User", "ann")],
        [("X-Portal-Partner", ".."), ("X-Portal-User", "ann")],
        [("X-Portal-Partner", "acme"), ("X-Portal-User", "  "), ("X-Portal-Session", TICKET)],
        [("X-Portal-Partner", "acme"), ("X-Portal-User", "ann")],
        [("X-Portal-Partner", "acme"), ("X-Portal-User", "ann"), ("X-Portal-Session", "sessionid-like")],
        [("X-Portal-Partner", "acme"), ("X-Portal-User", "ann"), ("X-Portal-Session", TICKET + "0")],
    ],
)
def test_missing_or_malformed_headers_give_no_identity(sent):
    assert identity.from_headers(StreamlitHeaders(sent)) is None


def test_settings_defaults_and_checks():
    loaded = settings.load({"INTERNAL_API_TOKEN": TOKEN})
    assert loaded == settings.Settings("http://django:8000", TOKEN, Path("/datasets"))
    assert settings.load({"INTERNAL_API_TOKEN": TOKEN, "PORTAL_INTERNAL_URL": "http://p:1/"}).portal_internal_url == "http://p:1"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "INTERNAL_API_TOKEN"),
        ({"INTERNAL_API_TOKEN": " "}, "INTERNAL_API_TOKEN"),
        ({"INTERNAL_API_TOKEN": TOKEN, "PORTAL_INTERNAL_URL": "django:8000"}, "PORTAL_INTERNAL_URL"),
        ({"INTERNAL_API_TOKEN": TOKEN, "DATASETS_DIR": "datasets"}, "DATASETS_DIR"),
        ({"INTERNAL_API_TOKEN": TOKEN, "PORTAL_LANGUAGE": "fr"}, "PORTAL_LANGUAGE"),
        ({"INTERNAL_API_TOKEN": TOKEN, "PORTAL_TIME_ZONE": "Mars/Olympus"}, "PORTAL_TIME_ZONE"),
    ],
)
def test_a_bad_setting_is_named(environ, named):
    with pytest.raises(settings.SettingsError, match=named):
        settings.load(environ)


def test_the_client_sends_the_token_and_host_and_parses_the_catalog(portal_server):
    entry = dataset_entry("7", "Sales", "acme/7f3c.parquet") | {
        "rows": 60,
        "columns": [{"name": "day", "type": "date"}],
        "size_bytes": 1234,
    }
    portal_server.answer("acme", catalog_payload([entry]))
    catalog = portal_api.fetch_catalog("acme", settings.get())
    [request] = portal_server.requests
    assert request["path"] == "/internal/partners/acme/datasets"
    assert request["Authorization"] == f"Bearer {TOKEN}"
    assert request["Host"] == "localhost"
    assert catalog.name == "Acme Ltd"
    assert catalog.active
    [dataset] = catalog.datasets
    assert dataset == portal_api.DatasetInfo(
        id="7", name="Sales", description="Sales for tests", path="acme/7f3c.parquet", rows=60,
        size_bytes=1234, version="v1", uploaded_by="ann", uploaded_at="2024-04-01T10:00:00Z",
    ), "the columns' types come from the file, not from the catalog"
    assert catalog.dataset("7") is dataset
    assert catalog.dataset("8") is None


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (404, b"{}", portal_api.UnknownPartner, "does not know the partner 'acme'"),
        (403, b"{}", portal_api.PortalError, "INTERNAL_API_TOKEN"),
        (502, b"{}", portal_api.PortalUnavailable, "error \\(502\\)"),
        (200, b"<html>", portal_api.PortalError, "could not be understood"),
        (200, b'{"partner": {}}', portal_api.PortalError, "could not be understood"),
    ],
)
def test_errors_from_the_api_become_readable_messages(portal_server, status, body, error, message):
    portal_server.answer("acme", body, status)
    with pytest.raises(error, match=message):
        portal_api.fetch_catalog("acme", settings.get())


def test_an_unreachable_api_is_reported_as_unavailable():
    # The store fixture points PORTAL_INTERNAL_URL at a port nothing listens on.
    with pytest.raises(portal_api.PortalUnavailable, match="could not be reached"):
        portal_api.fetch_catalog("acme", settings.get())


def test_the_catalog_is_cached_briefly_per_partner(portal_server):
    portal_server.answer("acme", catalog_payload([]))
    portal_server.answer("globex", catalog_payload([], slug="globex"))
    assert portal_api.catalog("acme").slug == "acme"
    assert portal_api.catalog("acme").slug == "acme"
    assert portal_api.catalog("globex").slug == "globex"
    assert [r["path"] for r in portal_server.requests] == [
        "/internal/partners/acme/datasets",
        "/internal/partners/globex/datasets",
    ]


def test_a_kept_catalog_is_asked_for_again_after_a_few_seconds(portal_server, monkeypatch):
    portal_server.answer("acme", catalog_payload([]))
    now = [1000.0]
    monkeypatch.setattr(portal_api, "_clock", lambda: now[0])
    portal_api.catalog("acme")
    now[0] += portal_api.CACHE_SECONDS - 0.1
    portal_api.catalog("acme")
    assert len(portal_server.requests) == 1
    now[0] += 0.1
    portal_api.catalog("acme")
    assert len(portal_server.requests) == 2


def test_errors_are_not_cached(portal_server):
    portal_server.answer("acme", b"{}", 503)
    with pytest.raises(portal_api.PortalUnavailable):
        portal_api.catalog("acme")
    portal_server.answer("acme", catalog_payload([]))
    assert portal_api.catalog("acme").datasets == ()


def test_the_session_state_is_asked_with_the_ticket_and_activity(portal_server):
    state = portal_api.fetch_session(TICKET, settings.get(), activity=True)
    assert state == portal_api.SessionState(portal_api.ACTIVE, "acme")
    [request] = portal_server.requests
    assert request["path"] == f"/internal/sessions/{TICKET}?activity=1"
    assert request["Authorization"] == f"Bearer {TOKEN}"
    portal_api.fetch_session(TICKET, settings.get(), activity=False)
    assert portal_server.requests[1]["path"] == f"/internal/sessions/{TICKET}"


@pytest.mark.parametrize("body", [b'{"state": "maybe"}', b"[]", b"<html>"])
def test_a_session_answer_not_understood_is_an_error(portal_server, body):
    portal_server.answer_session(TICKET, body)
    with pytest.raises(portal_api.PortalError, match="could not be understood"):
        portal_api.fetch_session(TICKET, settings.get(), activity=False)


def test_a_session_state_is_kept_for_a_moment_only(portal_server, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(portal_api, "_clock", lambda: now[0])
    assert portal_api.session(TICKET).state == portal_api.ACTIVE
    portal_server.answer_session(TICKET, {"state": "signed_out"})
    now[0] += portal_api.SESSION_CACHE_SECONDS - 0.1
    assert portal_api.session(TICKET).state == portal_api.ACTIVE
    now[0] += 0.1
    assert portal_api.session(TICKET).state == "signed_out"


def test_language_and_time_zone_settings():
    default = settings.load({"INTERNAL_API_TOKEN": TOKEN})
    assert (default.language, str(default.time_zone)) == ("ko", "Asia/Seoul")
    chosen = settings.load({"INTERNAL_API_TOKEN": TOKEN, "PORTAL_LANGUAGE": "en", "PORTAL_TIME_ZONE": "Europe/Berlin"})
    assert (chosen.language, str(chosen.time_zone)) == ("en", "Europe/Berlin")


def test_the_session_answer_names_the_language_and_passes_the_browsers_order(portal_server):
    portal_server.answer_session(TICKET, {"state": "active", "partner": "acme", "language": "ko"})
    state = portal_api.fetch_session(TICKET, settings.get(), activity=True, accept_language="ko-KR,ko;q=0.9,en;q=0.8")
    assert state == portal_api.SessionState(portal_api.ACTIVE, "acme", language="ko")
    [request] = portal_server.requests
    assert request["path"] == f"/internal/sessions/{TICKET}?activity=1&accept_language=ko-KR%2Cko%3Bq%3D0.9%2Cen%3Bq%3D0.8"


@pytest.mark.parametrize("answer", [{}, {"language": "fr"}, {"language": None}])
def test_an_answer_without_a_known_language_names_none(portal_server, answer):
    portal_server.answer_session(TICKET, {"state": "active", "partner": "acme", **answer})
    assert portal_api.fetch_session(TICKET, settings.get(), activity=False).language == ""


def test_a_language_choice_is_posted_with_the_token(portal_server):
    portal_server.responses[f"POST /internal/sessions/{TICKET}/language"] = (200, b'{"language": "en"}')
    portal_api.language(TICKET, "en")
    [request] = portal_server.requests
    assert (request["method"], request["body"], request["Authorization"]) == (
        "POST", '{"language": "en"}', f"Bearer {TOKEN}"
    )


def test_a_refused_language_choice_is_an_error(portal_server):
    with pytest.raises(portal_api.PortalError, match="could not be saved"):
        portal_api.language(TICKET, "en")
