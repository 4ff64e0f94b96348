"""Scenario 7: the analytics figures at a million rows (issue 4), measured by the analytics' own
benchmark (`python3 -m analytics.bench`) inside a streamlit replica of the project, so they are
taken with the replica's image, Python and CPU and memory limits."""
from __future__ import annotations

import json

from bench.project import BenchProject

STEPS = ("imports", "first_load", "filter_change", "group_by", "comparison")


def run(project: BenchProject, plan) -> dict:
    out = project.compose("exec", "-T", "--index", "1", "streamlit", "python3", "-m", "analytics.bench",
                          "--rows", str(plan.analytics_rows), "--repeat", str(plan.analytics_repeat), timeout=900)
    result = json.loads(out)
    missing = [step for step in STEPS if step not in result.get("ms", {})]
    if missing:
        raise RuntimeError(f"analytics.bench reported no {', '.join(missing)}: its output changed")
    return result
