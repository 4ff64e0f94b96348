"""The probe's advice in Korean: every sentence of it is in the catalog, translated, and read
back in Korean with its figures filled in."""
import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portal_probe import language
from portal_probe.advice import Thresholds, advise

PACKAGE = Path(language.__file__).parent
CATALOG = language.LOCALE_DIR / "ko" / "LC_MESSAGES" / f"{language.DOMAIN}.po"
PLACEHOLDER = re.compile(r"\{[^}]*\}")


@pytest.fixture(scope="module")
def korean():
    with CATALOG.open("rb") as source:
        return read_po(source)


@pytest.fixture
def compiled(tmp_path, korean):
    """The catalog compiled as the image build does."""
    target = tmp_path / "ko" / "LC_MESSAGES" / f"{language.DOMAIN}.mo"
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        write_mo(out, korean)
    return tmp_path


def said_templates_that_are_not_literals():
    """Said(...) calls whose template is not a string literal: no extraction can find it."""
    found = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Said":
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    found.append(f"{path.name}:{node.lineno}")
    return found


def test_every_sentence_of_the_advice_is_a_literal_template():
    assert said_templates_that_are_not_literals() == []


def test_the_korean_catalog_holds_exactly_the_sentences_of_the_sources(korean):
    extracted = {message for _, _, message, *_ in extract_from_dir(str(PACKAGE), keywords={"Said": None})}
    ids = {message.id for message in korean if message.id}
    assert sorted(extracted - ids) == [], "run pybabel extract and update the catalog"
    assert sorted(ids - extracted) == [], "the catalog holds sentences the sources no longer have"


def test_the_korean_catalog_translates_everything_and_keeps_the_placeholders(korean):
    for message in korean:
        if message.id:
            assert message.string and not message.fuzzy, message.id
            assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id)), message.id


def snapshot(**fields):
    return {
        "time": "2025-03-01T12:00:00+00:00", "service": "streamlit", "hostname": "replica-1",
        "health": {"ok": True, "reason": None}, "cpu_percent": 10.0, "cpu_quota_cores": 1.0, "cpu_count": 2,
        "memory_percent": 20.0, "workers": None, "sessions": 0, **fields,
    }


def test_the_advice_reads_in_korean_with_its_figures(compiled):
    (advice,) = advise({"streamlit": [snapshot(memory_percent=91.0, sessions=4)]}, Thresholds())
    korean = language.translations("ko", compiled).gettext

    assert advice.recommendation.in_language(korean) == (
        "streamlit: 레플리카 1개, 메모리 91%, CPU 10%, 세션 4개: 2개로 늘리십시오 (ops/scale 2)"
    )
    assert [warning.in_language(korean) for warning in advice.warnings] == [
        "replica-1 (streamlit): 메모리가 한도의 91%로 경고 수준 80%를 넘었습니다"
    ]
    # As text, the same advice is English: what ops/status prints.
    assert advice.recommendation == "streamlit: 1 replica at 91 % memory, 10 % CPU, 4 sessions: scale to 2 (ops/scale 2)"


def test_several_actions_are_each_translated(compiled):
    (advice,) = advise({"nginx": [snapshot(service="nginx", hostname="proxy", memory_percent=88.0, cpu_percent=97.0)]})

    assert advice.recommendation.in_language(language.translations("ko", compiled).gettext) == (
        "nginx: 메모리 88%, CPU 97%: CPU 한도를 올리십시오; 메모리 한도를 올리십시오"
    )


def test_english_needs_no_catalog_and_another_language_needs_its_own(tmp_path):
    assert language.translations("en", tmp_path).gettext("{summary}: enough") == "{summary}: enough"
    with pytest.raises(FileNotFoundError):
        language.translations("ko", tmp_path)
