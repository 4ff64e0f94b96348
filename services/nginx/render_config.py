"""Render nginx.conf from its template, the environment, and the django and streamlit tasks
running now.

Each replica gets its own `server` line under a name of its own, found through Docker's DNS: one
line per replica keeps the hash ring stable across reloads, where a single `server
streamlit:8501` line would be re-ordered by every DNS answer. Under Compose the name is the
container's (project-streamlit-N); in a Swarm stack it is the task's slot (streamlit-N), which a
replacement task keeps, on whatever node it lands: nginx resolves that name through a host alias
(HOSTALIASES) to the task's own DNS name. Django's tasks are written by address. Whatever is not
there yet gets a server that never answers: nginx starts anyway and serves the come-back page.
Run at start, by `reload` and by watch_replicas.py; a bad value stops it with a message that
names the variable.
"""
import ipaddress
import os
import re
import socket
import sys
import urllib.request

from envsettings import Flag, SettingError, read

STREAMLIT_PORT = 8501
DJANGO_PORT = 8000
ROUTING_MODES = {
    # nginx's classic: the first three octets of an IPv4 address pick the replica.
    "ip_hash": "ip_hash;",
    # The whole address on a consistent ring: adding a replica moves about 1/N of the clients.
    "consistent": "hash $remote_addr consistent;",
    # The signed-in user the gate names (auth_request_set in streamlit-proxy.conf), on the same
    # ring: the people of one partner behind one NAT address spread over the replicas.
    "user": "hash $portal_user consistent;",
}
# nginx needs at least one server; this one never answers, so the page gets the 503 page.
NO_REPLICA = "server 127.0.0.1:9 down;  # no streamlit replica is running"
NO_DJANGO = "server 127.0.0.1:9 down;  # django is not running"
# The names of Swarm tasks' slots, for nginx's resolver (see the HOSTALIASES in the Dockerfile).
HOST_ALIASES_FILE = os.environ.get("HOSTALIASES", "/tmp/nginx/hostaliases")
# A replica being retired (ops/scale) says so on its health answer (analytics/drain.py).
DRAINING_HEADER = "X-Portal-Draining"
READY, DRAINING = "ready", "draining"


class ConfigError(SettingError):
    """What stops the rendering: a setting (named) or a file nginx needs."""


def setting(name, **given):
    """A setting through the schema's reader, every service's."""
    try:
        return read(name, **given)
    except SettingError as error:
        raise ConfigError(str(error)) from None


def trusted_proxies():
    """`set_real_ip_from` lines: only these peers may name the client in X-Forwarded-For."""
    lines = [
        f"set_real_ip_from {ipaddress.ip_network(item, strict=False)};"
        for item in setting("TRUSTED_PROXIES").replace(",", " ").split()
    ]
    if lines:
        lines += ["real_ip_header X-Forwarded-For;", "real_ip_recursive on;"]
    return "\n    ".join(lines)


TLS_CERT = "/etc/nginx/tls/cert.pem"
TLS_KEY = "/etc/nginx/tls/key.pem"
# Modern clients only: TLS 1.2 with forward-secret AEAD ciphers, and TLS 1.3.
TLS_SETTINGS = f"""ssl_certificate {TLS_CERT};
    ssl_certificate_key {TLS_KEY};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:TLS:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;
    add_header Strict-Transport-Security "max-age={{hsts}}" always;
    # Every cookie is Secure over TLS, Streamlit's too (it cannot tell it is behind HTTPS).
    proxy_cookie_flags ~ secure;"""
HTTP_TO_HTTPS = """server {{
        listen 8080;
        server_name {names};
        location = /healthz {{
            access_log off;
            default_type text/plain;
            return 200 "ok\\n";
        }}
        location / {{
            return 301 https://$host{port}$request_uri;
        }}
    }}"""


def server_names():
    """Django's ALLOWED_HOSTS in nginx's words (".example.com" means the same in both)."""
    hosts = setting("DJANGO_ALLOWED_HOSTS")
    if "*" in hosts:
        return "~^.*$"
    for host in hosts:
        if not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", host):
            raise ConfigError(f"DJANGO_ALLOWED_HOSTS: {host!r} is not a host name")
    # The probe and the tests' client containers say localhost; Django always allows it too.
    return " ".join(dict.fromkeys(hosts + ["localhost"]))


def tls_values():
    """HTTPS on 8443 when TLS_ENABLED (compose.tls.yaml mounts the pair); plain HTTP otherwise."""
    if not setting("TLS_ENABLED", default="false", rule=Flag()):
        return {"PORTAL_LISTEN": "listen 8080;", "TLS_DEFAULT_LISTEN": "", "TLS_SETTINGS": "", "HTTP_TO_HTTPS": ""}
    for path in (TLS_CERT, TLS_KEY):
        try:
            with open(path, "rb") as pem:
                if b"-----BEGIN" not in pem.read(4096):
                    raise ConfigError(f"{path} is not a PEM file")
        except OSError as exc:
            raise ConfigError(f"TLS is on but {path} cannot be read: {exc.strerror}") from None
    port = setting("PORTAL_TLS_PORT")
    hsts = str(setting("DJANGO_HSTS_SECONDS"))
    return {
        "PORTAL_LISTEN": "listen 8443 ssl;\n        http2 on;",
        "TLS_DEFAULT_LISTEN": "listen 8443 ssl default_server;",
        "TLS_SETTINGS": TLS_SETTINGS.replace("{hsts}", hsts),
        "HTTP_TO_HTTPS": HTTP_TO_HTTPS.format(names=server_names(), port="" if port == 443 else f":{port}"),
    }


def _natural(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def addresses_of(service, port):
    try:
        infos = socket.getaddrinfo(service, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({info[4][0] for info in infos})


def replica_name(reverse_name, address):
    """(the name nginx knows a replica by, the DNS name it resolves) from Docker's reverse answer.

    Compose answers "project-streamlit-1.project_back": the container's name, both times. Swarm
    answers "stack_streamlit.3.<task id>.stack_back": the slot is the stable part, the task's
    own name what resolves.
    """
    if not reverse_name:
        return address, address
    parts = reverse_name.split(".")
    if len(parts) >= 3 and parts[1].isdigit():
        service = parts[0].rpartition("_")[2]
        return f"{service}-{parts[1]}", ".".join(parts[:3])
    return parts[0], parts[0]


def reverse_name(address):
    try:
        return socket.gethostbyaddr(address)[0]
    except OSError:
        return ""


def current_aliases():
    """{slot name: task name} as the last render wrote them."""
    try:
        with open(HOST_ALIASES_FILE, encoding="utf-8") as aliases:
            return dict(line.split() for line in aliases if len(line.split()) == 2)
    except OSError:
        return {}


def resolved_replicas(service):
    """{name: (DNS name, address)} of the running replicas of `service`, as Docker's DNS has them.

    During a rolling update two tasks hold one slot for a moment (the new one starts first):
    the one nginx routes to now stays while it runs, then the new one takes over once it answers.
    """
    candidates = {}
    for address in addresses_of(service, STREAMLIT_PORT):
        name, target = replica_name(reverse_name(address), address)
        candidates.setdefault(name, []).append((target, address))
    routed = current_aliases()
    replicas = {}
    for name, found in candidates.items():
        if len(found) > 1:
            found = ([c for c in found if c[0] == routed.get(name)]
                     or [c for c in found if answers_health(c[1])] or found)
        replicas[name] = found[0]
    return replicas


def running_replicas(service):
    """{name: address} of the running replicas of `service` (see replica_name)."""
    return {name: address for name, (_, address) in resolved_replicas(service).items()}


def replica_state(address, timeout=3):
    """READY, DRAINING (ops/scale is retiring it: its health answer says so), or None while it
    does not answer. A replica takes clients only once its server answers: nobody waits on a
    cold start."""
    try:
        with urllib.request.urlopen(f"http://{address}:{STREAMLIT_PORT}/app/_stcore/health", timeout=timeout) as reply:
            if reply.status != 200:
                return None
            return DRAINING if reply.headers.get(DRAINING_HEADER) else READY
    except OSError:
        return None


def answers_health(address):
    return replica_state(address) is not None


def answering_replicas(service):
    """{name: (address, state)} of the replicas that answer now."""
    found = {name: (address, replica_state(address)) for name, address in running_replicas(service).items()}
    return {name: (address, state) for name, (address, state) in found.items() if state is not None}


def write_host_aliases(service):
    """Slot names for nginx's resolver: "streamlit-3 stack_streamlit.3.<task id>" a line."""
    lines = [f"{name} {target}\n" for name, (target, _) in sorted(resolved_replicas(service).items())
             if name != target]
    temporary = f"{HOST_ALIASES_FILE}.new"
    with open(temporary, "w", encoding="utf-8") as aliases:
        aliases.writelines(lines)
    os.replace(temporary, HOST_ALIASES_FILE)


def upstream_servers(replicas, sessions_only=False):
    """The `server` lines of the replicas {name: (address, state)}, in numeric order.

    A draining replica keeps its line, marked down: it gets no new client, and every other
    client keeps its replica (ip_hash and the hash ring both skip a down server without moving
    anyone else). The upstream of what belongs to a session already open (its downloads) has the
    same lines without the mark, so a draining replica's partners still reach their files.
    """
    names = sorted(replicas, key=_natural)
    if not names:
        return NO_REPLICA
    lines = []
    for name in names:
        if replicas[name][1] == DRAINING and not sessions_only:
            lines.append(f"server {name}:{STREAMLIT_PORT} down;  # draining")
        else:
            # max_fails/fail_timeout: a replica that stops answering is skipped for a while, by
            # every worker at once (the upstream has a shared zone).
            lines.append(f"server {name}:{STREAMLIT_PORT} max_fails=1 fail_timeout=10s;")
    return "\n        ".join(lines)


def django_servers(service):
    """Django's tasks by address: none yet (a stack starting, django moving) still renders."""
    addresses = addresses_of(service, DJANGO_PORT)
    if not addresses:
        return NO_DJANGO
    return "\n        ".join(f"server {address}:{DJANGO_PORT};" for address in addresses)


def streamlit_upstreams(service):
    replicas = answering_replicas(service)
    return {
        "STREAMLIT_SERVERS": upstream_servers(replicas),
        "STREAMLIT_SESSION_SERVERS": upstream_servers(replicas, sessions_only=True),
    }


def values():
    return {
        "DJANGO_SERVERS": django_servers(os.environ.get("DJANGO_SERVICE", "django")),
        "UPLOAD_MAX_MB": str(setting("UPLOAD_MAX_MB")),
        "STREAMLIT_BALANCE": ROUTING_MODES[setting("STREAMLIT_ROUTING")],
        **streamlit_upstreams(os.environ.get("STREAMLIT_SERVICE", "streamlit")),
        "REAL_IP_FROM": trusted_proxies(),
        "SERVER_NAMES": server_names(),
        **tls_values(),
    }


def render(template, values):
    def substitute(match):
        return values[match.group(1)]

    unknown = set(re.findall(r"\{\{(\w+)\}\}", template)) - set(values)
    if unknown:
        raise ConfigError(f"template names unknown values: {', '.join(sorted(unknown))}")
    return re.sub(r"\{\{(\w+)\}\}", substitute, template)


def main(template_path, output_path):
    try:
        write_host_aliases(os.environ.get("STREAMLIT_SERVICE", "streamlit"))
        with open(template_path, encoding="utf-8") as template:
            text = render(template.read(), values())
    except ConfigError as exc:
        sys.exit(f"nginx config: {exc}")
    with open(output_path, "w", encoding="utf-8") as output:
        output.write(text)


if __name__ == "__main__":
    main(*sys.argv[1:3])
