"""A new partner's way through the portal in a real browser: log in, upload what Korean Excel
saves, see it listed, open the analytics, see a chart of it, and compare two years."""
import re

import pytest
from playwright.sync_api import expect

from e2e.partner_browser import (COLUMNS, REGIONS, chart, choose, dataset_row, expect_analytics, expect_home,
                                 go_to, grid_row, log_in, new_partner, sales_csv, upload)

SALES_2025 = {"서울": 1200, "부산": 900, "대구": 700, "인천": 650, "광주": 400}
SALES_2026 = {"서울": 1500, "부산": 950, "대구": 640, "인천": 650, "광주": 420}
NAME_2025, NAME_2026 = "지역 매출 2025", "지역 매출 2026"


def test_a_new_partner_uploads_korean_excel_data_and_analyses_it(stack, new_page, shot):
    partner = new_partner(stack, "Hanbit Trading")
    y2025, y2026 = sales_csv(2025, SALES_2025), sales_csv(2026, SALES_2026)
    page = new_page()

    page.goto(f"{stack.url}/")
    expect(page).to_have_url(f"{stack.url}/accounts/login/?next=/")
    shot(page, "login")
    log_in(page, partner)
    expect_home(page, partner)
    expect(page.get_by_text("No datasets yet")).to_be_visible()
    shot(page, "home-empty")

    # Name left empty: the dataset takes the file's Korean name.
    upload(page, f"{NAME_2025}.csv", y2025)
    expect(page.get_by_role("status")).to_contain_text(
        f"Stored “{NAME_2025}”: {y2025.rows} rows, 3 columns (comma-separated text in CP949/EUC-KR)"
    )
    row = dataset_row(page, NAME_2025)
    expect(row.locator("td[data-label=Rows]")).to_have_text(str(y2025.rows))
    expect(row.locator("td[data-label=Columns]")).to_have_text("3")
    shot(page, "home-listed")

    # The stored data reads back as it was written: the Korean names and values, typed.
    row.get_by_role("link", name=NAME_2025).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME_2025)
    column_rows = page.locator("table").first.locator("tbody tr")
    for row_number, (name, kind) in enumerate(zip(COLUMNS, ("text", "date", "integer"))):
        expect(column_rows.nth(row_number).locator("td")).to_have_text([str(row_number + 1), name, kind])
    expect(page.locator("table.preview thead th")).to_have_text(list(COLUMNS))
    expect(page.locator("table.preview tbody tr").first.locator("td")).to_have_text(
        ["서울", re.compile(r"\b2025\b"), "1200"]
    )
    shot(page, "dataset-page")

    page.get_by_role("link", name="Partner portal").click()
    upload(page, "sales-2026.csv", y2026, name=NAME_2026)
    expect(page.get_by_role("status")).to_contain_text(f"Stored “{NAME_2026}”: {y2026.rows} rows")
    expect(dataset_row(page, NAME_2025)).to_be_visible()
    expect(dataset_row(page, NAME_2026)).to_be_visible()
    shot(page, "home-two-datasets")

    page.get_by_role("link", name="Open analytics").click()
    # The analytics open on the first dataset, and the URL names it.
    expect(page).to_have_url(re.compile(rf"^{re.escape(stack.url)}/app/\?dataset=.+"))
    expect_analytics(page, partner)
    choose(page, "Dataset", NAME_2025)
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME_2025)
    expect(page.get_by_test_id("stMetric").filter(has_text="Rows").get_by_test_id("stMetricValue")).to_have_text(
        str(y2025.rows)
    )
    shot(page, "analytics-overview")

    go_to(page, "Explore")
    expect(page.get_by_role("heading", level=1)).to_have_text("Explore")
    caption = page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").first
    expect(caption).to_contain_text(f"{NAME_2025} · {y2025.rows} of {y2025.rows} rows")
    expect(chart(page)).to_contain_text("total 매출")
    expect(chart(page).locator(".mark-line path")).to_have_count(1)
    shot(page, "explore-line")

    page.get_by_role("radio", name="Bar by category").click()
    expect(chart(page).locator(".mark-rect path")).to_have_count(len(REGIONS))
    for region in REGIONS:
        expect(chart(page)).to_contain_text(region)
    shot(page, "explore-bars")

    go_to(page, "Compare")
    page.get_by_role("radio", name="Two datasets").click()
    expect(page.get_by_role("combobox", name="Baseline (A)", exact=True)).to_have_value(NAME_2025)
    expect(page.get_by_role("combobox", name="Compared (B)", exact=True)).to_have_value(NAME_2026)
    choose(page, "Side by side per", "지역")

    gaps = {region: y2026.totals[region] - y2025.totals[region] for region in REGIONS}
    widest = max(gaps, key=lambda region: abs(gaps[region]))
    change = (y2026.total - y2025.total) / y2025.total * 100
    widest_change = gaps[widest] / y2025.totals[widest] * 100
    expect(page.get_by_test_id("stAlert")).to_have_text(
        f"Total 매출 is {y2026.total:,} in {NAME_2026} against {y2025.total:,} in {NAME_2025}: "
        f"higher by {y2026.total - y2025.total:,} ({change:.1f}%). "
        f"The largest gap is at 지역 {widest}: {gaps[widest]:+,} ({widest_change:+.1f}%)."
    )
    # Both sides drawn, one bar each per region.
    expect(chart(page).locator(".mark-rect path")).to_have_count(2 * len(REGIONS))
    shot(page, "compare-summary")
    table = page.get_by_test_id("stDataFrame")
    expect(table.locator("thead th")).to_have_text(
        ["지역", f"A · {NAME_2025}", f"B · {NAME_2026}", "delta", "delta %"]
    )
    for region in REGIONS:
        cells = grid_row(page, region).locator("td")
        expect(cells).to_have_count(5)
        a, b = y2025.totals[region], y2026.totals[region]
        shown = cells.all_text_contents()
        assert shown[:4] == [region, str(a), str(b), str(b - a)], f"the row of {region}"
        # The change reads as shown, one decimal: "+24.4%", or "new"/"none" from or to nothing.
        assert shown[4].endswith("%"), f"the change of {region}"
        assert float(shown[4].removesuffix("%")) == pytest.approx((b - a) / a * 100, abs=0.05), f"the change of {region}"
    table.scroll_into_view_if_needed()
    shot(page, "compare-table")
