"""The portal's internal API: which partner this is and which datasets it has."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

import requests

from analytics import settings

log = logging.getLogger(__name__)

# Django is on the same internal network: an answer takes milliseconds, and a page should not
# hang for long when it does not come.
TIMEOUT_SECONDS = 3.0
# Every rerun of every page asks for the catalog; a few seconds of caching keeps reruns cheap
# while a new upload still shows up almost at once.
CACHE_SECONDS = 5


class PortalError(Exception):
    """The catalog could not be had; the message is meant for the partner."""


class PortalUnavailable(PortalError):
    pass


class UnknownPartner(PortalError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    name: str
    description: str
    path: str
    rows: int | None
    columns: tuple[Column, ...]
    size_bytes: int | None
    version: str
    uploaded_by: str
    uploaded_at: str


@dataclass(frozen=True)
class Catalog:
    slug: str
    name: str
    active: bool
    datasets: tuple[DatasetInfo, ...]

    def dataset(self, dataset_id: str) -> DatasetInfo | None:
        return next((d for d in self.datasets if d.id == dataset_id), None)


def fetch_catalog(slug: str, config: settings.Settings) -> Catalog:
    """Ask the portal for a partner's datasets. Raises PortalError with a readable message."""
    url = f"{config.portal_internal_url}/internal/partners/{quote(slug, safe='')}/datasets"
    headers = {
        "Authorization": f"Bearer {config.internal_api_token}",
        # Part of the internal API's contract: Django accepts these calls under this host name,
        # whatever name the service has on the Compose network.
        "Host": "localhost",
        "Accept": "application/json",
    }
    try:
        response = requests.get(url, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        log.warning("internal API unreachable at %s: %s", url, error)
        raise PortalUnavailable(
            "The portal could not be reached just now, so your datasets cannot be listed. "
            "Please try again in a moment."
        ) from error
    if response.status_code != 200:
        log.warning("internal API answered %s for %s", response.status_code, url)
    if response.status_code == 404:
        raise UnknownPartner(f"The portal does not know the partner {slug!r}.")
    if response.status_code in (401, 403):
        raise PortalError(
            "The portal refused the analytics service's request (check INTERNAL_API_TOKEN)."
        )
    if response.status_code != 200:
        raise PortalUnavailable(
            f"The portal answered with an error ({response.status_code}). "
            "Please try again in a moment."
        )
    try:
        return parse_catalog(response.json())
    except (ValueError, KeyError, TypeError) as error:
        log.warning("internal API answer not understood for %s: %r", url, error)
        raise PortalError("The portal's answer could not be understood.") from error


def parse_catalog(payload: dict) -> Catalog:
    partner = payload["partner"]
    return Catalog(
        slug=str(partner["slug"]),
        name=str(partner.get("name") or partner["slug"]),
        active=bool(partner.get("active", True)),
        datasets=tuple(_parse_dataset(item) for item in payload["datasets"]),
    )


def _parse_dataset(item: dict) -> DatasetInfo:
    return DatasetInfo(
        id=str(item["id"]),
        name=str(item.get("name") or item["id"]),
        description=str(item.get("description") or ""),
        path=str(item["path"]),
        rows=_optional_int(item.get("rows")),
        columns=tuple(
            Column(name=str(c["name"]), type=str(c.get("type", "")))
            for c in item.get("columns") or ()
        ),
        size_bytes=_optional_int(item.get("size_bytes")),
        version=str(item["version"]),
        uploaded_by=str(item.get("uploaded_by") or ""),
        uploaded_at=str(item.get("uploaded_at") or ""),
    )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)


# Catalogs are immutable, so every session shares the same object: no copy per rerun as
# st.cache_data would make, and no Streamlit runtime needed (the launcher imports this module
# before the server starts).
_recent: dict[str, tuple[float, Catalog]] = {}
_recent_lock = threading.Lock()
_clock = time.monotonic


def catalog(slug: str) -> Catalog:
    """The partner's catalog, kept for CACHE_SECONDS per partner. Errors are not kept, so an
    unreachable portal is asked again on the next rerun."""
    now = _clock()
    with _recent_lock:
        kept = _recent.get(slug)
    if kept is not None and now - kept[0] < CACHE_SECONDS:
        return kept[1]
    fresh = fetch_catalog(slug, settings.get())
    with _recent_lock:
        for stale in [s for s, (at, _) in _recent.items() if now - at >= CACHE_SECONDS]:
            del _recent[stale]
        _recent[slug] = (now, fresh)
    return fresh


def forget() -> None:
    """Drop every kept catalog."""
    with _recent_lock:
        _recent.clear()
