"""A partner's accounts in a real browser: its admin invites a colleague, who sets a password
through the link, sets up an authenticator app (the test computes its codes from the key the page
shows), signs out and back in with a code; a password alone never reaches the analytics; the
admin sees those events in the partner's trail and exports it, another partner's admin sees none."""
import re
import secrets
import time

from playwright.sync_api import expect

from e2e.partner_browser import (Partner, expect_analytics, expect_home, go_to, import_dataset, log_in, new_partner,
                                 sales_csv, signed_in)
from support.logins import totp


def invite(page, username):
    """The admin invites a colleague on the people page; returns the link to hand over."""
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("heading", name=f"{username} is invited")).to_be_visible()
    return page.get_by_label("Link").input_value()


def set_password(page, link, password):
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password confirmation").fill(password)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()


def trail_rows(page):
    page.get_by_role("link", name="Audit trail").click()
    return page.locator("tbody tr")


def test_a_colleague_sets_up_totp_and_signs_in_with_it_and_the_admin_sees_it_in_the_trail(
        stack, new_page, shot):
    admin = new_partner(stack, "Busan Logistics")
    stack.manage("setrole", admin.slug, admin.username, "admin")
    other = new_partner(stack, "Incheon Metals")
    stack.manage("setrole", other.slug, other.username, "admin")
    colleague = Partner(admin.slug, admin.name, f"park-{secrets.token_hex(3)}", "a long and fine password 42")
    import_dataset(stack, admin.slug, sales_csv(2025, {"부산": 900}), "물동량 2025")

    page = signed_in(stack, new_page, admin)
    link = invite(page, colleague.username)

    browser = new_page()
    set_password(browser, link, colleague.password)
    browser.goto(f"{stack.url}/accounts/login/")
    log_in(browser, colleague)
    expect_home(browser, colleague)

    browser.get_by_role("link", name="Second factor").click()
    browser.get_by_role("link", name="Set up an authenticator app").click()
    expect(browser.locator("svg").first).to_be_visible()
    shot(browser, "set-up")
    key = browser.get_by_label("Key").input_value()
    browser.get_by_label("Code from the app").fill(totp(key))
    browser.get_by_role("button", name="Turn on").click()
    expect(browser.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = browser.locator("li code").all_inner_texts()
    assert len(codes) == 10
    shot(browser, "recovery-codes")
    browser.get_by_role("link", name="I have kept them").click()
    browser.get_by_role("button", name="Log out").click()

    # The password alone: the analytics send the browser to the code step, not to the data.
    browser.goto(f"{stack.url}/app/")
    log_in(browser, colleague)
    expect(browser.get_by_role("heading", name="Enter your code")).to_be_visible()
    browser.goto(f"{stack.url}/app/")
    expect(browser.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert "/app/" not in browser.url.split("?")[0]
    shot(browser, "code-step")
    # The code just used at set-up is spent; the app's next one signs in.
    browser.get_by_label("Code").fill(totp(key, at=time.time() + 30))
    browser.get_by_role("button", name="Continue").click()
    expect(browser).to_have_url(re.compile(r"/app/"))
    # What only the analytics see goes to the trail too: the dataset opened, an export made.
    expect_analytics(browser, colleague)
    go_to(browser, "Download")
    with browser.expect_download():
        browser.get_by_role("button", name="Download CSV").click()

    rows = trail_rows(page)
    for action in ("invited", "password set through a link", "second factor: authenticator set up",
                   "signed in (password)", "second factor: code accepted", "signed out",
                   "dataset opened in the analytics", "exported from the analytics"):
        expect(rows.filter(has_text=colleague.username).filter(has_text=action).first).to_be_visible()
    expect(rows.filter(has_text="exported from the analytics").first).to_contain_text("물동량 2025")
    shot(page, "trail")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export (CSV)").click()
    exported = open(download.value.path(), encoding="utf-8-sig").read()
    assert colleague.username in exported and "second factor: code accepted" in exported

    outsider = signed_in(stack, new_page, other)
    trail_rows(outsider)
    expect(outsider.get_by_role("heading", name=f"Audit trail of {other.name}")).to_be_visible()
    expect(outsider.get_by_text(colleague.username)).to_have_count(0)


def test_an_admin_resets_a_lost_authenticator_and_the_colleague_signs_in_with_the_password(stack, new_page):
    admin = new_partner(stack, "Gwangju Textiles")
    stack.manage("setrole", admin.slug, admin.username, "admin")
    colleague = Partner(admin.slug, admin.name, f"choi-{secrets.token_hex(3)}", "a long and fine password 42")
    page = signed_in(stack, new_page, admin)
    set_password(new_page(), invite(page, colleague.username), colleague.password)
    browser = signed_in(stack, new_page, colleague)
    browser.get_by_role("link", name="Second factor").click()
    browser.get_by_role("link", name="Set up an authenticator app").click()
    browser.get_by_label("Code from the app").fill(totp(browser.get_by_label("Key").input_value()))
    browser.get_by_role("button", name="Turn on").click()
    expect(browser.get_by_role("heading", name="Your recovery codes")).to_be_visible()

    page.get_by_role("link", name="People", exact=True).click()
    row = page.locator("tbody tr").filter(has_text=colleague.username)
    row.get_by_role("button", name="Reset second factor").click()
    expect(page.get_by_text(f"The second factor of {colleague.username} is reset")).to_be_visible()

    fresh = new_page()
    fresh.goto(f"{stack.url}/accounts/login/")
    log_in(fresh, colleague)
    expect_home(fresh, colleague)
