"""What a partner sees of the analytics' layout in a real browser: nothing is cut off or covered."""
import datetime as dt

from playwright.sync_api import expect

from e2e.partner_browser import chart, choose, dataset_row, expect_analytics, new_partner, sales_csv, sidebar, signed_in, upload

SALES = {"서울": 1200, "부산": 900}
DAYS = 340
FIRST = dt.date(2025, 1, 1)
LAST = FIRST + dt.timedelta(days=DAYS - 1)


def test_the_date_range_shows_both_dates_and_the_chart_toolbar_covers_no_choice(stack, new_page, shot):
    partner = new_partner(stack, "Layout Partner")
    page = signed_in(stack, new_page, partner)
    upload(page, "sales.csv", sales_csv(FIRST.year, SALES, days=DAYS), name="layout")
    expect(dataset_row(page, "layout")).to_be_visible()
    page.goto(f"{stack.url}/app/explore")
    expect_analytics(page, partner)

    # The sidebar's range of two dates, whole: its fields fit their box with nothing scrolled away.
    choose(page, "Date column", "날짜")
    field = sidebar(page).get_by_test_id("stDateInput")
    ends = field.locator('input[type="date"]')
    expect(ends.nth(0)).to_have_value(FIRST.isoformat())
    expect(ends.nth(1)).to_have_value(LAST.isoformat())
    scroller = field.get_by_test_id("stDateInputFieldsScroller")
    expect(scroller).to_be_visible()
    page.wait_for_function("([box]) => box.scrollWidth <= box.clientWidth", arg=[scroller.element_handle()])

    # The toolbar a chart shows on hover sits below the select boxes above the chart.
    expect(chart(page)).to_be_visible()
    page.get_by_test_id("stVegaLiteChart").hover()
    toolbar = page.get_by_test_id("stElementToolbar")
    expect(toolbar).to_be_visible()
    above = page.get_by_role("combobox", name="Split by", exact=True)
    page.wait_for_function(
        "([toolbar, box]) => toolbar.getBoundingClientRect().top >= box.getBoundingClientRect().bottom",
        arg=[toolbar.element_handle(), above.element_handle()],
    )
    shot(page, "explore-with-toolbar")
