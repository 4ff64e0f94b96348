"""The portal in Korean and in English, as a browser set to each language gets it: log in,
upload, open the analytics, sign out; each page shows its known texts in that language, and the
other language's are absent. Screenshots of both are kept in test-artifacts/e2e/."""
import re

import pytest
from playwright.sync_api import expect

from e2e.partner_browser import dataset_row, new_partner, sales_csv, sidebar

SALES = {"서울": 1200, "부산": 900, "대구": 700, "인천": 650, "광주": 400}

TEXTS = {
    "ko": {
        "login": ["로그인", "사용자 이름", "비밀번호"],
        "home-empty": ["아직 데이터셋이 없습니다", "데이터셋 올리기", "로그아웃", "비밀번호"],
        "upload": ["데이터셋 올리기", "파일", "이름", "설명", "올리기", "취소"],
        "home-listed": ["을(를) 저장했습니다", "이름", "행", "열", "크기", "업로드", "CSV 내려받기", "삭제", "분석 열기"],
        "dataset": ["처음 몇 행", "자료형", "CSV 내려받기"],
        "signed-out": ["로그인"],
        # The other language's words that must not show.
        "absent": ["Log out", "Upload a dataset", "Download CSV", "No datasets yet"],
    },
    "en": {
        "login": ["Log in", "Username", "Password"],
        "home-empty": ["No datasets yet", "Upload a dataset", "Log out", "Password"],
        "upload": ["Upload a dataset", "File", "Name", "Description", "Upload", "Cancel"],
        "home-listed": ["Stored “", "Name", "Rows", "Columns", "Size", "Uploaded", "Download CSV", "Delete", "Open analytics"],
        "dataset": ["First rows", "Type", "Download CSV"],
        "signed-out": ["Log in"],
        "absent": ["로그아웃", "데이터셋 올리기", "CSV 내려받기", "아직 데이터셋이 없습니다"],
    },
}
# A time on the portal's pages, in PORTAL_TIME_ZONE (Asia/Seoul unless the stack sets another) with its zone.
TIME = {"ko": re.compile(r"\d{4}년 \d{1,2}월 \d{1,2}일 (오전|오후) \d{1,2}:\d{2} \(\w+\)"),
        "en": re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM) \w+")}
LABELS = {"ko": ("사용자 이름", "비밀번호", "로그인", "데이터셋 올리기", "파일", "이름", "올리기", "분석 열기", "로그아웃"),
          "en": ("Username", "Password", "Log in", "Upload a dataset", "File", "Name", "Upload", "Open analytics", "Log out")}


def expect_texts(page, language, step):
    body = page.locator("body")
    for text in TEXTS[language][step]:
        expect(body).to_contain_text(text)
    for text in TEXTS[language]["absent"]:
        expect(body).not_to_contain_text(text)


@pytest.mark.parametrize("language, locale", [("ko", "ko-KR"), ("en", "en-US")])
def test_the_portal_speaks_the_browsers_language(stack, new_page, shot, language, locale):
    username_label, password_label, log_in, upload_link, file_label, name_label, upload_button, analytics, log_out = LABELS[language]
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
    expect(page.get_by_role("status")).to_be_visible()
    expect_texts(page, language, "home-listed")
    expect(dataset_row(page, "sales")).to_contain_text(TIME[language])
    shot(page, f"{language}-home-listed")

    dataset_row(page, "sales").get_by_role("link", name="sales").click()
    expect_texts(page, language, "dataset")
    expect(page.locator("dl.facts")).to_contain_text(TIME[language])
    shot(page, f"{language}-dataset")

    page.get_by_role("link", name=analytics).click()
    expect(page).to_have_url(f"{stack.url}/app/")
    expect(sidebar(page).get_by_role("heading", name=partner.name)).to_be_visible()
    # The analytics' own switcher, where the analytics have one: it names both languages.
    switcher = sidebar(page).get_by_text("English")
    if switcher.count():
        expect(sidebar(page)).to_contain_text("한국어")
    shot(page, f"{language}-analytics")

    page.goto(f"{stack.url}/")
    page.get_by_role("button", name=log_out).click()
    expect(page.get_by_role("heading", name=log_in)).to_be_visible()
    expect_texts(page, language, "signed-out")
    shot(page, f"{language}-signed-out")


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
