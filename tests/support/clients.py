"""Client machines on the stack's front network, each with its own fixed address.

From the host every request reaches nginx from one gateway address, so IP-hash routing can only
be tested from clients that really have their own addresses: containers on the front network
with a static IP each. They run the nginx image (it has Python) doing nothing until asked.
"""
import ipaddress
import json
import subprocess
import uuid

# Prints each GET's status, one a line; the replica is read from nginx's access log by the marker
# in the query string. Host is one the portal answers to (the container reaches nginx by name).
REQUEST_SCRIPT = """
import sys, urllib.request, urllib.error
url, cookie, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for _ in range(count):
    headers = {"Cookie": cookie, "Host": "localhost", "Accept-Language": "en", **dict(h.split(": ", 1) for h in sys.argv[4:])}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            print(reply.status)
    except urllib.error.HTTPError as error:
        print(error.code)
    except Exception as error:  # no answer at all: counted as status 0, the reason on stderr
        print(0)
        print(type(error).__name__, error, file=sys.stderr)
"""


def front_subnet(stack):
    out = subprocess.run(["docker", "network", "inspect", f"{stack.project}_front", "-f",
                          "{{range .IPAM.Config}}{{.Subnet}} {{end}}"], check=True, capture_output=True,
                         text=True).stdout
    return ipaddress.ip_network(out.split()[0])


def spread_addresses(subnet, count, skip=1):
    """One address in each of `count` distinct /24s of the subnet, past the first `skip` /24s
    (Docker hands out dynamic addresses from the bottom of the subnet)."""
    blocks = list(subnet.subnets(new_prefix=24))[skip:skip + count]
    if len(blocks) < count:
        raise AssertionError(f"front network {subnet} has too few /24s for {count} clients")
    return [str(block[10]) for block in blocks]


def same_block_addresses(subnet, count, block_index):
    block = list(subnet.subnets(new_prefix=24))[block_index]
    return [str(block[20 + i]) for i in range(count)]


class FrontClients:
    def __init__(self, stack):
        self.stack = stack
        self.image = "partner-portal-nginx:local"
        self.names = {}

    def start(self, addresses):
        for address in addresses:
            name = f"{self.stack.project}-client-{address.replace('.', '-')}"
            # No --rm: removed by stop() alone. An autoremove racing `docker rm -f` can leave the
            # container's endpoint on the front network, and then `docker compose down` fails.
            subprocess.run(["docker", "run", "-d", "--name", name, "--network", f"{self.stack.project}_front",
                            "--ip", address, "--entrypoint", "sleep", self.image, "infinity"],
                           check=True, capture_output=True, text=True)
            self.names[address] = name

    def stop(self):
        if self.names:
            subprocess.run(["docker", "rm", "-f", *self.names.values()], capture_output=True)
        self.names.clear()

    def get(self, address, path, cookie="", count=1, headers=None):
        """GET `path` on nginx `count` times from this client. Returns (statuses, marker)."""
        marker = uuid.uuid4().hex[:12]
        separator = "&" if "?" in path else "?"
        url = f"http://nginx:8080{path}{separator}t={marker}"
        extra = [f"{k}: {v}" for k, v in (headers or {}).items()]
        result = subprocess.run(["docker", "exec", self.names[address], "python3", "-c", REQUEST_SCRIPT, url, cookie,
                                 str(count), *extra], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"client {address} failed: {result.stderr.strip()}")
        return [int(line) for line in result.stdout.split()], marker


def replica_by_address(stack):
    """{back-network address: container name} of the streamlit replicas running now."""
    mapping = {}
    for name in stack.container_names("streamlit"):
        out = subprocess.run(["docker", "inspect", "-f", "{{json .NetworkSettings.Networks}}", name], check=True,
                             capture_output=True, text=True).stdout
        for network in json.loads(out).values():
            mapping[network["IPAddress"]] = name
    return mapping


def replicas_serving(stack, marker, mapping):
    """The replica names nginx sent the requests carrying `marker` to (final upstream of each)."""
    served = []
    for record in stack.nginx_log():
        if f"t={marker}" in record["uri"] and record["upstream"]:
            final = record["upstream"].split(",")[-1].split(":")[0].strip()
            served.append(mapping.get(final, final))
    return served
