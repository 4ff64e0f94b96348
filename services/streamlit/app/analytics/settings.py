"""The service's settings, read from the environment in one place and checked.

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

DEFAULT_PORTAL_INTERNAL_URL = "http://django:8000"
DEFAULT_DATASETS_DIR = "/datasets"
# The languages the analytics speak; .env.example's defaults for language and zone.
LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
DEFAULT_TIME_ZONE = "Asia/Seoul"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class DatasetLimits:
    """What the loader takes (DATASET_MAX_*, the portal's ingest checks the same variables);
    the defaults are .env.example's."""

    columns: int = 500
    rows: int = 5_000_000
    cell_bytes: int = 65536
    memory_bytes: int = 128 * 2**20


@dataclass(frozen=True)
class ComputationLimits:
    """A partner's fair share of a replica (analytics.computing): computations one partner runs
    at once, and the seconds one may take before it is stopped; the defaults are .env.example's."""

    per_partner: int = 2
    seconds: int = 30


@dataclass(frozen=True)
class Settings:
    portal_internal_url: str
    internal_api_token: str
    datasets_dir: Path
    dataset_limits: DatasetLimits = field(default_factory=DatasetLimits)
    computation_limits: ComputationLimits = field(default_factory=ComputationLimits)
    # The language when neither the portal nor the gate names one.
    language: str = DEFAULT_LANGUAGE
    time_zone: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE))


def load(environ: Mapping[str, str]) -> Settings:
    url = environ.get("PORTAL_INTERNAL_URL", "").strip() or DEFAULT_PORTAL_INTERNAL_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"PORTAL_INTERNAL_URL must be an http(s) URL such as {DEFAULT_PORTAL_INTERNAL_URL}, "
            f"not {url!r}"
        )
    token = environ.get("INTERNAL_API_TOKEN", "").strip()
    if not token:
        raise SettingsError("INTERNAL_API_TOKEN is not set: the portal's internal API needs it")
    datasets_dir = Path(environ.get("DATASETS_DIR", "").strip() or DEFAULT_DATASETS_DIR)
    if not datasets_dir.is_absolute():
        raise SettingsError(f"DATASETS_DIR must be an absolute path, not {str(datasets_dir)!r}")
    defaults = DatasetLimits()
    limits = DatasetLimits(
        columns=_whole(environ, "DATASET_MAX_COLUMNS", defaults.columns),
        rows=_whole(environ, "DATASET_MAX_ROWS", defaults.rows),
        cell_bytes=_whole(environ, "DATASET_MAX_CELL_BYTES", defaults.cell_bytes),
        memory_bytes=_whole(environ, "DATASET_MAX_MEMORY_MB", defaults.memory_bytes // 2**20) * 2**20,
    )
    computing = ComputationLimits()
    computation_limits = ComputationLimits(
        per_partner=_whole(environ, "STREAMLIT_COMPUTATIONS_PER_PARTNER", computing.per_partner),
        seconds=_whole(environ, "STREAMLIT_COMPUTATION_SECONDS", computing.seconds),
    )
    language = environ.get("PORTAL_LANGUAGE", "").strip() or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        raise SettingsError(f"PORTAL_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {language!r}")
    zone = environ.get("PORTAL_TIME_ZONE", "").strip() or DEFAULT_TIME_ZONE
    try:
        time_zone = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(
            f"PORTAL_TIME_ZONE must be an IANA time zone such as {DEFAULT_TIME_ZONE}, not {zone!r}"
        ) from error
    return Settings(
        portal_internal_url=url.rstrip("/"),
        internal_api_token=token,
        datasets_dir=datasets_dir,
        dataset_limits=limits,
        computation_limits=computation_limits,
        language=language,
        time_zone=time_zone,
    )


def _whole(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


@functools.cache
def get() -> Settings:
    """The process's settings; read once, since the environment does not change under it."""
    return load(os.environ)
