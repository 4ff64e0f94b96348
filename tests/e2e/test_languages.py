"""The portal and the analytics in Korean and in English, as a browser set to each language gets
them: log in, upload, open the analytics' Overview, Explore and Compare from the sidebar, sign
out; each page shows its known texts in that language, and the other language's are absent.
Switching in the analytics switches both halves and keeps what the partner had chosen.
Screenshots of both languages are kept in test-artifacts/e2e/."""
import re

import pytest
from playwright.sync_api import expect

from e2e.partner_browser import (chart, choose, dataset_row, go_to, import_dataset, new_partner, sales_csv,
                                 sidebar)

SALES = {"서울": 1200, "부산": 900, "대구": 700, "인천": 650, "광주": 400}

TEXTS = {
    "ko": {
        "login": ["로그인", "사용자 이름", "비밀번호"],
        "home-empty": ["아직 데이터셋이 없습니다", "데이터셋 올리기", "로그아웃", "비밀번호"],
        "upload": ["데이터셋 올리기", "파일", "이름", "설명", "올리기", "취소"],
        "preview": ["저장하기 전에 확인", "300행, 3열", "저장 형식", "날짜", "정수", "텍스트", "저장될 모습의 첫 행", "저장", "취소"],
        "home-listed": ["을(를) 저장했습니다", "이름", "행", "열", "크기", "업로드", "CSV 내려받기", "삭제", "분석 열기"],
        "dataset": ["처음 몇 행", "자료형", "CSV 내려받기"],
        "signed-out": ["로그인"],
        # The other language's words that must not show.
        "absent": ["Log out", "Upload a dataset", "Download CSV", "No datasets yet", "Check before storing"],
    },
    "en": {
        "login": ["Log in", "Username", "Password"],
        "home-empty": ["No datasets yet", "Upload a dataset", "Log out", "Password"],
        "upload": ["Upload a dataset", "File", "Name", "Description", "Upload", "Cancel"],
        "preview": ["Check before storing", "300 rows and 3 columns", "Stored as", "Date", "Whole number", "Text",
                    "First rows, as they will be stored", "Store", "Cancel"],
        "home-listed": ["Stored “", "Name", "Rows", "Columns", "Size", "Uploaded", "Download CSV", "Delete", "Open analytics"],
        "dataset": ["First rows", "Type", "Download CSV"],
        "signed-out": ["Log in"],
        "absent": ["로그아웃", "데이터셋 올리기", "CSV 내려받기", "아직 데이터셋이 없습니다", "저장하기 전에 확인"],
    },
}
# A time on the portal's pages, in PORTAL_TIME_ZONE (Asia/Seoul unless the stack sets another) with its zone.
TIME = {"ko": re.compile(r"\d{4}년 \d{1,2}월 \d{1,2}일 (오전|오후) \d{1,2}:\d{2} \(\w+\)"),
        "en": re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM) \w+")}
LABELS = {"ko": ("사용자 이름", "비밀번호", "로그인", "데이터셋 올리기", "파일", "이름", "올리기", "저장", "분석 열기", "로그아웃"),
          "en": ("Username", "Password", "Log in", "Upload a dataset", "File", "Name", "Upload", "Store", "Open analytics",
                 "Log out")}

# Compare's default segments: the first and the second region in sorted order.
SEGMENT_A, SEGMENT_B = (f"지역: {region}" for region in sorted(SALES)[:2])
TOTAL_A, TOTAL_B = (sales_csv(2025, SALES).totals[region] for region in sorted(SALES)[:2])
GAP, GAP_SHARE = f"{TOTAL_B - TOTAL_A:,}", f"{(TOTAL_B - TOTAL_A) / TOTAL_A:.1%}"

# The analytics of the uploaded sales (지역, 날짜, 매출: a category, a date, a number), page by page:
# texts in the page, metric labels, segmented buttons (label, options, the one chosen), select
# boxes with the value they show, and the headers of the tables in view.
ANALYTICS = {
    "ko": {
        "nav": ["개요", "탐색", "비교", "내려받기"],
        "sidebar": ["님으로 로그인됨", "← 포털로 돌아가기", "데이터셋"],
        "language": "언어",
        "back": "← 포털로 돌아가기",
        "overview": {
            "texts": ["300개 행 · 3개 열", "님이 업로드", "요약 통계", "표본", "무작위로 고른 100개 행입니다."],
            "metrics": ["행", "열", "누락된 값"],
            "tabs": ["숫자", "날짜", "범주 및 텍스트"],
            "columns": ["열", "자료형", "종류", "누락", "누락 %", "고유 값 수"],
            "kinds": ["범주", "날짜", "숫자"],
            "numbers": ["열", "평균", "표준편차", "최솟값", "25%", "중앙값", "75%", "최댓값"],
        },
        "explore": {
            "title": "탐색",
            "texts": ["sales · 전체 300개 행 중 300개 · 필터 없음", "점 60개: 일별 매출 합계."],
            "buttons": ("차트", ["시간별 선", "범주별 막대", "히스토그램", "산점도"], "시간별 선"),
            "boxes": {"날짜": "날짜", "집계": "합계", "대상 열": "매출", "단위": "일", "나누기 기준": "(선택 안 함)"},
            "filters": ("필터", {"날짜 열": "(선택 안 함)", "범주 열": "(선택 안 함)", "숫자 열": "(선택 안 함)"}),
            "value axis": "매출 합계",
            # The date axis' labels as Korean writes dates; no month or day names in English.
            "dates": (["2025년", "1월 3일", "2월", "3월"], "[A-Za-z]"),
        },
        "compare": {
            "title": "비교",
            "texts": [f"매출 합계: {SEGMENT_B} {TOTAL_B:,}, {SEGMENT_A} {TOTAL_A:,}. "
                      f"{SEGMENT_B}이(가) {GAP}({GAP_SHARE}) 더 높습니다."],
            "buttons": ("비교", ["두 데이터셋", "두 세그먼트", "두 기간"], "두 세그먼트"),
            "boxes": {"세그먼트 기준 열": "지역", "지표": "합계", "대상 열": "매출", "단위": "월"},
            "segments": ("기준(A) 값", "비교 대상(B) 값"),
            "align": "나란히 비교할 기준",
            "metrics": [f"A · {SEGMENT_A}", f"B · {SEGMENT_B}", "A 대비 B 변화"],
            "table": ["날짜(월)", f"A · {SEGMENT_A}", f"B · {SEGMENT_B}", "차이", "차이 %"],
            # Large amounts in 만 (ten thousand), as Korean counts them.
            "amounts": ["1만", "2만"],
        },
        # English texts of these pages that must not show.
        "absent": ["Overview", "Signed in as", "Back to the portal", "Missing values",
                   "Summary statistics", "rows picked at random", "Line over time", "Bar by category", "Split by",
                   "no filters", "Filters", "Two segments", "Side by side per", "Change from A to B", "higher by",
                   "total 매출"],
    },
    "en": {
        "nav": ["Overview", "Explore", "Compare", "Download"],
        "sidebar": ["Signed in as", "← Back to the portal", "Dataset"],
        "language": "Language",
        "back": "← Back to the portal",
        "overview": {
            "texts": ["300 rows · 3 columns · uploaded", "Summary statistics", "Sample", "100 rows picked at random."],
            "metrics": ["Rows", "Columns", "Missing values"],
            "tabs": ["Numbers", "Dates", "Categories and text"],
            "columns": ["column", "type", "kind", "missing", "missing %", "distinct"],
            "kinds": ["category", "date", "number"],
            "numbers": ["column", "mean", "std", "min", "25%", "median", "75%", "max"],
        },
        "explore": {
            "title": "Explore",
            "texts": ["sales · 300 of 300 rows · no filters", "60 points: total 매출 per day."],
            "buttons": ("Chart", ["Line over time", "Bar by category", "Histogram", "Scatter"], "Line over time"),
            "boxes": {"Date": "날짜", "Aggregate": "sum", "Of": "매출", "Per": "day", "Split by": "(none)"},
            "filters": ("Filters", {"Date column": "(none)", "Category column": "(none)", "Number column": "(none)"}),
            "value axis": "total 매출",
            "dates": (["2025", "February", "March"], "[년월일]"),
        },
        "compare": {
            "title": "Compare",
            "texts": [f"Total 매출 is {TOTAL_B:,} in {SEGMENT_B} against {TOTAL_A:,} in {SEGMENT_A}: "
                      f"higher by {GAP} ({GAP_SHARE})."],
            "buttons": ("Compare", ["Two datasets", "Two segments", "Two periods"], "Two segments"),
            "boxes": {"Segments by": "지역", "Metric": "sum", "Of": "매출", "Step": "month"},
            "segments": ("Baseline (A) is", "Compared (B) is"),
            "align": "Side by side per",
            "metrics": [f"A · {SEGMENT_A}", f"B · {SEGMENT_B}", "Change from A to B"],
            "table": ["날짜 (month)", f"A · {SEGMENT_A}", f"B · {SEGMENT_B}", "delta", "delta %"],
            "amounts": ["10K", "20K"],
        },
        "absent": ["개요", "탐색", "님으로 로그인됨", "포털로 돌아가기", "언어", "누락된 값", "요약 통계", "무작위로 고른",
                   "시간별 선", "범주별 막대", "나누기 기준", "필터 없음", "두 세그먼트", "나란히 비교할 기준", "A 대비 B 변화",
                   "더 높습니다", "합계"],
    },
}
NAMES = {"ko": "한국어", "en": "English"}


def expect_texts(page, language, step):
    body = page.locator("body")
    for text in TEXTS[language][step]:
        expect(body).to_contain_text(text)
    for text in TEXTS[language]["absent"]:
        expect(body).not_to_contain_text(text)


@pytest.mark.parametrize("language, locale", [("ko", "ko-KR"), ("en", "en-US")])
def test_the_portal_speaks_the_browsers_language(stack, new_page, shot, language, locale):
    (username_label, password_label, log_in, upload_link, file_label, name_label, upload_button, store_button, analytics,
     log_out) = LABELS[language]
    partner = new_partner(stack, f"Languages {language}")
    sales = sales_csv(2025, SALES)
    page = new_page(locale=locale)

    page.goto(f"{stack.url}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect_texts(page, language, "login")
    shot(page, f"{language}-login")
    page.get_by_label(username_label).fill(partner.username)
    page.get_by_label(password_label).fill(partner.password)
    page.get_by_role("button", name=log_in).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(partner.name)
    expect_texts(page, language, "home-empty")
    shot(page, f"{language}-home-empty")

    page.get_by_role("link", name=upload_link).first.click()
    expect_texts(page, language, "upload")
    shot(page, f"{language}-upload")
    page.get_by_label(file_label).set_input_files({"name": "sales.csv", "mimeType": "text/csv", "buffer": sales.data})
    page.get_by_label(name_label, exact=True).fill("sales")
    page.get_by_role("button", name=upload_button, exact=True).click()
    expect_texts(page, language, "preview")
    shot(page, f"{language}-preview")
    page.get_by_role("button", name=store_button, exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()
    expect_texts(page, language, "home-listed")
    expect(dataset_row(page, "sales")).to_contain_text(TIME[language])
    shot(page, f"{language}-home-listed")

    dataset_row(page, "sales").get_by_role("link", name="sales").click()
    expect_texts(page, language, "dataset")
    expect(page.locator("dl.facts")).to_contain_text(TIME[language])
    shot(page, f"{language}-dataset")

    # The dataset's page opens the analytics on that dataset, and the URL keeps naming it.
    page.get_by_role("link", name=analytics).click()
    expect(page).to_have_url(f"{stack.url}/app/?dataset=sales")
    expect(sidebar(page).get_by_role("heading", name=partner.name)).to_be_visible()
    expect_overview(page, language)
    shot(page, f"{language}-overview")

    go_to(page, ANALYTICS[language]["nav"][1])
    expect(page).to_have_url(f"{stack.url}/app/explore?dataset=sales")
    expect_explore(page, language)
    shot(page, f"{language}-explore")

    go_to(page, ANALYTICS[language]["nav"][2])
    expect(page).to_have_url(f"{stack.url}/app/compare?dataset=sales")
    expect_compare(page, language)
    shot(page, f"{language}-compare")

    sidebar(page).get_by_role("link", name=ANALYTICS[language]["back"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(partner.name)
    page.get_by_role("button", name=log_out).click()
    expect(page.get_by_role("heading", name=log_in)).to_be_visible()
    expect_texts(page, language, "signed-out")
    shot(page, f"{language}-signed-out")


def main(page):
    return page.get_by_test_id("stMain")


def buttons(page, label):
    """A segmented control's buttons (Streamlit draws them as a group of radio buttons)."""
    return page.get_by_role("radiogroup", name=label, exact=True).get_by_role("radio")


def axis(page, direction):
    """An axis of the drawn chart ("X" or "Y"): Vega labels each axis group by its direction."""
    return chart(page).locator(f"g[aria-label^='{direction}-axis']")


def expect_analytics_page(page, language):
    """What every page of the analytics shows: the sidebar in that language with the switcher,
    and none of the other language's texts."""
    texts = ANALYTICS[language]
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    expect(nav).to_have_count(len(texts["nav"]))
    expect(nav).to_contain_text(texts["nav"])
    for text in texts["sidebar"]:
        expect(sidebar(page)).to_contain_text(text)
    switcher = buttons(sidebar(page), texts["language"])
    expect(switcher).to_have_text(["한국어", "English"])
    expect(switcher.filter(has_text=NAMES[language])).to_be_checked()
    body = page.locator("body")
    for text in texts["absent"]:
        expect(body).not_to_contain_text(text)


def expect_boxes(scope, boxes):
    for label, value in boxes.items():
        expect(scope.get_by_role("combobox", name=label, exact=True)).to_have_value(value)


def expect_buttons(page, spec):
    label, options, chosen = spec
    expect(buttons(page, label)).to_have_text(options)
    expect(buttons(page, label).filter(has_text=re.compile(f"^{re.escape(chosen)}$"))).to_be_checked()


def expect_overview(page, language):
    texts = ANALYTICS[language]["overview"]
    expect(page.get_by_role("heading", level=1)).to_have_text("sales")
    for text in texts["texts"]:
        expect(main(page)).to_contain_text(text)
    expect(main(page).get_by_test_id("stMetricLabel")).to_have_text(texts["metrics"])
    expect(main(page).get_by_role("tab")).to_have_text(texts["tabs"])
    # The tables in view: the columns (one row per column, its kind translated) and the
    # summary of the numbers, in the first tab.
    tables = main(page).get_by_test_id("stDataFrame")
    expect(tables.nth(0).locator("thead th")).to_have_text(texts["columns"])
    expect(tables.nth(0).locator("tbody tr td:nth-child(3)")).to_have_text(texts["kinds"])
    expect(tables.nth(1).locator("thead th")).to_have_text(texts["numbers"])
    expect_analytics_page(page, language)


def expect_explore(page, language):
    texts = ANALYTICS[language]["explore"]
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["title"])
    for text in texts["texts"]:
        expect(main(page)).to_contain_text(text)
    expect_buttons(page, texts["buttons"])
    expect_boxes(main(page), texts["boxes"])
    filters, boxes = texts["filters"]
    expect(sidebar(page)).to_contain_text(filters)
    expect_boxes(sidebar(page), boxes)
    # A line of the 60 days, its axes in the partner's language.
    expect(chart(page).locator(".mark-line path")).to_have_count(1)
    expect(axis(page, "Y").locator(".role-axis-title text")).to_have_text(texts["value axis"])
    shown, foreign = texts["dates"]
    dates = axis(page, "X").locator(".role-axis-label text")
    expect(dates).to_contain_text(shown)
    expect(dates.filter(has_text=re.compile(foreign))).to_have_count(0)
    if language == "ko":
        # The value axis' title set upright: Korean turned on its side cannot be read. Vega
        # turns a vertical title with rotate(-90).
        expect(axis(page, "Y").locator(".role-axis-title text")).not_to_have_attribute(
            "transform", re.compile(r"rotate\(")
        )
    expect_analytics_page(page, language)


def expect_compare(page, language):
    texts = ANALYTICS[language]["compare"]
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["title"])
    expect_buttons(page, texts["buttons"])
    for label in texts["segments"]:
        expect(main(page).get_by_role("combobox", name=label, exact=True)).to_be_visible()
    # Side by side per month: the table and a line of each segment.
    choose(page, texts["align"], "날짜")
    expect_boxes(main(page), texts["boxes"])
    for text in texts["texts"]:
        expect(main(page).get_by_test_id("stAlert")).to_contain_text(text)
    expect(main(page).get_by_test_id("stMetricLabel")).to_have_text(texts["metrics"])
    expect(main(page).get_by_test_id("stDataFrame").locator("thead th")).to_have_text(texts["table"])
    expect(chart(page).locator(".mark-line path")).to_have_count(2)
    expect(axis(page, "Y").locator(".role-axis-label text")).to_contain_text(texts["amounts"])
    expect_analytics_page(page, language)


def test_the_switcher_changes_the_language_and_keeps_it_for_the_account(stack, new_page, shot):
    partner = new_partner(stack, "Languages switch")
    page = new_page(locale="ko-KR")

    page.goto(f"{stack.url}/accounts/login/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot(page, "switched-to-english")
    page.get_by_label("Username").fill(partner.username)
    page.get_by_label("Password").fill(partner.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Another browser, set to Korean: the account's choice comes first.
    other = new_page(locale="ko-KR")
    other.goto(f"{stack.url}/accounts/login/")
    other.get_by_label("사용자 이름").fill(partner.username)
    other.get_by_label("비밀번호").fill(partner.password)
    other.get_by_role("button", name="로그인").click()
    expect(other.get_by_role("button", name="Log out")).to_be_visible()

    other.get_by_role("button", name="한국어").click()
    expect(other.get_by_role("button", name="로그아웃")).to_be_visible()
    shot(other, "switched-back-to-korean")


def korean_analytics(stack, new_page, name):
    """A partner with the sales, signed in from a browser set to Korean, on the analytics' Overview."""
    partner = new_partner(stack, name)
    import_dataset(stack, partner.slug, sales_csv(2025, SALES), "sales")
    page = new_page(locale="ko-KR")
    page.goto(f"{stack.url}/accounts/login/")
    page.get_by_label("사용자 이름").fill(partner.username)
    page.get_by_label("비밀번호").fill(partner.password)
    page.get_by_role("button", name="로그인").click()
    page.get_by_role("link", name="분석 열기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("sales")
    return partner, page


def switch_to_english(page):
    buttons(sidebar(page), "언어").filter(has_text="English").click()


def test_the_analytics_switcher_switches_both_halves_and_keeps_the_partners_choices(stack, new_page, shot):
    partner, page = korean_analytics(stack, new_page, "Languages analytics switch")

    # The partner's choices, in Korean: bars on Explore; two periods, on the mean, on Compare.
    go_to(page, "탐색")
    buttons(page, "차트").filter(has_text="범주별 막대").click()
    expect(chart(page).locator(".mark-rect path")).to_have_count(len(SALES))
    go_to(page, "비교")
    buttons(page, "비교").filter(has_text="두 기간").click()
    expect(page.get_by_role("combobox", name="기간 기준 열", exact=True)).to_have_value("날짜")
    choose(page, "지표", "평균")
    expect(page.get_by_test_id("stAlert")).to_contain_text(re.compile(r"^매출 평균: "))
    shot(page, "korean-two-periods")

    switch_to_english(page)
    # At once, on the same page: English, still two periods, still the mean.
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare")
    expect(buttons(page, "Compare").filter(has_text="Two periods")).to_be_checked()
    expect(page.get_by_role("combobox", name="Periods of", exact=True)).to_have_value("날짜")
    expect(page.get_by_test_id("stAlert")).to_contain_text(re.compile(r"^Average 매출 is "))
    expect_analytics_page(page, "en")
    shot(page, "english-two-periods")

    go_to(page, "Explore")
    expect(page.get_by_role("heading", level=1)).to_have_text("Explore")
    expect(buttons(page, "Chart").filter(has_text="Bar by category")).to_be_checked()
    expect(chart(page).locator(".mark-rect path")).to_have_count(len(SALES))
    expect(axis(page, "X").locator(".role-axis-title text")).to_have_text("total 매출")
    expect_analytics_page(page, "en")
    shot(page, "english-bars")

    # The portal's next page, in the browser that still asks for Korean.
    sidebar(page).get_by_role("link", name="← Back to the portal").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(partner.name)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="Open analytics")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("로그아웃")
    shot(page, "english-portal")

    # Saved on the account: another browser, set to Korean, gets English once signed in.
    other = new_page(locale="ko-KR")
    other.goto(f"{stack.url}/accounts/login/")
    other.get_by_label("사용자 이름").fill(partner.username)
    other.get_by_label("비밀번호").fill(partner.password)
    other.get_by_role("button", name="로그인").click()
    expect(other.get_by_role("button", name="Log out")).to_be_visible()
    shot(other, "english-other-browser")


def test_select_boxes_show_their_choice_in_the_new_language_at_once(stack, new_page, shot):
    _, page = korean_analytics(stack, new_page, "Languages analytics boxes")
    go_to(page, "비교")
    choose(page, "지표", "평균")
    choose(page, "나란히 비교할 기준", "날짜")
    expect(page.get_by_role("combobox", name="단위", exact=True)).to_have_value("월")
    shot(page, "korean-compare")

    switch_to_english(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare")
    # The page already computes with the kept choices, in English.
    expect(page.get_by_test_id("stDataFrame").locator("thead th").first).to_have_text("날짜 (month)")
    expect(page.get_by_test_id("stAlert")).to_contain_text(re.compile(r"^Average 매출 is "))
    shot(page, "english-compare")
    # The boxes show those choices by their English names too, not the Korean ones.
    expect(page.get_by_role("combobox", name="Metric", exact=True)).to_have_value("mean")
    expect(page.get_by_role("combobox", name="Step", exact=True)).to_have_value("month")
