"""The order of a bench run. ops/bench creates the project's settings file and removes the
project afterwards; this brings it up (timed), runs every scenario and renders the report.

    python -m portal_bench --url URL --workdir DIR [--smoke] [--write DOCS_DIR] [--results FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from portal_bench import (analytics, autoscaling, document, fairness, gate, load, machine, portal, routing, sessions,
                          startup, uploads)
from portal_bench.plan import FULL, SMOKE
from portal_bench.project import BenchProject, say

# Settings whose values the report's conclusions refer to.
QUOTED_SETTINGS = ("STREAMLIT_SESSIONS_PER_REPLICA", "PROBE_MEM_WARN", "PROBE_MEM_FAIL",
                   "STREAMLIT_COMPUTATIONS_PER_PARTNER")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ops/bench")
    parser.add_argument("--url", required=True, help="the project's published URL (logging in goes through it)")
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--write", type=Path, help="the docs folder to write benchmarks.md and its charts into")
    parser.add_argument("--results", type=Path, help="also keep the raw results (JSON) here")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    project = BenchProject(os.environ["COMPOSE_PROJECT_NAME"], os.environ["PORTAL_ENV_FILE"], args.url, args.workdir)
    started = time.monotonic()
    try:
        results = measure(project, plan)
    finally:
        project.remove_one_offs()
    results["seconds"] = time.monotonic() - started
    if args.results:
        args.results.write_text(json.dumps(results, indent=1, sort_keys=True))
    if args.write:
        from portal_bench import plots

        folder = args.write / "benchmarks"
        for stale in folder.glob("*.png"):
            stale.unlink()
        drawn = plots.render(results, folder)
        (folder / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        text = document.render(results, [(title, f"benchmarks/{name}") for title, name in drawn])
        (args.write / "benchmarks.md").write_text(text)
        say(f"wrote {args.write / 'benchmarks.md'} and its charts in {folder}")
    else:
        print(document.render(results))
    return 0


def measure(project: BenchProject, plan) -> dict:
    results = {"plan": plan.name, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d")}
    say(f"{plan.name} run; bringing the bench project up (timed: ops/up with the images built)")
    results["startup"] = startup.run(project)
    results["machine"] = machine.describe(project)
    results["settings"] = {name: project.stack.setting(name) for name in QUOTED_SETTINGS}

    say(f"a partner, its login and a generated dataset of {plan.session_rows:,} rows")
    project.create_partner(plan.session_rows)
    say("Django's own server (runserver) beside Gunicorn, from the same image")
    runserver_url, results["machine"]["limits"]["runserver"] = portal.start_runserver(project)
    urls = portal.targets(project, runserver_url)
    steps = portal.steps(project, urls, plan) + gate.steps(project, plan)
    for step in {(s["series"], s["page"]): s for s in steps}.values():
        portal.check(step)
    say(f"HTTP load: {len(steps)} steps of {plan.http_seconds:g} s (portal pages, static ceiling, gate)")
    measured = load.run_steps(steps, project.workdir)
    results["http"] = [{"series": s["series"], "page": s["page"], **measured[s["key"]]} for s in steps]
    project.remove_one_offs()

    say(f"Streamlit sessions on one replica, the app's Explore and the plain page in turns: "
        f"{', '.join(map(str, plan.session_levels))}")
    results["sessions"] = sessions.run(project, plan)
    say(f"fair shares: {plan.fairness_sessions} tabs of one partner, alone and beside "
        f"{plan.fairness_heavy_sessions} heavy tabs of another, on one replica")
    results["fairness"] = fairness.run(project, plan)
    say(f"analytics at {plan.analytics_rows:,} rows")
    results["analytics"] = analytics.run(project, plan)
    say(f"routing {plan.routing_clients:,} client addresses: {', '.join(plan.routing_modes)}")
    results["routing"] = routing.run(project, plan)
    say(f"uploads of {plan.upload_rows:,} rows: an Excel workbook and a Korean-formatted CP949 CSV")
    results["uploads"] = uploads.run(project, plan)
    say(f"autoscaling: a step of {plan.autoscale_sessions} sessions, ops/autoscale out and back in "
        f"({plan.autoscale_cooldown} s cool-down)")
    results["autoscaling"] = autoscaling.run(project, plan)
    return results
