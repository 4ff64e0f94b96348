"""HTTP load with locust, used as a library in a process of its own.

locust patches the whole interpreter for gevent when it is imported, so the steps run in a child
process (`python -m portal_bench.load STEPS OUT`) and the orchestrator stays a plain Python program.
Each step is a closed loop: `users` locust users, each on a connection of its own (kept alive
unless the step's headers say `Connection: close`), sending its next GET as soon as the last one
answered, for `seconds` after a `warmup` that is not counted.
A response other than the expected status counts as an error, and so does a failed connection.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from portal_bench import stats


def run_steps(steps: list[dict], workdir: Path) -> dict[str, dict]:
    """Run the steps one after another in a child process; {step key: summary}.

    A step: {"key", "url" (scheme://host:port), "path", "headers", "users", "seconds",
    "warmup", "expect" (status)}.
    """
    plan_path, out_path = workdir / "load-steps.json", workdir / "load-results.json"
    plan_path.write_text(json.dumps(steps))
    budget = sum(step["seconds"] + step["warmup"] + 10 for step in steps) + 60
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                       os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-m", "portal_bench.load", str(plan_path), str(out_path)], check=True,
                   timeout=budget, env=env)
    return {result["key"]: result for result in json.loads(out_path.read_text())}


def _user_class(step: dict):
    from locust import FastHttpUser, constant, task

    headers = step.get("headers", {})
    expect = step.get("expect", 200)

    class StepUser(FastHttpUser):
        host = step["url"]
        wait_time = constant(0)
        network_timeout = 30.0
        connection_timeout = 10.0

        @task
        def get(self):
            with self.client.get(step["path"], headers=headers, name=step["key"], allow_redirects=False,
                                 catch_response=True) as response:
                if response.status_code != expect:
                    response.failure(f"status {response.status_code}")

    return StepUser


def _run_step(step: dict) -> dict:
    import gevent
    from locust.env import Environment

    latencies: list[float] = []
    errors = [0]
    recording = [False]
    failures: dict[str, int] = {}

    def on_request(response_time, exception, **_):
        if not recording[0]:
            return
        if exception is None:
            latencies.append(response_time)
        else:
            errors[0] += 1
            reason = str(exception)[:120]
            failures[reason] = failures.get(reason, 0) + 1

    env = Environment(user_classes=[_user_class(step)])
    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    runner.start(step["users"], spawn_rate=step["users"] * 10)
    deadline = time.monotonic() + 30
    while runner.user_count < step["users"] and time.monotonic() < deadline:
        gevent.sleep(0.05)
    gevent.sleep(step["warmup"])
    recording[0] = True
    started, cpu_started = time.perf_counter(), time.process_time()
    gevent.sleep(step["seconds"])
    recording[0] = False
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    runner.quit()
    summary = stats.summarize(latencies, errors[0], seconds)
    summary.update(key=step["key"], users=step["users"], seconds=seconds, client_cpu=cpu / seconds,
                   failures=failures)
    return summary


def main(argv: list[str]) -> None:
    # locust warns about high spawn rates; a step spawns all its users at once on purpose.
    logging.getLogger("locust").setLevel(logging.ERROR)
    steps = json.loads(Path(argv[0]).read_text())
    results = []
    for step in steps:
        result = _run_step(step)
        results.append(result)
        p95 = f"{result['p95']:.1f} ms" if result["p95"] is not None else "-"
        print(f"    {step['key']}: {result['rps']:.0f} req/s, p95 {p95}, {result['errors']} errors",
              file=sys.stderr, flush=True)
    Path(argv[1]).write_text(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
