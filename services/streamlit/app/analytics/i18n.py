"""The partner's language, per session: `_()` translates into the language of the session whose
script is running, so two tabs on one replica can read Korean and English side by side.

Catalogs are GNU gettext's (locale/<lang>/LC_MESSAGES/analytics.mo, built from the .po files in
the image build); the msgids are the English texts, so English needs no catalog. Nothing is
installed process-wide: a replica's sessions run in threads of one process.
"""
from __future__ import annotations

import contextlib
import functools
import gettext
import threading
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics import settings

DOMAIN = "analytics"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
# The session's language; set by ui on every rerun from the portal's answer.
STATE_KEY = "language"
# Names of the languages as their own speakers write them, for the switcher.
NAMES = {"ko": "한국어", "en": "English"}


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined (a constant); `_()` translates it where it
    is shown, in the language of that session."""
    return message


@functools.cache
def translations(language: str, locale_dir: Path | None = None) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    # Not fallback: a missing catalog is a broken build, and English shown to a Korean partner
    # would hide it.
    return gettext.translation(DOMAIN, locale_dir or LOCALE_DIR, [language])


_pinned = threading.local()


def current() -> str:
    """The language of the session whose script is running; outside a session (the launcher,
    plain unit tests) English, the msgids' language."""
    pinned = getattr(_pinned, "language", None)
    if pinned is not None:
        return pinned
    if get_script_run_ctx(suppress_warning=True) is None:
        return "en"
    language = st.session_state.get(STATE_KEY)
    return language if language in settings.LANGUAGES else _default()


def _default() -> str:
    try:
        return settings.get().language
    except settings.SettingsError:
        return settings.DEFAULT_LANGUAGE


@contextlib.contextmanager
def speaking(language: str):
    """Translate into `language` within the block, whatever the session's."""
    before = getattr(_pinned, "language", None)
    _pinned.language = language
    try:
        yield
    finally:
        _pinned.language = before


def formatter(show):
    """A widget's format_func that shows options in the language of the run that drew the
    widget: Streamlit may call it later, outside that run, to map a choice back to its option."""
    language = current()

    def formatted(option):
        with speaking(language):
            return show(option)

    return formatted


def set_current(language: str) -> None:
    if get_script_run_ctx(suppress_warning=True) is not None and language in settings.LANGUAGES:
        st.session_state[STATE_KEY] = language


def _(message: str) -> str:
    return translations(current(), LOCALE_DIR).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current(), LOCALE_DIR).ngettext(singular, plural, n)


class Lazy(str):
    """A message translated when it is shown rather than when it is made: a dataset's refusal is
    kept in the replica's cache and shown to every session that asks, each in its language. As a
    str it is the English text."""

    def __new__(cls, message: str, **values: object) -> Lazy:
        text = super().__new__(cls, message.format(**values))
        text.message, text.values = message, values
        return text

    def __str__(self) -> str:
        return _(self.message).format(**self.values)


def lazy_(message: str, **values: object) -> Lazy:
    """`message` marked for extraction, translated each time it is turned into text."""
    return Lazy(message, **values)
