"""What the stack exposes: from a client on the front network only nginx's ports answer (django
and streamlit are not even on that network), and on the host's own addresses only the published
port does."""
import json
import re
import socket
import subprocess

import psutil

from support.front import front_clients, scan
from support.summary import note

# The services' own ports and a few that commonly leak (ssh, http, databases, debug servers).
REPORT = "exposure check"
PORTS = [22, 80, 443, 3000, 5000, 5432, 6379, 8000, 8001, 8080, 8081, 8443, 8501, 8502, 9000, 9090]


def tls_mode(stack):
    return bool(stack.setting("TLS_CERT_FILE"))


def network_members(stack, network):
    """{container name: address} of every container on one of the project's networks."""
    out = subprocess.run(["docker", "network", "inspect", f"{stack.project}_{network}", "-f",
                          "{{json .Containers}}"], check=True, capture_output=True, text=True).stdout
    return {c["Name"]: c["IPv4Address"].split("/")[0] for c in json.loads(out).values()}


def test_from_the_front_network_only_nginx_answers_and_only_on_its_ports(stack, request):
    (nginx,) = stack.container_names("nginx")
    front, (client,) = front_clients(stack, 1)
    try:
        members = network_members(stack, "front")
        others = {name: address for name, address in members.items() if address != client}
        project = [name for name in others if name.startswith(f"{stack.project}-") and "-client-" not in name]
        assert project == [nginx], f"on the front network besides nginx: {project}"
        back = network_members(stack, "back")
        hidden = [name for name in stack.container_names("django") + stack.container_names("streamlit")]
        # Every front address on every port; django's and streamlit's back addresses and names too.
        targets = [[address, port] for address in others.values() for port in PORTS]
        targets += [[back[name], port] for name in hidden for port in (8000, 8501)]
        targets += [[name, port] for name in ["django", "streamlit", *hidden] for port in (8000, 8501)]
        targets += [["nginx", port] for port in PORTS]
        seen = scan(front, client, targets)
    finally:
        front.stop()
    expected = {(members[nginx], 8080), ("nginx", 8080)}
    if tls_mode(stack):
        expected |= {(members[nginx], 8443), ("nginx", 8443)}
    opened = {target for target, state in seen.items() if state == "open"}
    note(request.config, REPORT, f"from the front network: {len(seen)} address and port pairs tried, "
                                 f"open: {sorted(opened)}")
    assert opened == expected
    assert all(seen[(name, 8000)] == "unresolved" for name in ["django", "streamlit", *hidden]), \
        "django or streamlit can be looked up from the front network"


def published(stack):
    """{(container name, host address, host port)} of everything Docker publishes on this host."""
    out = subprocess.run(["docker", "ps", "--format", "{{.Names}}\t{{.Ports}}"], check=True, capture_output=True,
                         text=True).stdout
    found = set()
    for line in out.splitlines():
        name, _, ports = line.partition("\t")
        # IPv4 only: Docker lists a port bound on 0.0.0.0 a second time as [::].
        for address, port in re.findall(r"(\d+\.\d+\.\d+\.\d+):(\d+)->\d+/tcp", ports):
            found.add((name, address, int(port)))
    return found


def host_addresses():
    return sorted({a.address for addrs in psutil.net_if_addrs().values() for a in addrs if a.family == socket.AF_INET})


def answers(address, port):
    try:
        socket.create_connection((address, port), timeout=2).close()
        return True
    except OSError:
        return False


def test_from_the_host_only_the_published_port_answers(stack, request):
    (nginx,) = stack.container_names("nginx")
    bind = stack.setting("PORTAL_BIND")
    ports = {stack.setting("PORTAL_PORT")}
    if tls_mode(stack):
        ports.add(stack.setting("PORTAL_TLS_PORT"))
    everything = published(stack)
    ours = {(name, address, port) for name, address, port in everything if name.startswith(f"{stack.project}-")}
    assert ours == {(nginx, bind, port) for port in ports}, f"the project publishes {ours}"
    # Other projects on this host (other stacks) publish ports of their own: not this stack's to answer for.
    elsewhere = {port for name, _, port in everything - ours}
    candidates = (set(PORTS) | ports) - elsewhere
    opened = {(address, port) for address in host_addresses() for port in candidates if answers(address, port)}
    expected = {(address, port) for address in host_addresses() for port in ports if bind in ("0.0.0.0", address)}
    note(request.config, REPORT, f"from the host: {len(host_addresses()) * len(candidates)} address and port pairs "
                                 f"tried, open: {sorted(opened)}")
    assert opened == expected
