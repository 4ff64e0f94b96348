"""Fresh state for stack tests that may run in any order, and more than once against one stack:
a partner of their own (lockouts, dataset names and files outlive a test), and the whole stack
healthy around a fault."""
import secrets
from dataclasses import dataclass

import requests

from support.logins import create_partner_user, login

SERVICES = ("nginx", "django", "streamlit")


@dataclass(frozen=True)
class Partner:
    slug: str
    username: str
    password: str
    session: requests.Session  # its user, logged in

    @property
    def cookies(self):
        """The session cookie alone, for another client acting as this logged-in browser."""
        return {"sessionid": self.session.cookies["sessionid"]}


def new_partner(stack, prefix):
    """A partner with a slug no earlier run used, and its user logged in."""
    slug = f"{prefix}-{secrets.token_hex(3)}"
    username, password = create_partner_user(stack, slug, prefix.replace("-", " ").title())
    return Partner(slug, username, password, login(stack.url, username, password))


def wait_healthy(stack, timeout=180):
    stack.wait_until("every service to be healthy", lambda: all(stack.healthy(s) for s in SERVICES), timeout=timeout)
