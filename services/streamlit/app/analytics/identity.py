"""Who is asking: the partner and user nginx vouches for, and the ticket of their portal session.

nginx checks the portal session (auth_request) and sets these headers on every request to
Streamlit, overwriting whatever a client sent under the same names. Streamlit keeps the headers
of the session's websocket request, which is what st.context.headers returns: they say who
opened the tab. Whether that sign-in still holds is asked of the portal with the ticket, on
every rerun (ui.open_portal).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

PARTNER_HEADER = "X-Portal-Partner"
USER_HEADER = "X-Portal-User"
SESSION_HEADER = "X-Portal-Session"

# A Django slug. The slug names the partner's folder under DATASETS_DIR, so nothing that could
# step out of it (dots, slashes) is accepted.
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,100}")
# An HMAC of the portal's session key (accounts.sessions in the portal); never the key itself.
_TICKET = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Identity:
    partner: str
    user: str
    ticket: str


def from_headers(headers: Mapping[str, str]) -> Identity | None:
    """The identity in these headers, or None when any header is missing or malformed."""
    partner = (headers.get(PARTNER_HEADER) or "").strip()
    user = (headers.get(USER_HEADER) or "").strip()
    ticket = (headers.get(SESSION_HEADER) or "").strip()
    if not user or not _SLUG.fullmatch(partner) or not _TICKET.fullmatch(ticket):
        return None
    return Identity(partner=partner, user=user, ticket=ticket)


def request_headers() -> Mapping[str, str]:
    """The session's request headers (case-insensitive). Tests replace this function: AppTest
    cannot seed st.context.headers."""
    return st.context.headers


def current() -> Identity | None:
    return from_headers(request_headers())
