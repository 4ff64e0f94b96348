"""Render nginx.conf from its template, the environment and the streamlit replicas running now.

Each replica gets its own `server` line under its container name (project-streamlit-N), found
through Docker's DNS: one line per replica keeps the hash ring stable across reloads, where a
single `server streamlit:8501` line would be re-ordered by every DNS answer. Run at start and by
`reload`; a bad value stops it with a message that names the variable.
"""
import ipaddress
import os
import re
import socket
import sys

STREAMLIT_PORT = 8501
ROUTING_MODES = {
    # nginx's classic: the first three octets of an IPv4 address pick the replica.
    "ip_hash": "ip_hash;",
    # The whole address on a consistent ring: adding a replica moves about 1/N of the clients.
    "consistent": "hash $remote_addr consistent;",
}
# nginx needs at least one server; this one never answers, so /app/ gets the 503 page.
NO_REPLICA = "server 127.0.0.1:9 down;  # no streamlit replica is running"


class ConfigError(Exception):
    pass


def whole_number(name, default):
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return raw


def choice(name, default, allowed):
    raw = os.environ.get(name, "").strip() or default
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(sorted(allowed))}, got {raw!r}")
    return raw


def trusted_proxies():
    """`set_real_ip_from` lines: only these peers may name the client in X-Forwarded-For."""
    lines = []
    for item in os.environ.get("TRUSTED_PROXIES", "").replace(",", " ").split():
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"TRUSTED_PROXIES: {item!r} is not an address or CIDR") from None
        lines.append(f"set_real_ip_from {network};")
    if lines:
        lines += ["real_ip_header X-Forwarded-For;", "real_ip_recursive on;"]
    return "\n    ".join(lines)


def _natural(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def replica_names(service):
    """Container names of the running replicas of `service`, in a stable order."""
    try:
        infos = socket.getaddrinfo(service, STREAMLIT_PORT, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    names = set()
    for address in {info[4][0] for info in infos}:
        try:
            # Docker's DNS answers "project-streamlit-1.project_back" for a replica's address.
            names.add(socket.gethostbyaddr(address)[0].split(".")[0])
        except OSError:
            names.add(address)
    return sorted(names, key=_natural)


def upstream_servers(service):
    names = replica_names(service)
    if not names:
        return NO_REPLICA
    # max_fails/fail_timeout: a replica that stops answering is skipped for a while, by every
    # worker at once (the upstream has a shared zone).
    return "\n        ".join(f"server {name}:{STREAMLIT_PORT} max_fails=1 fail_timeout=10s;" for name in names)


def values():
    return {
        "UPLOAD_MAX_MB": whole_number("UPLOAD_MAX_MB", 50),
        "STREAMLIT_BALANCE": ROUTING_MODES[choice("STREAMLIT_ROUTING", "consistent", ROUTING_MODES)],
        "STREAMLIT_SERVERS": upstream_servers(os.environ.get("STREAMLIT_SERVICE", "streamlit")),
        "REAL_IP_FROM": trusted_proxies(),
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
        with open(template_path, encoding="utf-8") as template:
            text = render(template.read(), values())
    except ConfigError as exc:
        sys.exit(f"nginx config: {exc}")
    with open(output_path, "w", encoding="utf-8") as output:
        output.write(text)


if __name__ == "__main__":
    main(*sys.argv[1:3])
