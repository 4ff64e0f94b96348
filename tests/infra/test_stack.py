"""The composed stack as ops run it: who runs what, what is reachable, what survives a restart."""
import socket

import psutil
import pytest
import requests
import websocket

SERVICES = ("nginx", "django", "streamlit")


def gunicorn_layout(processes):
    """(master, workers): the gunicorn process whose parent is not gunicorn, and its children."""
    gunicorn = [p for p in processes if any("gunicorn" in part for part in p["cmdline"][:2])]
    pids = {p["pid"] for p in gunicorn}
    masters = [p for p in gunicorn if p["ppid"] not in pids]
    assert len(masters) == 1, f"expected one gunicorn master, found {masters}"
    workers = [p for p in gunicorn if p["ppid"] == masters[0]["pid"]]
    return masters[0], workers


@pytest.mark.parametrize("service", SERVICES)
def test_every_process_runs_as_a_non_root_user(stack, service):
    for container in stack.container_names(service):
        processes = stack.processes(container)
        assert processes, f"{container}: no process found"
        # `runc init` is Docker's own exec shim (a health check starting), not the service's.
        by_root = [p["cmdline"] for p in processes if 0 in p["uids"] and p["cmdline"][:2] != ["runc", "init"]]
        assert not by_root, f"{container} runs processes as root: {by_root}"


def test_gunicorn_runs_a_master_and_exactly_the_configured_workers(stack):
    expected = int(stack.setting("GUNICORN_WORKERS", "4"))
    (container,) = stack.container_names("django")
    master, workers = gunicorn_layout(stack.processes(container))
    assert len(workers) == expected
    assert all(w["status"] != "zombie" for w in workers)


def test_the_configured_number_of_streamlit_replicas_run_healthy(stack):
    expected = int(stack.setting("STREAMLIT_REPLICAS", "2"))
    replicas = stack.containers("streamlit")
    assert len(replicas) == expected
    assert all(r["State"] == "running" and r["Health"] == "healthy" for r in replicas), replicas


def test_only_nginx_publishes_a_port(stack):
    published = {row["Service"]: [p for p in row["Publishers"] if p.get("PublishedPort")] for row in stack.containers()}
    assert published.pop("nginx"), "nginx publishes no port"
    assert not any(published.values()), f"other services publish ports: {published}"


def host_addresses():
    """Every IPv4 address of this host's own interfaces, loopback and Docker bridges included."""
    return sorted({a.address for addrs in psutil.net_if_addrs().values() for a in addrs if a.family == socket.AF_INET})


@pytest.mark.parametrize("port", [8000, 8501])
def test_gunicorn_and_streamlit_ports_are_unreachable_on_every_host_address(stack, port):
    answered = []
    for address in host_addresses():
        try:
            socket.create_connection((address, port), timeout=2).close()
            answered.append(address)
        except OSError:
            pass
    assert not answered, f"port {port} answers on {answered}"


def test_the_published_port_answers(stack):
    socket.create_connection(("127.0.0.1", int(stack.url.rsplit(":", 1)[1])), timeout=2).close()


def test_nginx_configuration_passes_nginx_t(stack):
    (container,) = stack.container_names("nginx")
    result = stack.host(container).run("nginx -t")
    assert result.rc == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_answers_its_own_health_check(stack, http):
    response = http.get(f"{stack.url}/healthz")
    assert response.status_code == 200
    assert "upstream" not in response.headers.get("Server", "")


def test_portal_root_answers_through_nginx(stack, http):
    response = http.get(f"{stack.url}/", allow_redirects=False)
    assert response.status_code in (200, 302), response.status_code
    assert response.headers.get("Server", "").startswith("nginx")


def test_nginx_serves_collected_static_files(stack, http):
    response = http.get(f"{stack.url}/static/admin/css/base.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["Content-Type"]
    # Served by nginx from the volume: no Gunicorn behind it, so no upstream in the access log.
    last = [r for r in stack.nginx_log() if r["uri"] == "/static/admin/css/base.css"][-1]
    assert last["upstream"] == ""


def test_internal_api_is_not_reachable_through_nginx(stack, http):
    response = http.get(f"{stack.url}/internal/partners/acme/datasets")
    assert response.status_code == 404
