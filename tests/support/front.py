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

# Posts forms to one page of nginx as a browser would: GETs the page for its CSRF cookie, then posts
# each form, one after another on one set of cookies, or all at the same moment, each from a
# browser of its own that starts with those cookies. Prints what each post got.
FORM_SCRIPT = r"""
import http.cookies, json, sys, threading, urllib.error, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

opener = urllib.request.build_opener(NoRedirect)
page = "http://nginx:8080" + sys.argv[1]
forms, cookies, at_once = json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4] == "at-once"

def call(cookies, form=None):
    # English: the tests read the portal's English messages (the lockout's, the login form's).
    headers = {"Host": "localhost", "Accept-Language": "en",
               "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
    body = None
    if form is not None:
        body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": cookies["csrftoken"]}).encode()
        headers.update({"Referer": page, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with opener.open(urllib.request.Request(page, data=body, headers=headers), timeout=30) as reply:
            status, text, reply_headers = reply.status, reply.read().decode("utf-8", "replace"), reply.headers
    except urllib.error.HTTPError as error:
        status, text, reply_headers = error.code, error.read().decode("utf-8", "replace"), error.headers
    for header in reply_headers.get_all("Set-Cookie") or []:
        for morsel in http.cookies.SimpleCookie(header).values():
            if morsel["max-age"] == "0":
                cookies.pop(morsel.key, None)
            else:
                cookies[morsel.key] = morsel.value
    return {"status": status, "location": reply_headers.get("Location") or "", "text": text,
            "session": "sessionid" in cookies}

call(cookies)
if at_once:
    start = threading.Barrier(len(forms))

    def post(form):
        own = dict(cookies)
        start.wait()
        return call(own, form)

    with ThreadPoolExecutor(len(forms)) as pool:
        results = list(pool.map(post, forms))
else:
    results = [call(cookies, form) for form in forms]
print(json.dumps(results))
"""

LOCKED = "Too many failed logins"

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


# Addresses handed out in this run: an address that guessed in one test is still locked out (or
# partly counted) in the next, and would lock a later test out before its own guesses count.
_handed_out = set()


def fresh_addresses(stack, count):
    """Addresses in the front network's last /24 that no earlier test of this run was given,
    picked at random: Django's lockout of an address outlives a test run too, and the routing
    tests use the /24s below."""
    block = list(front_subnet(stack).subnets(new_prefix=24))[-1]
    unused = [str(block[number]) for number in range(20, 250) if str(block[number]) not in _handed_out]
    if len(unused) < count:
        raise AssertionError(f"only {len(unused)} unused front addresses are left, {count} wanted")
    addresses = random.sample(unused, count)
    _handed_out.update(addresses)
    return addresses


def run_in(front, address, script, *args):
    result = subprocess.run(["docker", "exec", front.names[address], "python3", "-c", script, *args],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"client {address} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def form_posts(front, address, path, forms, cookies=None, at_once=False):
    """[{status, location, text, session}] for each form (a dict of fields) posted to `path`, one
    after another or all at once; `session`: the browser holds a session cookie afterwards."""
    mode = "at-once" if at_once else "one-after-another"
    return run_in(front, address, FORM_SCRIPT, path, json.dumps(forms), json.dumps(cookies or {}), mode)


def login_attempts(front, address, attempts, path="/accounts/login/", at_once=False):
    """[{status, location, locked, wrong, session}] for each (username, password); `wrong`: the
    password was checked and refused, `locked`: it was refused unchecked."""
    forms = [{"username": username, "password": password} for username, password in attempts]
    return [{"status": reply["status"], "location": reply["location"], "session": reply["session"],
             "locked": LOCKED in reply["text"], "wrong": "correct username and password" in reply["text"]}
            for reply in form_posts(front, address, path, forms, at_once=at_once)]


def scan(front, address, targets):
    """{(host, port): "open" | "closed" | "unresolved"} as seen from this client."""
    return {(host, port): state for host, port, state in run_in(front, address, SCAN_SCRIPT, json.dumps(targets))}


def front_clients(stack, count):
    """Started client containers at fresh addresses: (FrontClients, addresses). Stop them after."""
    front = FrontClients(stack)
    addresses = fresh_addresses(stack, count)
    front.start(addresses)
    return front, addresses
