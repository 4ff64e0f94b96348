"""Nobody reaches the analytics without logging in; whoever logs in on the way gets there."""
from urllib.parse import urljoin

from playwright.sync_api import expect

from e2e.partner_browser import expect_analytics, log_in, new_partner


def test_a_logged_out_browser_opening_the_analytics_logs_in_and_arrives_there(stack, new_page, shot):
    partner = new_partner(stack, "Seoul Mart")
    page = new_page()
    login_page = f"{stack.url}/accounts/login/?next=/app/"

    # Where the browser is sent, said plainly: a redirect off this portal fails as a refused
    # connection (or another site's page) in the browser, which would not tell why.
    redirect = page.request.get(f"{stack.url}/app/", max_redirects=0)
    location = urljoin(f"{stack.url}/app/", redirect.headers.get("location", ""))
    assert (redirect.status, location) == (302, login_page), "where /app/ sends a logged-out browser"
    page.goto(f"{stack.url}/app/")
    expect(page).to_have_url(login_page)
    shot(page, "login")
    log_in(page, partner)
    expect(page).to_have_url(f"{stack.url}/app/")
    expect_analytics(page, partner)
    expect(page.get_by_text("You have no datasets yet.")).to_be_visible()
    shot(page, "analytics")
