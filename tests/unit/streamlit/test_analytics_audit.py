"""The analytics tell the portal's audit trail what only they see: each dataset a tab opens (once
a dataset version, not at every rerun) and each export, when its file is made, with the address
of the partner's browser."""
from __future__ import annotations

import json

from test_analytics_pages import DOWNLOAD, EXPLORE, OVERVIEW, deferred  # noqa: F401 (a fixture)

from analytics import portal_api, settings
from analytics_support import TICKET

BROWSER = "198.51.100.7"


def test_a_dataset_opened_is_told_once_per_tab_and_dataset(app, portal, headers):
    headers["X-Real-IP"] = BROWSER
    app.run()
    app.switch_page(EXPLORE).run()
    app.switch_page(OVERVIEW).run()
    assert not app.exception
    assert portal.events == [(TICKET, {"action": "dataset_opened", "target": "Sales", "address": BROWSER})]

    app.sidebar.selectbox(key="dataset").set_value("2").run()

    assert [event["target"] for _, event in portal.events] == ["Sales", "Sales 2024b"]


def test_an_export_is_told_when_its_file_is_made_not_before(app, portal, headers, deferred):
    headers["X-Real-IP"] = BROWSER
    app.switch_page(DOWNLOAD).run()
    app.segmented_control(key="download:format").set_value("xlsx").run()
    assert not app.exception
    assert [event["action"] for _, event in portal.events] == ["dataset_opened"], "nothing exported yet"

    deferred[-1]()

    assert portal.events[-1] == (
        TICKET, {"action": "analytics_export", "target": "Sales", "detail": "xlsx", "address": BROWSER}
    )


def test_the_event_goes_to_the_sessions_events_with_the_service_token(portal_server):
    portal_server.responses[f"POST /internal/sessions/{TICKET}/events"] = (200, b'{"state": "active"}')
    event = {"action": "dataset_opened", "target": "매출", "address": BROWSER}

    assert portal_api.record_event(TICKET, event, settings.get())

    (sent,) = [request for request in portal_server.requests if request.get("method") == "POST"]
    assert sent["path"] == f"/internal/sessions/{TICKET}/events"
    assert json.loads(sent["body"]) == event
    assert sent["Authorization"] == f"Bearer {settings.get().internal_api_token}"


def test_a_portal_that_refuses_the_event_costs_the_partner_nothing(portal_server):
    portal_server.responses[f"POST /internal/sessions/{TICKET}/events"] = (500, b"{}")

    assert not portal_api.record_event(TICKET, {"action": "dataset_opened", "target": "x", "address": ""},
                                       settings.get())
