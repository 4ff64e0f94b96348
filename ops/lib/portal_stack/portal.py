"""What a partner does in the portal, for the stack tests and ops/bench: get an account, log in."""
import secrets

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
    return session
