"""Password guessing that tries to get more than LOGIN_FAIL_LIMIT passwords checked: guesses sent
all at once, from one address and from several, through the portal's login and the admin's;
blank passwords between the guesses; the password-change form's old password. Each attack comes
from client containers with addresses of their own (support.front), and ends with the right
password sent from an address that never guessed: it must meet the lockout."""
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from support.front import LOCKED, form_posts, front_clients, login_attempts
from support.logins import create_partner_user, login
from support.summary import count

BAD_INPUTS = "bad inputs tried"
# Within what nginx lets one address post at once (burst 20, nodelay); a 429 would count as a
# refusal, but then Django's lockout would not be what the test sees.
GUESSES = 20


@pytest.fixture
def limit(stack):
    return stack.setting("LOGIN_FAIL_LIMIT")


@pytest.fixture
def victim(stack):
    """A partner user no earlier run guessed at: (username, password)."""
    return create_partner_user(stack, f"guessed-{secrets.token_hex(3)}")


@pytest.fixture
def front(stack):
    """start(n): n client containers on the front network, each at a fresh address, stopped after
    the test. One call per test: its addresses are picked together, so they never collide."""
    started = []

    def start(number):
        clients, addresses = front_clients(stack, number)
        started.append(clients)
        return clients, addresses

    yield start
    for clients in started:
        clients.stop()


def right_password(clients, address, username, password):
    (result,) = login_attempts(clients, address, [[username, password]])
    return result


def checked(results):
    """The guesses whose answer says the password was checked and wrong."""
    return sum(result["wrong"] for result in results)


def refused_unchecked(result):
    return result["locked"] or result["status"] == 429


def assert_locked_out(result):
    assert result["locked"] and not result["session"] and not result["location"], (
        f"the right password was not met by the lockout: {result}")


def test_wrong_passwords_sent_at_once_from_one_address_get_at_most_the_limit_checked(request, front, limit, victim):
    username, password = victim
    count(request.config, BAD_INPUTS, "bad logins sent at once", GUESSES)
    clients, (guesser, fresh) = front(2)

    results = login_attempts(clients, guesser, [[username, f"guess-{n}"] for n in range(GUESSES)], at_once=True)

    assert not any(result["session"] for result in results), results
    assert checked(results) <= limit, f"{checked(results)} of {GUESSES} guesses sent at once were checked"
    assert all(result["wrong"] or refused_unchecked(result) for result in results), results
    assert any(result["locked"] for result in results), "Django's lockout refused none of them"
    assert_locked_out(right_password(clients, fresh, username, password))


def test_guesses_at_once_from_four_addresses_through_both_login_forms_get_at_most_the_limit_checked(
        request, front, limit, victim):
    username, password = victim
    count(request.config, BAD_INPUTS, "bad logins sent at once", GUESSES)
    addresses_count = 4
    clients, (*addresses, fresh) = front(addresses_count + 1)
    # Every other address guesses through Django's admin login: one count for both forms.
    paths = ["/accounts/login/", "/admin/login/"] * (addresses_count // 2)
    share = GUESSES // addresses_count

    def guess(index):
        guesses = [[username, f"guess-{index}-{n}"] for n in range(share)]
        return login_attempts(clients, addresses[index], guesses, path=paths[index], at_once=True)

    with ThreadPoolExecutor(addresses_count) as pool:
        results = [result for batch in pool.map(guess, range(addresses_count)) for result in batch]

    assert not any(result["session"] for result in results), results
    assert checked(results) <= limit, f"{checked(results)} of {GUESSES} guesses were checked"
    assert_locked_out(right_password(clients, fresh, username, password))


def test_blank_passwords_between_guesses_from_three_addresses_end_in_a_lockout(request, front, limit, victim):
    username, password = victim
    rounds = 3
    count(request.config, BAD_INPUTS, "blank-password logins between guesses", 3 * rounds * 2)
    clients, (*addresses, fresh) = front(4)

    results = []
    for address in addresses:
        # Each address stays under its own limit; a blank password once cleared the user's count.
        attempts = [[username, guess] for n in range(rounds) for guess in (f"guess-{n}", "")]
        results += login_attempts(clients, address, attempts)

    assert not any(result["session"] for result in results), results
    assert checked(results) <= limit, f"{checked(results)} wrong passwords were checked"
    assert_locked_out(right_password(clients, fresh, username, password))


def test_wrong_old_passwords_on_the_password_change_form_end_in_a_lockout(stack, request, front, limit, victim):
    username, password = victim
    new_password = secrets.token_urlsafe(16)
    # Logged in from the host: a right password there counts against no address.
    session = login(stack.url, username, password)
    guesses = limit + 3
    count(request.config, BAD_INPUTS, "wrong old passwords", guesses)
    clients, (holder, fresh) = front(2)

    forms = [{"old_password": f"guess-{n}", "new_password1": new_password, "new_password2": new_password}
             for n in range(guesses)]
    forms.append({"old_password": password, "new_password1": new_password, "new_password2": new_password})
    *results, right = form_posts(clients, holder, "/accounts/password_change/", forms,
                                 cookies={"sessionid": session.cookies["sessionid"]})

    wrong = sum("Your old password was entered incorrectly" in result["text"] for result in results)
    assert wrong <= limit, f"{wrong} of {guesses} old passwords were checked"
    assert all(LOCKED in result["text"] for result in results[wrong:]), [r["status"] for r in results]
    assert right["status"] == 200 and LOCKED in right["text"], "the right old password changed the password"
    assert_locked_out(right_password(clients, fresh, username, password))
