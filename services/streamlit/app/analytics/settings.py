"""The service's settings, read from the environment in one place, through the schema's reader
(envsettings) that every service shares.

A missing or malformed value raises SettingsError naming the variable; the launcher
(analytics.serve) reads the settings before the server starts, so a bad value stops the
container instead of surfacing on a partner's page.
"""
from __future__ import annotations

import functools
import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import envsettings
from envsettings import SettingError as SettingsError

DEFAULT_PORTAL_INTERNAL_URL = "http://django:8000"
DEFAULT_DATASETS_DIR = "/datasets"
# The languages the analytics speak; the schema's defaults for language and zone.
LANGUAGES = envsettings.LANGUAGES
DEFAULT_LANGUAGE = envsettings.default("PORTAL_LANGUAGE")
DEFAULT_TIME_ZONE = envsettings.default("PORTAL_TIME_ZONE")


@dataclass(frozen=True)
class DatasetLimits:
    """What the loader takes (DATASET_MAX_*, the portal's ingest checks the same variables);
    the defaults are the schema's."""

    columns: int = envsettings.default("DATASET_MAX_COLUMNS")
    rows: int = envsettings.default("DATASET_MAX_ROWS")
    cell_bytes: int = envsettings.default("DATASET_MAX_CELL_BYTES")
    memory_bytes: int = envsettings.default("DATASET_MAX_MEMORY_MB") * 2**20


@dataclass(frozen=True)
class Settings:
    portal_internal_url: str
    internal_api_token: str
    datasets_dir: Path
    dataset_limits: DatasetLimits = field(default_factory=DatasetLimits)
    # The language when neither the portal nor the gate names one.
    language: str = DEFAULT_LANGUAGE
    time_zone: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE))


def load(environ: Mapping[str, str]) -> Settings:
    url = envsettings.read("PORTAL_INTERNAL_URL", environ, default=DEFAULT_PORTAL_INTERNAL_URL)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"PORTAL_INTERNAL_URL must be an http(s) URL such as {DEFAULT_PORTAL_INTERNAL_URL}, "
            f"not {url!r}"
        )
    token = envsettings.read("INTERNAL_API_TOKEN", environ)
    if not token:
        raise SettingsError("INTERNAL_API_TOKEN is not set: the portal's internal API needs it")
    datasets_dir = Path(envsettings.read("DATASETS_DIR", environ, default=DEFAULT_DATASETS_DIR))
    if not datasets_dir.is_absolute():
        raise SettingsError(f"DATASETS_DIR must be an absolute path, not {str(datasets_dir)!r}")
    limits = DatasetLimits(
        columns=envsettings.read("DATASET_MAX_COLUMNS", environ),
        rows=envsettings.read("DATASET_MAX_ROWS", environ),
        cell_bytes=envsettings.read("DATASET_MAX_CELL_BYTES", environ),
        memory_bytes=envsettings.read("DATASET_MAX_MEMORY_MB", environ) * 2**20,
    )
    return Settings(
        portal_internal_url=url.rstrip("/"),
        internal_api_token=token,
        datasets_dir=datasets_dir,
        dataset_limits=limits,
        language=envsettings.read("PORTAL_LANGUAGE", environ),
        time_zone=zoneinfo.ZoneInfo(envsettings.read("PORTAL_TIME_ZONE", environ)),
    )


@functools.cache
def get() -> Settings:
    """The process's settings; read once, since the environment does not change under it."""
    return load(os.environ)
