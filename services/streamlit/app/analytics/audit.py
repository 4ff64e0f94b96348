"""What a partner does in the analytics that the portal's audit trail keeps, since only the
replica sees it: each dataset opened (once a tab and dataset version) and each export, with the
address of the partner's browser (X-Real-IP, which nginx sets). The portal records them through
its internal API (portal_api.record_event)."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from analytics import identity, portal_api, settings

_OPENED = "audit_opened"


def opened(who: identity.Identity, info: portal_api.DatasetInfo) -> None:
    """The dataset is shown in this tab; told once a dataset version, not at every rerun."""
    seen = st.session_state.setdefault(_OPENED, set())
    if (info.id, info.version) in seen:
        return
    seen.add((info.id, info.version))
    _send(who, {"action": "dataset_opened", "target": info.name, "address": _address()})


def exported(who: identity.Identity, name: str, form: str, make: Callable[[], bytes]) -> Callable[[], bytes]:
    """`make`, an export's maker that runs when the partner clicks (with no script run around
    it: the address is taken now), recording the export once the file is made."""
    event = {"action": "analytics_export", "target": name, "detail": form, "address": _address()}

    def made() -> bytes:
        data = make()
        _send(who, event)
        return data

    return made


def _address() -> str:
    return identity.request_headers().get("X-Real-IP", "")


def _send(who: identity.Identity, event: dict[str, str]) -> None:
    portal_api.record_event(who.ticket, event, settings.get())
