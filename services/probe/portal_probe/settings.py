"""The probe's settings, read from the environment in one place and checked."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import envsettings
from envsettings import SettingError as SettingsError  # noqa: F401  (the probe's callers catch it)

SERVICES = ("nginx", "django", "streamlit")


@dataclass(frozen=True)
class Settings:
    timeout_s: float = 3.0
    url_override: str | None = None
    mem_fail_percent: float = envsettings.default("PROBE_MEM_FAIL")
    gunicorn_workers: int = envsettings.default("GUNICORN_WORKERS")
    interval_s: float = envsettings.default("PROBE_INTERVAL")
    report_dir: Path = Path("/var/lib/portal-probe")
    # Where snapshots go: Django's internal API, with the service token (PROBE_REPORT_URL);
    # without one, into report_dir (Django's own folder, or a probe run by hand).
    report_url: str | None = None
    token: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        return cls(
            timeout_s=envsettings.read("PROBE_TIMEOUT", environ, default=cls.timeout_s, rule=envsettings.Number()),
            url_override=envsettings.read("PROBE_URL", environ, default="") or None,
            mem_fail_percent=envsettings.read("PROBE_MEM_FAIL", environ),
            gunicorn_workers=envsettings.read("GUNICORN_WORKERS", environ),
            interval_s=envsettings.read("PROBE_INTERVAL", environ),
            report_dir=Path(envsettings.read("PROBE_REPORT_DIR", environ, default=cls.report_dir)),
            report_url=envsettings.read("PROBE_REPORT_URL", environ, default="") or None,
            token=envsettings.read("INTERNAL_API_TOKEN", environ),
        )
