"""The .env file: create it from .env.example with fresh secrets, and check it before anything starts.

    python3 envfile.py create EXAMPLE TARGET [NAME=VALUE ...]   # only when TARGET does not exist yet
    python3 envfile.py check FILE [--skip-port-check]
    python3 envfile.py set FILE NAME=VALUE      # ops/scale keeps STREAMLIT_REPLICAS up to date
    python3 envfile.py get FILE NAME            # one value (or the schema's default), for the shell scripts

`check` names the line at fault (FILE:LINE: message) and exits 1 on the first bad file. The
schema (services/base/lib/envsettings.py, which every image carries) is the one list of settings:
.env.example must document exactly these, with the schema's defaults.
"""
import os
import re
import secrets
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "base" / "lib"))
from envsettings import SCHEMA, SECRETS, SettingError, problem, read  # noqa: E402


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


def setting(path, name):
    """NAME as the services read it: the file's value, else the schema's default, converted by
    the schema's rule (a whole number as an int, a list as a list)."""
    try:
        return read(name, values(path))
    except SettingError as exc:
        raise EnvError(f"{path}: {exc}") from None


def check(path, port_check=True):
    seen = {}
    for number, name, value in parse(path):
        where = f"{path}:{number}: {name}"
        if name not in SCHEMA:
            raise EnvError(f"{where} is not a setting of this bundle (see .env.example)")
        if name in seen:
            raise EnvError(f"{where} is set twice (first on line {seen[name][0]})")
        trouble = problem(name, value) if value or name in SECRETS else None
        if trouble:
            raise EnvError(f"{where} {trouble}")
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
    if name not in SCHEMA or (value and problem(name, value)):
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
        elif argv[:1] == ["get"] and len(argv) == 3:
            print(setting(argv[1], argv[2]))
        elif argv[:1] == ["check"] and len(argv) in (2, 3):
            check(argv[1], port_check="--skip-port-check" not in argv)
        else:
            sys.exit(__doc__)
    except EnvError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main(sys.argv[1:])
