"""The probe's sentences in the reader's language: the advice and its warnings are read in English
by `ops/status` and in the portal's language on the ops status page.

A `Said` is a sentence kept with its English template and its values, so a reader translates the
template and fills the values in afterwards. Catalogs are GNU gettext's, domain `portal_probe`
(locale/<lang>/LC_MESSAGES/portal_probe.po, compiled in the image build that shows them); the
templates are the msgids, so English needs no catalog.
"""
from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path

DOMAIN = "portal_probe"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


class Said(str):
    """`template.format(**values)` as a str (the English sentence); `in_language` gives it in
    another. A value may itself be a Said, or a tuple of them (a list, read with "; "): it is
    translated with the sentence around it."""

    def __new__(cls, template: str, **values: object) -> Said:
        said = super().__new__(cls, template.format(**_filled(values, str)))
        said.template, said.values = template, values
        return said

    def in_language(self, gettext_: Callable[[str], str]) -> str:
        return gettext_(self.template).format(**_filled(self.values, lambda said: said.in_language(gettext_)))


def _filled(values: dict, text_of: Callable[[Said], str]) -> dict:
    def filled(value):
        if isinstance(value, Said):
            return text_of(value)
        if isinstance(value, tuple) and all(isinstance(item, Said) for item in value):
            return "; ".join(text_of(item) for item in value)
        return value

    return {name: filled(value) for name, value in values.items()}


def translations(language: str, locale_dir: Path | None = None) -> gettext.NullTranslations:
    """The catalog of `language` (from LOCALE_DIR unless told); English, the msgids' language,
    needs none. Not a fallback for another language: a missing catalog is a broken build, which
    English would hide."""
    return _catalog(language.split("-")[0], locale_dir or LOCALE_DIR)


@functools.cache
def _catalog(language: str, locale_dir: Path) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, locale_dir, [language])
