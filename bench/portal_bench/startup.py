"""The start-up benchmark: start-up and image sizes. `ops/up` is timed on a fresh project with the images
already built (a warm machine): migrations, collectstatic, Streamlit's warm-up and every health
check included, until Compose reports every service healthy."""
from __future__ import annotations

import time

from portal_bench.project import BenchProject, engine


def run(project: BenchProject) -> dict:
    started = time.monotonic()
    # The shared base first, as ops/up builds it: the images build FROM it.
    project.compose("build", "-q", "base", "builder", timeout=1800)
    project.compose("build", "-q", timeout=1800)
    built = time.monotonic() - started
    started = time.monotonic()
    project.ops("up")
    up = time.monotonic() - started
    images = {}
    for image in sorted(set(project.compose("config", "--images").split())):
        images[image] = engine(f"/images/{image}/json")["Size"]
    return {"build_seconds": built, "up_seconds": up, "images": images}
