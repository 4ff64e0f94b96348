"""Warnings and a plain capacity recommendation per service, from the probes' snapshots.

Rules (levels from the environment, see `Thresholds`):
- A snapshot warns when its memory passes PROBE_MEM_WARN (80) % of its limit, its CPU passes
  PROBE_CPU_WARN (85) % of its quota (of the host's cores when it has none), or its healthcheck
  failed. Without a memory limit there is no memory level to pass.
- streamlit: load is judged on the busiest replica, not the mean: a partner's session lives on
  one replica, and an even mean can hide one replica at its limit. Memory and CPU: the replicas
  that would bring the busiest one back to its level if the load spread evenly,
  ceil(N * busiest / level). Sessions: ceil(all sessions / STREAMLIT_SESSIONS_PER_REPLICA).
  The largest, when above N, is the advice. When the busiest replica holds more sessions than
  the level while all of them would fit, the sessions are unevenly spread: routing keeps each
  client address (or, with STREAMLIT_ROUTING=user, each user) on its replica, so more replicas
  only take other clients; the advice says so, and names STREAMLIT_ROUTING=user where it helps.
  Where the replica counts its sessions per client address (`sessions_by_address`) and one
  address alone holds more than the level, the advice names that address instead: under address
  routing more replicas will not spread those sessions, whatever the other figures say.
  It never advises fewer replicas: a replica's memory has a fixed base that the even-spread
  estimate ignores, and a spare replica is what keeps sessions alive when another one dies.
  `streamlit_need` is that estimate with its figures; ops/autoscale removes a replica only when
  it stayed below the replicas running for a whole cool-down and the advice says "enough".
- django: CPU past its level means the container's cores are saturated, and more workers would
  only queue on them: raise its CPU limit or add another host. Workers nearly all busy (CPU used
  past the level of one core per worker) while cores sit idle means the workers are the limit:
  raise GUNICORN_WORKERS to Gunicorn's suggested 2 x cores + 1. Memory past its level: raise
  the memory limit.
- nginx: CPU or memory past its level: raise that limit.
- Never "enough" while a container of the service warns, or was unhealthy or over its memory
  level in the last minutes (`recent`, which the caller reads from its history): the advice
  then names that.
"""
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from statistics import mean

from portal_probe.language import Said
import envsettings


@dataclass(frozen=True)
class Thresholds:
    mem_warn_percent: float = envsettings.default("PROBE_MEM_WARN")
    cpu_warn_percent: float = envsettings.default("PROBE_CPU_WARN")
    sessions_per_replica: int = envsettings.default("STREAMLIT_SESSIONS_PER_REPLICA")
    gunicorn_workers: int = envsettings.default("GUNICORN_WORKERS")
    # What keeps a session on its replica.
    routing: str = envsettings.default("STREAMLIT_ROUTING")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Thresholds":
        return cls(
            mem_warn_percent=envsettings.read("PROBE_MEM_WARN", environ),
            cpu_warn_percent=envsettings.read("PROBE_CPU_WARN", environ),
            sessions_per_replica=envsettings.read("STREAMLIT_SESSIONS_PER_REPLICA", environ),
            gunicorn_workers=envsettings.read("GUNICORN_WORKERS", environ),
            routing=envsettings.read("STREAMLIT_ROUTING", environ),
        )


@dataclass(frozen=True)
class ServiceAdvice:
    service: str
    replicas: int
    warnings: tuple[Said, ...]
    summary: Said  # the service's load in a line
    actions: tuple[Said, ...] = ()  # what to change; none when the service has enough
    scale_to: int | None = None  # streamlit only: the replica count to scale to; None when enough

    @property
    def recommendation(self) -> Said:
        """The summary and what to do, in a line: `django: 4 workers at ...: enough`."""
        if not self.actions:
            return Said("{summary}: enough", summary=self.summary)
        return Said("{summary}: {actions}", summary=self.summary, actions=self.actions)


def name_of(snapshot: dict) -> str:
    """The container's compose name where the snapshot has it, else its hostname."""
    return snapshot.get("container") or snapshot["hostname"]


def latest_by_service(snapshots: Iterable[dict], newer_than: datetime | None = None) -> dict[str, list[dict]]:
    """The newest snapshot of each container, grouped by service.

    `newer_than` drops hosts that stopped reporting, e.g. replicas removed by a scale-down.
    """
    newest: dict[str, dict] = {}
    for snapshot in snapshots:
        taken = datetime.fromisoformat(snapshot["time"])
        if newer_than is not None and taken <= newer_than:
            continue
        kept = newest.get(name_of(snapshot))
        if kept is None or datetime.fromisoformat(kept["time"]) < taken:
            newest[name_of(snapshot)] = snapshot
    grouped: dict[str, list[dict]] = {}
    for name in sorted(newest):
        grouped.setdefault(newest[name]["service"], []).append(newest[name])
    return grouped


def advise(
    snapshots_by_service: Mapping[str, list[dict]],
    thresholds: Thresholds = Thresholds(),
    recent: Mapping[str, str] | None = None,
) -> list[ServiceAdvice]:
    """One piece of advice per service, in service name order. `recent`: for a container that
    was unhealthy or over its memory level in the last minutes, what it was, in the reader's
    language (the caller's history says it)."""
    advisers = {"streamlit": advise_streamlit, "django": advise_django}
    advice = []
    for service, snapshots in sorted(snapshots_by_service.items()):
        if snapshots:
            found = advisers.get(service, advise_other)(service, snapshots, thresholds)
            advice.append(_not_enough_while_troubled(found, snapshots, recent or {}))
        elif service == "streamlit":
            advice.append(
                ServiceAdvice(service, 0, (), Said("{service}: no replica reporting", service=service), (_scale_to(1),), 1)
            )
        else:
            advice.append(
                ServiceAdvice(service, 0, (), Said("{service}: no snapshot", service=service), (Said("is it running?"),))
            )
    return advice


def _not_enough_while_troubled(advice: ServiceAdvice, snapshots: list[dict], recent: Mapping[str, str]) -> ServiceAdvice:
    """What was troubled lately is named; a warning now or lately is never "enough"."""
    lately = tuple(
        Said("{container} was {what} in the last minutes", container=name_of(snapshot), what=recent[name_of(snapshot)])
        for snapshot in snapshots
        if name_of(snapshot) in recent
    )
    actions = advice.actions + lately
    if not actions and advice.warnings:
        actions = (Said("see the warnings"),)
    return replace(advice, actions=actions)


def snapshot_warnings(snapshot: dict, thresholds: Thresholds) -> list[Said]:
    where = f"{name_of(snapshot)} ({snapshot['service']})"
    warnings = []
    if not snapshot["health"]["ok"]:
        # The health check's reason is its own text, in English.
        warnings.append(Said("{where}: unhealthy: {reason}", where=where, reason=snapshot["health"]["reason"]))
    memory = snapshot["memory_percent"]
    if memory is not None and memory > thresholds.mem_warn_percent:
        warnings.append(Said(
            "{where}: memory {memory:.0f} % of its limit, over {level:g} %",
            where=where, memory=memory, level=thresholds.mem_warn_percent,
        ))
    cpu = snapshot["cpu_percent"]
    if cpu > thresholds.cpu_warn_percent:
        figures = {"where": where, "cpu": cpu, "level": thresholds.cpu_warn_percent}
        if snapshot["cpu_quota_cores"] is not None:
            warnings.append(Said("{where}: CPU {cpu:.0f} % of its quota, over {level:g} %", **figures))
        else:
            warnings.append(Said("{where}: CPU {cpu:.0f} % of the host's cores, over {level:g} %", **figures))
    return warnings


@dataclass(frozen=True)
class StreamlitNeed:
    """The replicas the load of the streamlit snapshots needs, and the figures that decided it:
    what the advice says and what ops/autoscale acts on (one rule for both)."""

    replicas: int  # running (reporting) now
    needed: int  # the largest of the estimates below, at least 1
    sessions: int
    busiest_cpu_percent: float
    busiest_memory_percent: float | None
    thresholds: Thresholds


def streamlit_need(snapshots: list[dict], thresholds: Thresholds) -> StreamlitNeed:
    replicas = len(snapshots)
    busiest = _Load.busiest(snapshots)
    sessions = sum(snapshot["sessions"] or 0 for snapshot in snapshots)
    needed = [1, math.ceil(sessions / thresholds.sessions_per_replica)]
    if busiest.memory_percent is not None:
        needed.append(math.ceil(replicas * busiest.memory_percent / thresholds.mem_warn_percent))
    needed.append(math.ceil(replicas * busiest.cpu_percent / thresholds.cpu_warn_percent))
    return StreamlitNeed(replicas, max(needed), sessions, busiest.cpu_percent, busiest.memory_percent, thresholds)


def advise_streamlit(service: str, snapshots: list[dict], thresholds: Thresholds) -> ServiceAdvice:
    replicas = len(snapshots)
    busiest = _Load.busiest(snapshots)
    sessions = [snapshot["sessions"] or 0 for snapshot in snapshots]
    target = streamlit_need(snapshots, thresholds).needed

    most = max(snapshots, key=lambda snapshot: snapshot["sessions"] or 0)
    figures = {"service": service, "replicas": replicas, "sessions": sum(sessions), "load": busiest.describe()}
    if replicas == 1:
        summary = Said("{service}: 1 replica at {load}, {sessions} sessions", **figures)
    else:
        summary = Said("{service}: {replicas} replicas, {sessions} sessions; the busiest at {load}", **figures)
    actions = []
    crowd = _one_address_crowd(most, thresholds)
    # Sessions of one address stay on their replica: another replica would take none of them.
    grow = target > replicas and not crowd
    if grow:
        actions.append(_scale_to(target))
    if crowd:
        address, from_one = crowd
        actions.append(Said(
            "{from_one} of the {held} sessions on {replica} come from one client address ({address}): routing "
            "keeps an address on one replica, so more replicas will not spread them; STREAMLIT_ROUTING=user "
            "spreads the people behind one address",
            from_one=from_one, held=most["sessions"] or 0, replica=name_of(most), address=address,
        ))
    elif replicas > 1 and max(sessions) > thresholds.sessions_per_replica and target <= replicas:
        piled = {"replica": name_of(most), "held": max(sessions), "sessions": sum(sessions),
                 "level": thresholds.sessions_per_replica}
        if thresholds.routing == "user":
            actions.append(Said(
                "{replica} holds {held} of the {sessions} sessions, over {level} a replica: routing keeps each "
                "user on one replica, so more replicas only take other users", **piled,
            ))
        else:
            actions.append(Said(
                "{replica} holds {held} of the {sessions} sessions, over {level} a replica: routing keeps each "
                "client address on its replica, so more replicas only take clients from other addresses; "
                "STREAMLIT_ROUTING=user spreads the people behind one address", **piled,
            ))
    return ServiceAdvice(
        service, replicas, _warnings(snapshots, thresholds), summary, tuple(actions), target if grow else None
    )


def _one_address_crowd(snapshot: dict, thresholds: Thresholds) -> tuple[str, int] | None:
    """(address, sessions) when one client address alone holds more of the replica's sessions
    than a replica should: under address routing no number of replicas spreads those. Not under
    STREAMLIT_ROUTING=user, which spreads one address's people already."""
    by_address = snapshot.get("sessions_by_address") or {}
    if thresholds.routing == "user" or not by_address:
        return None
    address, count = max(by_address.items(), key=lambda item: item[1])
    return (address, count) if count > thresholds.sessions_per_replica else None


def _scale_to(target: int) -> Said:
    return Said("scale to {target} (ops/scale {target})", target=target)


def advise_django(service: str, snapshots: list[dict], thresholds: Thresholds) -> ServiceAdvice:
    load = _Load(snapshots)
    workers = snapshots[0]["workers"] or thresholds.gunicorn_workers
    cores = snapshots[0]["cpu_quota_cores"] or snapshots[0]["cpu_count"]
    busy_workers_percent = 100 * (load.cpu_percent / 100 * cores) / workers

    actions = []
    if load.cpu_percent > thresholds.cpu_warn_percent:
        actions.append(Said("CPU saturated: raise its CPU limit or add another host"))
    elif busy_workers_percent > thresholds.cpu_warn_percent and workers < cores:
        actions.append(Said(
            "workers all busy with cores to spare: raise GUNICORN_WORKERS to {workers}",
            workers=2 * math.ceil(cores) + 1,
        ))
    if load.memory_percent is not None and load.memory_percent > thresholds.mem_warn_percent:
        actions.append(Said("raise its memory limit"))
    summary = Said("{service}: {workers} workers at {load}", service=service, workers=workers, load=load.describe())
    return ServiceAdvice(service, len(snapshots), _warnings(snapshots, thresholds), summary, tuple(actions))


def advise_other(service: str, snapshots: list[dict], thresholds: Thresholds) -> ServiceAdvice:
    """nginx, or any service with no scaling of its own: only its limits can change."""
    load = _Load(snapshots)
    actions = []
    if load.cpu_percent > thresholds.cpu_warn_percent:
        actions.append(Said("raise its CPU limit"))
    if load.memory_percent is not None and load.memory_percent > thresholds.mem_warn_percent:
        actions.append(Said("raise its memory limit"))
    summary = Said("{service}: {load}", service=service, load=load.describe())
    return ServiceAdvice(service, len(snapshots), _warnings(snapshots, thresholds), summary, tuple(actions))


class _Load:
    """CPU and memory percent of a service: the mean over its snapshots, or its busiest
    snapshot's; memory only where there is a limit."""

    def __init__(self, snapshots: list[dict], pick=mean):
        self.cpu_percent = pick(snapshot["cpu_percent"] for snapshot in snapshots)
        limited = [snapshot["memory_percent"] for snapshot in snapshots if snapshot["memory_percent"] is not None]
        self.memory_percent = pick(limited) if limited else None

    @classmethod
    def busiest(cls, snapshots: list[dict]) -> "_Load":
        """The highest CPU and the highest memory of any one snapshot (not always the same one)."""
        return cls(snapshots, max)

    def describe(self) -> Said:
        if self.memory_percent is None:
            return Said("{cpu:.0f} % CPU, no memory limit", cpu=self.cpu_percent)
        return Said("{memory:.0f} % memory, {cpu:.0f} % CPU", memory=self.memory_percent, cpu=self.cpu_percent)


def _warnings(snapshots: list[dict], thresholds: Thresholds) -> tuple[Said, ...]:
    return tuple(warning for snapshot in snapshots for warning in snapshot_warnings(snapshot, thresholds))
