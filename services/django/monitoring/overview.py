"""The load as the portal knows it now, read once for both of its readers: the staff's status page
(/ops/status/) and `manage.py loadstatus`, which ops/status runs. Both show the same figures, the
same advice and the same warnings, because they come from here.

The snapshots arrive from every container (monitoring/api.py) into PROBE_REPORT_DIR; the last
day's history is in the database (monitoring/history.py). Warnings are in the active language.
"""
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, gettext
from portal_probe import language as probe_language
from portal_probe.advice import ServiceAdvice, Thresholds, advise, latest_by_service

from . import history
from .readings import ContainerNow, current, read_folder, stale_after


@dataclass(frozen=True)
class Overview:
    now: datetime
    thresholds: Thresholds
    containers: list[ContainerNow]  # the newest reading of each container, stale ones marked
    fresh: dict[str, list[dict]]  # {service: its containers' fresh snapshots}: what the advice read
    lines: list[history.Series]  # each container's last day
    advice: list[ServiceAdvice]
    warnings: list[str]
    recommendations: list[str]


def load_now(now=None):
    """Everything the status readers show, as of `now`; sentences in the active language."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    thresholds = Thresholds.from_env()
    readings, malformed = read_folder(settings.PROBE_REPORT_DIR)
    containers = current(readings, now)
    fresh = latest_by_service([reading.snapshot for reading in readings], newer_than=now - stale_after())
    # A service whose containers all went stale stays in the advice, which then says so.
    by_service = {row.reading.service: [] for row in containers} | fresh
    lines = history.last_day(now)
    advice = advise(by_service, thresholds, recent=history.recent_trouble(lines, thresholds, now, tz))
    # The probe's sentences, in the reader's language from the probe's own catalog.
    probe_words = probe_language.translations(get_language() or settings.LANGUAGE_CODE).gettext
    warnings = [
        gettext("{container}: no snapshot for {age}: the container is gone or its reporter stopped").format(
            container=row.reading.container, age=age_text(row.age.total_seconds())
        )
        for row in containers
        if row.stale
    ]
    warnings += [warning.in_language(probe_words) for service in advice for warning in service.warnings]
    unreadable = gettext("{name}: unreadable snapshot: {problem}")
    warnings += [unreadable.format(name=name, problem=problem) for name, problem in malformed]
    return Overview(
        now=now,
        thresholds=thresholds,
        containers=containers,
        fresh=fresh,
        lines=lines,
        advice=advice,
        warnings=warnings,
        recommendations=[service.recommendation.in_language(probe_words) for service in advice],
    )


def age_text(seconds):
    if seconds < 90:
        return gettext("{n} s").format(n=f"{seconds:.0f}")
    if seconds < 90 * 60:
        return gettext("{n} min").format(n=f"{seconds / 60:.0f}")
    return gettext("{n} h").format(n=f"{seconds / 3600:.0f}")


def nginx_latency(containers):
    """(nginx's ContainerNow, its latency figures) from its newest snapshot; None without one."""
    nginx = [row for row in containers if row.reading.service == "nginx" and row.reading.latency]
    if not nginx:
        return None
    row = max(nginx, key=lambda row: row.reading.time)
    return row, row.reading.latency
