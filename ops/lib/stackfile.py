"""The stack file ops/deploy gives `docker stack deploy`: compose.yaml with compose.swarm.yaml on
top, as `docker compose config --format json` resolved them, fixed up where Swarm refuses or
drops what Compose accepts.

    python3 stackfile.py < resolved.json > stack.json

What changes, and why:
- a top-level `name` and the `x-` extension fields are Compose's only;
- `depends_on`, `build`, `restart`, `security_opt`, `container_name` are refused or ignored by
  Swarm (each service waits for what it needs by itself; restarts are Swarm's own; see the README
  for no-new-privileges);
- `tmpfs:` is dropped silently, which crash-loops a read-only service: each entry becomes a
  long-form tmpfs volume;
- limits' `cpus` must be a string, a published port a number, and a port has no `host_ip`;
- networks and volumes keep the names the stack gives them (Compose's resolved names are the
  project's);
- build secrets (the CA bundle) are for building only;
- a service that drains itself when stopped (DRAIN_ON_STOP, the streamlit replicas) gets a
  stop_grace_period of its drain and DRAIN_MARGIN_SECONDS more, or Swarm would kill it 10 s in.
"""
import json
import re
import sys

DROPPED_SERVICE_KEYS = ("depends_on", "build", "restart", "security_opt", "container_name", "pull_policy")
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# What a replica needs after its drain to stop its server.
DRAIN_MARGIN_SECONDS = 30


def size_in_bytes(text):
    match = re.fullmatch(r"(\d+)([kmg]?)b?", text.strip().lower())
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(match.group(1)) * SIZE_UNITS[match.group(2)]


def tmpfs_volume(entry):
    """"/tmp:size=64m,mode=1777" as a long-form volume entry."""
    target, _, options = entry.partition(":")
    tmpfs = {}
    for option in filter(None, options.split(",")):
        key, _, value = option.partition("=")
        if key == "size":
            tmpfs["size"] = size_in_bytes(value)
        elif key == "mode":
            tmpfs["mode"] = int(value, 8)
        else:
            raise ValueError(f"tmpfs option {key!r} of {entry!r} has no long form")
    return {"type": "tmpfs", "target": target, "tmpfs": tmpfs}


def fix_service(service):
    service = {key: value for key, value in service.items()
               if key not in DROPPED_SERVICE_KEYS and value is not None}
    tmpfs = service.pop("tmpfs", [])
    if tmpfs:
        service["volumes"] = [*service.get("volumes", []), *map(tmpfs_volume, tmpfs)]
    for volume in service.get("volumes", []):
        # Compose's resolved form says `volume: {}` or `bind: {create_host_path: true}`; the
        # stack's schema knows neither field.
        if volume.get("volume") == {}:
            del volume["volume"]
        volume.get("bind", {}).pop("create_host_path", None)
        if volume.get("bind") == {}:
            del volume["bind"]
    ports = []
    for port in service.get("ports", []):
        port = {key: value for key, value in port.items() if key != "host_ip"}
        if "published" in port:
            port["published"] = int(port["published"])
        ports.append(port)
    if ports:
        service["ports"] = ports
    limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
    if "cpus" in limits:
        limits["cpus"] = str(limits["cpus"])
    environment = service.get("environment") or {}
    if environment.get("DRAIN_ON_STOP") == "true":
        seconds = int(environment["STREAMLIT_DRAIN_SECONDS"]) + DRAIN_MARGIN_SECONDS
        service["stop_grace_period"] = f"{seconds}s"
    return service


def stack_file(resolved):
    stack = {"version": "3.9", "services": {}}
    for name, service in resolved["services"].items():
        stack["services"][name] = fix_service(service)
    for section in ("networks", "volumes"):
        entries = {}
        for name, entry in (resolved.get(section) or {}).items():
            entries[name] = {key: value for key, value in (entry or {}).items() if key != "name"}
        if entries:
            stack[section] = entries
    # Secrets the services still use (the build's CA bundle is gone with `build`).
    used = {s["source"] if isinstance(s, dict) else s
            for service in stack["services"].values() for s in service.get("secrets", [])}
    secrets = {name: entry for name, entry in (resolved.get("secrets") or {}).items() if name in used}
    if secrets:
        stack["secrets"] = secrets
    return stack


def main():
    json.dump(stack_file(json.load(sys.stdin)), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
