"""Every text a partner or staff member reads in the portal is marked for translation, and the
Korean catalog translates every one of them, with nothing fuzzy and nothing missing."""
import ast
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType

PORTAL = Path(settings.BASE_DIR)
CATALOG = PORTAL / "locale" / "ko" / "LC_MESSAGES" / "django.po"
TEMPLATES = sorted(PORTAL.glob("templates/**/*.html")) + sorted(PORTAL.glob("*/templates/**/*.html"))
# Attributes a person reads (a screen reader, a tooltip, the table's labels on a phone).
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-label"}
LETTER = re.compile(r"[^\W\d_]")
OPENS = {"translate", "trans"}
BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}
# Python files whose strings reach people; the reader's messages are translated in the child.
SOURCES = [
    *PORTAL.glob("*/views.py"),
    *PORTAL.glob("*/forms.py"),
    PORTAL / "accounts" / "sessions.py",
    PORTAL / "accounts" / "lockout.py",
    PORTAL / "partners" / "access.py",
    PORTAL / "datasets" / "ingest.py",
    PORTAL / "datasets" / "reading.py",
]
MESSAGE_CALLS = {"ValidationError", "PermissionDenied", "Http404", "IngestError"}
MESSAGE_KEYWORDS = {"label", "help_text", "empty_label", "verbose_name"}


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        self.found += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.found.append(data)


def unmarked_texts(source):
    """The texts of a template a person reads that no translation tag holds."""
    kept, closing = [], None
    for token in Lexer(source).tokenize():
        if closing:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == closing:
                closing = None
            continue
        if token.token_type == TokenType.TEXT:
            kept.append(token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            closing = BLOCKS.get(name)
        # Whatever a tag or variable gives is text of its own: a word that cannot join this one.
        kept.append("\x00")
    parser = _Visible()
    parser.feed("".join(kept))
    parser.close()
    return [piece.strip() for text in parser.found for piece in text.split("\x00") if LETTER.search(piece)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(PORTAL)))
def test_every_text_in_a_template_is_marked(template):
    assert unmarked_texts(template.read_text(encoding="utf-8")) == []


def test_the_template_check_sees_unmarked_text():
    found = unmarked_texts(
        '{% load i18n %}<p>Hello {{ name }}</p><a title="Open it">{% translate "Fine" %}</a>'
        '{% blocktranslate %}Also fine{% endblocktranslate %}<td data-label="{% translate "Rows" %}">1</td>'
    )
    assert found == ["Hello", "Open it"]


def _is_literal(node):
    return (isinstance(node, ast.Constant) and isinstance(node.value, str) and LETTER.search(node.value)) or isinstance(
        node, ast.JoinedStr
    )


def plain_messages(path):
    """(line, what) for each plain string given to a person: a message, an error, a label."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        arguments = []
        if owner == "messages" or name in MESSAGE_CALLS:
            arguments = node.args
        elif name == "add_error":
            arguments = node.args[1:]
        arguments += [keyword.value for keyword in node.keywords if keyword.arg in MESSAGE_KEYWORDS]
        found += [(node.lineno, ast.unparse(argument)[:60]) for argument in arguments if _is_literal(argument)]
    return found


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: str(path.relative_to(PORTAL)))
def test_no_plain_string_reaches_a_person(source):
    assert plain_messages(source) == []


def test_the_python_check_sees_plain_strings(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text(
        "messages.success(request, f'Stored {name}')\n"
        "raise PermissionDenied('No')\n"
        "forms.CharField(label='Name', help_text=gettext_lazy('fine'))\n"
        "form.add_error('name', 'Taken')\n"
        "messages.info(request, gettext('fine'))\n"
    )
    assert [line for line, _ in plain_messages(sample)] == [1, 2, 3, 4]


def test_the_korean_catalog_translates_everything():
    catalog = polib.pofile(str(CATALOG))

    assert [entry.msgid for entry in catalog.untranslated_entries()] == []
    assert [entry.msgid for entry in catalog.fuzzy_entries()] == []
    assert not catalog.metadata_is_fuzzy
    assert [entry.msgid for entry in catalog.obsolete_entries()] == []


def test_the_korean_catalog_keeps_every_placeholder():
    for entry in polib.pofile(str(CATALOG)):
        translated = entry.msgstr or entry.msgstr_plural[0]
        for pattern in (r"\{[^}]*\}", r"%\(\w+\)\w"):
            assert set(re.findall(pattern, translated)) == set(re.findall(pattern, entry.msgid)), entry.msgid


def test_the_korean_catalog_is_up_to_date_with_the_sources(tmp_path, monkeypatch):
    """makemessages over a copy of the portal finds exactly the catalog's texts."""
    if shutil.which("xgettext") is None:
        pytest.fail("makemessages needs xgettext: install Debian's gettext (ops/test does)")
    copy = tmp_path / "portal"
    shutil.copytree(PORTAL, copy, ignore=shutil.ignore_patterns("staticfiles", "static", "*.sqlite3", "__pycache__"))
    monkeypatch.chdir(copy)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [copy / "locale"])
    call_command("makemessages", locale=["ko"], no_location=True, verbosity=0)

    fresh = {(entry.msgid, entry.msgid_plural) for entry in polib.pofile(str(copy / "locale/ko/LC_MESSAGES/django.po"))}
    kept = {(entry.msgid, entry.msgid_plural) for entry in polib.pofile(str(CATALOG)) if not entry.obsolete}
    assert sorted(fresh - kept) == [], "texts not in the catalog: run makemessages -l ko and translate them"
    assert sorted(kept - fresh) == [], "texts the sources no longer have: run makemessages -l ko"


def test_the_catalog_compiles():
    if shutil.which("msgfmt") is None:
        pytest.skip("the image build compiles it; no msgfmt on this host")
    subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(CATALOG)], check=True)
