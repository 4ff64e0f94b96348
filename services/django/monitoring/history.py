"""Load history: the probes' snapshots stored as rows, thinned as they age, read back for a day.

Resolution by age, per container:
- the last hour: every snapshot (one per PROBE_INTERVAL);
- up to 24 hours: one row per whole minute, the mean of its snapshots;
- up to 7 days: one row per whole 10 minutes;
- older: nothing.
A thinned row starts its period, holds the means weighted by the snapshots each row stood for,
and is healthy only if every snapshot was. Thinning touches whole periods only, and only those
holding rows of a finer resolution, so it costs a few queries, and a second run finds nothing to do.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import groupby

from django.db import transaction
from django.db.models import Min
from django.utils.translation import gettext, ngettext

from .models import LoadSample
from .readings import natural_key, stale_after

DAY = timedelta(hours=24)
# (age from which rows are thinned, seconds each thinned row stands for), finest first.
TIERS = ((timedelta(hours=1), 60), (DAY, 600))
KEEP = timedelta(days=7)
# How far back trouble still keeps the advice from saying "enough".
RECENT = timedelta(minutes=5)

_MEAN_FIELDS = ("cpu_percent", "memory_bytes", "memory_limit_bytes", "sessions", "connections")


@dataclass(frozen=True)
class Recorded:
    stored: list  # the readings stored now
    duplicates: int  # fresh readings already stored by an earlier pass
    stale: list  # readings older than 3 x PROBE_INTERVAL, not stored


def record(readings, now):
    """Store each fresh reading once; the key is its container and its time."""
    oldest = now - stale_after()
    fresh, stale = {}, []
    for reading in readings:
        if reading.time < oldest:
            # Its figures were stored while it was fresh; storing them again as "now" would draw
            # a dead container as alive. The gap in the chart and the page's stale mark tell it.
            stale.append(reading)
        else:
            fresh.setdefault((reading.container, reading.time), reading)
    if not fresh:
        return Recorded([], 0, stale)
    known = set(
        LoadSample.objects.filter(
            container__in={container for container, _ in fresh}, time__gte=min(time for _, time in fresh)
        ).values_list("container", "time")
    )
    new = [reading for key, reading in fresh.items() if key not in known]
    # ignore_conflicts: a second recorder racing this one loses its insert, not its loop.
    LoadSample.objects.bulk_create([_sample(reading) for reading in new], ignore_conflicts=True)
    return Recorded(new, len(fresh) - len(new), stale)


def _sample(reading):
    return LoadSample(
        time=reading.time,
        container=reading.container,
        service=reading.service,
        healthy=reading.healthy,
        cpu_percent=reading.cpu_percent,
        memory_bytes=reading.memory_bytes,
        memory_limit_bytes=reading.memory_limit_bytes,
        sessions=reading.sessions,
        connections=reading.connections,
    )


@dataclass(frozen=True)
class Thinned:
    merged: int  # rows replaced by means
    means: int  # the means that replaced them
    removed: int  # rows older than KEEP, deleted


def thin(now):
    removed, _ = LoadSample.objects.filter(time__lt=now - KEEP).delete()
    merged = means = 0
    for age, period_s in TIERS:
        tier_merged, tier_means = _merge_periods(now - age, period_s)
        merged += tier_merged
        means += tier_means
    return Thinned(merged, means, removed)


def _merge_periods(older_than, period_s):
    # A period still filling up is left whole for a later run.
    cutoff = _period_start(older_than, period_s)
    first = LoadSample.objects.filter(period_s__lt=period_s, time__lt=cutoff).aggregate(first=Min("time"))["first"]
    if first is None:
        return 0, 0
    with transaction.atomic():
        # Means of this period already in the span join in, so a period never holds two rows.
        rows = LoadSample.objects.filter(
            time__gte=_period_start(first, period_s), time__lt=cutoff, period_s__lte=period_s
        )
        fields = ("container", "service", "time", "healthy", "samples", *_MEAN_FIELDS)
        old = list(rows.order_by("container", "time").values(*fields))
        rows.delete()
        periods = groupby(old, key=lambda row: (row["container"], _period_start(row["time"], period_s)))
        means = [_mean(list(group), start, period_s) for (_, start), group in periods]
        LoadSample.objects.bulk_create(means)
    return len(old), len(means)


def _period_start(moment, period_s):
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % period_s, tz=timezone.utc)


def _mean(rows, start, period_s):
    means = {}
    for field in _MEAN_FIELDS:
        weighed = [(row[field], row["samples"]) for row in rows if row[field] is not None]
        means[field] = (
            round(sum(value * weight for value, weight in weighed) / sum(weight for _, weight in weighed), 2)
            if weighed
            else None
        )
    for field in ("memory_bytes", "memory_limit_bytes"):
        if means[field] is not None:
            means[field] = round(means[field])
    return LoadSample(
        time=start,
        container=rows[-1]["container"],
        service=rows[-1]["service"],
        healthy=all(row["healthy"] for row in rows),
        samples=sum(row["samples"] for row in rows),
        period_s=period_s,
        **means,
    )


@dataclass
class Series:
    """One container's last day, oldest first: what the charts draw and the warnings scan."""

    container: str
    service: str
    times: list
    healthy: list
    cpu_percent: list
    memory_percent: list  # None where the container had no memory limit
    sessions: list


def last_day(now):
    """Each container's rows of the last 24 hours, read in one query; a Series per container."""
    rows = (
        LoadSample.objects.filter(time__gte=now - DAY)
        .order_by("time")
        .values_list(
            "container", "service", "time", "healthy", "cpu_percent", "memory_bytes", "memory_limit_bytes", "sessions"
        )
    )
    series = {}
    for container, service, time, healthy, cpu, memory, limit, sessions in rows:
        line = series.get(container)
        if line is None:
            line = series[container] = Series(container, service, [], [], [], [], [])
        line.service = service
        line.times.append(time)
        line.healthy.append(healthy)
        line.cpu_percent.append(cpu)
        line.memory_percent.append(100 * memory / limit if memory is not None and limit else None)
        line.sessions.append(sessions)
    return sorted(series.values(), key=lambda line: natural_key(line.container))


def crossings(series, thresholds, tz):
    """Warnings for the day's threshold crossings, newest first: the levels are the probe's own.

    One warning per container and kind, at the last crossing, with how often it happened.
    """
    found = []
    for line in series:
        kinds = (
            (gettext("{container} crossed {level} % memory at {at} (peak {peak} %)"), line.memory_percent,
             thresholds.mem_warn_percent),
            (gettext("{container} crossed {level} % CPU at {at} (peak {peak} %)"), line.cpu_percent,
             thresholds.cpu_warn_percent),
        )
        for sentence, values, level in kinds:
            episodes = _episodes([value is not None and value > level for value in values])
            if episodes:
                start, end = episodes[-1]
                text = sentence.format(
                    container=line.container, level=f"{level:g}", at=_clock(line.times[start], tz),
                    peak=f"{max(values[start:end]):.0f}",
                )
                found.append((line.times[start], text + _times(len(episodes))))
        episodes = _episodes([not healthy for healthy in line.healthy])
        if episodes:
            start, _ = episodes[-1]
            text = gettext("{container} was unhealthy at {at}").format(
                container=line.container, at=_clock(line.times[start], tz)
            )
            found.append((line.times[start], text + _times(len(episodes))))
    return [text for _, text in sorted(found, key=lambda item: item[0], reverse=True)]


def recent_trouble(series, thresholds, now, tz, within=RECENT):
    """For each container unhealthy or over its memory level in the last minutes (its newest
    row aside: the page's warnings tell the present), what it was, with the time."""
    found = {}
    for line in series:
        for time, healthy, memory in zip(line.times[:-1], line.healthy[:-1], line.memory_percent[:-1]):
            if time < now - within:
                continue
            if not healthy:
                found[line.container] = gettext("unhealthy at {at}").format(at=_clock(time, tz))
            elif memory is not None and memory > thresholds.mem_warn_percent:
                found[line.container] = gettext("at {memory} % memory at {at}").format(
                    memory=f"{memory:.0f}", at=_clock(time, tz)
                )
    return found


def _episodes(over):
    """(first, past-last) index of each run of rows over the level."""
    runs, start = [], None
    for index, is_over in enumerate(over):
        if is_over and start is None:
            start = index
        elif not is_over and start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(over)))
    return runs


def _clock(moment, tz):
    return moment.astimezone(tz).strftime("%H:%M")


def _times(count):
    return ngettext(", {count} time in 24 h", ", {count} times in 24 h", count).format(count=count) if count > 1 else ""
