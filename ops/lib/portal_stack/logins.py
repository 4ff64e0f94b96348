"""What a partner does in the portal, for the stack tests and ops/bench: get an account, log in."""
import re
import secrets
import time

import pyotp
import requests


def create_partner_user(stack, slug, name=None, username=None):
    """A partner with one user, made with the management commands ops use. Returns (user, password)."""
    username = username or f"{slug}-user"
    password = secrets.token_urlsafe(16)
    stack.manage("createpartner", slug, "--name", name or slug.title())
    stack.manage("addpartneruser", slug, username, "--password-stdin", input=password + "\n")
    return username, password


def create_staff_user(stack, username="ops"):
    """A staff user (Django's createsuperuser), as ops make one. Returns (user, password)."""
    password = secrets.token_urlsafe(16)
    stack.compose("exec", "-T", "-e", f"DJANGO_SUPERUSER_PASSWORD={password}", "django", "python", "manage.py",
                  "createsuperuser", "--noinput", "--username", username, "--email", f"{username}@example.invalid")
    return username, password


def login(base_url, username, password, session=None):
    """Log in through the portal's login form, as a browser does. Returns the logged-in session."""
    session = session or requests.Session()
    # The stack tests read the portal's English texts; Korean is what a browser without a choice gets.
    session.headers.setdefault("Accept-Language", "en")
    login_url = f"{base_url}/accounts/login/"
    session.get(login_url).raise_for_status()
    response = session.post(
        login_url,
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": login_url},
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise AssertionError(f"login of {username} failed: {response.status_code}")
    # Staff (and the people of a partner that requires it) give a second factor next.
    step = response.headers["Location"]
    if step.startswith("/accounts/second-factor/setup/"):
        _set_up_authenticator(session, base_url + step, username)
    elif step.startswith("/accounts/login/code/"):
        _give_code(session, base_url + step, username)
    return session


# The authenticator keys this process set up, by username, and the last time step each gave:
# a code is accepted once, so a second sign-in within 30 s takes the next step's code.
_KEYS = {}


def totp(key, at=None):
    """What an authenticator app shows for this base32 key (as the set-up page writes it), now
    or at the time `at`."""
    code = pyotp.TOTP(key.replace(" ", ""))
    return code.now() if at is None else code.at(at)


def _post(session, url, data):
    response = session.post(url, data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                            headers={"Referer": url}, allow_redirects=False)
    if response.status_code != 200 and response.status_code != 302:
        raise AssertionError(f"{url} answered {response.status_code}")
    return response


def _set_up_authenticator(session, url, username):
    page = session.get(url)
    page.raise_for_status()
    found = re.search(r'id="secret" type="text" readonly value="([A-Z2-7 ]+)"', page.text)
    if not found:
        raise AssertionError(f"the set-up page for {username} shows no key")
    now = int(time.time() // 30)
    # The recovery codes are on the answer only once the code was taken.
    if "<li><code>" not in _post(session, url, {"code": totp(found.group(1), at=now * 30)}).text:
        raise AssertionError(f"the authenticator of {username} was not set up")
    _KEYS[username] = [found.group(1), now]


def _give_code(session, url, username):
    if username not in _KEYS:
        raise AssertionError(f"{username} has a second factor this process did not set up")
    key, last = _KEYS[username]
    step = max(int(time.time() // 30), last + 1)
    if _post(session, url, {"code": totp(key, at=step * 30)}).status_code != 302:
        raise AssertionError(f"the code of {username} was refused (more than two sign-ins in 30 s?)")
    _KEYS[username][1] = step
