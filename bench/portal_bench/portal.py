"""The portal's pages (the report's sections 1-3) under Gunicorn (through nginx, and directly)
and under Django's own server from the same image in the same run, and nginx serving a static
file as the ceiling of what any page can reach through this nginx.

Both servers are measured the same way: from this host straight to their address on the back
network, with the Host header a browser would send. Django's server runs in an extra container
of the django image with the django service's settings and volumes (`runserver --noreload`), so
it reads the same database and accepts the same session cookie.
"""
from __future__ import annotations

from portal_bench.project import BenchProject, answers, limits
from portal_stack.stack import wait_until

STATIC_PATH = "/static/admin/css/base.css"
PAGES = {"login": "/accounts/login/", "home": "/"}
NGINX = "gunicorn via nginx"
GUNICORN = "gunicorn direct"
RUNSERVER = "runserver direct"
STATIC = "nginx static file"
SERVERS = (NGINX, GUNICORN, RUNSERVER)


def start_runserver(project: BenchProject) -> tuple[str, dict]:
    """Django's own server beside Gunicorn; (its URL, its CPU and memory limits)."""
    name = project.one_off("django", "runserver", "python", "manage.py", "runserver", "0.0.0.0:8000", "--noreload")
    url = f"http://{project.address(name)}:8000"
    # It migrates and collects static files first (the image's entrypoint), then listens.
    wait_until("Django's own server to answer", lambda: answers(f"{url}/healthz", {"Host": project.host_header}),
               timeout=120)
    return url, limits(name)


def targets(project: BenchProject, runserver_url: str) -> dict[str, str]:
    (nginx,) = project.containers("nginx")
    (django,) = project.containers("django")
    return {
        NGINX: f"http://{project.address(nginx, 'front')}:8080",
        GUNICORN: f"http://{project.address(django)}:8000",
        RUNSERVER: runserver_url,
        STATIC: f"http://{project.address(nginx, 'front')}:8080",
    }


def steps(project: BenchProject, urls: dict[str, str], plan) -> list[dict]:
    headers = {"Host": project.host_header}
    logged_in = {**headers, "Cookie": f"sessionid={project.session_cookie}"}
    found = []
    for users in plan.http_levels:
        found.append(_step(STATIC, "static", urls[STATIC], STATIC_PATH, headers, users, plan))
        for page, path in PAGES.items():
            for server in SERVERS:
                found.append(_step(server, page, urls[server], path, logged_in if page == "home" else headers,
                                   users, plan))
    return found


def _step(series: str, page: str, url: str, path: str, headers: dict, users: int, plan) -> dict:
    return {"key": f"{series}|{page}|{users}", "series": series, "page": page, "url": url, "path": path,
            "headers": headers, "users": users, "seconds": plan.http_seconds, "warmup": plan.http_warmup,
            "expect": 200}


def check(step: dict) -> None:
    """One request before the load: a page that answers a redirect (a session that is not logged
    in) or an error would otherwise be measured as thousands of errors."""
    if not answers(step["url"] + step["path"], step["headers"]):
        raise RuntimeError(f"{step['series']}: GET {step['path']} does not answer 200; nothing to measure")
