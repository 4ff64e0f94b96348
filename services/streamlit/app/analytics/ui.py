"""The Streamlit pieces the pages share: the identity gate, the sidebar, loading a dataset with
a clear message instead of a traceback, and the filter panel.

Widgets that a partner sets (filters, chart choices) keep their value across page switches
(persist_state="session"); their keys carry the dataset id and version, so a new upload starts
from fresh bounds.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import streamlit as st

from analytics import datasets, filters, identity, portal_api, profile, settings

PORTAL_URL = "/"
APP_URL = "/app/"
SIGN_IN_URL = "/accounts/login/?next=/app/"
# How often an idle tab asks whether its sign-in still holds, and after how many unanswered
# checks in a row it stops showing data.
SESSION_WATCH_SECONDS = 20
WATCH_FAILURES_SHOWN = 3
_WATCH_MISSES = "session-watch-misses"
DATASET_KEY = "dataset"
_PORTAL_STATE = "portal"
_NONE = "(none)"
SIGNED_OUT = {
    "": "You are signed out of the portal, so the analytics show nothing more. Sign in again to go on.",
    "idle": "You were signed out of the portal after a while without activity, so the analytics "
            "show nothing more. Sign in again to go on.",
    "expired": "Your sign-in to the portal has ended (it lasts a limited time), so the analytics "
               "show nothing more. Sign in again to go on.",
}
PARTNER_CHANGED = (
    "In the portal you now act for another partner, so this tab shows nothing more. "
    "Open the analytics again to see that partner's data."
)
NO_PARTNER = "Your account is no longer linked to a partner, so the analytics show nothing more."
PARTNER_INACTIVE = "Your partner account is not active, so its datasets are not shown."
# CommonMark reads any ASCII punctuation mark after a backslash as that character, nothing more.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class Portal:
    who: identity.Identity
    catalog: portal_api.Catalog


def literal(text: str) -> str:
    """`text` as Streamlit's Markdown (titles, captions, messages, metric labels) shows it, character
    for character. Partners name their datasets, columns and values, and the portal's staff name
    partners: none of that may turn into HTML, a link, an image or formatting."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def kept(key: str) -> dict[str, str]:
    """Widget arguments that keep its value for the whole session, across page switches."""
    return {"key": key, "persist_state": "session"}


def portal_link(text: str = "← Back to the portal") -> None:
    # Same tab: the portal is the app this one lives in, not another site.
    st.markdown(f'<a href="{PORTAL_URL}" target="_self">{text}</a>', unsafe_allow_html=True)


def open_portal() -> Portal:
    """Who is asking and which datasets they have. Anything else shows a message and ends the
    run, so no page below the gate runs without an identity whose sign-in still holds."""
    who = identity.current()
    if who is None:
        st.title("Partner analytics")
        st.warning(
            "Please open the analytics through the partner portal: they show a partner's data "
            "only to someone signed in there."
        )
        portal_link("Go to the portal")
        st.stop()
    _require_sign_in(who)
    try:
        catalog = portal_api.catalog(who.partner)
    except portal_api.PortalError as error:
        _stop_with_error(str(error))
    if not catalog.active:
        _stop_with_error(PARTNER_INACTIVE)
    portal = Portal(who=who, catalog=catalog)
    st.session_state[_PORTAL_STATE] = portal
    return portal


@st.fragment(run_every=SESSION_WATCH_SECONDS)
def watch_session() -> None:
    """Checks, while the tab sits idle, that its sign-in still holds: a signed-out tab is
    emptied within SESSION_WATCH_SECONDS even when nobody touches it. Not activity: an open
    tab alone never keeps a portal session from idling out. A portal that does not answer is
    asked again next time; after WATCH_FAILURES_SHOWN misses in a row the tab reruns, which
    shows why instead of the partner's data."""
    who = identity.current()
    try:
        ended = who is None or _ended(who, portal_api.session(who.ticket, activity=False))
    except (settings.SettingsError, portal_api.PortalError):
        misses = st.session_state.get(_WATCH_MISSES, 0) + 1
        st.session_state[_WATCH_MISSES] = misses
        ended = misses >= WATCH_FAILURES_SHOWN
    else:
        st.session_state[_WATCH_MISSES] = 0
    if ended:
        st.rerun(scope="app")


def still_signed_in(who: identity.Identity) -> bool:
    """Whether the sign-in behind the tab holds, for work a click starts without a rerun (a
    download's file is made when its button is clicked). A portal that does not answer: no."""
    try:
        return _ended(who, portal_api.session(who.ticket, activity=True)) is None
    except (settings.SettingsError, portal_api.PortalError):
        return False


def _ended(who: identity.Identity, session: portal_api.SessionState) -> str | None:
    """What ended the sign-in behind this tab, as a message for the partner; None while it holds."""
    if session.state == portal_api.ACTIVE:
        return None if session.partner == who.partner else PARTNER_CHANGED
    if session.state == "no_partner":
        return NO_PARTNER
    if session.state == "partner_inactive":
        return PARTNER_INACTIVE
    return SIGNED_OUT.get(session.reason, SIGNED_OUT[""])


def _require_sign_in(who: identity.Identity) -> None:
    """Ends the run with why the sign-in behind this tab is over, if it is; a partner's rerun
    counts as activity on the portal session."""
    try:
        ended = _ended(who, portal_api.session(who.ticket, activity=True))
    except settings.SettingsError as error:
        _stop_with_error(f"The analytics service is not configured correctly: {error}")
    except portal_api.PortalError as error:
        _stop_with_error(str(error))
    if ended is None:
        return
    # Nothing of the partner's stays in this tab's memory: filters, choices, the catalog.
    st.session_state.clear()
    # A container of its own: drawn in place of a page's elements, a link would otherwise take
    # over a plain-text element's place and show as text (the browser keeps its settings).
    with st.container(key="signed-out"):
        st.title("Partner analytics")
        st.warning(ended)
        if ended == PARTNER_CHANGED:
            st.markdown(f'<a href="{APP_URL}" target="_self">Open the analytics again</a>', unsafe_allow_html=True)
        else:
            st.markdown(f'<a href="{SIGN_IN_URL}" target="_self">Sign in again</a>', unsafe_allow_html=True)
    st.stop()


def _stop_with_error(message: str) -> None:
    st.title("Partner analytics")
    st.error(message)
    portal_link()
    st.stop()


def sidebar(portal: Portal) -> None:
    with st.sidebar:
        st.subheader(literal(portal.catalog.name))
        st.caption(f"Signed in as {literal(portal.who.user)}")
        portal_link()
        if portal.catalog.datasets:
            names = {d.id: d.name for d in portal.catalog.datasets}
            st.selectbox("Dataset", list(names), format_func=names.get, key=DATASET_KEY)


def current_portal() -> Portal:
    return st.session_state[_PORTAL_STATE]


def selected_dataset() -> portal_api.DatasetInfo:
    """The dataset picked in the sidebar; a partner with none sees how to add one."""
    catalog = current_portal().catalog
    chosen = catalog.dataset(st.session_state.get(DATASET_KEY, ""))
    if chosen is None:
        st.info("You have no datasets yet. Upload one in the portal, then come back here.")
        portal_link("Go to the portal")
        st.stop()
    return chosen


def load(info: portal_api.DatasetInfo) -> datasets.LoadedDataset:
    """The dataset's data, or a message naming the dataset and the end of the run."""
    portal = current_portal()
    config = settings.get()
    try:
        # Shown only when loading takes a moment: a dataset already in the cache returns at once.
        with st.spinner("Loading the dataset…"):
            return datasets.load(
                config.datasets_dir, portal.who.partner, info.path, info.version, config.dataset_limits
            )
    except datasets.DatasetError as error:
        st.error(f"The dataset “{literal(info.name)}” cannot be shown. {error}")
        st.stop()


def dataset_caption(info: portal_api.DatasetInfo, data: datasets.LoadedDataset) -> None:
    parts = [f"{data.profile.rows:,} rows", f"{len(data.profile.columns)} columns"]
    if info.uploaded_at:
        by = f" by {literal(info.uploaded_by)}" if info.uploaded_by else ""
        parts.append(f"uploaded {info.uploaded_at[:10]}{by}")
    st.caption(" · ".join(parts))


def filter_panel(info: portal_api.DatasetInfo, columns: profile.Profile) -> list[filters.Filter]:
    """Date, category and number filters in the sidebar. A range left at its full extent is no
    filter at all (so rows missing that value are kept)."""
    prefix = f"filter:{info.id}:{info.version}"
    chosen: list[filters.Filter] = []
    with st.sidebar.expander("Filters", expanded=True):
        date = _column_choice("Date", columns.ranged(profile.DATE), f"{prefix}:date")
        if date is not None:
            bounds = day(columns.column(date).low), day(columns.column(date).high)
            picked = st.date_input("Between", bounds, *bounds, **kept(f"{prefix}:date:{date}"))
            if len(picked) == 2 and tuple(picked) != bounds:
                chosen.append(filters.DateRange(date, picked[0], picked[1]))

        category = _column_choice("Category", columns.names(profile.CATEGORY), f"{prefix}:category")
        if category is not None:
            values = st.multiselect(
                "Is one of", columns.column(category).values, placeholder="any value",
                **kept(f"{prefix}:category:{category}"),
            )
            if values:
                chosen.append(filters.OneOf(category, tuple(values)))

        number = _column_choice("Number", columns.ranged(profile.NUMBER), f"{prefix}:number")
        if number is not None:
            column = columns.column(number)
            step = None if isinstance(column.low, int) else (column.high - column.low) / 200
            picked = st.slider(
                "Between", column.low, column.high, (column.low, column.high), step=step,
                **kept(f"{prefix}:number:{number}"),
            )
            # A float slider moved back to an end may stop a rounding error short of it: an end
            # within half a step is the end, so the extreme rows are not lost.
            near = (step or 0) / 2
            low = column.low if picked[0] - column.low <= near else picked[0]
            high = column.high if column.high - picked[1] <= near else picked[1]
            if (low, high) != (column.low, column.high):
                chosen.append(filters.Between(number, low, high))
    return chosen


def _column_choice(label: str, names: list[str], key: str) -> str | None:
    if not names:
        return None
    picked = st.selectbox(f"{label} column", [_NONE, *names], **kept(key))
    return None if picked == _NONE else picked


def day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
