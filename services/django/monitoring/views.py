from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache

from . import history, load_charts, overview

# The page asks for itself again through the Refresh header: no script for a CSP to forbid.
REFRESH_SECONDS = 30


@login_required
@never_cache
def status(request):
    """Each container's load now, the advice per service, and the last day as charts.

    Queries: the session, the user, and the day's history in one; snapshots come from files.
    """
    if not request.user.is_staff:
        raise PermissionDenied(gettext("The ops status page is for the portal's staff."))
    now = timezone.now()
    tz = timezone.get_current_timezone()
    load = overview.load_now(now)
    thresholds, containers, lines = load.thresholds, load.containers, load.lines

    drawn = {"now": now, "tz": tz, "colour_of": load_charts.colours([line.container for line in lines])}
    unlimited = [line.container for line in lines if all(value is None for value in line.memory_percent)]
    context = {
        "rows": [_row(row, thresholds) for row in containers],
        "latency": _latency(containers),
        "advice": load.advice,
        "recommendations": load.recommendations,
        "warnings": load.warnings,
        "crossings": history.crossings(lines, thresholds, tz),
        "charts": [
            load_charts.chart(
                # xgettext:no-python-format
                gettext("CPU, % of quota"),
                lines,
                lambda line: line.cpu_percent,
                level=thresholds.cpu_warn_percent,
                **drawn,
            ),
            load_charts.chart(
                # xgettext:no-python-format
                gettext("Memory, % of limit"),
                lines,
                lambda line: line.memory_percent,
                level=thresholds.mem_warn_percent,
                note=gettext("Not drawn, no memory limit: {containers}.").format(containers=", ".join(unlimited))
                if unlimited
                else "",
                **drawn,
            ),
            load_charts.chart(
                gettext("Streamlit sessions"),
                [line for line in lines if line.service == "streamlit"],
                lambda line: line.sessions,
                level=thresholds.sessions_per_replica,
                unit="",
                **drawn,
            ),
        ],
        "has_history": bool(lines),
        "report_dir": settings.PROBE_REPORT_DIR,
        "now": now,
        "refresh_seconds": REFRESH_SECONDS,
    }
    response = render(request, "monitoring/status.html", context)
    response["Refresh"] = str(REFRESH_SECONDS)
    return response


@dataclass(frozen=True)
class Row:
    container: str
    service: str
    healthy: bool
    stale: bool
    health: str
    age: str
    cpu: str
    cpu_of: str
    cpu_over: bool
    memory: str
    memory_of: str
    memory_over: bool
    sessions: int | None


def _row(row, thresholds):
    reading = row.reading
    if row.stale:
        health = gettext("stale")
    elif reading.healthy:
        health = gettext("healthy")
    elif reading.reason:
        # The health check's reason is the probe's own text, in English.
        health = gettext("unhealthy: {reason}").format(reason=reading.reason)
    else:
        health = gettext("unhealthy")
    if reading.cpu_quota_cores is not None:
        cores = reading.cpu_quota_cores
        # A fraction of a core reads as plural, as more than one does.
        cpu_of = ngettext("of {cores} core", "of {cores} cores", 1 if cores == 1 else 2).format(cores=f"{cores:g}")
    else:
        cpu_of = gettext("of the host's {cores} cores").format(cores=reading.cpu_count)
    percent = reading.memory_percent
    if reading.memory_bytes is None:
        memory, memory_of = "—", ""
    elif reading.memory_limit_bytes is None:
        memory, memory_of = filesizeformat(reading.memory_bytes), gettext("no limit")
    else:
        memory = load_charts.percent(percent) if percent is not None else filesizeformat(reading.memory_bytes)
        memory_of = gettext("{used} of {limit}").format(
            used=filesizeformat(reading.memory_bytes), limit=filesizeformat(reading.memory_limit_bytes)
        )
    return Row(
        container=reading.container,
        service=reading.service,
        healthy=reading.healthy and not row.stale,
        stale=row.stale,
        health=health,
        age=_age(row.age),
        cpu=load_charts.percent(reading.cpu_percent),
        cpu_of=cpu_of,
        cpu_over=reading.cpu_percent > thresholds.cpu_warn_percent,
        memory=memory,
        memory_of=memory_of,
        memory_over=percent is not None and percent > thresholds.mem_warn_percent,
        sessions=reading.sessions,
    )


@dataclass(frozen=True)
class Route:
    name: str
    requests: str
    p50: str
    p95: str


def _latency(containers):
    """nginx's request times over its window (all, then per route), from its newest snapshot."""
    found = overview.nginx_latency(containers)
    if found is None:
        return None
    row, latency = found
    routes = latency.get("routes") if isinstance(latency.get("routes"), dict) else {}
    named = [(gettext("all"), latency)] + sorted(item for item in routes.items() if isinstance(item[1], dict))
    return {
        "window": _age_seconds(latency.get("window_s")),
        "stale": row.stale,
        "age": _age(row.age),
        "routes": [
            Route(name, _number(figures.get("requests")), _ms(figures.get("p50_ms")), _ms(figures.get("p95_ms")))
            for name, figures in named
        ],
    }


def _number(value):
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "—"


def _ms(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return gettext("{ms} ms").format(ms=f"{value:,.0f}")
    return "—"


def _age_seconds(value):
    return overview.age_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else "—"


def _age(delta):
    return overview.age_text(delta.total_seconds())
