"""ops/status: one row per container with its state, health, load against its limits and request
times, then a recommendation in plain words. `--json` prints the same for machines.

Load comes from the probes' snapshots (which every container sends to Django, read in its
report folder); request times from nginx's JSON access log over the last five minutes, per
container that served them; the recommendation from the probe's own advice rules.
"""
import json
import os
import subprocess
import sys
import zoneinfo
from datetime import datetime, timedelta, timezone
from pathlib import Path

import envfile  # beside this file; it puts the settings' reader (services/base/lib) on the path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services" / "probe"))

import envsettings  # noqa: E402
from portal_probe.advice import Thresholds, advise, latest_by_service, name_of  # noqa: E402
from portal_probe.latency import percentile  # noqa: E402

WINDOW = timedelta(minutes=5)
# With STACK_NAME set: that Swarm stack (ops/deploy) on the engine the docker CLI points at,
# which must be a manager on the data node (django's snapshots are read there).
STACK = os.environ.get("STACK_NAME", "").strip()
READ_SNAPSHOTS = ("import glob, json; print(json.dumps([json.load(open(p)) "
                  "for p in glob.glob('/var/lib/portal-probe/*.json')]))")


def settings_path():
    return os.environ.get("PORTAL_ENV_FILE", str(ROOT / ".env"))


def compose(*args):
    """docker compose on the project the ops script was started for (it exports COMPOSE_FILE)."""
    command = ["docker", "compose", "--project-directory", str(ROOT), "--env-file", settings_path(), *args]
    return subprocess.run(command, capture_output=True, text=True)


def portal_zone(name):
    """PORTAL_TIME_ZONE, the clock every time is shown on; UTC for a name that is no zone (the
    envfile check refuses those: a status read never fails on one)."""
    try:
        return zoneinfo.ZoneInfo(name or envsettings.default("PORTAL_TIME_ZONE"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def shown_at(moment, zone_name):
    """A moment on the portal's clock with the zone's name: 2026-12-02 07:20:15 KST."""
    return moment.astimezone(portal_zone(zone_name)).strftime("%Y-%m-%d %H:%M:%S %Z")


def read_settings(path):
    """The settings file's values, read by envfile's parser; none before ops/up has created it."""
    if not Path(path).exists():
        return {}
    try:
        return envfile.values(path)
    except envfile.EnvError as exc:
        sys.exit(f"error: {exc}")


def containers():
    result = compose("ps", "--all", "--format", "json")
    if result.returncode != 0:
        sys.exit(f"error: docker compose ps failed: {result.stderr.strip()}")
    return sorted((json.loads(line) for line in result.stdout.splitlines() if line.strip()),
                  key=lambda row: (row["Service"], row["Name"]))


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True)


def stack_tasks():
    """[(row, task)] of the stack's running tasks, each row shaped like `docker compose ps`'s and
    named as the probe names the task (stack_service.slot@node; a global one stack_service@node)."""
    listed = docker("stack", "ps", STACK, "-q", "--no-trunc", "-f", "desired-state=running")
    if listed.returncode != 0:
        sys.exit(f"error: docker stack ps {STACK} failed: {listed.stderr.strip()}")
    ids = listed.stdout.split()
    if not ids:
        return []
    tasks = json.loads(docker("inspect", *ids).stdout)
    nodes = names_of("node", {task.get("NodeID") for task in tasks} - {None}, "{{.Description.Hostname}}")
    services = names_of("service", {task["ServiceID"] for task in tasks}, "{{.Spec.Name}}")
    found = []
    for task in tasks:
        service = services.get(task["ServiceID"], task["ServiceID"])
        node = nodes.get(task.get("NodeID"), task.get("NodeID") or "?")
        name = f"{service}.{task['Slot']}@{node}" if task.get("Slot") else f"{service}@{node}"
        state = task["Status"]["State"]
        # Swarm reports a task with a health check as running only once it is healthy.
        row = {"Name": name, "Service": service.removeprefix(f"{STACK}_"), "State": state,
               "Health": "healthy" if state == "running" else "-"}
        found.append((row, task))
    return sorted(found, key=lambda pair: (pair[0]["Service"], pair[0]["Name"]))


def names_of(kind, ids, template):
    """{full id: name} of Swarm nodes or services."""
    out = docker(kind, "inspect", "-f", "{{.ID}} " + template, *sorted(ids)).stdout if ids else ""
    return dict(line.split(maxsplit=1) for line in out.splitlines() if line.strip())


def stack_snapshots():
    django = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={STACK}_django",
                    "--filter", "status=running").stdout.split()
    if not django:
        sys.exit(f"error: no running {STACK}_django container on this engine: point DOCKER_HOST at the data node")
    result = docker("exec", django[0], "python3", "-c", READ_SNAPSHOTS)
    return json.loads(result.stdout) if result.returncode == 0 else []


def stack_addresses(tasks):
    return {address.split("/")[0]: row["Name"] for row, task in tasks
            for attachment in task.get("NetworksAttachments") or [] for address in attachment.get("Addresses") or []}


def stack_access_log(since=WINDOW):
    """Every edge node's nginx access log over `since` (Swarm gathers them)."""
    result = docker("service", "logs", "--raw", "--since", f"{int(since.total_seconds())}s", f"{STACK}_nginx")
    return json_lines(result.stdout)


def snapshots(rows):
    """The snapshots Django received from every container, read in its report folder."""
    for row in rows:
        if row["State"] != "running" or row["Service"] != "django":
            continue
        result = compose("exec", "-T", row["Service"], "python3", "-c", READ_SNAPSHOTS)
        if result.returncode == 0:
            return json.loads(result.stdout)
    return []


def addresses(rows):
    """{address: container name} over every network, for nginx's upstream addresses."""
    names = [row["Name"] for row in rows if row["State"] == "running"]
    if not names:
        return {}
    out = subprocess.run(["docker", "inspect", "-f",
                          "{{.Name}}{{range .NetworkSettings.Networks}} {{.IPAddress}}{{end}}", *names],
                         capture_output=True, text=True).stdout
    mapping = {}
    for line in out.splitlines():
        name, *ips = line.split()
        for ip in ips:
            mapping[ip] = name.lstrip("/")
    return mapping


def access_log(since=WINDOW):
    result = compose("logs", "--no-color", "--no-log-prefix", "--since", f"{int(since.total_seconds())}s", "nginx")
    return json_lines(result.stdout)


def json_lines(text):
    """The access log's records: one JSON object a line, among nginx's other lines."""
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def request_times(records, address_to_container, nginx_names):
    """{container: [seconds]}: upstream time per container that served, and nginx's own total.

    Websockets (status 101) are left out: their time is how long the tab stayed open.
    """
    times = {}
    for record in records:
        if record.get("status") == 101:
            continue
        for name in nginx_names:
            times.setdefault(name, []).append(float(record["request_time"]))
        upstreams = [u.strip() for u in str(record.get("upstream", "")).split(",") if u.strip()]
        upstream_times = [t.strip() for t in str(record.get("upstream_time", "")).split(",")]
        if upstreams and upstream_times and upstream_times[-1] not in ("", "-"):
            served_by = address_to_container.get(upstreams[-1].rsplit(":", 1)[0])
            if served_by:
                times.setdefault(served_by, []).append(float(upstream_times[-1]))
    return times


def ms(value):
    return None if value is None else round(value * 1000, 1)


def build_rows(rows, latest, times):
    """The table: one dict per container."""
    by_name = {name_of(snapshot): snapshot for group in latest.values() for snapshot in group}
    table = []
    for row in rows:
        snapshot = by_name.get(row["Name"], {})
        samples = times.get(row["Name"], [])
        table.append({
            "container": row["Name"],
            "service": row["Service"],
            "state": row["State"],
            "health": row.get("Health") or "-",
            "cpu_percent": snapshot.get("cpu_percent"),
            "cpu_quota_cores": snapshot.get("cpu_quota_cores"),
            "memory_bytes": snapshot.get("memory_bytes"),
            "memory_limit_bytes": snapshot.get("memory_limit_bytes"),
            "memory_percent": snapshot.get("memory_percent"),
            "sessions": snapshot.get("sessions"),
            "requests_5m": len(samples),
            "p50_ms": ms(percentile(samples, 0.50)),
            "p95_ms": ms(percentile(samples, 0.95)),
        })
    return table


def mib(value):
    return "-" if value is None else f"{value / (1 << 20):.0f}M"


def text_table(table):
    headers = ["CONTAINER", "STATE", "HEALTH", "CPU", "MEMORY / LIMIT", "SESSIONS", "REQ 5m", "P50", "P95"]
    lines = []
    for row in table:
        cpu = "-" if row["cpu_percent"] is None else f"{row['cpu_percent']:.0f}%"
        if row["cpu_quota_cores"]:
            cpu += f" of {row['cpu_quota_cores']:g}"
        memory = f"{mib(row['memory_bytes'])} / {mib(row['memory_limit_bytes'])}"
        if row["memory_percent"] is not None:
            memory += f" ({row['memory_percent']:.0f}%)"
        lines.append([row["container"], row["state"], row["health"], cpu, memory,
                      "-" if row["sessions"] is None else str(row["sessions"]), str(row["requests_5m"]),
                      "-" if row["p50_ms"] is None else f"{row['p50_ms']:.0f}ms",
                      "-" if row["p95_ms"] is None else f"{row['p95_ms']:.0f}ms"])
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *lines)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in [headers, *lines])


def main(argv):
    as_json = "--json" in argv
    settings = read_settings(settings_path())
    if STACK:
        tasks = stack_tasks()
        rows = [row for row, _ in tasks]
        if not rows:
            sys.exit(f"error: the stack {STACK} runs no task: deploy it with ops/deploy")
        found, log, address_names = stack_snapshots(), stack_access_log(), stack_addresses(tasks)
    else:
        rows = containers()
        if not rows:
            sys.exit("error: the stack is not running: start it with ops/up")
        found, log, address_names = snapshots(rows), access_log(), addresses(rows)
    interval = envsettings.read("PROBE_INTERVAL", settings)
    fresh_after = datetime.now(timezone.utc) - timedelta(seconds=3 * interval)
    latest = latest_by_service(found, newer_than=fresh_after)
    nginx_names = [row["Name"] for row in rows if row["Service"] == "nginx"]
    times = request_times(log, address_names, nginx_names)
    table = build_rows(rows, latest, times)
    advice = advise(latest, Thresholds.from_env({**settings, **os.environ}))
    now = datetime.now(timezone.utc)
    zone_name = settings.get("PORTAL_TIME_ZONE") or "Asia/Seoul"
    if as_json:
        print(json.dumps({"at": now.astimezone(portal_zone(zone_name)).isoformat(timespec="seconds"),
                          "containers": table, "advice": [
            {"service": a.service, "replicas": a.replicas, "warnings": list(a.warnings),
             "recommendation": a.recommendation, "scale_to": a.scale_to} for a in advice]}, indent=2))
        return
    print(f"{shown_at(now, zone_name)} ({zone_name}); request times over the last {WINDOW.seconds // 60} minutes")
    print(text_table(table))
    print()
    for item in advice:
        for warning in item.warnings:
            print(f"warning: {warning}")
    for item in advice:
        print(item.recommendation)


if __name__ == "__main__":
    main(sys.argv[1:])
