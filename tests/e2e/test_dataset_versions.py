"""A partner's dataset with two versions, in a real browser: the partner renames it, brings the
earlier version back, and sees the restored data under the new name in the portal and in the
analytics; the version it replaced stays on the page, ready to be restored in turn."""
import re

from playwright.sync_api import expect

from e2e.partner_browser import (dataset_row, expect_analytics, import_dataset, new_partner, sales_csv, sidebar,
                                 signed_in)

SALES = {"서울": 1200, "부산": 900, "대구": 700}
NAME, NEW_NAME = "지역 매출", "지역 매출 (확정)"


def fact(page, name):
    """The value beside `name` in the dataset page's facts."""
    term = page.locator("dl.facts dt").filter(has_text=re.compile(rf"^{re.escape(name)}$"))
    return term.locator("xpath=following-sibling::dd[1]")


def versions(page):
    return page.locator("table.versions tbody tr")


def test_a_partner_renames_a_dataset_and_restores_its_earlier_version(stack, new_page, shot):
    partner = new_partner(stack, "Versions Partner")
    january, february = sales_csv(2025, SALES, days=31), sales_csv(2025, SALES, days=59)
    import_dataset(stack, partner.slug, january, NAME)
    import_dataset(stack, partner.slug, february, NAME, "--replace")
    page = signed_in(stack, new_page, partner)

    dataset_row(page, NAME).get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(fact(page, "Version")).to_have_text("2")
    expect(fact(page, "Rows")).to_have_text(str(february.rows))
    expect(versions(page)).to_have_count(1)
    expect(versions(page).first.locator("td").nth(0)).to_have_text("1")
    expect(versions(page).first.locator("td").nth(2)).to_have_text(str(january.rows))
    shot(page, "two-versions")

    page.get_by_role("link", name="Edit name and description").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit “{NAME}”")
    page.get_by_label("Name").fill(NEW_NAME)
    page.get_by_label("Description").fill("1월 확정치")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text(f"Saved “{NEW_NAME}”.")
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_NAME)
    expect(page.get_by_text("1월 확정치")).to_be_visible()
    shot(page, "renamed")

    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_role("status")).to_have_text(f"Version 1 of “{NEW_NAME}” is the current one again.")
    expect(fact(page, "Version")).to_have_text("1")
    expect(fact(page, "Rows")).to_have_text(str(january.rows))
    # The version it replaced is kept, and can come back in turn.
    expect(versions(page)).to_have_count(1)
    expect(versions(page).first.locator("td").nth(2)).to_have_text(str(february.rows))
    expect(page.get_by_role("button", name="Restore version 2")).to_be_visible()
    shot(page, "restored")

    page.get_by_role("link", name="Partner portal").click()
    expect(dataset_row(page, NEW_NAME).locator("td[data-label=Rows]")).to_have_text(str(january.rows))
    expect(dataset_row(page, NAME)).to_have_count(0)

    dataset_row(page, NEW_NAME).get_by_role("link", name=NEW_NAME).click()
    page.get_by_role("link", name="Open analytics").click()
    expect_analytics(page, partner)
    expect(sidebar(page).get_by_role("combobox", name="Dataset", exact=True)).to_have_value(NEW_NAME)
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_NAME)
    expect(page.get_by_test_id("stMetric").filter(has_text="Rows").get_by_test_id("stMetricValue")).to_have_text(
        str(january.rows)
    )
    shot(page, "analytics-on-the-restored-version")
