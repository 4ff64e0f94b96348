"""Each page in Korean and in English: the language comes from the portal's answer on every rerun,
falls back to the gate's header and then PORTAL_LANGUAGE, and the sidebar's switcher saves it."""
from __future__ import annotations

import time

import pytest

from analytics import charts as chart_kinds, identity, portal_api, ui
from analytics_support import TICKET, charts, texts
from support.markdown import readable

OVERVIEW = "app_pages/overview.py"
EXPLORE = "app_pages/explore.py"
COMPARE = "app_pages/compare.py"
DOWNLOAD = "app_pages/download.py"

# A few texts each page shows, per language.
KNOWN = {
    OVERVIEW: {
        "ko": ["요약 통계", "표본", "열", "무작위로 고른 60개 행입니다."],
        "en": ["Summary statistics", "Sample", "Columns", "60 rows picked at random."],
    },
    EXPLORE: {"ko": ["탐색", "집계", "범주"], "en": ["Explore", "Aggregate", "Category"]},
    COMPARE: {"ko": ["비교", "세그먼트 기준 열", "지표"], "en": ["Compare", "Segments by", "Metric"]},
    DOWNLOAD: {"ko": ["내려받기", "미리 보기", "CSV 내려받기"], "en": ["Download", "Preview", "Download CSV"]},
}


def shown(at) -> str:
    """Every text of the page and its sidebar, as one string."""
    parts = []
    for kind in ("title", "subheader", "caption", "markdown", "info", "success", "warning", "error", "metric"):
        for element in list(at.get(kind)) + list(at.sidebar.get(kind)):
            parts.append(readable(str(getattr(element, "label", "") or "")))
            parts.append(readable(str(element.value)))
    for kind in ("selectbox", "multiselect", "segmented_control", "download_button", "slider", "date_input", "expander", "tab"):
        for element in list(at.get(kind)) + list(at.sidebar.get(kind)):
            parts.append(str(getattr(element, "label", "")))
    return "\n".join(parts)


def run(app, page):
    app.run()
    if page != OVERVIEW:
        app.switch_page(page).run()
    assert not app.exception
    return app


@pytest.mark.parametrize("page", list(KNOWN))
@pytest.mark.parametrize("language", ["ko", "en"])
def test_each_page_speaks_the_language_the_portal_decided(app, portal, page, language):
    portal.speak(language)
    text = shown(run(app, page))
    for known in KNOWN[page][language]:
        assert known in text, f"{known!r} not on {page} in {language}"
    other = "en" if language == "ko" else "ko"
    assert not any(known in text for known in KNOWN[page][other] if len(known) > 4)


def test_korean_overview_formats_dates_times_and_headers(app, portal):
    portal.speak("ko")
    run(app, OVERVIEW)
    assert [m.label for m in app.metric] == ["행", "열", "누락된 값"]
    captions = texts(app.caption)
    # 2024-04-01T10:00:00Z in Seoul
    assert any("60개 행 · 5개 열 · 2024년 4월 1일 19:00 KST ann 님이 업로드" in c for c in captions), captions
    columns, numbers, dates, categories, sample = (frame.value for frame in app.dataframe)
    assert list(columns.columns) == ["열", "자료형", "종류", "누락", "누락 %", "고유 값 수"]
    assert list(columns["종류"]) == ["날짜", "범주", "숫자", "숫자", "범주"]
    assert list(dates["최초"]) == ["2024년 1월 1일"]
    assert "최빈값" in categories.columns


def test_english_overview_shows_the_upload_time_in_the_portals_zone(app, portal):
    run(app, OVERVIEW)
    assert any("60 rows · 5 columns · uploaded 2024-04-01 19:00 KST by ann" in c for c in texts(app.caption))


def test_korean_charts_get_a_korean_locale_and_horizontal_labels(app, portal):
    portal.speak("ko")
    run(app, EXPLORE)
    app.segmented_control[0].set_value(chart_kinds.LINE).run()
    [(spec, _)] = charts(app)
    assert spec["config"]["locale"]["time"]["months"][0] == "1월"
    assert spec["encoding"]["x"]["axis"]["labelAngle"] == 0
    assert spec["encoding"]["x"]["axis"]["title"] == "day"
    assert "'억'" in spec["encoding"]["y"]["axis"]["labelExpr"]
    assert spec["encoding"]["y"]["axis"]["title"] == "units 합계"
    assert spec["encoding"]["tooltip"][0]["format"] == "%Y년 %-m월 %-d일"
    assert "%-m월 %-d일" in spec["encoding"]["x"]["axis"]["labelExpr"]
    assert spec["encoding"]["y"]["axis"]["titleAngle"] == 0, "a Korean title is never set on its side"
    assert app.segmented_control[0].format_func(chart_kinds.LINE) == "시간별 선"


def test_english_charts_get_an_english_locale(app, portal):
    run(app, EXPLORE)
    app.segmented_control[0].set_value(chart_kinds.HISTOGRAM).run()
    [(spec, _)] = charts(app)
    assert spec["config"]["locale"]["time"]["months"][0] == "January"
    assert spec["encoding"]["y"]["axis"]["title"] == "rows"
    assert "labelAngle" not in spec["encoding"]["x"]["axis"]
    assert "titleAngle" not in spec["encoding"]["y"]["axis"]


def test_korean_compare_sentence(app, portal):
    portal.speak("ko")
    run(app, COMPARE)
    app.segmented_control[0].set_value("Two datasets").run()
    sentence = readable(app.success[0].value)
    print(sentence)
    assert "높습니다" in sentence and "100.0%" in sentence


def test_a_switch_in_the_portal_applies_at_the_next_rerun(app, portal, monkeypatch):
    run(app, OVERVIEW)
    assert app.subheader[0].value == "Columns"
    portal.speak("ko")
    later = time.monotonic() + portal_api.SESSION_CACHE_SECONDS
    monkeypatch.setattr(portal_api, "_clock", lambda: later)
    app.run()
    assert app.subheader[0].value == "열"


def test_the_tabs_browser_languages_are_passed_to_the_portal(app, headers, portal):
    headers["Accept-Language"] = "ko-KR,ko;q=0.9"
    app.run()
    assert portal.accept_languages == ["ko-KR,ko;q=0.9"]


@pytest.mark.parametrize(
    ("header", "setting", "expected"),
    [("en", "ko", "Columns"), ("ko", "en", "열"), ("", "ko", "열"), ("", "en", "Columns"), ("fr", "ko", "열")],
)
def test_an_older_portal_falls_back_to_the_gates_header_then_the_setting(
    app, headers, portal, monkeypatch, header, setting, expected
):
    portal.sessions[TICKET] = portal_api.SessionState(portal_api.ACTIVE, "acme")
    if header:
        headers[ui.LANGUAGE_HEADER] = header
    monkeypatch.setenv("PORTAL_LANGUAGE", setting)
    from analytics import settings

    settings.get.cache_clear()
    app.run()
    assert app.subheader[0].value == expected


def test_signed_out_and_signed_in_elsewhere_messages_are_translated(app, headers, portal, monkeypatch):
    portal.speak("ko")
    app.run()
    portal.sessions[TICKET] = portal_api.SessionState("signed_out", reason="idle", language="ko")
    later = time.monotonic() + portal_api.SESSION_CACHE_SECONDS
    monkeypatch.setattr(portal_api, "_clock", lambda: later)
    app.run()
    assert "한동안 활동이 없어" in app.warning[0].value
    assert any("다시 로그인" in text for text in texts(app.markdown))
    headers.clear()
    headers[ui.LANGUAGE_HEADER] = "ko"
    app.run()
    assert "파트너 포털을 통해" in app.warning[0].value


def test_the_sidebar_switcher_saves_the_language_and_reruns_in_it(app, portal):
    run(app, OVERVIEW)
    switch = app.sidebar.segmented_control(key="language-choice")
    assert switch.value == "en" and switch.options == ["한국어", "English"]
    switch.set_value("ko").run()
    assert portal.saved_languages == [(TICKET, "ko")]
    assert app.subheader[0].value == "열"
    assert app.sidebar.segmented_control(key="language-choice").value == "ko"


def test_a_refused_switch_says_so_and_changes_nothing(app, portal):
    run(app, OVERVIEW)
    portal.refuse_language = True
    app.sidebar.segmented_control(key="language-choice").set_value("ko").run()
    assert portal.saved_languages == []
    assert "The language was not changed" in app.sidebar.error[0].value
    assert app.subheader[0].value == "Columns"
    assert app.sidebar.segmented_control(key="language-choice").value == "en"


def test_a_cached_refusal_is_read_in_each_sessions_language(app, portal, store):
    from analytics import datasets, i18n

    message = datasets._too_many_rows(10, datasets.DatasetLimits(rows=5))
    assert str(message) == "It has 10 rows; the analytics take at most 5 (DATASET_MAX_ROWS)."
    assert isinstance(message.args[0], i18n.Lazy)
    with i18n.speaking("ko"):
        assert str(message) == "행이 10개입니다. 분석에서는 최대 5개까지 처리합니다(DATASET_MAX_ROWS)."
        assert str(datasets.DatasetTooBig(message.args[0])).startswith("행이 10개입니다.")


def test_tables_format_numbers_dates_and_times_for_the_language(portal, monkeypatch):
    import datetime as dt

    import polars as pl
    import streamlit as st

    from analytics import formats, i18n

    frame = pl.DataFrame({
        "n": [1234567], "day": [dt.date(2025, 1, 3)], "at": [dt.datetime(2025, 1, 3, 9, 30)],
        "utc": [dt.datetime(2025, 1, 3, 9, 30, tzinfo=dt.timezone.utc)],
    })
    drawn = {}
    monkeypatch.setattr(st, "dataframe", lambda shown, **options: drawn.update(options, frame=shown))
    with i18n.speaking("ko"):
        ui.table(frame, {"n": "개수"})
    config = drawn["column_config"]
    assert list(drawn["frame"].columns) == ["개수", "day", "at", "utc"]
    assert config["개수"]["type_config"]["format"] == "localized"
    assert config["day"]["type_config"]["format"] == "YYYY년 M월 D일"
    assert (config["at"]["type_config"]["format"], config["at"]["type_config"]["timezone"]) == (
        formats.TABLE_DATETIME["ko"], None
    ), "a dataset's own time, zone unknown, is shown as it is"
    assert config["utc"]["type_config"]["timezone"] == "Asia/Seoul"
