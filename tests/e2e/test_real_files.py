"""A partner's real files, in a real browser: a CSV exported the Korean way (CP949, dates
2025.01.01, amounts "4,584,943" with one "미정" among them) and an Excel workbook with a title above
its header. The partner checks each in the upload's preview, changes one column's type there,
stores it, and sees a dated line of the real amounts in Explore."""
import datetime as dt
import io
import re

import xlsxwriter
from playwright.sync_api import expect

from e2e.partner_browser import chart, choose_file, dataset_row, expect_analytics, new_partner, signed_in

DAYS = 40
CSV_NAME, WORKBOOK_NAME = "2025 매출 (CP949)", "재고 현황"


def korean_csv():
    """Dates with dots, amounts with thousands separators in quotes, one amount still to come."""
    lines = ["거래일자,지점,매출액"]
    for day in range(DAYS):
        date = dt.date(2025, 1, 1) + dt.timedelta(days=day)
        amount = "미정" if day == 5 else f'"{4_000_000 + day * 10_000:,}"'
        lines.append(f"{date:%Y.%m.%d},강남,{amount}")
    return ("\r\n".join(lines) + "\r\n").encode("cp949")


def inventory_workbook():
    """A sheet as Korean offices make it: a title, a blank row, then the header; Excel's own
    dates and numbers below it."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("재고")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, "2025년 재고 현황")
    sheet.write_row(2, 0, ["기준일", "창고", "수량"])
    for day in range(DAYS):
        sheet.write_datetime(3 + day, 0, dt.datetime(2025, 1, 1) + dt.timedelta(days=day), dates)
        sheet.write(3 + day, 1, "평택")
        sheet.write_number(3 + day, 2, 1200 + day)
    book.close()
    return out.getvalue()


class File:
    def __init__(self, data):
        self.data = data


def column_row(page, name):
    return page.locator("table.columns tbody tr").filter(has=page.locator("td", has_text=re.compile(f"^{name}$")))


def expect_dated_line(page, dataset, value_title):
    """Explore's default chart for the dataset: one line over time, its value axis in the
    millions or thousands the file holds (not the 0 to 1 of counting rows)."""
    expect(page.get_by_role("heading", level=1)).to_have_text(dataset)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Explore", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Explore")
    expect(chart(page).locator(".mark-line path")).to_have_count(1)
    expect(chart(page).locator("g[aria-label^='Y-axis'] .role-axis-title text")).to_have_text(value_title)
    expect(chart(page).locator("g[aria-label^='X-axis'] .role-axis-label text").first).to_contain_text("2025")


def test_a_korean_csv_and_a_workbook_are_checked_typed_and_drawn(stack, new_page, shot):
    partner = new_partner(stack, "Real Files Partner")
    page = signed_in(stack, new_page, partner)

    # The Korean CSV: dates found, the amounts text because of "미정", and the preview says so.
    choose_file(page, "매출.csv", File(korean_csv()), name=CSV_NAME)
    expect(page.get_by_role("heading", name="Check before storing")).to_be_visible()
    expect(page.get_by_text(f"{DAYS} rows and 3 columns (comma-separated text in CP949/EUC-KR)")).to_be_visible()
    expect(column_row(page, "거래일자").get_by_role("combobox")).to_have_value("date")
    amounts = column_row(page, "매출액")
    expect(amounts.get_by_role("combobox")).to_have_value("text")
    expect(amounts).to_contain_text("all but 1 value read as Whole number")
    expect(amounts).to_contain_text("line 7: “미정”")
    shot(page, "csv-preview-as-found")

    # The partner makes the amounts numbers: the preview shows at once what that stores.
    amounts.get_by_role("combobox").select_option("integer")
    expect(amounts).to_contain_text("1 value does not read as Whole number and will be stored empty: line 7: “미정”")
    first_row = page.locator("table.stored tbody tr").first
    expect(first_row.locator("td")).to_have_text(["2025-01-01", "강남", "4,000,000"])
    shot(page, "csv-preview-amounts-as-numbers")
    page.get_by_role("button", name="Store", exact=True).click()
    expect(page.get_by_text(f"Stored “{CSV_NAME}”: {DAYS} rows, 3 columns")).to_be_visible()

    dataset_row(page, CSV_NAME).get_by_role("link", name=CSV_NAME).click()
    expect(page.locator("table").first).to_contain_text("integer")
    page.get_by_role("link", name="Open analytics").click()
    expect_analytics(page, partner)
    expect_dated_line(page, CSV_NAME, "total 매출액")
    shot(page, "csv-explore")

    # The workbook: the title above the header is passed over; Excel's dates and numbers typed.
    page.goto(f"{stack.url}/")
    choose_file(page, "재고.xlsx", File(inventory_workbook()), name=WORKBOOK_NAME)
    expect(page.get_by_role("heading", name="Check before storing")).to_be_visible()
    expect(page.get_by_text("(Excel workbook, sheet “재고”)")).to_be_visible()
    expect(page.get_by_label("Header row")).to_have_value("3")
    expect(column_row(page, "기준일").get_by_role("combobox")).to_have_value("date")
    expect(column_row(page, "수량").get_by_role("combobox")).to_have_value("integer")
    shot(page, "workbook-preview")
    page.get_by_role("button", name="Store", exact=True).click()
    expect(dataset_row(page, WORKBOOK_NAME)).to_be_visible()

    dataset_row(page, WORKBOOK_NAME).get_by_role("link", name=WORKBOOK_NAME).click()
    page.get_by_role("link", name="Open analytics").click()
    expect_analytics(page, partner)
    expect_dated_line(page, WORKBOOK_NAME, "total 수량")
    shot(page, "workbook-explore")


def test_cancelling_a_preview_stores_nothing(stack, new_page):
    partner = new_partner(stack, "Cancel Partner")
    page = signed_in(stack, new_page, partner)

    choose_file(page, "매출.csv", File(korean_csv()), name="never stored")
    expect(page.get_by_role("heading", name="Check before storing")).to_be_visible()
    page.get_by_role("button", name="Cancel", exact=True).click()

    expect(page.get_by_text("Nothing was stored from “매출.csv”.")).to_be_visible()
    expect(dataset_row(page, "never stored")).to_have_count(0)
