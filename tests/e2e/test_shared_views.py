"""A view of the analytics as a link: "Open analytics" on a dataset's page opens that dataset,
the choices made go into the URL, and the URL opened in another browser of the same partner
shows the same view; opened by another partner, it shows only that partner's own data."""
import re

from playwright.sync_api import expect

from e2e.partner_browser import (chart, choose, dataset_row, expect_analytics, go_to, new_partner, sales_csv,
                                 sidebar, signed_in, upload)

SALES = {"서울": 1200, "부산": 900, "대구": 700}
FIRST, SECOND = "매출 2025", "매출 & 재고 2026"
OWN = "거래처 자료"


def expect_view(page, dataset, metric):
    """Explore drawing bars of `metric` per 지역 for `dataset`."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Explore")
    expect(page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").first).to_contain_text(dataset)
    expect(page.get_by_role("radio", name="Bar by category")).to_be_checked()
    expect(chart(page).locator(".mark-rect path")).to_have_count(len(SALES))
    expect(chart(page)).to_contain_text(metric)


def test_a_view_travels_as_a_link_within_its_partner_only(stack, new_page, shot):
    partner, other = new_partner(stack, "Links Partner"), new_partner(stack, "Links Other")
    page = signed_in(stack, new_page, partner)
    upload(page, "first.csv", sales_csv(2025, SALES), name=FIRST)
    expect(dataset_row(page, FIRST)).to_be_visible()
    upload(page, "second.csv", sales_csv(2026, SALES), name=SECOND)
    expect(dataset_row(page, SECOND)).to_be_visible()

    # The dataset's own page opens the analytics on it, not on the first of the list.
    dataset_row(page, SECOND).get_by_role("link", name=SECOND).click()
    page.get_by_role("link", name="Open analytics").click()
    expect_analytics(page, partner)
    expect(page.get_by_role("heading", level=1)).to_have_text(SECOND)
    expect(sidebar(page).get_by_role("combobox", name="Dataset", exact=True)).to_have_value(SECOND)
    shot(page, "opened-on-its-dataset")

    go_to(page, "Explore")
    page.get_by_role("radio", name="Bar by category").click()
    choose(page, "Aggregate", "mean")
    expect_view(page, SECOND, "average 매출")
    expect(page).to_have_url(re.compile(r"/app/explore\?.*dataset="))
    link = page.url
    shot(page, "the-view")

    # A reload keeps the view.
    page.reload()
    expect_view(page, SECOND, "average 매출")

    # A colleague's browser: the same partner, signed in on its own, opens the link.
    colleague = signed_in(stack, new_page, partner)
    colleague.goto(link)
    expect_analytics(colleague, partner)
    expect_view(colleague, SECOND, "average 매출")
    shot(colleague, "the-colleagues-view")

    # Another partner given the link: its own dataset, at the page's defaults; nothing of the
    # first partner's, not even the name of a dataset.
    stranger = signed_in(stack, new_page, other)
    upload(stranger, "own.csv", sales_csv(2024, SALES), name=OWN)
    expect(dataset_row(stranger, OWN)).to_be_visible()
    stranger.goto(link)
    expect_analytics(stranger, other)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Explore")
    expect(stranger.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").first).to_contain_text(OWN)
    expect(stranger.get_by_role("radio", name="Line over time")).to_be_checked()
    for name in (FIRST, SECOND, partner.name):
        expect(stranger.locator("body")).not_to_contain_text(name)
    shot(stranger, "another-partners-view")
