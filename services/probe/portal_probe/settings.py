"""The probe's settings, read from the environment in one place and checked."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SERVICES = ("nginx", "django", "streamlit")


class SettingsError(ValueError):
    """A setting is malformed; the message names the variable."""


def env_number(environ: Mapping[str, str], name: str, default: float, *, integer: bool = False) -> float:
    """Read a positive number from `environ[name]`, or `default` when unset or empty."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise SettingsError(f"{name} must be {kind}, got {text!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be above 0, got {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    timeout_s: float = 3.0
    url_override: str | None = None
    mem_fail_percent: float = 90.0
    gunicorn_workers: int = 4
    interval_s: float = 15.0
    report_dir: Path = Path("/var/lib/portal-probe")
    # Where snapshots go: Django's internal API, with the service token (PROBE_REPORT_URL);
    # without one, into report_dir (Django's own folder, or a probe run by hand).
    report_url: str | None = None
    token: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        return cls(
            timeout_s=env_number(environ, "PROBE_TIMEOUT", cls.timeout_s),
            url_override=environ.get("PROBE_URL", "").strip() or None,
            mem_fail_percent=env_number(environ, "PROBE_MEM_FAIL", cls.mem_fail_percent),
            gunicorn_workers=int(env_number(environ, "GUNICORN_WORKERS", cls.gunicorn_workers, integer=True)),
            interval_s=env_number(environ, "PROBE_INTERVAL", cls.interval_s),
            report_dir=Path(environ.get("PROBE_REPORT_DIR", "").strip() or cls.report_dir),
            report_url=environ.get("PROBE_REPORT_URL", "").strip() or None,
            token=environ.get("INTERNAL_API_TOKEN", "").strip(),
        )
