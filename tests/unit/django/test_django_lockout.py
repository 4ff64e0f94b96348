"""Failed logins lock out a username, or a client address, for a while."""
import time

import pytest
from django.test import Client
from django_helpers import PASSWORD

LIMIT = 3


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAIL_LIMIT = LIMIT
    settings.LOGIN_LOCKOUT_SECONDS = 300


def log_in(username, password, address="203.0.113.7", path="/accounts/login/"):
    return Client().post(path, {"username": username, "password": password}, headers={"X-Real-IP": address})


def errors(response):
    return response.context["form"].non_field_errors()


def test_the_limit_of_failures_locks_the_username_even_with_the_right_password(alice):
    for _ in range(LIMIT):
        assert "Please enter a correct username and password" in errors(log_in("alice", "wrong"))[0]

    response = log_in("alice", PASSWORD, address="198.51.100.9")

    assert response.status_code == 200
    assert errors(response) == [
        "Too many failed logins for this account or from your address. Try again in 5 minute(s)."
    ]


def test_the_username_count_ignores_case(alice):
    for name in ["alice", "ALICE", "Alice"]:
        log_in(name, "wrong", address=f"198.51.100.{len(name)}")

    assert "Too many failed logins" in errors(log_in("alice", PASSWORD, address="192.0.2.1"))[0]


def test_one_address_guessing_many_usernames_is_locked(alice):
    for name in ["root", "admin", "test"]:
        log_in(name, "wrong", address="203.0.113.50")

    assert "Too many failed logins" in errors(log_in("alice", PASSWORD, address="203.0.113.50"))[0]
    assert log_in("alice", PASSWORD, address="203.0.113.51").status_code == 302


def test_fewer_failures_than_the_limit_do_not_lock(alice):
    for _ in range(LIMIT - 1):
        log_in("alice", "wrong")

    assert log_in("alice", PASSWORD).status_code == 302


def test_a_success_clears_the_username_count(alice):
    for _ in range(LIMIT - 1):
        log_in("alice", "wrong", address="192.0.2.10")
    assert log_in("alice", PASSWORD, address="192.0.2.11").status_code == 302

    log_in("alice", "wrong", address="192.0.2.12")

    assert log_in("alice", PASSWORD, address="192.0.2.13").status_code == 302


def test_attempts_while_locked_do_not_extend_the_lock_and_it_ends(alice, monkeypatch):
    for _ in range(LIMIT):
        log_in("alice", "wrong")
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + 200)
    assert "Try again in 2 minute(s)" in errors(log_in("alice", "wrong"))[0]

    monkeypatch.setattr(time, "time", lambda: start + 301)

    assert log_in("alice", PASSWORD).status_code == 302


def test_without_x_real_ip_the_peer_address_counts(alice):
    for name in ["root", "admin", "test"]:
        Client(REMOTE_ADDR="192.0.2.77").post("/accounts/login/", {"username": name, "password": "x"})

    locked = Client(REMOTE_ADDR="192.0.2.77").post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert "Too many failed logins" in errors(locked)[0]


def test_the_admin_login_counts_and_locks_too(staff):
    for _ in range(LIMIT):
        log_in("stella", "wrong", path="/admin/login/")

    response = log_in("stella", PASSWORD, path="/admin/login/")

    assert response.status_code == 200
    assert "Too many failed logins" in response.content.decode()
