"""A partner's admin invites a colleague in the browser; the colleague sets a password with the
link, once. The stack has no mail server (its back network has no way out), so the admin hands
the link over, as the portal says to."""
import secrets

from playwright.sync_api import expect

from e2e.partner_browser import Partner, expect_home, log_in, new_partner, signed_in


def test_an_admin_invites_a_colleague_whose_link_sets_a_password_once(stack, new_page, shot):
    admin = new_partner(stack, "Daegu Foods")
    stack.manage("setrole", admin.slug, admin.username, "admin")
    colleague = Partner(admin.slug, admin.name, f"kim-{secrets.token_hex(3)}", "a long and fine password 42")

    page = signed_in(stack, new_page, admin)
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name=f"People of {admin.name}")).to_be_visible()
    page.get_by_label("Username").fill(colleague.username)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("heading", name=f"{colleague.username} is invited")).to_be_visible()
    shot(page, "invited")
    link = page.get_by_label("Link").input_value()

    invitee = new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Choose your password")).to_be_visible()
    invitee.get_by_label("New password", exact=True).fill(colleague.password)
    invitee.get_by_label("New password confirmation").fill(colleague.password)
    invitee.get_by_role("button", name="Set the password").click()
    expect(invitee.get_by_role("heading", name="Password set")).to_be_visible()
    invitee.get_by_role("link", name="Log in").last.click()
    log_in(invitee, colleague)
    expect_home(invitee, colleague)
    expect(invitee.get_by_role("link", name="People")).to_have_count(0)
    shot(invitee, "colleague-home")

    again = new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="This link no longer works")).to_be_visible()
    shot(again, "link-used")

    page.get_by_role("link", name="Back to the people of your partner").click()
    row = page.locator("tbody tr").filter(has_text=colleague.username)
    # The state column: "active", not "invited, no password yet" nor "deactivated".
    expect(row.locator("td").nth(3)).to_have_text("active")
