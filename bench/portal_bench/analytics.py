"""The analytics benchmark: the analytics figures at a million rows, measured by analytics_timing.py run inside a
streamlit replica of the project, so they are taken with the replica's image, Python and CPU and
memory limits. The script goes in on standard input: the image carries only the product."""
from __future__ import annotations

import json
from pathlib import Path

from portal_bench.project import BenchProject

SCRIPT = Path(__file__).with_name("analytics_timing.py")
STEPS = ("imports", "first_load", "filter_change", "group_by", "comparison")


def run(project: BenchProject, plan) -> dict:
    out = project.compose("exec", "-T", "--index", "1", "streamlit", "python3", "-",
                          "--rows", str(plan.analytics_rows), "--repeat", str(plan.analytics_repeat),
                          input=SCRIPT.read_text(encoding="utf-8"), timeout=900)
    result = json.loads(out)
    missing = [step for step in STEPS if step not in result.get("ms", {})]
    if missing:
        raise RuntimeError(f"{SCRIPT.name} reported no {', '.join(missing)}: its output changed")
    return result
