"""The uploads benchmark: how long a partner waits for an upload's preview and, after confirming,
for the stored dataset, for a generated Excel workbook and a Korean-formatted CP949 CSV of the
same rows, with the peak memory of the ingest child that reads each. ingest_timing.py measures it
inside a django container of the project (the image's Python, code and limits); one process per
file, so that each peak is that file's own."""
from __future__ import annotations

import json
from pathlib import Path

from portal_bench.project import BenchProject

SCRIPT = Path(__file__).with_name("ingest_timing.py")
KINDS = ("xlsx", "csv")


def run(project: BenchProject, plan) -> dict:
    measured = {}
    for kind in KINDS:
        out = project.compose("exec", "-T", "django", "python3", "-", "--kind", kind, "--rows", str(plan.upload_rows),
                              input=SCRIPT.read_text(encoding="utf-8"), timeout=600)
        measured[kind] = json.loads(out)
        if measured[kind]["rows"] != plan.upload_rows:
            raise RuntimeError(f"{SCRIPT.name} stored {measured[kind]['rows']:,} rows of {plan.upload_rows:,}")
    return {"rows": plan.upload_rows, "files": measured}
