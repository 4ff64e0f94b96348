"""Failed logins lock out a username, or a client address, for a while; guesses sent at once, blank
passwords and the password-change form's old password get no more checks than the limit."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django_helpers import PASSWORD, logged_in, make_user

LIMIT = 3
LOCKED = "Too many failed logins"
WRONG = "Please enter a correct username and password"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAIL_LIMIT = LIMIT
    settings.LOGIN_LOCKOUT_SECONDS = 300


@pytest.fixture
def checked(monkeypatch):
    """Every password compared with a user's hash, whichever form asked: what a guesser learns from."""
    passwords, lock = [], threading.Lock()
    check_password = get_user_model().check_password

    def counting(user, raw_password):
        with lock:
            passwords.append(raw_password)
        return check_password(user, raw_password)

    monkeypatch.setattr(get_user_model(), "check_password", counting)
    return passwords


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
        "Too many failed logins for this account or from your address. Try again in 5 minutes."
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
    assert "Try again in 2 minutes" in errors(log_in("alice", "wrong"))[0]

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


def change_password(client, old_password, address="203.0.113.7"):
    new = "another long fine password 43"
    return client.post("/accounts/password_change/", {"old_password": old_password, "new_password1": new,
                                                      "new_password2": new}, headers={"X-Real-IP": address})


def test_a_blank_password_counts_and_clears_nothing(alice, checked):
    # Blank passwords between the guesses, from several addresses: no address reaches its own limit.
    for address in ["192.0.2.21", "192.0.2.22", "192.0.2.23"]:
        log_in("alice", "wrong", address=address)
        log_in("alice", "", address=address)

    assert LOCKED in errors(log_in("alice", PASSWORD, address="192.0.2.24"))[0]
    assert len(checked) <= LIMIT


def test_wrong_old_passwords_on_the_password_change_form_lock_it_and_the_login(alice, checked):
    session = logged_in(alice)
    for number in range(LIMIT):
        refused = change_password(session, f"guess-{number}")
        assert "Your old password was entered incorrectly" in refused.content.decode()

    locked = change_password(session, PASSWORD, address="192.0.2.31")

    assert locked.status_code == 200 and LOCKED in locked.content.decode()
    assert get_user_model().objects.get(username="alice").password == alice.password
    assert LOCKED in errors(log_in("alice", PASSWORD, address="192.0.2.32"))[0]
    assert len(checked) == LIMIT


def test_the_login_the_admin_login_and_the_old_password_share_one_count(staff, checked):
    log_in("stella", "wrong", address="192.0.2.41")
    log_in("stella", "wrong", address="192.0.2.42", path="/admin/login/")
    change_password(logged_in(staff), "wrong", address="192.0.2.43")

    locked = log_in("stella", PASSWORD, address="192.0.2.44", path="/admin/login/")

    assert LOCKED in locked.content.decode()
    assert len(checked) == LIMIT


def test_the_right_old_password_clears_the_username_count(alice):
    for _ in range(LIMIT - 1):
        log_in("alice", "wrong", address="192.0.2.51")

    assert change_password(logged_in(alice), PASSWORD, address="192.0.2.52").status_code == 302

    log_in("alice", "wrong", address="192.0.2.53")
    assert log_in("alice", "another long fine password 43", address="192.0.2.54").status_code == 302


def test_the_admins_password_form_sends_staff_to_the_counted_one(staff_client):
    response = staff_client.get("/admin/password_change/")

    assert response.status_code == 302 and response["Location"] == "/accounts/password_change/"


def guesses_at_once(attempts):
    """Posts every (username, password, address) to the login form at the same moment, each from a
    thread with a database connection of its own, as Gunicorn's workers have."""
    start = threading.Barrier(len(attempts))

    def post(attempt):
        start.wait()
        try:
            return log_in(*attempt).content.decode()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(post, attempts))


@pytest.fixture
def production_hasher(settings):
    # A check as slow as the real one, so that guesses sent together are all in flight together.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_sent_at_once_for_one_user_get_at_most_the_limit_checked(production_hasher, checked):
    make_user("alice")

    answers = guesses_at_once([("alice", f"guess-{n}", f"198.51.100.{n}") for n in range(20)])

    assert len(checked) <= LIMIT, f"{len(checked)} passwords checked"
    assert sum(WRONG in answer for answer in answers) <= LIMIT
    assert sum(LOCKED in answer for answer in answers) >= 20 - LIMIT
    assert LOCKED in log_in("alice", PASSWORD, address="198.51.100.99").content.decode()


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_sent_at_once_from_one_address_get_at_most_the_limit_checked(production_hasher, checked):
    # One slow hash computed, shared by every account.
    hashed = make_user("user-0").password
    get_user_model().objects.bulk_create(get_user_model()(username=f"user-{n}", password=hashed) for n in range(1, 20))

    answers = guesses_at_once([(f"user-{n}", "Winter2026!", "198.51.100.200") for n in range(20)])

    assert len(checked) <= LIMIT, f"{len(checked)} passwords checked"
    assert sum(LOCKED in answer for answer in answers) >= 20 - LIMIT
