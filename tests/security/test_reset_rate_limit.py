"""nginx rate-limits POSTs to "Forgot your password?" per client address, in the zone the login
forms share, and answers the surplus with its own 429 page in Korean and English. From a client
container at a fresh address: a burst from the host would slow every other stack test's logins."""
import secrets

import pytest

from support.front import form_posts, front_clients


# nginx lets one address post 1 + burst (20) at once, then about one every 2 s (30 a minute).
BURST = 21
SENT = 30


@pytest.fixture
def client(stack):
    clients, (address,) = front_clients(stack, 1)
    yield clients, address
    clients.stop()


def test_a_burst_of_reset_requests_gets_429_and_so_does_a_login_from_that_address(client):
    clients, address = client
    # Without a mail server Django answers these with 404; nginx counts them before Django does.
    cookies = {"csrftoken": secrets.token_hex(16)}
    forms = [{"email": f"someone-{n}@example.invalid"} for n in range(SENT)]

    replies = form_posts(clients, address, "/accounts/password_reset/", forms, cookies=cookies)

    statuses = [reply["status"] for reply in replies]
    assert 429 not in statuses[:BURST - 1], statuses
    refused = [reply for reply in replies if reply["status"] == 429]
    # A request or two may find a slot that refilled while the burst was sent, never more.
    assert len(refused) >= SENT - BURST - 2, statuses
    assert "요청이 너무 많습니다" in refused[0]["text"] and "Too many requests" in refused[0]["text"]

    # A fresh address may post the login form BURST times before a 429; this one has spent its
    # burst on resets, and gets 429 at once but for the slots refilled meanwhile (one per 2 s).
    logins = form_posts(clients, address, "/accounts/login/", [{"username": "x", "password": "y"}] * 10,
                        cookies=cookies)
    assert any(reply["status"] == 429 for reply in logins), [reply["status"] for reply in logins]
