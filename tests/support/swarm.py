"""A throwaway Docker Swarm for the swarm tests: three Docker engines in containers (a manager
and two workers) and a registry, on a bridge network of their own.

The host's engine only runs these containers; its own swarm state is never touched. Each node's
engine listens on tcp://ADDRESS:2375 on the test network only, and reaches the registry as
localhost:PORT (a forward inside the node), the same name the host pushes to: a registry on
localhost needs no TLS on any engine.

    python -m support.swarm up     # from tests/: start one by hand (prints DOCKER_HOST)
    python -m support.swarm down
"""
import ipaddress
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from portal_stack.stack import wait_until

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "swarm"
NAME = os.environ.get("SWARM_TEST_NAME", "pp-swarm")
# What ops/test exports for its one-host project, none of it the swarm's.
ONE_HOST_PROJECT = ("COMPOSE_PROJECT_NAME", "PORTAL_ENV_FILE", "PORTAL_PORT")
# The test network, the swarm's own overlay networks and the stack's front network all come from
# 10.213.64.0/19, which nothing else on a CI machine uses.
SUBNET = ipaddress.ip_network("10.213.64.0/24")
ADDRESS_POOL = "10.213.72.0/21"
FRONT_SUBNET = "10.213.88.0/24"
REGISTRY_IP = str(SUBNET[2])
NODE_IPS = {f"node{i}": str(SUBNET[10 + i]) for i in (1, 2, 3)}
# Where each node sits in the bundle: django and its data on node1, nginx on node1 and node2,
# replicas anywhere.
LABELS = {"node1": ["portal.data=true", "portal.edge=true"], "node2": ["portal.edge=true"], "node3": []}
STACK = "partner-portal"
NODE_IMAGE = "partner-portal-swarm-node:test"
REGISTRY_IMAGE = "partner-portal-swarm-registry:test"


def run(*args, check=True, input=None, env=None, timeout=300):
    result = subprocess.run(args, capture_output=True, text=True, input=input, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result


def free_port(preferred):
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]


def host_resolver():
    """The host's own resolver, for the nodes' containers (else they fall back to a public one)."""
    for line in Path("/etc/resolv.conf").read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["nameserver"] and not parts[1].startswith("127."):
            return parts[1]
    return ""


class Swarm:
    def __init__(self, name=NAME):
        self.name = name
        self.network = f"{name}-net"
        self.registry_container = f"{name}-registry"
        self.nodes = {node: f"{name}-{node}" for node in NODE_IPS}
        self.registry_port = None

    # --- what tests use -------------------------------------------------------------------------
    @property
    def registry(self):
        return f"localhost:{self.registry_port}"

    def docker_host(self, node="node1"):
        return f"tcp://{NODE_IPS[node]}:2375"

    def docker(self, *args, node="node1", check=True, input=None, timeout=300):
        """The docker CLI against one node's engine (node1 is the manager)."""
        return run("docker", "--host", self.docker_host(node), *args, check=check, input=input, timeout=timeout)

    def url(self, node):
        return f"http://{NODE_IPS[node]}:8080"

    def node_of_ip(self):
        return {ip: node for node, ip in NODE_IPS.items()}

    # --- building and starting ------------------------------------------------------------------
    def build_images(self):
        base = os.environ.get("BASE_IMAGE", "debian:trixie-slim")
        for image, folder in ((NODE_IMAGE, "node"), (REGISTRY_IMAGE, "registry")):
            run("docker", "build", "-q", "--build-arg", f"BASE_IMAGE={base}", "-t", image, str(HERE / folder),
                env={"DOCKER_BUILDKIT": "0"})

    def up(self):
        self.down()
        self.build_images()
        self.registry_port = free_port(5000)
        run("docker", "network", "create", "--subnet", str(SUBNET), "--gateway", str(SUBNET[1]),
            "--label", f"{NAME}=test", self.network)
        run("docker", "run", "-d", "--name", self.registry_container, "--network", self.network,
            "--ip", REGISTRY_IP, "-p", f"127.0.0.1:{self.registry_port}:5000", REGISTRY_IMAGE)
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(self._start_node, self.nodes))
        for node in self.nodes:
            wait_until(f"{node}'s engine", lambda node=node: self.docker("info", node=node, check=False).returncode == 0, 60)
        wait_until("the registry", self._registry_answers, 30)
        manager = NODE_IPS["node1"]
        self.docker("swarm", "init", "--advertise-addr", manager, "--default-addr-pool", ADDRESS_POOL)
        token = self.docker("swarm", "join-token", "-q", "worker").stdout.strip()
        for node in ("node2", "node3"):
            self.docker("swarm", "join", "--token", token, f"{manager}:2377", node=node)
        # Seconds, not the default's tens of seconds, before a stopped node's tasks move.
        self.docker("swarm", "update", "--dispatcher-heartbeat", "2s")
        wait_until("three ready nodes", lambda: self.ready_nodes() == 3, 60)
        for node, labels in LABELS.items():
            for label in labels:
                self.docker("node", "update", "--label-add", label, node)
        return self

    def _start_node(self, node):
        run("docker", "volume", "create", "--label", f"{NAME}=test", f"{self.nodes[node]}-data")
        run("docker", "run", "-d", "--init", "--name", self.nodes[node], "--hostname", node,
            "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
            "--security-opt", "seccomp=unconfined", "--security-opt", "systempaths=unconfined",
            "--network", self.network, "--ip", NODE_IPS[node],
            "-e", f"REGISTRY_PORT={self.registry_port}", "-e", f"REGISTRY_ADDRESS={REGISTRY_IP}:5000",
            "-e", f"DNS_SERVER={host_resolver()}",
            "-v", f"{self.nodes[node]}-data:/var/lib/docker", NODE_IMAGE, "--storage-driver", "overlay2")

    def _registry_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.registry_port), timeout=2):
                return True
        except OSError:
            return False

    def ready_nodes(self):
        out = self.docker("node", "ls", "--format", "{{.Status}}", check=False).stdout.split()
        return out.count("Ready")

    # --- faults ---------------------------------------------------------------------------------
    def stop_node(self, node):
        run("docker", "stop", "-t", "5", self.nodes[node])

    # --- tearing down ---------------------------------------------------------------------------
    def down(self):
        containers = [self.registry_container, *self.nodes.values()]
        run("docker", "rm", "-f", "-v", *containers, check=False)
        run("docker", "volume", "rm", *[f"{c}-data" for c in self.nodes.values()], check=False)
        run("docker", "network", "rm", self.network, check=False)


def task_addresses(info):
    """The addresses of a task on its networks, from `docker inspect`."""
    return {address.split("/")[0] for attachment in info.get("NetworksAttachments") or []
            for address in attachment.get("Addresses") or []}


class Deployment:
    """The stack as ops/deploy left it, and the ways tests look at it."""

    def __init__(self, swarm, env_file):
        self.swarm = swarm
        self.env_file = env_file
        self.stack = STACK

    def environment(self, **extra):
        # Not the one-host project's (ops/test exports them for the stack tests): compose would
        # take them over the env file, and publish nginx on that project's port.
        inherited = {name: value for name, value in os.environ.items() if name not in ONE_HOST_PROJECT}
        return {**inherited, "DOCKER_HOST": self.swarm.docker_host(), "PORTAL_ENV_FILE": str(self.env_file),
                # The images build on this machine's engine, where the cache is warm.
                "BUILD_DOCKER_HOST": os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"),
                "STACK_NAME": STACK, **extra}

    def deploy(self, **extra):
        started = time.monotonic()
        result = subprocess.run([str(ROOT / "ops" / "deploy")], env=self.environment(**extra),
                                capture_output=True, text=True, timeout=900)
        result.seconds = time.monotonic() - started
        return result

    def ops(self, script, *args, **extra):
        return subprocess.run([str(ROOT / "ops" / script), *args], env=self.environment(**extra),
                              capture_output=True, text=True, timeout=600)

    def tasks(self, service=None):
        """[{service, slot, node, state, id}] of the running tasks (desired state running)."""
        args = ["stack", "ps", STACK, "-f", "desired-state=running", "--no-trunc",
                "--format", "{{.Name}}|{{.Node}}|{{.CurrentState}}|{{.ID}}"]
        rows = []
        for line in self.swarm.docker(*args).stdout.splitlines():
            name, node, state, task_id = line.split("|")
            service_name, _, slot = name.partition(".")
            service_name = service_name.removeprefix(f"{STACK}_")
            if service is None or service_name == service:
                rows.append({"service": service_name, "slot": slot, "node": node, "state": state, "id": task_id})
        return rows

    def container_of(self, task):
        """(node, container id) of a task, for docker exec on its node."""
        out = self.swarm.docker("inspect", "-f", "{{.Status.ContainerStatus.ContainerID}}", task["id"]).stdout.strip()
        return task["node"], out

    def exec(self, task, *command, input=None, env=None, check=True):
        node, container = self.container_of(task)
        options = [f"--env={name}={value}" for name, value in (env or {}).items()]
        return self.swarm.docker("exec", "-i", *options, container, *command, node=node, input=input, check=check)

    def manage(self, *args, input=None, env=None):
        [django] = self.tasks("django")
        return self.exec(django, "python", "manage.py", *args, input=input, env=env)

    def nginx(self, node):
        [task] = [t for t in self.tasks("nginx") if t["node"] == node]
        return task

    def nginx_log(self, node):
        """nginx's JSON access log on one edge node, every line since its task started."""
        node_name, container = self.container_of(self.nginx(node))
        out = self.swarm.docker("logs", container, node=node_name).stdout
        records = []
        for line in out.splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    pass
        return records

    def upstream_for(self, session, node):
        """The address of the replica one edge node's nginx sends this client to now, as its access
        log names it for one health request (None while no replica answers)."""
        marker = secrets.token_hex(4)
        if session.get(f"{self.swarm.url(node)}/app/_stcore/health?t={marker}", timeout=10).status_code != 200:
            return None
        lines = [line for line in self.nginx_log(node) if f"t={marker}" in line["uri"]]
        return lines[0]["upstream"].split(",")[-1].split(":")[0].strip() if lines else None

    def addresses(self, task):
        """The addresses of one task on its networks."""
        [info] = json.loads(self.swarm.docker("inspect", task["id"]).stdout)
        return task_addresses(info)

    def replica_slots(self):
        """{task address: (slot, node)} of every streamlit task that ran, gone ones too."""
        ids = self.swarm.docker("service", "ps", "-q", "--no-trunc", f"{STACK}_streamlit").stdout.split()
        nodes = {line.split()[0]: line.split()[1] for line in
                 self.swarm.docker("node", "ls", "--format", "{{.ID}} {{.Hostname}}").stdout.splitlines()}
        found = {}
        for task in json.loads(self.swarm.docker("inspect", *ids).stdout):
            for address in task_addresses(task):
                found[address] = (task["Slot"], nodes.get(task["NodeID"], task["NodeID"]))
        return found

    def served_by(self, node, records):
        """{client address: [slot of the replica that served each of its requests, in order]}."""
        upstream_of = {}
        for line in self.nginx_log(node):
            marker = line["uri"].partition("t=")[2]
            if marker and line.get("upstream"):
                upstream_of[marker] = line["upstream"].split(",")[-1].split(":")[0].strip()
        slots = self.replica_slots()
        served = {}
        for record in records:
            address = upstream_of.get(record["marker"])
            if record["status"] == 200 and address:
                served.setdefault(record["address"], []).append(slots.get(address, (address, ""))[0])
        return served



def main(argv):
    swarm = Swarm()
    if argv == ["up"]:
        swarm.up()
        print(f"DOCKER_HOST={swarm.docker_host()} REGISTRY={swarm.registry}")
    elif argv == ["down"]:
        swarm.down()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])


# Prints one JSON line per GET: from which source address, its marker, its status. Each address
# sends one request at a time, every `pause` seconds, until /tmp/stop-TAG exists or `seconds`
# have passed (0: one request each).
TRAFFIC_SCRIPT = r"""
import http.client, json, os, sys, threading, time
host, port, cookie, seconds, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
tag = sys.argv[6]
lock = threading.Lock()
def client(address):
    end, n = time.monotonic() + seconds, 0
    while True:
        marker = f"{tag}-{address}-{n}"
        started = time.time()
        try:
            connection = http.client.HTTPConnection(host, port, timeout=15, source_address=(address, 0))
            connection.request("GET", f"/app/_stcore/health?t={marker}", headers={"Cookie": cookie, "Host": "localhost"})
            status = connection.getresponse().status
            connection.close()
        except Exception as error:
            status = 0
        with lock:
            print(json.dumps({"address": address, "marker": marker, "status": status, "started": started,
                              "ended": time.time()}), flush=True)
        n += 1
        if time.monotonic() >= end or os.path.exists(f"/tmp/stop-{tag}"):
            return
        time.sleep(pause)
threads = [threading.Thread(target=client, args=(a,)) for a in sys.argv[7:]]
for t in threads: t.start()
for t in threads: t.join()
"""


class Clients:
    """Partners' machines on the test network, each with an address of its own: one container
    holding many addresses, each request sent from one of them (from the host, every request
    would come from the network's gateway)."""

    def __init__(self, swarm, image, count, first=100):
        self.swarm = swarm
        self.name = f"{swarm.name}-clients"
        self.addresses = [str(SUBNET[first + i]) for i in range(count)]
        run("docker", "rm", "-f", self.name, check=False)
        run("docker", "run", "-d", "--name", self.name, "--network", swarm.network, "--ip", str(SUBNET[first - 1]),
            "--user", "0", "--cap-add", "NET_ADMIN", "--entrypoint", "sleep", image, "infinity")
        for address in self.addresses:
            run("docker", "exec", self.name, "ip", "addr", "add", f"{address}/{SUBNET.prefixlen}", "dev", "eth0")

    def command(self, node, cookie, seconds, pause, tag):
        return ["docker", "exec", self.name, "python3", "-c", TRAFFIC_SCRIPT, NODE_IPS[node], "8080", cookie,
                str(seconds), str(pause), tag, *self.addresses]

    def once(self, node, cookie, tag):
        out = run(*self.command(node, cookie, 0, 0, tag)).stdout
        return [json.loads(line) for line in out.splitlines()]

    def start(self, node, cookie, tag, pause=0.3, seconds=300):
        """Traffic in the background; `finish()` on the result stops it and returns its records."""
        process = subprocess.Popen(self.command(node, cookie, seconds, pause, tag), stdout=subprocess.PIPE, text=True)

        def finish():
            run("docker", "exec", self.name, "touch", f"/tmp/stop-{tag}")
            out, _ = process.communicate(timeout=120)
            return [json.loads(line) for line in out.splitlines()]

        process.finish = finish
        return process

    def remove(self):
        run("docker", "rm", "-f", self.name, check=False)
