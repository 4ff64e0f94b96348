"""Every text a partner reads is marked for translation, and the Korean catalog covers it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from analytics_support import APP, LOCALE

SOURCES = APP.parent
# Streamlit calls whose text argument (first positional, or these keywords) a partner reads.
SHOWN = {
    "title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success",
    "metric", "selectbox", "radio", "multiselect", "slider", "date_input", "button",
    "download_button", "spinner", "expander", "tabs", "segmented_control", "set_page_config", "Page",
}
SHOWN_KEYWORDS = {"label", "title", "page_title", "placeholder", "help", "text", "body"}
RAISED = {"DatasetError", "DatasetTooBig", "PathRefused", "PortalError", "PortalUnavailable", "UnknownPartner"}
MARKERS = {"_", "N_", "lazy_", "ngettext"}
# Literals that are markup or data, not words: an icon, a page's file.
ALLOWED = {"📊"}
KEYWORDS = {"_": None, "N_": None, "lazy_": None, "ngettext": (1, 2)}


def _unmarked(node: ast.expr) -> list[str]:
    """The word-bearing string literals in an argument that no marker wraps."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
        return []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _unmarked(node.func.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        return [] if text in ALLOWED or not any(c.isalpha() for c in text) or text.endswith(".py") else [text]
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
        words = "".join(parts)
        # A link's markup around translated text carries no words of its own.
        return [] if words.startswith("<a ") or not any(c.isalpha() for c in words) else [words]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [text for item in node.elts for text in _unmarked(item)]
    return []


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _shown_call(func: ast.expr) -> bool:
    """st.title(...), left.selectbox(...), st.sidebar.expander(...), st.Page(...): not a logger's
    log.warning(...)."""
    if not isinstance(func, ast.Attribute) or func.attr not in SHOWN:
        return False
    receiver = func.value
    return not (isinstance(receiver, ast.Name) and receiver.id in {"log", "logging", "logger", "warnings"})


def unmarked_texts(root: Path = SOURCES) -> list[str]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if _shown_call(node.func):
                arguments = node.args[:1] + [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
            elif _name(node.func) in RAISED:
                arguments = node.args[:1]
            else:
                continue
            found |= {f"{path.relative_to(root)}:{node.lineno}: {text!r}" for a in arguments for text in _unmarked(a)}
    return sorted(found)


def test_every_text_a_partner_reads_is_marked_for_translation():
    assert unmarked_texts() == []


def test_the_scan_finds_an_unmarked_text(tmp_path):
    (tmp_path / "page.py").write_text(
        'import streamlit as st\nst.title("Unmarked")\nst.info(_("Marked"))\n'
        'raise DatasetError(f"Row {n} is bad")\nst.markdown(f\'<a href="/">{_("Link")}</a>\')\n'
        'left.selectbox("Pick", [])\nlog.warning("for ops: %s", 1)\nst.caption(_("{n} rows").format(n=1))\n'
    )
    assert unmarked_texts(tmp_path) == [
        "page.py:2: 'Unmarked'", "page.py:4: 'Row  is bad'", "page.py:6: 'Pick'",
    ]


def extracted() -> set[str]:
    """The msgids of the sources, extracted in-process as pybabel extract does."""
    messages = extract_from_dir(str(SOURCES), method_map=[("**.py", "python")], keywords=KEYWORDS)
    return {message[2] if isinstance(message[2], str) else message[2][0] for message in messages}


@pytest.fixture(scope="module")
def korean():
    with (LOCALE / "ko" / "LC_MESSAGES" / "analytics.po").open("rb") as po:
        return read_po(po)


def test_the_korean_catalog_covers_every_text_of_the_sources(korean):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in korean if m.id}
    assert sorted(extracted() - ids) == [], "run pybabel extract and update the catalog"
    assert sorted(ids - extracted()) == [], "the catalog holds texts the sources no longer have"


def test_the_korean_catalog_has_no_untranslated_or_fuzzy_entry(korean):
    assert not korean.fuzzy
    untranslated = [m.id for m in korean if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in korean if m.id and m.fuzzy]
    assert (untranslated, fuzzy) == ([], [])


def test_korean_keeps_every_placeholder(korean):
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for message in korean:
        if message.id and isinstance(message.id, str):
            # "metric_cap" is the metric capitalised for English; Korean has no capitals.
            assert fields(message.string) - {"metric"} <= fields(message.id) | {"metric"}, message.id
            assert fields(message.id) - {"metric_cap", "metric"} <= fields(message.string), message.id
