"""Time the work behind the pages on a generated dataset: plain Python, no Streamlit session.

Runs where the app's `analytics` package is importable: the analytics benchmark feeds it to a streamlit
replica (`python3 - [--rows 1000000] [--dir DIR] [--repeat 5] < analytics_timing.py`, in /srv/app),
and prints one JSON object: the machine, the dataset, and milliseconds for
- imports: what analytics.warmup takes in a fresh process (paid at process start, not per page);
- first_load: reading and profiling the Parquet file, once per dataset version and replica;
- filter_change: what a rerun of Explore computes after a filter changes (row count and the
  default line over time);
- group_by: a bar chart's aggregation (mean per category) over all rows;
- comparison: two segments side by side per month, with totals and the sentence;
- cache_data_copy: what st.cache_data would add to every rerun of every session, since it hands
  each caller an unpickled copy (copy_bytes is that copy's size); st.cache_resource, which the
  app uses, hands out the one shared frame instead;
- a rerun of Explore's default chart (the monthly sum of units) by part, the app's way and the
  plain page's (plain_explore.py: pandas under st.cache_data): rerun_data_* is the data
  (the plain page: its cached frame's copy and the group-by; the app: the aggregate computed,
  and found among the shared results), rerun_chart_* the chart turned into what Streamlit sends
  (the Altair chart built, converted and marshalled; the app's shared spec marshalled). The
  rest of a rerun, the script and the server, is the sessions benchmark's CPU per rerun less
  these.
The repeated steps report the median and the fastest of --repeat runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

REGIONS = ("north", "south", "east", "west", "central")
CHANNELS = ("web", "shop", "partner")
PRODUCTS = tuple(f"product-{i:02d}" for i in range(40))
START = dt.date(2022, 1, 1)
DAYS = 3 * 365


def generate(rows: int, path: Path, seed: int = 0) -> Path:
    """A sales-like dataset: a date over three years, three category columns, numbers with
    some values missing. The other scenarios upload it from the host, where the app is not
    importable: only numpy and polars here."""
    rng = np.random.default_rng(seed)
    units = rng.poisson(3.0, rows)
    price = np.round(rng.gamma(2.0, 20.0, rows), 2)
    discount = np.where(rng.random(rows) < 0.1, np.nan, np.round(rng.random(rows) * 0.3, 3))
    frame = pl.DataFrame(
        {
            "date": np.datetime64(START) + rng.integers(0, DAYS, rows).astype("timedelta64[D]"),
            "region": pl.Series(REGIONS).gather(rng.integers(0, len(REGIONS), rows)),
            "channel": pl.Series(CHANNELS).gather(rng.integers(0, len(CHANNELS), rows)),
            "product": pl.Series(PRODUCTS).gather(rng.integers(0, len(PRODUCTS), rows)),
            "units": units,
            "price": price,
            "revenue": np.round(units * price, 2),
            "discount": discount,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _timed(step: Callable[[], object], repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        runs.append(time.perf_counter() - started)
    return {"median": _ms(statistics.median(runs)), "min": _ms(min(runs))}


def _import_ms() -> float:
    """analytics.warmup in a fresh interpreter: the cost moved to process start."""
    code = (
        "import time; t = time.perf_counter(); from analytics import warmup; warmup.warm(); "
        "print(time.perf_counter() - t)"
    )
    import analytics

    app_dir = str(Path(analytics.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [app_dir, os.environ.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    return _ms(float(out.stdout.strip().splitlines()[-1]))


def _cpus() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def run(rows: int, directory: Path, repeat: int = 5, seed: int = 0) -> dict:
    import altair as alt
    import pandas as pd
    import streamlit as st
    from streamlit.elements import vega_charts

    from analytics import aggregate, charts, compare, computing, datasets, filters, settings

    started = time.perf_counter()
    path = generate(rows, directory / "bench" / "sales.parquet", seed)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    data = datasets.read(path, settings.get().dataset_limits)
    first_load = time.perf_counter() - started
    frame = data.lazy()

    def filter_change() -> None:
        chosen = [
            filters.DateRange("date", dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
            filters.OneOf("region", ("north", "east")),
        ]
        filtered = filters.apply(frame, chosen)
        aggregate.row_count(filtered)
        aggregate.over_time(filtered, "date", "month", "sum", "revenue")

    def group_by() -> None:
        aggregate.by_category(frame, "product", "mean", "price")

    def cache_data_copy() -> None:
        pickle.loads(pickle.dumps(data.frame))

    plain_copy = pickle.dumps(pd.read_parquet(path).assign(date=lambda d: pd.to_datetime(d["date"])))
    plain_points = {}

    def rerun_data_plain() -> None:
        cached = pickle.loads(plain_copy)
        plain_points["frame"] = cached.groupby(pd.Grouper(key="date", freq="MS"))["units"].sum().rename(
            "value").reset_index()

    def rerun_chart_plain() -> None:
        st.altair_chart(alt.Chart(plain_points["frame"]).mark_line(point=True).encode(x="date:T", y="value:Q"))

    span = aggregate.covered(data.profile.column("date").low, data.profile.column("date").high, [], "date")
    line = ("date", "month", "sum", "units", None, span)
    shared = computing.Computations(settings.get().computation_limits)
    series = aggregate.over_time(frame, *line)
    shared.get("bench", line, lambda: series)

    def rerun_data_ours() -> None:
        aggregate.over_time(frame, *line)

    def rerun_data_ours_shared() -> None:
        shared.get("bench", line, lambda: aggregate.over_time(frame, *line))

    def convert():
        return vega_charts._convert_altair_to_vega_lite_spec(charts.line(series, "date", "units", None))

    spec = convert()

    def rerun_chart_ours() -> None:
        st.vega_lite_chart(convert())

    def rerun_chart_ours_shared() -> None:
        st.vega_lite_chart({**{k: v for k, v in spec.items() if k != "datasets"}, "datasets": dict(spec["datasets"])})

    def comparison() -> None:
        sides = [
            compare.Side(region, filters.apply(frame, [filters.OneOf("region", (region,))]))
            for region in ("north", "south")
        ]
        compare.compare(*sides, "sum", "revenue", compare.Alignment("date", "month")).sentence()

    return {
        "rows": data.profile.rows,
        "columns": len(data.profile.columns),
        "file_bytes": path.stat().st_size,
        "memory_bytes": data.frame.estimated_size(),
        "copy_bytes": len(pickle.dumps(data.frame)),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": _cpus(),
            "polars": pl.__version__,
            "polars_threads": pl.thread_pool_size(),
        },
        "ms": {
            "generate": _ms(generated),
            "imports": _import_ms(),
            "first_load": _ms(first_load),
            "filter_change": _timed(filter_change, repeat),
            "group_by": _timed(group_by, repeat),
            "comparison": _timed(comparison, repeat),
            "cache_data_copy": _timed(cache_data_copy, repeat),
            "rerun_data_plain": _timed(rerun_data_plain, repeat),
            "rerun_data_ours": _timed(rerun_data_ours, repeat),
            "rerun_data_ours_shared": _timed(rerun_data_ours_shared, repeat),
            "rerun_chart_plain": _timed(rerun_chart_plain, repeat),
            "rerun_chart_ours": _timed(rerun_chart_ours, repeat),
            "rerun_chart_ours_shared": _timed(rerun_chart_ours_shared, repeat),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="analytics_timing.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--dir", type=Path, help="where to write the dataset (default: a temporary folder, removed after)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.dir is not None:
        result = run(args.rows, args.dir, args.repeat, args.seed)
    else:
        with tempfile.TemporaryDirectory() as directory:
            result = run(args.rows, Path(directory), args.repeat, args.seed)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
