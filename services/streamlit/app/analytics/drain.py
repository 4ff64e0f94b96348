"""What a replica being retired says: to nginx, that it takes no new partner; to its tabs, that
the page will soon reconnect elsewhere.

ops/scale (through `docker exec`) or the replica being stopped (analytics.retire) writes the
moment it will stop into the replica's own /tmp (portal_probe.replica.mark_draining): nothing a
partner can reach writes there, no volume or endpoint is shared for it, and a replica that
restarts, which is no longer draining, starts without the file. The file is the one owner of
the fact:
- the health answer carries a header while it is there, so every nginx that renders its config
  (at a reload, after a restart, on any edge node) leaves the replica out of new sessions;
- every tab reads it on each rerun and, while idle, every CHECK_SECONDS from a fragment.
"""
import math
import time

import streamlit as st
from portal_probe import replica

from analytics.i18n import _

# Read by nginx's renderer (services/nginx/render_config.py); nginx hides it from partners.
DRAINING_HEADER = b"x-portal-draining"
# "A few minutes ahead": long enough to finish a look at a chart, short enough to be believed.
NOTICE_SECONDS = 300
CHECK_SECONDS = 20


def seconds_left(now: float | None = None, path=None) -> float | None:
    """Seconds until this replica is stopped; None while it is not draining."""
    deadline = replica.drain_deadline(replica.DRAIN_FILE if path is None else path)
    if deadline is None:
        return None
    return max(0.0, deadline - (time.time() if now is None else now))


def notice_text(left: float | None) -> str | None:
    """What the tab says, once the stop is NOTICE_SECONDS away or nearer."""
    if left is None or left > NOTICE_SECONDS:
        return None
    return _(
        "This analytics server is being retired: in about {minutes} min. this page reconnects to "
        "another one by itself, and the choices made on it may be reset."
    ).format(minutes=max(1, math.ceil(left / 60)))


@st.fragment(run_every=CHECK_SECONDS)
def notice() -> None:
    text = notice_text(seconds_left())
    if text:
        st.warning(text, icon=":material/sync:")


class DrainingHealth:
    """ASGI middleware: while the replica drains, its health answer carries DRAINING_HEADER with
    the moment it will stop."""

    def __init__(self, app, path=None) -> None:
        self.app = app
        self.path = replica.DRAIN_FILE if path is None else path

    async def __call__(self, scope, receive, send) -> None:
        deadline = None
        if scope["type"] == "http" and scope["path"].endswith("/_stcore/health"):
            deadline = replica.drain_deadline(self.path)
        if deadline is None:
            await self.app(scope, receive, send)
            return

        async def send_marked(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (DRAINING_HEADER, b"%d" % deadline)]}
            await send(message)

        await self.app(scope, receive, send_marked)
