"""The .env file: create it from .env.example with fresh secrets, and check it before anything starts.

    python3 envfile.py create EXAMPLE TARGET [NAME=VALUE ...]   # only when TARGET does not exist yet
    python3 envfile.py check FILE [--skip-port-check]
    python3 envfile.py set FILE NAME=VALUE      # ops/scale keeps STREAMLIT_REPLICAS up to date
    python3 envfile.py get FILE NAME [DEFAULT]  # one value, for the shell scripts

`check` names the line at fault (FILE:LINE: message) and exits 1 on the first bad file. The
schema below is the one list of settings: .env.example must document exactly these.
"""
import ipaddress
import os
import re
import secrets
import socket
import sys
import zoneinfo
from pathlib import Path


def _whole(value, minimum=0, maximum=None):
    if not re.fullmatch(r"\d+", value):
        return f"must be a whole number, got {value!r}"
    if int(value) < minimum or (maximum is not None and int(value) > maximum):
        return f"must be between {minimum} and {maximum}, got {value}" if maximum else f"must be at least {minimum}, got {value}"
    return None


def _address(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"must be an IP address, got {value!r}"
    return None


def _cidrs(value):
    for item in value.replace(",", " ").split():
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"{item!r} is not an address or CIDR"
    return None


def _subnet(value):
    try:
        network = ipaddress.ip_network(value)
    except ValueError:
        return f"must be a network in CIDR form (e.g. 172.16.0.0/19), got {value!r}"
    if network.version != 4 or network.prefixlen > 24:
        return f"must be an IPv4 network of /24 or larger, got {value}"
    return None


def _memory(value):
    if not re.fullmatch(r"\d+[kmg]?", value.lower()):
        return f"must be a size like 512m or 2g, got {value!r}"
    return None


def _cpus(value):
    if not re.fullmatch(r"\d+(\.\d+)?", value) or float(value) <= 0:
        return f"must be a number of CPUs above 0, like 0.5 or 2, got {value!r}"
    return None


def _percent(value):
    return _whole(value, 1, 100)


# nginx runs as this user (services/nginx/Dockerfile) and reads the TLS pair as it.
NGINX_UID = 10003


def _pem(value, what):
    path = Path(value)
    if not path.is_file():
        return f"names {value}, which is not a file"
    try:
        head = path.read_bytes()[:4096]
    except OSError as exc:
        return f"names {value}, which cannot be read ({exc.strerror})"
    if b"-----BEGIN" not in head:
        return f"names {value}, which is not a PEM {what}"
    return None


def _tls_cert(value):
    return _pem(value, "certificate")


def _tls_key(value):
    problem = _pem(value, "key")
    if problem:
        return problem
    info = Path(value).stat()
    if not (info.st_uid == NGINX_UID or info.st_mode & 0o004 or (info.st_gid == NGINX_UID and info.st_mode & 0o040)):
        return f"names {value}, which nginx (uid {NGINX_UID}) cannot read: chown {NGINX_UID} {value}"
    return None


def _secret(value):
    if len(value) < 32:
        return "must be at least 32 characters (ops/up generates one when it is empty)"
    return None


def _choice(*allowed):
    def check(value):
        return None if value in allowed else f"must be one of {', '.join(allowed)}, got {value!r}"
    return check


def _text(value):
    return None


def _registry(value):
    if not re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?(/[a-z0-9._/-]+)?", value):
        return f"must be a registry address like registry.example.com:5000 or localhost:5000/portal, got {value!r}"
    return None


def _time_zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"must be an IANA time zone like Asia/Seoul or UTC, got {value!r}"
    return None


# Every setting, and how its value is checked. A secret left empty in .env.example is generated.
SCHEMA = {
    "PORTAL_BIND": _address,
    "PORTAL_PORT": lambda v: _whole(v, 1, 65535),
    "PORTAL_TLS_PORT": lambda v: _whole(v, 1, 65535),
    "TLS_CERT_FILE": _tls_cert,
    "TLS_KEY_FILE": _tls_key,
    "DJANGO_HSTS_SECONDS": lambda v: _whole(v, 0),
    "FRONT_SUBNET": _subnet,
    "DJANGO_SECRET_KEY": _secret,
    "DJANGO_ALLOWED_HOSTS": _text,
    "DJANGO_CSRF_TRUSTED_ORIGINS": _text,
    "INTERNAL_API_TOKEN": _secret,
    "STREAMLIT_COOKIE_SECRET": _secret,
    "GUNICORN_WORKERS": lambda v: _whole(v, 1, 64),
    "STREAMLIT_REPLICAS": lambda v: _whole(v, 1, 32),
    "STREAMLIT_ROUTING": _choice("consistent", "ip_hash", "user"),
    "TRUSTED_PROXIES": _cidrs,
    "UPLOAD_MAX_MB": lambda v: _whole(v, 1, 2048),
    "DATASET_MAX_COLUMNS": lambda v: _whole(v, 1, 100_000),
    "DATASET_MAX_ROWS": lambda v: _whole(v, 1),
    "DATASET_MAX_CELL_BYTES": lambda v: _whole(v, 1, 2**30),
    "DATASET_MAX_MEMORY_MB": lambda v: _whole(v, 1, 1_048_576),
    "DATASET_INGEST_MEMORY_MB": lambda v: _whole(v, 64, 1_048_576),
    "DATASET_VERSIONS_KEPT": lambda v: _whole(v, 0, 1000),
    "LOGIN_FAIL_LIMIT": lambda v: _whole(v, 1, 1000),
    "LOGIN_LOCKOUT_SECONDS": lambda v: _whole(v, 1),
    "PORTAL_REQUIRE_MFA": _choice("true", "false"),
    "AUDIT_RETENTION_DAYS": lambda v: _whole(v, 1, 36_500),
    "INVITE_LINK_HOURS": lambda v: _whole(v, 1, 24 * 90),
    # Django checks its scheme at start.
    "PORTAL_URL": _text,
    "EMAIL_HOST": _text,
    "EMAIL_PORT": lambda v: _whole(v, 1, 65535),
    "EMAIL_USE_TLS": _choice("true", "false"),
    "EMAIL_HOST_USER": _text,
    "EMAIL_HOST_PASSWORD": _text,
    "DEFAULT_FROM_EMAIL": _text,
    "SESSION_IDLE_MINUTES": lambda v: _whole(v, 1, 7 * 24 * 60),
    "SESSION_MAX_HOURS": lambda v: _whole(v, 1, 24 * 90),
    "PORTAL_LANGUAGE": _choice("ko", "en"),
    "PORTAL_TIME_ZONE": _time_zone,
    "NGINX_CPUS": _cpus,
    "NGINX_MEM_LIMIT": _memory,
    "DJANGO_CPUS": _cpus,
    "DJANGO_MEM_LIMIT": _memory,
    "STREAMLIT_CPUS": _cpus,
    "STREAMLIT_MEM_LIMIT": _memory,
    "PROBE_INTERVAL": lambda v: _whole(v, 1, 3600),
    "PROBE_MEM_WARN": _percent,
    "PROBE_MEM_FAIL": _percent,
    "PROBE_CPU_WARN": _percent,
    "STREAMLIT_SESSIONS_PER_REPLICA": lambda v: _whole(v, 1, 1000),
    "STREAMLIT_COMPUTATIONS_PER_PARTNER": lambda v: _whole(v, 1, 64),
    "STREAMLIT_COMPUTATION_SECONDS": lambda v: _whole(v, 1, 3600),
    "STREAMLIT_MIN_REPLICAS": lambda v: _whole(v, 1, 32),
    "STREAMLIT_MAX_REPLICAS": lambda v: _whole(v, 1, 32),
    "AUTOSCALE_COOLDOWN_SECONDS": lambda v: _whole(v, 0, 86_400),
    "STREAMLIT_DRAIN_SECONDS": lambda v: _whole(v, 0, 86_400),
    "REGISTRY": _registry,
}
SECRETS = [name for name, check in SCHEMA.items() if check is _secret]


class EnvError(Exception):
    pass


def parse(path):
    """(line number, name, value) for each setting; comments and blank lines are skipped."""
    entries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", stripped)
        if not match:
            raise EnvError(f"{path}:{number}: not NAME=value: {stripped!r}")
        name, value = match.groups()
        entries.append((number, name, value.strip().strip('"').strip("'")))
    return entries


def values(path):
    """{name: value} of the file's settings: what ops/status, the stack tests and ops/bench read."""
    return {name: value for _, name, value in parse(path)}


def check(path, port_check=True):
    seen = {}
    for number, name, value in parse(path):
        where = f"{path}:{number}: {name}"
        if name not in SCHEMA:
            raise EnvError(f"{where} is not a setting of this bundle (see .env.example)")
        if name in seen:
            raise EnvError(f"{where} is set twice (first on line {seen[name][0]})")
        problem = SCHEMA[name](value) if value or name in SECRETS else None
        if problem:
            raise EnvError(f"{where} {problem}")
        seen[name] = (number, value)
    tls = {name: seen.get(name, (None, ""))[1] for name in ("TLS_CERT_FILE", "TLS_KEY_FILE")}
    if bool(tls["TLS_CERT_FILE"]) != bool(tls["TLS_KEY_FILE"]):
        given, missing = ("TLS_CERT_FILE", "TLS_KEY_FILE") if tls["TLS_CERT_FILE"] else ("TLS_KEY_FILE", "TLS_CERT_FILE")
        raise EnvError(f"{path}:{seen[given][0]}: {given} is set but {missing} is not: TLS needs both")
    bounds = {name: seen[name] for name in ("STREAMLIT_MIN_REPLICAS", "STREAMLIT_MAX_REPLICAS") if seen.get(name, (0, ""))[1]}
    if len(bounds) == 2 and int(bounds["STREAMLIT_MIN_REPLICAS"][1]) > int(bounds["STREAMLIT_MAX_REPLICAS"][1]):
        number, value = bounds["STREAMLIT_MIN_REPLICAS"]
        raise EnvError(f"{path}:{number}: STREAMLIT_MIN_REPLICAS {value} is above "
                       f"STREAMLIT_MAX_REPLICAS {bounds['STREAMLIT_MAX_REPLICAS'][1]}")
    if port_check:
        _check_port_free(path, seen, "PORTAL_PORT", "8080")
        if tls["TLS_CERT_FILE"]:
            _check_port_free(path, seen, "PORTAL_TLS_PORT", "8443")


def _check_port_free(path, seen, name, default):
    number, port = seen.get(name, (None, default))
    bind = seen.get("PORTAL_BIND", (None, "0.0.0.0"))[1] or "0.0.0.0"
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As servers bind: closed connections lingering in TIME_WAIT do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bind, int(port or default)))
        except OSError as exc:
            where = f"{path}:{number}: {name}" if number else f"{name} (default)"
            raise EnvError(f"{where} {port or default} on {bind} is already in use ({exc.strerror})") from None


def create(example, target, overrides=()):
    """Copy the example, filling every empty secret with a fresh random value; mode 600.

    `overrides` (NAME=VALUE) replace the example's values: ops/test uses them for its own port.
    """
    replace = dict(item.split("=", 1) for item in overrides)
    lines = []
    for line in Path(example).read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name in replace:
            line = f"{name}={replace.pop(name)}"
        elif sep and name in SECRETS and not value.strip():
            line = f"{name}={secrets.token_urlsafe(48)}"
        lines.append(line)
    lines += [f"{name}={value}" for name, value in replace.items()]
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def set_value(path, assignment):
    """Replace NAME's line in the file (or append it), keeping every other line as it is."""
    name, _, value = assignment.partition("=")
    if name not in SCHEMA or (value and SCHEMA[name](value)):
        raise EnvError(f"{name}={value!r} is not a valid setting")
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line.partition("=")[0].strip() == name:
            lines[index] = assignment
            break
    else:
        lines.append(assignment)
    temporary = Path(f"{path}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(temporary, path)


def main(argv):
    try:
        if argv[:1] == ["create"] and len(argv) >= 3:
            create(argv[1], argv[2], argv[3:])
        elif argv[:1] == ["set"] and len(argv) == 3:
            set_value(argv[1], argv[2])
        elif argv[:1] == ["get"] and len(argv) in (3, 4):
            print(values(argv[1]).get(argv[2]) or (argv[3] if len(argv) == 4 else ""))
        elif argv[:1] == ["check"] and len(argv) in (2, 3):
            check(argv[1], port_check="--skip-port-check" not in argv)
        else:
            sys.exit(__doc__)
    except EnvError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main(sys.argv[1:])
