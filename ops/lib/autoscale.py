"""ops/autoscale: apply the probe's Streamlit advice, between STREAMLIT_MIN_REPLICAS and
STREAMLIT_MAX_REPLICAS.

The figures and the rule are the advice's (portal_probe.advice: `streamlit_need` and `advise`),
from the snapshots ops/status reads (django's `manage.py loadstatus`); this file only adds when
to act:
- up at once, to what the advice says (capped at the maximum), when sessions, CPU or memory
  pass their marks;
- down one replica at a time, and only once the replicas needed stayed below those running for
  a whole AUTOSCALE_COOLDOWN_SECONDS while the advice said "enough" (no warning, no sessions
  piled on one replica);
- never a change within AUTOSCALE_COOLDOWN_SECONDS of the last one;
- nothing while a running replica has no fresh snapshot (it just started, or one just left).
It acts through ops/scale's own code, so a replica it removes drains first (on a Swarm stack, the
replica Swarm stops drains itself: see ops/lib/scaling.py). Each round prints one
line: the time, replicas before→after, and the figures that decided. The state between rounds
(when it last changed the count, since when the load has been low) is kept beside the settings
file, so a timer's `--once` runs keep the cool-down too.

With STACK_NAME set, the Swarm stack's replicas (ops/deploy), from the swarm manager.
"""
import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import scaling  # beside this file
from deployment import load_status, read_settings, settings_path, streamlit_replicas

from portal_probe.advice import Thresholds, advise_streamlit, streamlit_need  # noqa: E402
import envsettings  # noqa: E402


@dataclass(frozen=True)
class Bounds:
    minimum: int = envsettings.default("STREAMLIT_MIN_REPLICAS")
    maximum: int = envsettings.default("STREAMLIT_MAX_REPLICAS")
    cooldown_seconds: float = envsettings.default("AUTOSCALE_COOLDOWN_SECONDS")

    @classmethod
    def from_settings(cls, settings):
        bounds = cls(
            minimum=envsettings.read("STREAMLIT_MIN_REPLICAS", settings),
            maximum=envsettings.read("STREAMLIT_MAX_REPLICAS", settings),
            cooldown_seconds=envsettings.read("AUTOSCALE_COOLDOWN_SECONDS", settings),
        )
        if bounds.minimum > bounds.maximum:
            raise ValueError(f"STREAMLIT_MIN_REPLICAS {bounds.minimum} is above STREAMLIT_MAX_REPLICAS {bounds.maximum}")
        return bounds


@dataclass(frozen=True)
class State:
    changed_at: float | None = None  # when this autoscaler last changed the replica count
    low_since: float | None = None  # since when fewer replicas would have done


@dataclass(frozen=True)
class Decision:
    before: int
    after: int
    reason: str
    state: State

    def line(self, now):
        moment = datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        return f"{moment} streamlit {self.before}→{self.after}: {self.reason}"


def figures(need):
    """The figures that decided, with their marks."""
    marks = need.thresholds
    memory = ("no memory limit" if need.busiest_memory_percent is None else
              f"{need.busiest_memory_percent:.0f} % memory (mark {marks.mem_warn_percent:g} %)")
    sessions = f"{need.sessions} session" + ("" if need.sessions == 1 else "s")
    return (f"{sessions} ({marks.sessions_per_replica} a replica), busiest replica at "
            f"{need.busiest_cpu_percent:.0f} % CPU (mark {marks.cpu_warn_percent:g} %), {memory}: "
            f"the load needs {need.needed}")


def decide(running, reporting, thresholds, bounds, state, now):
    """What to do with `running` replicas, from the fresh snapshots of those `reporting`."""
    def hold(reason, low_since=None):
        return Decision(running, running, f"hold: {reason}", replace(state, low_since=low_since))

    def change(after, reason):
        return Decision(running, after, reason, State(changed_at=now, low_since=None))

    cooling = state.changed_at is not None and now - state.changed_at < bounds.cooldown_seconds
    cooldown_left = f"cool-down, {bounds.cooldown_seconds - (now - state.changed_at):.0f}s left" if cooling else ""
    if running < bounds.minimum and not cooling:
        return change(bounds.minimum, f"up: below STREAMLIT_MIN_REPLICAS {bounds.minimum}")
    if running > bounds.maximum and not cooling:
        return change(running - 1, f"down: above STREAMLIT_MAX_REPLICAS {bounds.maximum}")
    if len(reporting) != running:
        return hold(f"{len(reporting)} of {running} replicas have a fresh snapshot; waiting for every one", state.low_since)
    need = streamlit_need(reporting, thresholds)
    advice = advise_streamlit("streamlit", reporting, thresholds)
    said = figures(need)
    if advice.scale_to and advice.scale_to > running:
        wanted = min(advice.scale_to, bounds.maximum)
        if wanted <= running:
            return hold(f"{said}; held at STREAMLIT_MAX_REPLICAS {bounds.maximum}")
        if cooling:
            return hold(f"{said}; {cooldown_left}")
        return change(wanted, f"up: {said}")
    if advice.warnings:
        return hold(f"{said}; not fewer while a replica warns: {advice.warnings[0]}")
    if need.needed < running and running > bounds.minimum and not advice.actions:
        low_since = state.low_since if state.low_since is not None else now
        low_for = now - low_since
        if low_for < bounds.cooldown_seconds:
            return hold(f"{said}; low for {low_for:.0f}s of {bounds.cooldown_seconds:g}s", low_since)
        if cooling:
            return hold(f"{said}; {cooldown_left}", low_since)
        return change(running - 1, f"down: {said}, for {low_for:.0f}s")
    if advice.actions and not advice.scale_to:
        return hold(f"{said}; more replicas would not help: {advice.actions[0]}")
    return hold(f"{said}; enough")


def state_path():
    return Path(f"{settings_path()}.autoscale")


def read_state(path):
    try:
        return State(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return State()


def write_state(path, state):
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(temporary, path)


def one_round(settings):
    """Read the figures, decide, act; prints the decision's line."""
    bounds = Bounds.from_settings(settings)
    thresholds = Thresholds.from_env({**settings, **os.environ})
    running = streamlit_replicas()
    try:
        fresh = load_status()["snapshots"]
    except (RuntimeError, ValueError, KeyError) as error:
        sys.exit(f"error: {error}")
    reporting = [snapshot for snapshot in fresh.get("streamlit", []) if snapshot.get("container") in running]
    path = state_path()
    now = time.time()
    decision = decide(len(running), reporting, thresholds, bounds, read_state(path), now)
    print(decision.line(now), flush=True)
    if decision.after != decision.before:
        scaling.scale(decision.after, settings)
        decision = replace(decision, state=replace(decision.state, changed_at=time.time()))
    write_state(path, decision.state)


def main(argv):
    if argv not in ([], ["--once"]):
        sys.exit("usage: ops/autoscale [--once]")
    stop = threading.Event()
    # A service manager's stop ends the loop between rounds; a drain under way is finished.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        settings = read_settings(settings_path())
        try:
            one_round(settings)
        except (scaling.ScaleError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            if argv:
                sys.exit(1)
        if argv or stop.wait(envsettings.read("PROBE_INTERVAL", settings)):
            return


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        pass
