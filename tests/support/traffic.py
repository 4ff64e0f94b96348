"""Steady, bounded traffic through nginx while a fault happens, every request counted.

A few threads, each with its own keep-alive connection and the cookies of a logged-in partner,
GET their paths in turn at a fixed pace until stopped, or until the time or request bound is
reached. Each request is kept as an Outcome: when it started and ended, and what came back.
A request is ok when it got the status expected for it (200 unless told otherwise, redirects not
followed: a logged-out partner's redirect to the login page is a failure).
"""
import threading
import time
from collections import Counter
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Outcome:
    path: str
    started: float  # time.monotonic()
    finished: float
    status: int  # 0 when no answer came
    error: str  # why it failed; "" when ok

    @property
    def ok(self):
        return not self.error


class Traffic:
    def __init__(self, base_url, paths, cookies=None, threads=4, rate=20.0, max_seconds=180, max_requests=20000,
                 timeout=10, expect=200):
        """paths: GET in turn by every thread. rate: requests per second, all threads together."""
        self.base_url = base_url.rstrip("/")
        self.paths = list(paths)
        self.cookies = dict(cookies or {})
        self.threads = threads
        self.interval = threads / rate
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.timeout = timeout
        self.expect = expect
        self._outcomes = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers = []
        self.started = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.started = time.monotonic()
        for index in range(self.threads):
            worker = threading.Thread(target=self._run, args=(index,), daemon=True, name=f"traffic-{index}")
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self):
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout + 5)
        return self

    def _take_slot(self):
        with self._lock:
            return len(self._outcomes) < self.max_requests

    def _run(self, index):
        # Threads start spread over one interval, so the requests arrive evenly.
        next_at = self.started + self.interval * index / self.threads
        deadline = self.started + self.max_seconds
        turn = index
        with requests.Session() as session:
            session.cookies.update(self.cookies)
            while not self._stop.wait(max(0.0, next_at - time.monotonic())):
                if time.monotonic() > deadline or not self._take_slot():
                    return
                path = self.paths[turn % len(self.paths)]
                turn += 1
                self._record(self._get(session, path))
                # The pace stays steady; a slow answer is not made up for with a burst.
                next_at = max(next_at + self.interval, time.monotonic())

    def _get(self, session, path):
        started = time.monotonic()
        try:
            response = session.get(self.base_url + path, allow_redirects=False, timeout=self.timeout)
            response.content  # noqa: B018 - read the whole body: a reset mid-body is a failure too
        except requests.RequestException as error:
            return Outcome(path, started, time.monotonic(), 0, type(error).__name__)
        error = "" if response.status_code == self.expect else f"HTTP {response.status_code}"
        return Outcome(path, started, time.monotonic(), response.status_code, error)

    def _record(self, outcome):
        with self._lock:
            self._outcomes.append(outcome)

    @property
    def outcomes(self):
        with self._lock:
            return sorted(self._outcomes, key=lambda outcome: outcome.started)

    @property
    def sent(self):
        return len(self.outcomes)

    def failures(self, since=None, until=None):
        return [o for o in self.outcomes if not o.ok and (since is None or o.started >= since)
                and (until is None or o.started < until)]

    def ok_streak_from(self, since, streak=5):
        """The start of the first run of `streak` ok requests in a row started after `since`."""
        run = []
        for outcome in self.outcomes:
            if outcome.started < since:
                continue
            run = run + [outcome] if outcome.ok else []
            if len(run) == streak:
                return run[0].started
        return None

    def recovered_at(self, since, streak=10):
        """When traffic came back after `since`: the start of the first run of `streak` ok requests
        in a row that no failure follows. None while it has not."""
        after = [o for o in self.outcomes if o.started >= since]
        if len(after) < streak or not all(o.ok for o in after[-streak:]):
            return None
        last_failure = max((i for i, o in enumerate(after) if not o.ok), default=-1)
        return after[last_failure + 1].started

    def summary(self):
        outcomes = self.outcomes
        failed = [o for o in outcomes if not o.ok]
        reasons = ", ".join(f"{reason}: {n}" for reason, n in Counter(o.error for o in failed).most_common())
        return f"{len(outcomes)} requests sent, {len(failed)} failed" + (f" ({reasons})" if reasons else "")
