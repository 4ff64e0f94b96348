"""Helpers for the analytics tests: fixture datasets, catalog answers, and reading what a page
drew."""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import polars as pl
import pyarrow as pa
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[3] / "services" / "streamlit" / "app" / "streamlit_app.py"
LOCALE = APP.parent / "locale"
PARTNER = "acme"
USER = "ann"
# The ticket nginx passes for the tab's portal session: an HMAC, 64 hex digits.
TICKET = "a1" * 32
# The internal API token compose passes (at least 32 characters, as the schema wants).
TOKEN = "analytics-unit-tests-internal-token"


def compile_catalogs(into: Path) -> Path:
    """Every locale/<lang>/LC_MESSAGES/analytics.po compiled to .mo under `into`, as the image
    build compiles them; returns the new locale folder."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        target = into / po.relative_to(LOCALE).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, target.open("wb") as out:
            write_mo(out, read_po(source))
    return into


def sales_frame() -> pl.DataFrame:
    """60 rows from January to March 2024 in three regions, one price missing, and text cells a
    spreadsheet would run as formulas."""
    rows = []
    for i in range(60):
        rows.append(
            {
                "day": dt.date(2024, 1, 1) + dt.timedelta(days=i * 3 // 2),
                "region": ("north", "south", "east")[i % 3],
                "units": i % 7 + 1,
                "price": None if i == 5 else float(10 + i % 4),
                "note": ("=1+1", "+cmd", "-x", "@SUM(A1)", "plain")[i % 5],
            }
        )
    return pl.DataFrame(rows)


def write(root: Path, relative: str, frame: pl.DataFrame) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def dataset_entry(dataset_id: str, name: str, path: str, version: str = "v1") -> dict:
    return {
        "id": dataset_id,
        "name": name,
        "description": f"{name} for tests",
        "path": path,
        "rows": None,
        "columns": [],
        "size_bytes": None,
        "version": version,
        "uploaded_by": USER,
        "uploaded_at": "2024-04-01T10:00:00Z",
    }


def catalog_payload(datasets: list[dict], slug: str = PARTNER, active: bool = True) -> dict:
    return {"partner": {"slug": slug, "name": "Acme Ltd", "active": active}, "datasets": datasets}


def charts(at: AppTest) -> list[tuple[dict, pl.DataFrame]]:
    """Each chart on the page: its Vega-Lite spec and the data sent with it."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        table = pa.ipc.open_stream(io.BytesIO(element.proto.datasets[0].data.data)).read_all()
        found.append((spec, pl.from_arrow(table)))
    return found


def texts(elements) -> list[str]:
    return [element.value for element in elements]
