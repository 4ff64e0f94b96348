"""How long a portal session lasts, and what the internal API tells an analytics tab about the
session behind it: the tab asks on every rerun with the ticket the gate handed it."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_helpers import PASSWORD, verify_second_factor

from accounts import sessions
from accounts.models import PortalSession

TOKEN = "unit-tests-internal-token-not-a-secret"


@pytest.fixture(autouse=True)
def token(settings):
    settings.INTERNAL_API_TOKEN = TOKEN
    settings.SESSION_IDLE_MINUTES = 30
    settings.SESSION_MAX_HOURS = 8


@pytest.fixture
def clock(monkeypatch):
    """The time the session rules see, moved on by the test."""

    class Clock:
        now = 1_800_000_000.0

        def advance(self, seconds):
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(sessions.time, "time", lambda: clock.now)
    return clock


def sign_in(username="alice"):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the login form refused the test user"
    return client


def ticket(client):
    response = client.get("/auth/check")
    assert response.status_code == 200
    return response["X-Portal-Session"]


def state(ticket, activity=False, token=TOKEN):
    path = f"/internal/sessions/{ticket}" + ("?activity=1" if activity else "")
    return Client().get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_gate_hands_over_a_ticket_that_is_not_the_session_key(alice):
    client = sign_in()

    handed = ticket(client)

    assert handed == ticket(client), "the ticket is stable for the session's life"
    assert client.cookies["sessionid"].value not in handed
    assert len(handed) == 64
    assert PortalSession.objects.get(ticket=handed).session_key == client.cookies["sessionid"].value


def test_a_live_session_is_active_for_its_partner_and_user(alice):
    assert state(ticket(sign_in())).json() == {"state": "active", "partner": "acme", "user": "alice", "language": "ko"}


@pytest.mark.parametrize("token", ["", "wrong"])
def test_the_session_api_needs_the_service_token(alice, token):
    response = state(ticket(sign_in()), token=token)

    assert response.status_code in (401, 403)
    assert "partner" not in response.json()


def test_an_unknown_ticket_is_signed_out(alice):
    sign_in()

    assert state("0" * 64).json() == {"state": "signed_out"}


def test_signing_out_in_another_tab_signs_the_ticket_out(alice):
    client = sign_in()
    handed = ticket(client)

    client.post("/accounts/logout/")

    assert state(handed).json()["state"] == "signed_out"


def test_a_password_change_elsewhere_signs_other_sessions_out(alice):
    other_browser = sign_in()
    handed = ticket(other_browser)
    this_browser = sign_in()

    response = this_browser.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "another fine password 43", "new_password2": "another fine password 43",
    })

    assert response.status_code == 302
    assert state(handed).json()["state"] == "signed_out"
    assert state(ticket(this_browser)).json()["state"] == "active", "the browser that changed it stays in"


def test_a_deactivated_user_is_signed_out(alice):
    handed = ticket(sign_in())

    get_user_model().objects.filter(username="alice").update(is_active=False)

    assert state(handed).json()["state"] == "signed_out"


@pytest.mark.django_db(transaction=True)
def test_a_user_removed_from_the_partner_has_no_partner(alice):
    handed = ticket(sign_in())

    alice.membership.delete()

    assert state(handed).json() == {"state": "no_partner"}


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_partner_is_reported(acme, alice):
    handed = ticket(sign_in())

    acme.active = False
    acme.save()

    assert state(handed).json() == {"state": "partner_inactive"}


def test_staff_switching_partner_changes_the_partner_the_ticket_maps_to(staff, acme, globex):
    client = sign_in("stella")
    verify_second_factor(client, staff)  # staff must give one before the gate lets them by
    client.post("/partners/act-as/", {"partner": "acme"})
    handed = ticket(client)

    client.post("/partners/act-as/", {"partner": "globex"})

    assert state(handed).json()["partner"] == "globex"


def test_an_idle_session_ends_for_the_portal_and_the_gate(alice, clock):
    client = sign_in()
    handed = ticket(client)

    clock.advance(30 * 60 + 1)

    assert client.get("/auth/check").status_code == 401
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert state(handed).json()["state"] == "signed_out"


def test_requests_keep_a_session_alive_past_the_idle_time(alice, clock):
    client = sign_in()
    for _ in range(4):
        clock.advance(20 * 60)
        assert client.get("/").status_code == 200

    assert state(ticket(client)).json()["state"] == "active"


def test_a_session_ends_after_its_lifetime_however_busy(alice, clock):
    client = sign_in()
    for _ in range(8 * 4):
        clock.advance(15 * 60)
        assert client.get("/auth/check").status_code == 200

    clock.advance(15 * 60)

    assert client.get("/auth/check").status_code == 401


def test_the_session_end_says_why_on_the_login_page(alice, clock):
    client = sign_in()

    clock.advance(30 * 60 + 1)
    response = client.get("/", follow=True)

    assert "signed out after 30 minutes without activity" in response.content.decode()


def test_an_analytics_rerun_is_activity_but_the_tabs_own_check_is_not(alice, clock):
    idle_tab = ticket(sign_in())
    busy_tab = ticket(sign_in())
    for _ in range(2):
        clock.advance(12 * 60)
        assert state(idle_tab).json()["state"] == "active"
        assert state(busy_tab, activity=True).json()["state"] == "active"

    clock.advance(7 * 60)

    assert state(idle_tab).json() == {"state": "signed_out", "reason": "idle"}
    assert state(busy_tab).json()["state"] == "active"


def test_the_session_api_ends_an_idle_session_for_the_portal_too(alice, clock):
    client = sign_in()
    handed = ticket(client)
    clock.advance(30 * 60 + 1)

    assert state(handed).json()["state"] == "signed_out"

    assert not PortalSession.objects.filter(ticket=handed).exists()


def test_recording_activity_never_writes_over_what_another_request_saved(staff, acme, globex, clock):
    client = sign_in("stella")
    verify_second_factor(client, staff)  # staff must give one before the gate lets them by
    client.post("/partners/act-as/", {"partner": "acme"})
    handed = ticket(client)
    # A request of the same session that read it before the switch below, and records its
    # activity after the switch was saved.
    earlier = sessions.SessionStore(session_key=client.cookies["sessionid"].value)
    assert sessions.ended(earlier) is None

    client.post("/partners/act-as/", {"partner": "globex"})
    clock.advance(2 * 60)
    sessions.seen(earlier)

    assert state(handed).json()["partner"] == "globex"
    assert PortalSession.objects.get(ticket=handed).seen_at == clock.now
