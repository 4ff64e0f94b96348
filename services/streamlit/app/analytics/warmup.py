"""Heavy imports and first-use costs, paid when the process starts instead of on a partner's
first page.

Importing this module imports polars, pyarrow, pandas, altair and every analytics module.
warm() then runs each path once on a tiny frame (a Parquet round trip, a profile, a group-by, a
chart validated against the Vega-Lite schema, a CSV), which loads what those libraries only load
on first use. analytics.serve calls it before the server starts.
"""
from __future__ import annotations

import datetime as dt
import io

import altair  # noqa: F401
import pandas  # noqa: F401  (Streamlit converts frames through it when it sends them)
import polars as pl
import pyarrow.parquet  # noqa: F401

from analytics import (  # noqa: F401  (ui is imported only to be loaded)
    aggregate,
    charts,
    compare,
    datasets,
    export,
    filters,
    profile,
    ui,
)


def warm() -> None:
    sample = pl.DataFrame(
        {
            "day": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
            "region": ["north", "south", "north"],
            "amount": [1.5, 2.5, float("nan")],
        }
    )
    buffer = io.BytesIO()
    sample.write_parquet(buffer)
    buffer.seek(0)
    frame = datasets.normalise(pl.read_parquet(buffer))
    profile.build(frame)
    lazy = filters.apply(frame.lazy(), [filters.OneOf("region", ("north", "south"))])
    bars = aggregate.by_category(lazy, "region", "sum", "amount")
    charts.bars(bars.frame, "region", "amount").to_dict()
    series = aggregate.over_time(lazy, "day", "month", "mean", "amount")
    charts.line(series, "day", "amount", None).to_dict()
    north = compare.Side("north", lazy.filter(pl.col("region") == "north"))
    south = compare.Side("south", lazy.filter(pl.col("region") == "south"))
    compare.compare(north, south, "sum", "amount", compare.Alignment("day", "month")).sentence()
    export.to_csv(lazy)
