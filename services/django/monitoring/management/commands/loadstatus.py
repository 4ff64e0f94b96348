import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone, translation

from monitoring import overview


def mib(value):
    return "-" if value is None else f"{value / (1 << 20):.0f}M"


def ms(value):
    return "-" if value is None else f"{value:.0f}ms"


def health(row):
    if row.stale:
        return "stale"
    return "healthy" if row.reading.healthy else "unhealthy"


def container_figures(row):
    reading = row.reading
    return {
        "container": reading.container,
        "service": reading.service,
        "health": health(row),
        "reason": reading.reason,
        "age_s": round(row.age.total_seconds()),
        "cpu_percent": reading.cpu_percent,
        "cpu_quota_cores": reading.cpu_quota_cores,
        "cpu_count": reading.cpu_count,
        "memory_bytes": reading.memory_bytes,
        "memory_limit_bytes": reading.memory_limit_bytes,
        "memory_percent": reading.memory_percent,
        "sessions": reading.sessions,
    }


def text_table(rows):
    headers = ["CONTAINER", "HEALTH", "CPU", "MEMORY / LIMIT", "SESSIONS", "REPORTED"]
    lines = []
    for row in rows:
        cpu = f"{row['cpu_percent']:.0f}%"
        cpu += f" of {row['cpu_quota_cores']:g}" if row["cpu_quota_cores"] else f" of host's {row['cpu_count']}"
        memory = f"{mib(row['memory_bytes'])} / {mib(row['memory_limit_bytes'])}"
        if row["memory_percent"] is not None:
            memory += f" ({row['memory_percent']:.0f}%)"
        lines.append([row["container"], row["health"], cpu, memory,
                      "-" if row["sessions"] is None else str(row["sessions"]), f"{row['age_s']}s ago"])
    widths = [max(len(cell) for cell in column) for column in zip(headers, *lines)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in [headers, *lines])


def latency_line(latency):
    """nginx's request times over its window, all and per route, in a line."""
    routes = latency.get("routes") if isinstance(latency.get("routes"), dict) else {}
    parts = [f"{name} {figures.get('requests', 0)} requests, p50 {ms(figures.get('p50_ms'))}, "
             f"p95 {ms(figures.get('p95_ms'))}"
             for name, figures in [("all", latency), *sorted(routes.items())] if isinstance(figures, dict)]
    return f"nginx over the last {latency.get('window_s', 0) // 60} min: " + "; ".join(parts)


class Command(BaseCommand):
    help = (
        "Each container's load from its newest snapshot, nginx's request times, the warnings and the advice "
        "per service: what the staff's status page shows, as a table or (--json) for machines. ops/status runs it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON instead of a table")

    def handle(self, *args, as_json, **options):
        # An operator's tool: English, as ops/scale and ops/up speak.
        with translation.override("en"):
            load = overview.load_now()
        at = timezone.localtime(load.now)
        rows = [container_figures(row) for row in load.containers]
        found = overview.nginx_latency(load.containers)
        latency = found[1] if found else None
        if as_json:
            self.stdout.write(json.dumps({
                "at": at.isoformat(timespec="seconds"),
                "containers": rows,
                "latency": latency,
                "warnings": load.warnings,
                "advice": [{"service": advice.service, "replicas": advice.replicas,
                            "warnings": list(advice.warnings), "recommendation": recommendation,
                            "scale_to": advice.scale_to}
                           for advice, recommendation in zip(load.advice, load.recommendations)],
                "snapshots": load.fresh,
            }, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"{at:%Y-%m-%d %H:%M:%S %Z} ({settings.TIME_ZONE}); "
                          f"each container reports every {settings.PROBE_INTERVAL} s")
        self.stdout.write(text_table(rows) if rows else "no container has reported yet")
        if latency:
            self.stdout.write(latency_line(latency))
        self.stdout.write("")
        for warning in load.warnings:
            self.stdout.write(f"warning: {warning}")
        for recommendation in load.recommendations:
            self.stdout.write(recommendation)

