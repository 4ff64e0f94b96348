"""How much load each scenario applies: the full run, and the smoke run that only proves the
tool works. Every step is bounded: a fixed number of users for a fixed time, or a fixed count."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    # Portal pages, the static ceiling and the gate: closed-loop users, each sending its next
    # request as soon as the last one answered (no think time), for `http_seconds` after a
    # `http_warmup` that is not counted.
    http_levels: tuple[int, ...]
    gate_levels: tuple[int, ...]
    http_seconds: float
    http_warmup: float
    # Streamlit: sessions on one fresh replica, each rerunning the page after a think time
    # drawn between the two bounds, for `session_seconds`.
    session_levels: tuple[int, ...]
    session_seconds: float
    think_seconds: tuple[float, float]
    session_rows: int
    # Fair shares: partner B's tabs (as the sessions') for `fairness_seconds` in each phase,
    # partner A's heavy tabs beside them on the same replica, and the rows of A's dataset. B's
    # p95 is the figure: the phases are long enough for it to rest on a hundred or more reruns.
    fairness_seconds: float
    fairness_sessions: int
    fairness_heavy_sessions: int
    fairness_rows: int
    # The analytics' timings (analytics_timing.py, inside a streamlit replica).
    analytics_rows: int
    analytics_repeat: int
    # Routing: simulated client addresses, replica counts measured in each mode, and the count
    # at which one replica is stopped.
    routing_clients: int
    routing_counts: tuple[int, ...]
    routing_fail_at: int
    routing_modes: tuple[str, ...]
    # Uploads: the rows of the generated workbook and CSV whose preview and store are timed.
    upload_rows: int
    # Autoscaling: the sessions of the load step (one more than the autoscaler's session mark)
    # and its cool-down, in seconds.
    autoscale_sessions: int
    autoscale_cooldown: int


FULL = Plan(
    name="full",
    http_levels=(1, 5, 20, 50),
    gate_levels=(1, 20),
    http_seconds=5.0,
    http_warmup=1.0,
    session_levels=(1, 5, 10, 25, 40, 60, 80, 120, 160),
    session_seconds=15.0,
    think_seconds=(1.0, 3.0),
    session_rows=100_000,
    fairness_seconds=30.0,
    fairness_sessions=10,
    fairness_heavy_sessions=8,
    fairness_rows=1_000_000,
    analytics_rows=1_000_000,
    analytics_repeat=5,
    routing_clients=1000,
    routing_counts=(2, 3, 4),
    routing_fail_at=3,
    routing_modes=("consistent", "ip_hash"),
    upload_rows=100_000,
    autoscale_sessions=3,
    autoscale_cooldown=30,
)

SMOKE = Plan(
    name="smoke",
    http_levels=(2,),
    gate_levels=(2,),
    http_seconds=1.0,
    http_warmup=0.3,
    session_levels=(2,),
    session_seconds=3.0,
    think_seconds=(0.2, 0.5),
    session_rows=10_000,
    fairness_seconds=3.0,
    fairness_sessions=1,
    fairness_heavy_sessions=2,
    fairness_rows=20_000,
    analytics_rows=20_000,
    analytics_repeat=1,
    routing_clients=50,
    routing_counts=(2,),
    routing_fail_at=2,
    routing_modes=("consistent",),
    upload_rows=2_000,
    autoscale_sessions=2,
    autoscale_cooldown=5,
)
