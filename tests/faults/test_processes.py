"""Processes of the running stack killed and restarted while partners use it.

A logged-in partner's traffic (its home page from Django, an analytics asset from Streamlit
behind the gate) runs steadily through nginx during each fault; every request is counted, and
only what the fault must cost may fail. Each test leaves the stack healthy for the next.
"""
import re
import secrets
import subprocess
import time

import pytest

from support.clients import replica_by_address, replicas_serving
from support.fresh import new_partner, wait_healthy
from support.summary import note
from support.traffic import Traffic
from support.uploads import small_csv, stored_state, upload

REPORT = "faults: requests sent and failed while each fault happened"
HOME = "/"


def gunicorn_layout(stack):
    """(master pid, sorted worker pids) of Gunicorn in the django container."""
    (container,) = stack.container_names("django")
    processes = stack.processes(container)
    gunicorn = [p for p in processes if any("gunicorn" in part for part in p["cmdline"][:2])]
    pids = {p["pid"] for p in gunicorn}
    (master,) = [p for p in gunicorn if p["ppid"] not in pids]
    workers = [p["pid"] for p in gunicorn if p["ppid"] == master["pid"] and p["status"] != "zombie"]
    return master["pid"], sorted(workers)


def host_pid(container):
    return int(subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", container], check=True,
                              capture_output=True, text=True).stdout.strip())


def served_again(started, restarted, recovered):
    return (f"served again {recovered - started:.1f} s after the restart began "
            f"({max(0.0, recovered - restarted):.1f} s after it returned)")


def restart_under_traffic(stack, partner, service, paths, request):
    """`docker compose restart SERVICE` while the partner's traffic runs; waits until traffic
    recovers by itself and holds, notes the counts, and returns the seconds it took after the
    restart returned."""
    with steady(stack, partner, paths) as traffic:
        warmed_up(stack, traffic)
        started = time.monotonic()
        restart = stack.compose("restart", service, check=False)
        restarted = time.monotonic()
        assert restart.returncode == 0, restart.stderr
        recovered = stack.wait_until(f"traffic to recover by itself after {service} restarted",
                                     lambda: traffic.recovered_at(started), timeout=120)
        stack.wait_until("steady traffic after recovery",
                         lambda: len([o for o in traffic.outcomes if o.started > recovered]) >= 40, timeout=60)
    note(request.config, REPORT,
         f"{service} container restart: {traffic.summary()}; {served_again(started, restarted, recovered)}")
    return max(0.0, recovered - restarted)


@pytest.fixture(scope="module")
def partner(stack):
    """A logged-in partner with one dataset."""
    partner = new_partner(stack, "steady")
    stored = upload(partner.session, stack.url, small_csv(tag="kept"), name="kept before the faults")
    assert stored.status_code == 302, stored.text
    return partner


@pytest.fixture(scope="module")
def app_asset(stack, partner):
    """A static file of the analytics page, as a browser loads it behind the gate."""
    page = partner.session.get(f"{stack.url}/app/")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="\./(static/[^"]+\.(?:css|js))"', page.text)
    assert assets, "the analytics page names no static asset"
    return f"/app/{assets[0]}"


@pytest.fixture(autouse=True)
def healthy_before_and_after(stack):
    wait_healthy(stack)
    yield
    wait_healthy(stack)


def steady(stack, partner, paths, **bounds):
    return Traffic(stack.url, paths, cookies=partner.cookies, **bounds)


def warmed_up(stack, traffic, requests=40):
    """Wait until the traffic runs, all ok: the fault must meet a stack that served it."""
    stack.wait_until(f"{requests} requests of steady traffic", lambda: traffic.sent >= requests, timeout=60)
    assert not traffic.failures(), f"traffic failed before the fault: {traffic.summary()}"


def test_a_killed_gunicorn_worker_costs_at_most_its_requests_in_flight(stack, partner, app_asset, request):
    workers = stack.setting("GUNICORN_WORKERS")
    threads = stack.setting("GUNICORN_THREADS")
    (django,) = stack.container_names("django")
    master, before = gunicorn_layout(stack)
    assert len(before) == workers
    victim = before[0]

    def replaced():
        now_master, now = gunicorn_layout(stack)
        return now_master == master and len(now) == workers and victim not in now and now

    with steady(stack, partner, [HOME, app_asset]) as traffic:
        warmed_up(stack, traffic)
        killed = time.monotonic()
        subprocess.run(["docker", "exec", django, "sh", "-c", f"kill -9 {victim}"], check=True)
        after = stack.wait_until("the Gunicorn master to replace the killed worker", replaced, timeout=60)
        replaced_at = time.monotonic()
        # Traffic keeps flowing to the new worker set for a while before it stops.
        stack.wait_until("traffic after the replacement",
                         lambda: len([o for o in traffic.outcomes if o.started > replaced_at]) >= 60, timeout=60)
    note(request.config, REPORT, f"gunicorn worker kill -9: {traffic.summary()}")
    # Only requests in flight on the killed worker may fail: at most one per thread of it.
    assert len(traffic.failures(since=killed)) <= threads, traffic.summary()
    assert not traffic.failures(until=killed), traffic.summary()
    assert set(after) - set(before), "no new worker was started"
    assert stack.healthy("django")


def test_a_django_restart_keeps_partners_logged_in_and_loses_nothing(stack, partner, app_asset, request):
    before = stored_state(stack)
    back_after = restart_under_traffic(stack, partner, "django", [HOME, app_asset], request)
    assert back_after <= 30, f"traffic came back {back_after:.1f} s after django restarted"
    # The same session cookie still works: the traffic above used it, and so does the partner.
    home = partner.session.get(f"{stack.url}/", allow_redirects=False)
    assert home.status_code == 200, "the partner was logged out by the restart"
    assert "kept before the faults" in home.text
    assert stored_state(stack) == before


def test_a_killed_streamlit_replica_fails_over_and_comes_back(stack, partner, app_asset, request):
    mapping = replica_by_address(stack)
    marker = secrets.token_hex(6)
    assert partner.session.get(f"{stack.url}{app_asset}?t={marker}").status_code == 200
    (victim,) = set(stack.wait_until("nginx to log which replica serves this client",
                                     lambda: replicas_serving(stack, marker, mapping), timeout=30))
    with steady(stack, partner, [app_asset]) as traffic:
        warmed_up(stack, traffic)
        killed = time.monotonic()
        # A crash of the replica's main process, from the host: no graceful stop.
        subprocess.run(["kill", "-9", str(host_pid(victim))], check=True)
        failed_over = stack.wait_until("its client to be served again", lambda: traffic.ok_streak_from(killed),
                                       timeout=60)
        stack.wait_until(f"{victim} to restart healthy", lambda: any(
            row["Name"] == victim and row["Health"] == "healthy" for row in stack.containers("streamlit")), timeout=180)
        back = time.monotonic()
        stack.wait_until("steady traffic with the replica back", lambda: traffic.recovered_at(back), timeout=60)
    note(request.config, REPORT, f"streamlit replica kill -9 ({victim}): {traffic.summary()}; "
                                 f"served again {failed_over - killed:.1f} s after the kill")
    assert failed_over - killed <= 10, f"requests to /app/ succeeded again only {failed_over - killed:.1f} s after"


def test_an_nginx_restart_serves_again_within_seconds(stack, partner, app_asset, request):
    back_after = restart_under_traffic(stack, partner, "nginx", [HOME, app_asset], request)
    assert back_after <= 15, f"nginx served again only {back_after:.1f} s after its restart"
