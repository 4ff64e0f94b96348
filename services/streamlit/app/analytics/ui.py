"""The Streamlit pieces the pages share: the identity gate, the sidebar, loading a dataset with
a clear message instead of a traceback, and the filter panel.

Widgets that a partner sets (the dataset, filters, chart and compare choices) keep their value
in the URL's query string, so reload, back, a bookmark and a link sent to a colleague of the same
partner restore the view, and across page switches (persist_state="session"). Their keys carry
the dataset id and version, so a new upload starts from fresh bounds. A value from the URL that
does not fit (another partner's dataset name, a bound outside the data) is dropped: a link
never reaches past the partner's own catalog, which is all the widgets offer.
"""
from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import streamlit as st
from streamlit.elements import vega_charts

from analytics import audit, computing, datasets, filters, formats, i18n, identity, portal_api, profile, settings
from analytics.i18n import N_, _

PORTAL_URL = "/"
APP_URL = "/app/"
SIGN_IN_URL = "/accounts/login/?next=/app/"
# How often an idle tab asks whether its sign-in still holds, and after how many unanswered
# checks in a row it stops showing data.
SESSION_WATCH_SECONDS = 20
WATCH_FAILURES_SHOWN = 3
_WATCH_MISSES = "session-watch-misses"
DATASET_KEY = "dataset"
_LINKED_DATASET = "dataset-in-url"
# The name of a linked dataset the catalog was asked again for (open_portal).
_REFRESHED_FOR = "dataset-in-url-refreshed"
_PORTAL_STATE = "portal"
_NONE = "(none)"
LANGUAGE_HEADER = "X-Portal-Language"
_LANGUAGE_CHOICE = "language-choice"
_LANGUAGE_ERROR = "language-error"
# The keys of the widgets whose values the partner sets (see `kept`).
_KEPT_KEYS = "kept-keys"
# Messages are kept untranslated and translated where shown, in the session's language.
SIGNED_OUT = {
    "": N_("You are signed out of the portal, so the analytics show nothing more. Sign in again to go on."),
    "idle": N_("You were signed out of the portal after a while without activity, so the analytics "
               "show nothing more. Sign in again to go on."),
    "expired": N_("Your sign-in to the portal has ended (it lasts a limited time), so the analytics "
                  "show nothing more. Sign in again to go on."),
}
PARTNER_CHANGED = N_(
    "In the portal you now act for another partner, so this tab shows nothing more. "
    "Open the analytics again to see that partner's data."
)
NO_PARTNER = N_("Your account is no longer linked to a partner, so the analytics show nothing more.")
PARTNER_INACTIVE = N_("Your partner account is not active, so its datasets are not shown.")
# Pixels above a chart that its hover toolbar (about 40 px tall) may take.
CHART_TOOLBAR_ROOM = 40
# st.date_input's display forms nearest each language's.
_DATE_INPUT = {"ko": "YYYY.MM.DD", "en": "MM/DD/YYYY"}
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
    """Widget arguments that keep its value in the page's URL (`key` is the query parameter's
    name): reload, back and a link to a colleague restore the view. A value that does not fit
    the widget (another partner's dataset, a bound outside the data) is dropped for its default."""
    st.session_state.setdefault(_KEPT_KEYS, set()).add(key)
    # Each widget is a point where a busy partner's page run can pause for a lighter partner's.
    computing.make_way()
    return {"key": key, "bind": "query-params", "persist_state": "session"}


def dataset_key(page: str, info: portal_api.DatasetInfo) -> str:
    """The start of the keys of a page's choices about one dataset: a new version of it starts
    from its own bounds. A few digits of the version tell versions apart and keep URLs short."""
    return f"{page}:{info.id}:{info.version[:8]}"


def portal_link(text: str | None = None) -> None:
    # Same tab: the portal is the app this one lives in, not another site.
    text = _("← Back to the portal") if text is None else text
    st.markdown(f'<a href="{PORTAL_URL}" target="_self">{text}</a>', unsafe_allow_html=True)


def title() -> str:
    return _("Partner analytics")


def open_portal() -> Portal:
    """Who is asking and which datasets they have. Anything else shows a message and ends the
    run, so no page below the gate runs without an identity whose sign-in still holds."""
    who = identity.current()
    if who is None:
        _speak(_fallback_language())
        st.title(title())
        st.warning(
            _("Please open the analytics through the partner portal: they show a partner's data "
              "only to someone signed in there.")
        )
        portal_link(_("Go to the portal"))
        st.stop()
    _require_sign_in(who)
    try:
        catalog = portal_api.catalog(who.partner)
        wanted = st.query_params.get(DATASET_KEY)
        if wanted and wanted != st.session_state.get(_REFRESHED_FOR) and wanted not in catalog.names():
            # A link to a dataset stored a moment ago ("Open analytics" right after an upload)
            # may be newer than the list the replica keeps: asked again once for that name.
            st.session_state[_REFRESHED_FOR] = wanted
            portal_api.forget_catalog(who.partner)
            catalog = portal_api.catalog(who.partner)
    except portal_api.PortalError as error:
        _stop_with_error(str(error))
    if not catalog.active:
        _stop_with_error(_(PARTNER_INACTIVE))
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
        ended = who is None or _ended(who, portal_api.session(who.ticket, False, _accept_language()))
    except (settings.SettingsError, portal_api.PortalError):
        misses = st.session_state.get(_WATCH_MISSES, 0) + 1
        st.session_state[_WATCH_MISSES] = misses
        ended = misses >= WATCH_FAILURES_SHOWN
    else:
        st.session_state[_WATCH_MISSES] = 0
    if ended:
        st.rerun(scope="app")


def recheck_sign_in() -> None:
    """For a fragment's own reruns, which skip the page's gate: a sign-in that has ended reruns
    the whole page, which then says why. The portal's answer is kept a few seconds, so a
    fragment's rerun seldom asks it."""
    who = identity.current()
    try:
        ended = who is None or _ended(who, portal_api.session(who.ticket, True, _accept_language())) is not None
    except (settings.SettingsError, portal_api.PortalError):
        ended = True
    if ended:
        st.rerun(scope="app")


def still_signed_in(who: identity.Identity) -> bool:
    """Whether the sign-in behind the tab holds, for work a click starts without a rerun (a
    download's file is made when its button is clicked). A portal that does not answer: no."""
    try:
        return _ended(who, portal_api.session(who.ticket, True, _accept_language())) is None
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


def _speak(language: str) -> None:
    """The session reads `language` from here on, the browser's tab title included."""
    i18n.set_current(language)
    st.set_page_config(page_title=title())


def _accept_language() -> str:
    """The tab's browser's languages; every check sends them, since any check's answer may be
    the one a rerun reads from the cache."""
    return identity.request_headers().get("Accept-Language", "")


def _fallback_language() -> str:
    """The language when the portal does not name one: the gate's header, then PORTAL_LANGUAGE."""
    sent = identity.request_headers().get(LANGUAGE_HEADER, "").strip().lower()
    if sent in settings.LANGUAGES:
        return sent
    try:
        return settings.get().language
    except settings.SettingsError:
        return settings.DEFAULT_LANGUAGE


def _require_sign_in(who: identity.Identity) -> None:
    """Ends the run with why the sign-in behind this tab is over, if it is; a partner's rerun
    counts as activity on the portal session. The portal's answer also names the language, so a
    switch in the portal applies here at the next rerun."""
    # Until the portal answers, a tab's first run speaks the gate's language (an error from the
    # portal is shown in it); a later run keeps the last answer's.
    if i18n.STATE_KEY not in st.session_state:
        i18n.set_current(_fallback_language())
    try:
        session = portal_api.session(who.ticket, activity=True, accept_language=_accept_language())
    except settings.SettingsError as error:
        _stop_with_error(_("The analytics service is not configured correctly: {error}").format(error=error))
    except portal_api.PortalError as error:
        _stop_with_error(str(error))
    language = session.language or _fallback_language()
    _speak(language)
    ended = _ended(who, session)
    if ended is None:
        return
    # Nothing of the partner's stays in this tab's memory: filters, choices, the catalog.
    st.session_state.clear()
    # A container of its own, in place of the page's elements.
    with st.container(key="signed-out"):
        i18n.set_current(language)
        st.title(title())
        st.warning(_(ended))
        if ended == PARTNER_CHANGED:
            url, text = APP_URL, _("Open the analytics again")
        else:
            url, text = SIGN_IN_URL, _("Sign in again")
        # A Markdown link, not HTML: drawn over a page's elements, HTML at times showed as text.
        st.markdown(f"[{literal(text)}]({url})")
    st.stop()


def _stop_with_error(message: str) -> None:
    st.title(title())
    st.error(message)
    portal_link()
    st.stop()


def sidebar(portal: Portal) -> None:
    with st.sidebar:
        st.subheader(literal(portal.catalog.name))
        st.caption(_("Signed in as {user}").format(user=literal(portal.who.user)))
        portal_link()
        language_switcher(portal.who)
        if portal.catalog.datasets:
            names = {d.id: d.name for d in portal.catalog.datasets}
            _follow_link(names)
            chosen = st.selectbox(_("Dataset"), list(names), format_func=names.get, key=DATASET_KEY)
            _link_to(names[chosen])


def _follow_link(names: dict[str, str]) -> None:
    """The dataset a link names (`?dataset=<name>`, as the portal's "Open analytics" sends),
    when it is one of the partner's own; any other name is no choice at all. Only a name the
    URL did not have before counts, so a reload or a page switch keeps the partner's pick."""
    wanted = st.query_params.get(DATASET_KEY)
    if wanted is None or wanted == st.session_state.get(_LINKED_DATASET):
        return
    by_name = {name: dataset_id for dataset_id, name in names.items()}
    if wanted in by_name:
        st.session_state[DATASET_KEY] = by_name[wanted]


def _link_to(name: str) -> None:
    """The chosen dataset in the URL, on every page. Kept by hand rather than bound to the
    widget: Streamlit drops a bound parameter of the entrypoint's sidebar when the page changes."""
    st.query_params[DATASET_KEY] = name
    st.session_state[_LINKED_DATASET] = name


def language_switcher(who: identity.Identity) -> None:
    """한국어 / English, saved on the account through the portal, so the portal switches too. A
    choice the portal does not take changes nothing and says so."""
    current = i18n.current()
    if st.session_state.get(_LANGUAGE_CHOICE) != current:
        st.session_state[_LANGUAGE_CHOICE] = current
    st.segmented_control(
        _("Language"), settings.LANGUAGES, format_func=i18n.NAMES.get, required=True,
        key=_LANGUAGE_CHOICE, on_change=_switch_language, args=(who, current),
    )
    failed = st.session_state.pop(_LANGUAGE_ERROR, None)
    if failed:
        st.error(failed)


def _switch_language(who: identity.Identity, was: str) -> None:
    chosen = st.session_state.get(_LANGUAGE_CHOICE)
    if chosen not in settings.LANGUAGES or chosen == was:
        st.session_state[_LANGUAGE_CHOICE] = was
        return
    try:
        portal_api.language(who.ticket, chosen)
    except (settings.SettingsError, portal_api.PortalError) as error:
        st.session_state[_LANGUAGE_CHOICE] = was
        st.session_state[_LANGUAGE_ERROR] = _("The language was not changed. {error}").format(error=error)
        return
    i18n.set_current(chosen)
    _relabel_choices()


def _relabel_choices() -> None:
    """The partner's choices set again, unchanged, so that Streamlit sends each anew: the browser
    keeps a select box's shown option as the label it was given, which would stay in the old
    language although the options and the choice behind it are the new language's."""
    for key in st.session_state.get(_KEPT_KEYS, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def current_portal() -> Portal:
    return st.session_state[_PORTAL_STATE]


def selected_dataset() -> portal_api.DatasetInfo:
    """The dataset picked in the sidebar; a partner with none sees how to add one."""
    catalog = current_portal().catalog
    chosen = catalog.dataset(st.session_state.get(DATASET_KEY, ""))
    if chosen is None:
        st.info(_("You have no datasets yet. Upload one in the portal, then come back here."))
        portal_link(_("Go to the portal"))
        st.stop()
    return chosen


def load(info: portal_api.DatasetInfo) -> datasets.LoadedDataset:
    """The dataset's data, or a message naming the dataset and the end of the run."""
    portal = current_portal()
    config = settings.get()
    partner = portal.who.partner

    def fetch(target):
        # This replica's own copy, from the portal: no volume is shared, on one host or many.
        portal_api.fetch_dataset_file(partner, info.version, target, config)
        datasets.keep_only(config.datasets_dir, partner, {d.path for d in portal.catalog.datasets})

    try:
        # Shown only when loading takes a moment: a dataset already in the cache returns at once.
        with st.spinner(_("Loading the dataset…")):
            loaded = datasets.load(
                config.datasets_dir, partner, info.path, info.version, config.dataset_limits, fetch
            )
    except datasets.DatasetError as error:
        st.error(_("The dataset “{name}” cannot be shown. {error}").format(name=literal(info.name), error=error))
        st.stop()
    audit.opened(portal.who, info)
    return loaded


@functools.cache
def computations() -> computing.Computations:
    """The replica's shared results and fair shares, under the settings' limits."""
    return computing.Computations(settings.get().computation_limits)


class Shared:
    """Computations over one dataset version filtered by `chosen`, from the results this
    replica's sessions share. A key names the question whole (dataset version, filters, what is
    computed from them, and the language, which labels missing values and axes), never a frame.
    A partner's computation waits for its turn with a notice, and one that runs too long ends the
    run with a message."""

    def __init__(self, info: portal_api.DatasetInfo, chosen: list[filters.Filter]) -> None:
        self.partner = current_portal().who.partner
        self.question = (info.path, info.version, tuple(chosen))

    def __call__(self, function: Callable, frame, *args):
        """`function(frame, *args)`, where `frame` is the filtered dataset."""
        return self._get((f"{function.__module__}.{function.__qualname__}", args), lambda: function(frame, *args))

    def chart(self, draw: Callable, *question) -> None:
        """The chart `draw()` makes, as `chart` shows one; `question` names what it draws (its
        kind and choices). Turning an Altair chart into its Vega-Lite spec cost a rerun more
        than the aggregate did: the spec is kept with the results."""
        spec = self._get(("chart", question), lambda: vega_lite_spec(draw()))
        # Streamlit takes the datasets out of the spec it is given.
        st.space(CHART_TOOLBAR_ROOM)
        st.vega_lite_chart({**copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"}),
                            "datasets": dict(spec.get("datasets", {}))})

    def _get(self, asked: tuple, compute: Callable):
        key = (*self.question, i18n.current(), *asked)
        computing.make_way()  # so is each shared result
        try:
            return computations().get(self.partner, key, compute, _waiting)
        except computing.TooLong as error:
            st.warning(str(error))
            st.stop()


@contextlib.contextmanager
def turn():
    """One of the partner's turns on this replica for the block (analytics.computing)."""
    with computations().turn(current_portal().who.partner, _waiting):
        yield


@contextlib.contextmanager
def _waiting():
    notice = st.empty()
    notice.info(_("Waiting for your other analyses on this server to finish: each partner runs at most "
                  "{n} at once, so that everyone's pages stay quick.").format(n=computations().limits.per_partner),
                icon=":material/hourglass_top:")
    try:
        yield
    finally:
        notice.empty()


def dataset_caption(info: portal_api.DatasetInfo, data: datasets.LoadedDataset) -> None:
    rows, width = data.profile.rows, len(data.profile.columns)
    parts = [
        i18n.ngettext("{n} row", "{n} rows", rows).format(n=formats.number(rows)),
        i18n.ngettext("{n} column", "{n} columns", width).format(n=formats.number(width)),
    ]
    if info.uploaded_at:
        when = formats.iso_moment(info.uploaded_at)
        if info.uploaded_by:
            parts.append(_("uploaded {when} by {user}").format(when=when, user=literal(info.uploaded_by)))
        else:
            parts.append(_("uploaded {when}").format(when=when))
    st.caption(" · ".join(parts))


def rows_caption(info: portal_api.DatasetInfo, shown: int, total: int, chosen: list[filters.Filter]) -> None:
    """The dataset, how many of its rows the filters keep, and the filters."""
    kept_rows = _("{shown} of {total} rows").format(shown=formats.number(shown), total=formats.number(total))
    st.caption(literal(f"{info.name} · {kept_rows} · {filters.describe(chosen)}"))


def table(frame: pl.DataFrame, headers: dict[str, str] | None = None, **options) -> None:
    """st.dataframe with headers translated and numbers, dates and times formatted for the
    session's language (times in PORTAL_TIME_ZONE); the values stay numbers and dates, so the
    table still sorts by them."""
    language = i18n.current()
    config = dict(options.pop("column_config", {}) or {})
    for name, dtype in frame.schema.items():
        if name in config:
            continue
        if dtype.is_numeric():
            config[name] = st.column_config.NumberColumn(format="localized")
        elif dtype == pl.Date:
            config[name] = st.column_config.DateColumn(format=formats.TABLE_DATE[language])
        elif isinstance(dtype, pl.Datetime):
            # A moment (with a zone) is shown in PORTAL_TIME_ZONE; a dataset's plain date and
            # time, whose zone nobody knows, as it is.
            config[name] = st.column_config.DatetimeColumn(
                format=(formats.TABLE_MOMENT if dtype.time_zone else formats.TABLE_DATETIME)[language],
                timezone=str(formats.time_zone()) if dtype.time_zone else None,
            )
    if headers:
        frame = frame.rename({old: new for old, new in headers.items() if old in frame.columns})
        config = {headers.get(name, name): value for name, value in config.items()}
    # Sent whole with the page: a lazy table streams rows over the websocket as the partner
    # scrolls, with no rerun to check that the sign-in behind the tab still holds.
    options.setdefault("lazy", False)
    st.dataframe(frame, hide_index=True, column_config=config, **options)


def chart(drawn) -> None:
    """An Altair chart with room above it: its toolbar shows on hover over the chart's top edge,
    and without the space it covered the last select box above and took its clicks."""
    st.space(CHART_TOOLBAR_ROOM)
    st.vega_lite_chart(vega_lite_spec(drawn))


def vega_lite_spec(drawn) -> dict:
    """The Vega-Lite spec of one of analytics.charts' charts, made by Streamlit's own conversion
    (the one st.altair_chart runs) without Altair's check of the spec against the schema. The
    charts are fixed templates, which the unit tests check against the schema; at run time the
    check cost more than all the rest of a chart's conversion (a monthly line: 27 ms checked,
    12 ms not), in the Python every session of the replica waits for."""
    return vega_charts._convert_altair_to_vega_lite_spec(_Unchecked(drawn))


@dataclass(frozen=True)
class _Unchecked:
    """An Altair chart as Streamlit's conversion sees it: its to_dict skips the schema check."""
    chart: object

    def to_dict(self) -> dict:
        return self.chart.to_dict(validate=False)


def filter_panel(info: portal_api.DatasetInfo, columns: profile.Profile) -> list[filters.Filter]:
    """Date, category and number filters in the sidebar. A range left at its full extent is no
    filter at all (so rows missing that value are kept)."""
    prefix = dataset_key("filter", info)
    chosen: list[filters.Filter] = []
    # Straight in the sidebar, not in an expander: its padding left a date range too narrow
    # to show both dates.
    with st.sidebar:
        st.subheader(_("Filters"))
        date = _column_choice(_("Date column"), columns.ranged(profile.DATE), f"{prefix}:date")
        if date is not None:
            bounds = day(columns.column(date).low), day(columns.column(date).high)
            picked = st.date_input(
                _("Between"), bounds, *bounds, format=date_input_format(), **kept(f"{prefix}:date:{date}")
            )
            if len(picked) == 2 and tuple(picked) != bounds:
                chosen.append(filters.DateRange(date, picked[0], picked[1]))

        category = _column_choice(_("Category column"), columns.names(profile.CATEGORY), f"{prefix}:category")
        if category is not None:
            values = st.multiselect(
                _("Is one of"), columns.column(category).values, placeholder=_("any value"),
                **kept(f"{prefix}:category:{category}"),
            )
            if values:
                chosen.append(filters.OneOf(category, tuple(values)))

        number = _column_choice(_("Number column"), columns.ranged(profile.NUMBER), f"{prefix}:number")
        if number is not None:
            column = columns.column(number)
            step = None if isinstance(column.low, int) else (column.high - column.low) / 200
            picked = st.slider(
                _("Between"), column.low, column.high, (column.low, column.high), step=step,
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
    picked = st.selectbox(label, [_NONE, *names], format_func=i18n.formatter(lambda name: _("(none)") if name == _NONE else name), **kept(key))
    return None if picked == _NONE else picked


def date_input_format() -> str:
    return _DATE_INPUT[i18n.current()]


def day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
