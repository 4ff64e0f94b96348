"""What clients on the front network can do, from containers with addresses of their own.

From the host every request reaches nginx from one gateway address, and Django locks out an
address after a few failed logins: bad logins sent from the host would lock every other stack
test out. Login attacks therefore come from client containers (support.clients.FrontClients),
each from a fresh address, and so do the port scans that see what the front network exposes.
"""
import json
import random
import subprocess

from support.clients import FrontClients, front_subnet

# Logs in at nginx with each (username, password) in turn as fast as it can, on one cookie jar
# as a browser would; prints what each attempt got.
LOGIN_SCRIPT = r"""
import http.cookiejar, json, sys, urllib.error, urllib.parse, urllib.request

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
login = "http://nginx:8080/accounts/login/"
headers = {"Host": "localhost"}

def call(request):
    try:
        with opener.open(request, timeout=30) as reply:
            return reply.status, reply.read().decode("utf-8", "replace"), reply.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), error.headers

call(urllib.request.Request(login, headers=headers))
token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
results = []
for username, password in json.loads(sys.argv[1]):
    body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    status, text, reply_headers = call(urllib.request.Request(login, data=body.encode(), headers={
        **headers, "Referer": login, "Content-Type": "application/x-www-form-urlencoded"}))
    results.append({"status": status, "location": reply_headers.get("Location") or "",
                    "locked": "Too many failed logins" in text,
                    "wrong": "correct username and password" in text,
                    "session": any(cookie.name == "sessionid" for cookie in jar)})
print(json.dumps(results))
"""

# Tries a TCP connection to each [host, port]; prints each with "open", "closed" or "unresolved".
SCAN_SCRIPT = r"""
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor

def probe(target):
    host, port = target
    try:
        with socket.create_connection((host, port), timeout=2):
            return [host, port, "open"]
    except socket.gaierror:
        return [host, port, "unresolved"]
    except OSError:
        return [host, port, "closed"]

with ThreadPoolExecutor(32) as pool:
    print(json.dumps(list(pool.map(probe, json.loads(sys.argv[1])))))
"""


def fresh_addresses(stack, count):
    """Addresses in the front network's last /24, picked at random: Django's lockout of an address
    outlives a test run, and the routing tests use the /24s below."""
    block = list(front_subnet(stack).subnets(new_prefix=24))[-1]
    return [str(block[number]) for number in random.sample(range(20, 250), count)]


def run_in(front, address, script, *args):
    result = subprocess.run(["docker", "exec", front.names[address], "python3", "-c", script, *args],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"client {address} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def login_attempts(front, address, attempts):
    """[{status, location, locked, wrong, session}] for each (username, password), sent back to back."""
    return run_in(front, address, LOGIN_SCRIPT, json.dumps(attempts))


def scan(front, address, targets):
    """{(host, port): "open" | "closed" | "unresolved"} as seen from this client."""
    return {(host, port): state for host, port, state in run_in(front, address, SCAN_SCRIPT, json.dumps(targets))}


def front_clients(stack, count):
    """Started client containers at fresh addresses: (FrontClients, addresses). Stop them after."""
    front = FrontClients(stack)
    addresses = fresh_addresses(stack, count)
    front.start(addresses)
    return front, addresses
