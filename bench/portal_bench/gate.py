"""The gate benchmark: what the auth gate costs. One small Streamlit static asset, fetched three ways:

- through nginx on /app/, where every request first asks Django's /auth/check (the gate);
- straight from a replica over the back network, with no nginx and no gate, on a new connection
  per request as nginx fetches it (and once more on a reused connection, which is how a browser
  would fetch it if it could reach a replica);
- Django's /auth/check itself, straight from Gunicorn: the gate's own share of the difference.

The added latency is "through the gate" minus "from the replica": the gate's subrequest plus
nginx's proxy hop; the third line shows how much of it is Django answering the gate.
"""
from __future__ import annotations

from portal_bench.project import BenchProject

ASSET = "/app/favicon.png"
GATED = "asset through nginx and the gate"
UNGATED = "asset straight from a replica"
REUSED = "asset straight from a replica, reused connection"
CHECK = "the gate alone (/auth/check on Gunicorn)"
SERIES = (GATED, UNGATED, REUSED, CHECK)


def steps(project: BenchProject, plan) -> list[dict]:
    (nginx,) = project.containers("nginx")
    (django,) = project.containers("django")
    replica = project.containers("streamlit")[0]
    cookie = {"Cookie": f"sessionid={project.session_cookie}"}
    host = {"Host": project.host_header}
    ways = {
        GATED: (f"http://{project.address(nginx, 'front')}:8080", ASSET, {**host, **cookie}),
        # nginx opens a new connection to a replica for every request (its streamlit upstream
        # keeps none), so the baseline does too.
        UNGATED: (f"http://{project.address(replica)}:8501", ASSET, {"Connection": "close"}),
        REUSED: (f"http://{project.address(replica)}:8501", ASSET, {}),
        CHECK: (f"http://{project.address(django)}:8000", "/auth/check", {**host, **cookie}),
    }
    return [
        {"key": f"{series}|asset|{users}", "series": series, "page": "asset", "url": url, "path": path,
         "headers": headers, "users": users, "seconds": plan.http_seconds, "warmup": plan.http_warmup,
         "expect": 200}
        for users in plan.gate_levels
        for series, (url, path, headers) in ways.items()
    ]
