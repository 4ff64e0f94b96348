"""The portal's internal API: which partner this is and which datasets it has."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import requests

from analytics import settings
from analytics.i18n import _

log = logging.getLogger(__name__)

# Django is on the same internal network: an answer takes milliseconds, and a page should not
# hang for long when it does not come.
TIMEOUT_SECONDS = 3.0
# Every rerun of every page asks for the catalog; a few seconds of caching keeps reruns cheap
# while a new upload still shows up almost at once.
CACHE_SECONDS = 5
# A signed-out tab must stop at once: its session's state is kept for a moment only.
SESSION_CACHE_SECONDS = 2

# What the portal says of the session behind a tab (accounts/api.py in the portal).
ACTIVE = "active"
SESSION_STATES = (ACTIVE, "signed_out", "no_partner", "partner_inactive")


class PortalError(Exception):
    """The catalog could not be had; the message is meant for the partner."""


class PortalUnavailable(PortalError):
    pass


class UnknownPartner(PortalError):
    pass


@dataclass(frozen=True)
class SessionState:
    state: str
    partner: str = ""
    reason: str = ""
    # The language the portal decided for this user; "" from a portal that does not say.
    language: str = ""


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset in the partner's catalog. The catalog's columns are left out: the analytics take
    each column's name and type from the file's stored schema, which those columns describe."""

    id: str
    name: str
    description: str
    path: str
    rows: int | None
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

    def names(self) -> set[str]:
        return {d.name for d in self.datasets}


def _headers(config: settings.Settings) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {config.internal_api_token}",
        # Part of the internal API's contract: Django accepts these calls under this host name,
        # whatever name the service has on the Compose network.
        "Host": "localhost",
        "Accept": "application/json",
    }


def _get(path: str, config: settings.Settings, logged_as: str | None = None) -> requests.Response:
    """GET a path of the internal API; raises PortalError with a message for the partner.
    `logged_as`: the path as the log may show it (a session's ticket stays out of logs)."""
    url = f"{config.portal_internal_url}{path}"
    shown = f"{config.portal_internal_url}{logged_as or path}"
    try:
        response = requests.get(url, headers=_headers(config), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        log.warning("internal API unreachable at %s: %s", shown, error)
        raise PortalUnavailable(
            _("The portal could not be reached just now, so your datasets cannot be listed. "
            "Please try again in a moment.")
        ) from error
    if response.status_code != 200:
        log.warning("internal API answered %s for %s", response.status_code, shown)
    if response.status_code in (401, 403):
        raise PortalError(
            _("The portal refused the analytics service's request (check INTERNAL_API_TOKEN).")
        )
    return response


def _json(response: requests.Response) -> dict:
    if response.status_code != 200:
        raise PortalUnavailable(
            _("The portal answered with an error ({status}). Please try again in a moment.").format(
                status=response.status_code
            )
        )
    try:
        return response.json()
    except ValueError as error:
        log.warning("internal API answer not understood: %r", error)
        raise PortalError(_("The portal's answer could not be understood.")) from error


def fetch_catalog(slug: str, config: settings.Settings) -> Catalog:
    """Ask the portal for a partner's datasets. Raises PortalError with a readable message."""
    response = _get(f"/internal/partners/{quote(slug, safe='')}/datasets", config)
    if response.status_code == 404:
        raise UnknownPartner(_("The portal does not know the partner {slug!r}.").format(slug=slug))
    try:
        return parse_catalog(_json(response))
    except (KeyError, TypeError) as error:
        log.warning("internal API answer not understood for %s: %r", response.url, error)
        raise PortalError(_("The portal's answer could not be understood.")) from error


def fetch_dataset_file(slug: str, version: str, target: Path, config: settings.Settings) -> None:
    """Copy the partner's dataset file of this version (its sha256) from the portal's internal
    API to `target`: this replica's own copy, whatever node it runs on. Written beside it under
    a temporary name and put in place only whole and with that very checksum; a file longer
    than a dataset may be in memory is cut off. Raises OSError or a requests error (for the
    log: the partner reads that the file is missing)."""
    url = f"{config.portal_internal_url}/internal/partners/{quote(slug, safe='')}/datasets/{quote(version, safe='')}"
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out, requests.get(
            url, headers={**_headers(config), "Accept": "*/*"}, timeout=TIMEOUT_SECONDS, stream=True
        ) as response:
            if response.status_code != 200:
                raise OSError(f"the portal answered {response.status_code} for {url}")
            for chunk in response.iter_content(chunk_size=1 << 20):
                size += len(chunk)
                if size > config.dataset_limits.memory_bytes:
                    raise OSError(f"{url} is longer than {config.dataset_limits.memory_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != version:
            raise OSError(f"{url} does not have the checksum of its version")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch_session(
    ticket: str, config: settings.Settings, activity: bool, accept_language: str = ""
) -> SessionState:
    """Ask the portal whether the sign-in behind a tab still holds. `activity`: the partner did
    something, which keeps the portal session from idling out. `accept_language`: the tab's
    browser's, which the portal weighs when the user saved no language."""
    params = {"activity": "1"} if activity else {}
    if accept_language:
        params["accept_language"] = accept_language
    query = f"?{urlencode(params)}" if params else ""
    path = f"/internal/sessions/{quote(ticket, safe='')}{query}"
    payload = _json(_get(path, config, logged_as=f"/internal/sessions/…{query}"))
    state = payload.get("state") if isinstance(payload, dict) else None
    if state not in SESSION_STATES:
        log.warning("internal API session answer not understood: %r", payload)
        raise PortalError(_("The portal's answer could not be understood."))
    language = payload.get("language")
    return SessionState(
        state,
        str(payload.get("partner") or ""),
        str(payload.get("reason") or ""),
        language if language in settings.LANGUAGES else "",
    )


def save_language(ticket: str, language: str, config: settings.Settings) -> None:
    """Save the user's choice of language on the account, for the portal and the analytics
    alike. Raises PortalError with a message for the partner."""
    url = f"{config.portal_internal_url}/internal/sessions/{quote(ticket, safe='')}/language"
    try:
        response = requests.post(url, json={"language": language}, headers=_headers(config), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        log.warning("internal API unreachable for a language choice: %s", error)
        raise PortalUnavailable(_("The portal could not be reached just now. Please try again in a moment.")) from error
    if response.status_code != 200:
        log.warning("internal API answered %s to a language choice", response.status_code)
        raise PortalError(_("The language could not be saved just now. Please try again in a moment."))
    _sessions.drop(ticket)


def record_event(ticket: str, event: dict[str, str], config: settings.Settings) -> bool:
    """Hand the portal's audit trail an event of the session's user (a dataset opened, an
    export made); whether the portal recorded it. Its failures are logged, never shown: the
    partner's work goes on."""
    url = f"{config.portal_internal_url}/internal/sessions/{quote(ticket, safe='')}/events"
    try:
        response = requests.post(url, json=event, headers=_headers(config), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        log.warning("internal API unreachable for an audit event: %s", error)
        return False
    if response.status_code != 200:
        log.warning("internal API answered %s to an audit event", response.status_code)
        return False
    return True


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
        size_bytes=_optional_int(item.get("size_bytes")),
        version=str(item["version"]),
        uploaded_by=str(item.get("uploaded_by") or ""),
        uploaded_at=str(item.get("uploaded_at") or ""),
    )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)


class _Recent:
    """Answers kept for a few seconds per key, shared by every session of the replica: immutable,
    so no copy per rerun as st.cache_data would make, and no Streamlit runtime needed (the
    launcher imports this module before the server starts). Errors are not kept, so an
    unreachable portal is asked again on the next rerun."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._kept: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, fetch):
        now = _clock()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        fresh = fetch()
        with self._lock:
            for stale in [k for k, (at, _) in self._kept.items() if now - at >= self.seconds]:
                del self._kept[stale]
            self._kept[key] = (now, fresh)
        return fresh

    def drop(self, key: str) -> None:
        with self._lock:
            self._kept.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


_catalogs = _Recent(CACHE_SECONDS)
_sessions = _Recent(SESSION_CACHE_SECONDS)
_clock = time.monotonic


def catalog(slug: str) -> Catalog:
    """The partner's catalog, kept for CACHE_SECONDS per partner."""
    return _catalogs.get(slug, lambda: fetch_catalog(slug, settings.get()))


def session(ticket: str, activity: bool = False, accept_language: str = "") -> SessionState:
    """The state of the portal session behind a tab, kept for SESSION_CACHE_SECONDS."""
    return _sessions.get(ticket, lambda: fetch_session(ticket, settings.get(), activity, accept_language))


def language(ticket: str, chosen: str) -> None:
    """Save the language a partner picked; the next answer on the session names it."""
    save_language(ticket, chosen, settings.get())


def forget_catalog(slug: str) -> None:
    """Drop the kept catalog of one partner: the next ask fetches it."""
    _catalogs.drop(slug)


def forget() -> None:
    """Drop every kept answer."""
    _catalogs.clear()
    _sessions.clear()
