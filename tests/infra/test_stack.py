"""The composed stack as ops run it: who runs what, what is reachable, what survives a restart."""
import json
import socket
import subprocess

import psutil
import pytest
import requests
import testinfra
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


# What an image's build stage uses and the image must not carry, looked for inside it as root
# (pip's cache and apt's lists sit where only root looks).
LEFTOVERS = r"""
import glob, json, os, shutil, sysconfig
site = sysconfig.get_paths()["purelib"]
print(json.dumps({
    "tools": [t for t in ("gcc", "cc", "c++", "make", "ld", "strip", "pip", "pip3") if shutil.which(t)],
    "pip": glob.glob(site + "/pip"),
    "caches": glob.glob("/root/.cache/*") + glob.glob("/var/cache/apt/archives/*.deb")
              + glob.glob("/var/lib/apt/lists/*_Packages*"),
    "tests of installed packages": glob.glob(site + "/*/tests") + glob.glob(site + "/*/*/tests"),
    "headers": glob.glob(site + "/**/*.h", recursive=True)[:5],
    "docs": [p for p in glob.glob("/usr/share/doc/**", recursive=True) + glob.glob("/usr/share/man/**", recursive=True)
             if os.path.isfile(p) and not p.endswith("/copyright")][:5],
}))
"""


@pytest.mark.parametrize("service", SERVICES)
def test_every_image_carries_no_compiler_pip_cache_tests_or_docs(stack, service):
    container = stack.container_names(service)[0]
    found = json.loads(testinfra.get_host(f"docker://root@{container}").check_output(f"python3 -c '{LEFTOVERS}'"))
    assert not any(found.values()), {kind: paths for kind, paths in found.items() if paths}


def image(reference):
    """`docker image inspect` of an image's name or id."""
    out = subprocess.run(["docker", "image", "inspect", reference], check=True, capture_output=True, text=True).stdout
    return json.loads(out)[0]


def image_of(container):
    return image(subprocess.run(["docker", "inspect", "-f", "{{.Image}}", container], check=True,
                                capture_output=True, text=True).stdout.strip())


@pytest.mark.parametrize("service", SERVICES)
def test_every_image_builds_on_the_shared_base(stack, service):
    base = image("partner-portal-base:local")["RootFS"]["Layers"]
    layers = image_of(stack.container_names(service)[0])["RootFS"]["Layers"]
    assert layers[:len(base)] == base, f"{service} does not build FROM the shared base image"


# A package, a build stage's leftovers or a lost slimming step shows here. Streamlit's floor is
# its libraries (polars, pyarrow, pandas, numpy and Streamlit, kept as bytecode without their
# sources, come to about 447 MB with the base; without the bytecode a replica takes three times
# as long to import them): its ceiling sits a little above its size today.
IMAGE_MB_AT_MOST = {"nginx": 140, "django": 250, "streamlit": 450}


@pytest.mark.parametrize("service", SERVICES)
def test_every_image_stays_within_its_size(stack, service):
    size_mb = image_of(stack.container_names(service)[0])["Size"] / 1e6
    assert size_mb <= IMAGE_MB_AT_MOST[service], f"{service} image is {size_mb:.0f} MB"


def test_gunicorn_runs_a_master_and_exactly_the_configured_workers(stack):
    expected = stack.setting("GUNICORN_WORKERS")
    (container,) = stack.container_names("django")
    master, workers = gunicorn_layout(stack.processes(container))
    assert len(workers) == expected
    assert all(w["status"] != "zombie" for w in workers)


def test_the_configured_number_of_streamlit_replicas_run_healthy(stack):
    expected = stack.setting("STREAMLIT_REPLICAS")
    replicas = stack.containers("streamlit")
    assert len(replicas) == expected
    assert all(r["State"] == "running" and r["Health"] == "healthy" for r in replicas), replicas


# The cores each process of a container may run on (all its threads'), but the asking one's.
CORES = r"""
import json, os
cores = {}
for pid in (int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) != os.getpid()):
    try:
        command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode().strip()
        threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
        cores[command] = sorted(set().union(*(os.sched_getaffinity(tid) for tid in threads)))
    except OSError:
        continue
print(json.dumps(cores))
"""


def test_each_streamlit_replica_runs_its_server_and_its_probe_on_one_core(stack):
    for container in stack.container_names("streamlit"):
        cores = json.loads(stack.host(container).check_output(f"python3 -c '{CORES}'"))
        own = {command: cpus for command, cpus in cores.items()
               if "analytics.serve" in command or "portal_probe report" in command}
        assert len(own) == 2, cores
        assert len({tuple(cpus) for cpus in own.values()}) == 1 and len(next(iter(own.values()))) == 1, own


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
