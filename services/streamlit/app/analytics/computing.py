"""The heavy part of a rerun, the aggregations, run once per question and shared, in fair turns.

- Shared results: every session of a replica that asks the same question of the same dataset
  version (same partner, filters, chart choices, language) gets the one result, computed once;
  two sessions asking at the same moment wait for one computation. Results are small (the
  points of a chart) and never change, since a dataset version never does. A key always names
  its partner, and each partner's results are kept apart, so no partner reads or evicts
  another's.
- Fair shares: a partner has at most `per_partner` turns at once on a replica: a page run (see
  `turn`, which streamlit_app.py takes around the page) or a computation holds one, and the
  partner's other sessions wait and their page says so. A replica runs every session's script
  in threads of one process, which share the GIL evenly between runnable threads, and polars
  computes beside them; without a bound, one partner's many busy sessions would take most of
  the replica from everyone else's.
- Lighter partners first: the bound alone leaves a heavy partner one page run at a time, back
  to back, and every other partner's run shares the GIL with it. So a page run makes way (see
  `make_way`, called where a run can pause: at each widget, each shared result and each query)
  while a partner who has used the replica less lately holds a turn: the light partner's rerun
  goes first, the heavy partner's pauses for it. "Lately" is the time each partner held
  turns, halved every USAGE_HALF_LIFE seconds; a run pauses for YIELD_SECONDS at most. A pause
  can only come at such a point, so a run of a partner heavier than one who is about also runs
  at a lower CPU priority from its turn's start to its end (`settle_priority`): on the
  replica's one core the kernel then gives nearly all of it, and so the GIL, to the lighter
  partner's rerun as soon as that wants them. A heavy partner gets what the lighter ones leave
  of the core: beside a few light partners it slows down; beside light partners who keep the
  core busy it waits for them.
- Scripts first: polars' engine threads run at a lower CPU priority than the threads that run
  partners' scripts (lower_engine_priority; a heavier partner's lowered run excepted), so a
  heavy computation takes the CPU the scripts leave rather than half of it. Priorities decide
  between threads on one core, and a replica runs on one (analytics.cores).
- A time limit: a computation that runs longer than `seconds` is stopped and the page says so.
  Its query is cancelled inside polars' engine (LazyFrame.collect(background=True) and
  InProcessQuery.cancel), so the work itself stops, not merely the wait for it; the engine
  stops between the steps of a query (a group-by, a sort), so one long step still runs to its
  end first, and the partner's turn is given back only once it has. A computation of several
  queries starts none after its time is up.
"""
from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from pathlib import Path

import polars as pl

from analytics.i18n import lazy_
from analytics.settings import ComputationLimits

# Results kept per partner (aggregates, and the charts' specs drawn from them). A chart's points
# are at most a few thousand rows (a scatter's sample is the largest, about 120 KB), so a
# partner's share stays within a few MB.
RESULTS_PER_PARTNER = 64
# The threads of polars' engine, by the names it gives them, and the niceness they get: at 10 a
# thread weighs about a tenth of one at 0 when the CPU is short.
ENGINE_THREADS = ("polars-", "async-executor", "tokio-rt")
ENGINE_NICENESS = 10
# A partner's page run first lets the runs of partners who have used the replica less lately
# finish, for at most this long; "lately" halves every USAGE_HALF_LIFE seconds.
YIELD_SECONDS = 1.0
USAGE_HALF_LIFE = 10.0
# The CPU priority of a run whose partner is heavier than one who is about (settle_priority,
# make_way), to the run's end. The GIL alone shares the core evenly between two runnable
# threads; at 19 a thread weighs about 1/70 of one at 0, so the lighter partner's run gets
# nearly all of it. A thread may raise its own niceness but not lower it again, and Streamlit
# runs each rerun in a thread of its own (one that runs a rerun the same session queued
# meanwhile stays lowered for it too).
MAKING_WAY_NICENESS = 19


class TooLong(Exception):
    """A computation passed the time limit and was stopped; the message is for the partner."""


_MISSING = object()
_deadline = threading.local()
# The partner whose turn the running thread holds.
_held = threading.local()


def make_way() -> None:
    """Within a turn, let the runs of partners who used the replica less lately go first (see
    Computations.make_way); a no-op outside one. Called where a page run can pause cheaply."""
    computations = getattr(_held, "computations", None)
    if computations is not None:
        computations.make_way(_held.partner)


def _lower_own_priority() -> None:
    """Run the calling thread at MAKING_WAY_NICENESS from now on."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), MAKING_WAY_NICENESS)


def collect(frame: pl.LazyFrame) -> pl.DataFrame:
    """`frame` computed; inside `Computations.get` within the time left, cancelled when it runs out."""
    make_way()
    deadline = getattr(_deadline, "at", None)
    if deadline is None:
        return frame.collect()
    if time.monotonic() >= deadline:
        raise TooLong(_deadline.message)
    query = frame.collect(background=True)
    timer = threading.Timer(max(deadline - time.monotonic(), 0), query.cancel)
    timer.start()
    try:
        result = query.fetch_blocking()
        make_way()
        return result
    except pl.exceptions.ComputeError:
        if time.monotonic() >= deadline:
            raise TooLong(_deadline.message) from None
        raise
    finally:
        timer.cancel()


def lower_engine_priority() -> int:
    """Lower the CPU priority of polars' engine threads in this process (Linux lets a thread
    lower its own process's priorities without privileges); threads they start inherit it.
    Returns how many were lowered. Run once polars has started its threads (analytics.serve
    does, after the warm-up)."""
    lowered = 0
    for task in Path("/proc/self/task").iterdir() if Path("/proc/self/task").is_dir() else ():
        try:
            name = (task / "comm").read_text().strip()
            if name.startswith(ENGINE_THREADS):
                os.setpriority(os.PRIO_PROCESS, int(task.name), ENGINE_NICENESS)
                lowered += 1
        except (OSError, ValueError):  # a thread that ended meanwhile
            continue
    return lowered


class Computations:
    """Results of one replica's computations, shared between its sessions (see the module)."""

    def __init__(self, limits: ComputationLimits, per_partner: int = RESULTS_PER_PARTNER) -> None:
        self.limits = limits
        self._per_partner = per_partner
        self._lock = threading.Lock()
        self._results: dict[str, OrderedDict[Hashable, object]] = {}
        self._running: dict[tuple[str, Hashable], Future] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._turns_changed = threading.Condition(self._lock)
        self._turns_held: dict[str, int] = {}
        self._usage: dict[str, tuple[float, float]] = {}

    def get(self, partner: str, key: Hashable, compute: Callable[[], object],
            waiting: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext) -> object:
        """The result for `key` among the partner's, computed by `compute` if nobody has yet.
        `waiting` is entered while the computation waits for one of the partner's turns (the
        page tells the partner why nothing moves). Raises TooLong."""
        with self._lock:
            found = self._kept(partner, key)
        if found is not _MISSING:
            return found
        # The turn comes before the question is marked as being computed: a session that marked
        # it and then waited for a turn held by another session waiting for that very result
        # would wait for ever.
        with self.turn(partner, waiting):
            with self._lock:
                found = self._kept(partner, key)
                if found is not _MISSING:
                    return found
                running = self._running.get((partner, key))
                computes = running is None
                if computes:
                    running = self._running[(partner, key)] = Future()
            if not computes:
                return running.result()
            try:
                result = self._timed(compute)
            except BaseException as error:
                with self._lock:
                    del self._running[(partner, key)]
                running.set_exception(error)
                raise
        with self._lock:
            del self._running[(partner, key)]
            kept = self._results.setdefault(partner, OrderedDict())
            kept[key] = result
            while len(kept) > self._per_partner:
                kept.popitem(last=False)
        running.set_result(result)
        return result

    def _kept(self, partner: str, key: Hashable) -> object:
        """The partner's kept result for `key`, made the most recently used, or _MISSING; the
        caller holds the lock."""
        kept = self._results.setdefault(partner, OrderedDict())
        if key not in kept:
            return _MISSING
        kept.move_to_end(key)
        return kept[key]

    @contextlib.contextmanager
    def turn(self, partner: str, waiting: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext):
        """One of the partner's turns for the block; `waiting` is entered while none is free. A
        thread that holds a turn already (a computation within a page run) takes no second one."""
        if getattr(_held, "partner", None) == partner:
            yield
            return
        self.settle_priority(partner)
        with self._lock:
            slots = self._slots.setdefault(partner, threading.BoundedSemaphore(self.limits.per_partner))
        acquired = slots.acquire(blocking=False)
        # Leaving the notice can raise (Streamlit stops a run whose partner clicked again or
        # closed the tab): a turn taken by then is given back all the same.
        try:
            if not acquired:
                with waiting():
                    acquired = slots.acquire()
            with self._holding(partner):
                yield
        finally:
            if acquired:
                slots.release()

    @contextlib.contextmanager
    def _holding(self, partner: str):
        """The block as one of the partner's turns: counted as held while it runs, its length
        added to the partner's use of the replica once it ends."""
        with self._lock:
            self._turns_held[partner] = self._turns_held.get(partner, 0) + 1
        _held.partner, _held.computations, _held.yield_left = partner, self, YIELD_SECONDS
        started = time.monotonic()
        try:
            self.make_way(partner)
            yield
        finally:
            _held.partner = _held.computations = None
            with self._lock:
                now = time.monotonic()
                self._turns_held[partner] -= 1
                self._usage[partner] = (self._used(partner, now) + now - started, now)
                self._turns_changed.notify_all()

    def settle_priority(self, partner: str) -> None:
        """Run the calling thread (a run of the partner's, about to take a turn) at
        MAKING_WAY_NICENESS if a partner who has used the replica less lately holds a turn or
        ended one in the last USAGE_HALF_LIFE seconds: the lighter partner's next rerun then
        finds this one yielding the CPU from its first instant, not from this run's next pause."""
        with self._lock:
            lighter_about = self._lighter_running(partner, within=USAGE_HALF_LIFE)
        if lighter_about:
            _lower_own_priority()

    def make_way(self, partner: str) -> None:
        """While a partner who has used the replica less lately holds a turn, wait for at most
        what is left of the running turn's YIELD_SECONDS, and run at MAKING_WAY_NICENESS from
        then on (see the module)."""
        with self._lock:
            if self._lighter_running(partner):
                _lower_own_priority()
            while _held.yield_left > 0 and self._lighter_running(partner):
                started = time.monotonic()
                self._turns_changed.wait(_held.yield_left)
                _held.yield_left -= time.monotonic() - started

    def _lighter_running(self, partner: str, within: float = 0.0) -> bool:
        """Whether a partner who has used the replica less lately (ties: by name, so that two
        partners never wait for each other) holds a turn, or ended one in the last `within`
        seconds; the caller holds the lock."""
        now = time.monotonic()
        mine = (self._used(partner, now), partner)
        return any((held or now - self._usage.get(other, (0.0, -math.inf))[1] < within)
                   and (self._used(other, now), other) < mine
                   for other, held in self._turns_held.items() if other != partner)

    def _used(self, partner: str, now: float) -> float:
        """Seconds of turns the partner held, each weighing half as much every USAGE_HALF_LIFE."""
        seconds, at = self._usage.get(partner, (0.0, now))
        return seconds * 0.5 ** ((now - at) / USAGE_HALF_LIFE)

    def _timed(self, compute: Callable[[], object]) -> object:
        seconds = self.limits.seconds
        _deadline.at = time.monotonic() + seconds
        _deadline.message = lazy_(
            "This analysis took longer than {seconds} seconds, so it was stopped. Narrow the filters "
            "or choose a coarser chart, then try again.", seconds=seconds,
        )
        try:
            return compute()
        finally:
            _deadline.at = None

    def clear(self) -> None:
        with self._lock:
            self._results.clear()
