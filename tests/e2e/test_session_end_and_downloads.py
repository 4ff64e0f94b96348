"""In a real browser: an analytics tab ends with the sign-in behind it, and a file downloaded from
the analytics can be fetched again by its own partner only."""
import re

from playwright.sync_api import expect

from e2e.partner_browser import expect_analytics, go_to, import_dataset, new_partner, sales_csv, signed_in

DATASET = "세션 매출"
SIGNED_OUT = "You are signed out of the portal"


def signed_in_analytics(stack, new_page, partner):
    """The portal in one tab and the analytics in another of the same browser."""
    portal = signed_in(stack, new_page, partner)
    analytics = portal.context.new_page()
    analytics.goto(f"{stack.url}/app/")
    expect_analytics(analytics, partner)
    expect(analytics.get_by_role("heading", level=1)).to_have_text(DATASET)
    return portal, analytics


def expect_signed_out(page):
    expect(page.get_by_text(SIGNED_OUT)).to_be_visible()
    expect(page.get_by_role("link", name="Sign in again")).to_have_attribute("href", "/accounts/login/?next=/app/")
    expect(page.locator("body")).not_to_contain_text(DATASET)
    # The page links may stay in the sidebar (each click only shows this page again); nothing
    # of the partner does.
    expect(page.locator("body")).not_to_contain_text("Signed in as")


def test_signing_out_in_one_tab_empties_the_analytics_tab_at_its_next_click(stack, new_page, shot):
    partner = new_partner(stack, "Sesi Trading")
    import_dataset(stack, partner.slug, sales_csv(2025, {"서울": 500, "부산": 300}), DATASET)
    portal, analytics = signed_in_analytics(stack, new_page, partner)
    shot(analytics, "analytics-open")

    portal.get_by_role("button", name="Log out").click()
    expect(portal.get_by_role("heading", name="Log in")).to_be_visible()
    shot(portal, "signed-out")

    go_to(analytics, "Explore")
    expect_signed_out(analytics)
    shot(analytics, "analytics-after-click")
    with analytics.context.expect_page() as sign_in:
        analytics.get_by_role("link", name="Sign in again").click()
    expect(sign_in.value.get_by_role("heading", name="Log in")).to_be_visible()


def test_an_untouched_analytics_tab_empties_itself_after_a_sign_out(stack, new_page, shot):
    partner = new_partner(stack, "Gyeol Foods")
    import_dataset(stack, partner.slug, sales_csv(2025, {"대구": 200}), DATASET)
    portal, analytics = signed_in_analytics(stack, new_page, partner)

    portal.get_by_role("button", name="Log out").click()
    expect(portal.get_by_role("heading", name="Log in")).to_be_visible()

    # Nobody touches the tab: its own periodic check finds the sign-out (every 20 s).
    expect_signed_out(analytics)
    shot(analytics, "analytics-untouched")


def test_a_downloaded_file_answers_its_own_partner_only(stack, new_page, shot):
    owner, other = new_partner(stack, "Hanbit Retail"), new_partner(stack, "Dasol Retail")
    import_dataset(stack, owner.slug, sales_csv(2025, {"광주": 700}), DATASET)
    import_dataset(stack, other.slug, sales_csv(2025, {"인천": 100}), "다른 매출")
    _, analytics = signed_in_analytics(stack, new_page, owner)
    go_to(analytics, "Download")
    with analytics.expect_download() as started:
        analytics.get_by_role("button", name="Download CSV").click()
    download = started.value
    url = download.url
    assert re.search(r"/app/media/[^/]+\.csv$", url), url
    shot(analytics, "downloaded")
    rows = download.path().read_bytes()
    assert "광주".encode() in rows

    again = analytics.request.get(url)
    assert again.status == 200 and again.body() == rows, "the owner fetches the file again"

    stranger = signed_in(stack, new_page, other)
    taken = stranger.request.get(url)
    assert taken.status == 404
    assert "광주".encode() not in taken.body()

    signed_out = new_page()
    anonymous = signed_out.request.get(url, max_redirects=0)
    assert anonymous.status == 404
    assert "광주".encode() not in anonymous.body()
