"""Where this replica's sessions come from: the open websockets per client address.

Routing keeps every session of one client address on one replica, so when one address holds
a replica's sessions, more replicas cannot spread them; the probe's advice says so when it can
see it. Only the replica sees its websockets' client addresses (X-Real-IP, nginx's word for the
client, over whatever a client sent). This middleware counts them while they are open and keeps
the counts in portal_probe.replica.PEERS_FILE, which the probe's reporter reads.
"""
import threading
from collections import Counter

from portal_probe import replica

_ADDRESS_HEADER = b"x-real-ip"


class WebsocketPeers:
    """ASGI middleware in front of Streamlit's routes: counts the session websockets per address."""

    def __init__(self, app, write=replica.write_peers) -> None:
        self.app = app
        self.write = write
        self.open: Counter[str] = Counter()
        self.lock = threading.Lock()
        write({})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "websocket" or not scope["path"].endswith("/_stcore/stream"):
            await self.app(scope, receive, send)
            return
        address = dict(scope["headers"]).get(_ADDRESS_HEADER, b"").decode("latin-1") or "unknown"
        self._count(address, 1)
        try:
            await self.app(scope, receive, send)
        finally:
            self._count(address, -1)

    def _count(self, address: str, change: int) -> None:
        with self.lock:
            self.open[address] += change
            self.write(dict(self.open))
