"""The second factor: setting up an authenticator app, signing in with its code or a recovery
code, the lockout covering the codes, who must have one, the gate refusing a password-only
session, and a partner's admin resetting a colleague's factor within the people boundaries."""
import base64
import html
import io
import re
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_helpers import PASSWORD, logged_in, make_user, verify_second_factor
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from partners.models import Membership

# Committed transactions: a new or removed device reaches the cache as in production.
pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3
ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAIL_LIMIT = LIMIT
    settings.LOGIN_LOCKOUT_SECONDS = 300


def code_for(key, steps_ahead=0):
    """What an authenticator app shows for this key (bytes), now or a few 30 s steps later."""
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def key_on_page(page):
    """The key the set-up page shows for typing in, as bytes."""
    found = re.search(r'id="secret" type="text" readonly value="([A-Z2-7 ]+)"', page)
    assert found, "the set-up page shows no key"
    text = found.group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def recovery_codes_on(page):
    return re.findall(r"<li><code>([a-z2-7]+)</code></li>", page)


def enrol(client):
    """Sets up an authenticator through the pages; returns (its key, the recovery codes shown)."""
    key = key_on_page(client.get("/accounts/second-factor/setup/").content.decode())
    done = client.post("/accounts/second-factor/setup/", {"code": code_for(key)})
    assert done.status_code == 200
    return key, recovery_codes_on(done.content.decode())


@pytest.fixture
def enrolled(alice):
    """Alice with an authenticator set up; returns its key and her recovery codes."""
    return enrol(logged_in(alice))


def password_step(username="alice", password=PASSWORD, address=ADDRESS):
    client = Client(headers={"X-Real-IP": address})
    response = client.post("/accounts/login/", {"username": username, "password": password, "next": "/datasets/"})
    return client, response


def code_step(client, code):
    return client.post("/accounts/login/code/", {"code": code, "next": "/datasets/"})


def error_text(response):
    return html.unescape(response.content.decode())


# Setting one up ----------------------------------------------------------------------------------


def test_the_set_up_page_shows_a_qr_code_and_the_key_and_a_right_code_turns_it_on(alice):
    client = logged_in(alice)
    page = client.get("/accounts/second-factor/setup/").content.decode()

    assert "<svg" in page and "Scan this code" in page
    key = key_on_page(page)
    assert not second_factor.has_device(alice)

    done = client.post("/accounts/second-factor/setup/", {"code": code_for(key)})

    codes = recovery_codes_on(done.content.decode())
    assert len(codes) == second_factor.RECOVERY_CODES == len(set(codes))
    assert second_factor.has_device(alice)
    assert "You have 10 unused recovery codes" in client.get("/accounts/second-factor/").content.decode()


def test_a_wrong_code_at_set_up_turns_nothing_on(alice):
    client = logged_in(alice)
    key = key_on_page(client.get("/accounts/second-factor/setup/").content.decode())
    wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/second-factor/setup/", {"code": wrong})

    assert "That code does not match" in response.content.decode()
    assert not second_factor.has_device(alice)
    assert not StaticToken.objects.exists()


def test_setting_up_a_new_authenticator_retires_the_old_one(alice, enrolled):
    old_key, _ = enrolled
    client, _ = password_step()
    code_step(client, code_for(old_key, 1))

    new_key, _ = enrol(client)

    assert new_key != old_key
    assert TOTPDevice.objects.filter(user=alice).count() == 1
    client, _ = password_step()
    assert "not right" in error_text(code_step(client, code_for(old_key, 2)))
    assert code_step(client, code_for(new_key, 1)).status_code == 302


# Signing in --------------------------------------------------------------------------------------


def test_without_a_second_factor_the_password_signs_in(alice):
    client, response = password_step()
    assert response["Location"] == "/datasets/"
    assert client.get("/auth/check").status_code == 200


def test_with_one_the_password_leads_to_the_code_and_the_code_signs_in(alice, enrolled):
    key, _ = enrolled
    client, response = password_step()

    assert response["Location"] == "/accounts/login/code/?next=%2Fdatasets%2F"
    response = code_step(client, code_for(key, 1))

    assert response.status_code == 302 and response["Location"] == "/datasets/"
    assert client.get("/auth/check").status_code == 200
    assert client.get("/").status_code == 200


def test_a_password_only_session_reaches_neither_the_analytics_nor_a_page(alice, enrolled):
    client, _ = password_step()

    assert client.get("/auth/check").status_code == 401
    page = client.get("/datasets/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/code/")
    # nginx sends a refused /app/ request to the login page, which leads to the code, not round.
    login = client.get("/accounts/login/?next=/app/")
    assert login["Location"] == "/accounts/login/code/?next=%2Fapp%2F"


def test_a_code_is_refused_a_second_time(alice, enrolled):
    key, _ = enrolled
    code = code_for(key, 1)
    first, _ = password_step()
    assert code_step(first, code).status_code == 302

    second, _ = password_step(address="198.51.100.9")
    response = code_step(second, code)

    assert "That code is not right, or it was already used." in error_text(response)
    assert second.get("/auth/check").status_code == 401


def test_wrong_codes_count_in_the_login_lockout_and_signing_in_again_buys_no_more(alice, enrolled):
    key, _ = enrolled
    client, _ = password_step()
    # The password's own attempt stays counted until the code is right, and so does the next one's.
    for _ in range(LIMIT - 2):
        assert "not right" in error_text(code_step(client, "000000"))
    client, response = password_step(address="198.51.100.9")
    assert response.status_code == 302

    response = code_step(client, code_for(key, 1))

    assert "Too many failed logins for this account" in error_text(response)
    assert client.get("/auth/check").status_code == 401


def test_a_right_code_clears_the_count(alice, enrolled):
    key, _ = enrolled
    client, _ = password_step()
    code_step(client, "000000")
    assert code_step(client, code_for(key, 1)).status_code == 302

    for _ in range(LIMIT):
        client, response = password_step(address="198.51.100.9")
        assert response.status_code == 302
        client.post("/accounts/logout/")


def test_a_recovery_code_signs_in_once_and_the_page_says_how_many_are_left(alice, enrolled):
    _, codes = enrolled
    client, _ = password_step()

    response = code_step(client, codes[0].upper())

    assert response.status_code == 302
    page = client.get(response["Location"], follow=True).content.decode()
    assert "9 recovery codes are left" in page
    assert "You have 9 unused recovery codes" in client.get("/accounts/second-factor/").content.decode()
    again, _ = password_step(address="198.51.100.9")
    assert "already used" in error_text(code_step(again, codes[0]))


def test_new_recovery_codes_replace_the_old_ones(alice, enrolled):
    _, old = enrolled
    client, _ = password_step()
    code_step(client, old[0])

    page = client.post("/accounts/second-factor/recovery-codes/").content.decode()

    new = recovery_codes_on(page)
    assert len(new) == 10 and not set(new) & set(old)
    # The session that signed in with a recovery code stays signed in.
    assert client.get("/auth/check").status_code == 200
    again, _ = password_step(address="198.51.100.9")
    assert "not right" in error_text(code_step(again, old[1]))
    assert code_step(again, new[0]).status_code == 302


# Who must have one -------------------------------------------------------------------------------


def test_staff_must_set_one_up_before_anything_else(staff):
    client, response = password_step("stella")

    assert response["Location"].startswith("/accounts/second-factor/setup/")
    assert client.get("/auth/check").status_code == 401
    assert client.get("/admin/")["Location"].startswith("/accounts/second-factor/setup/")
    enrol(client)
    assert client.get("/admin/").status_code == 200


def test_a_partner_that_requires_it_sends_its_people_to_set_one_up(acme, alice, bob):
    call_command("requiremfa", "acme", stdout=io.StringIO())

    alice_client, response = password_step("alice")
    assert response["Location"].startswith("/accounts/second-factor/setup/")
    assert alice_client.get("/auth/check").status_code == 401
    bob_client, response = password_step("bob")
    assert response["Location"] == "/datasets/"

    call_command("requiremfa", "acme", "--off", stdout=io.StringIO())
    assert alice_client.get("/auth/check").status_code == 200


def test_portal_require_mfa_asks_it_of_every_partner(settings, bob):
    settings.PORTAL_REQUIRE_MFA = True
    client, response = password_step("bob")
    assert response["Location"].startswith("/accounts/second-factor/setup/")
    assert client.get("/auth/check").status_code == 401


def test_a_verified_open_tab_ends_when_its_factor_is_reset(alice, enrolled):
    key, _ = enrolled
    client, _ = password_step()
    code_step(client, code_for(key, 1))
    ticket = client.get("/auth/check")["X-Portal-Session"]
    api = Client(headers={"Authorization": "Bearer unit-tests-internal-token-not-a-secret"})
    assert api.get(f"/internal/sessions/{ticket}").json()["state"] == "active"

    call_command("resetfactor", "alice", stdout=io.StringIO())

    assert api.get(f"/internal/sessions/{ticket}").json()["state"] == "active"  # nothing required now
    call_command("requiremfa", "acme", stdout=io.StringIO())
    assert api.get(f"/internal/sessions/{ticket}").json() == {"state": "signed_out", "reason": "second_factor"}


# Resetting a colleague's ------------------------------------------------------------------------


@pytest.fixture
def anna(acme):
    user = make_user("anna", acme)
    Membership.objects.filter(user=user).update(role=Membership.ADMIN)
    return user


def test_an_admin_resets_a_colleagues_factor_who_then_signs_in_with_the_password(anna, alice, enrolled):
    admin = logged_in(anna)
    people = admin.get("/partners/people/").content.decode()
    assert f'action="/partners/people/{alice.pk}/reset-factor/"' in people

    done = admin.post(f"/partners/people/{alice.pk}/reset-factor/", follow=True)

    assert "The second factor of alice is reset" in done.content.decode()
    assert not second_factor.has_device(alice)
    client, response = password_step()
    assert response["Location"] == "/datasets/"


def test_an_admin_cannot_reset_another_partners_user_or_staff(anna, bob, staff, acme):
    Membership.objects.create(user=staff, partner=acme)
    for user in (bob, staff):
        verify_second_factor(logged_in(user), user)

    admin = logged_in(anna)
    for user in (bob, staff):
        assert admin.post(f"/partners/people/{user.pk}/reset-factor/").status_code == 404
        assert second_factor.has_device(user)


def test_a_member_cannot_reset_a_colleagues_factor(alice, enrolled, acme):
    carol = make_user("carol", acme)
    response = logged_in(carol).post(f"/partners/people/{alice.pk}/reset-factor/")
    assert response.status_code == 403
    assert second_factor.has_device(alice)


def test_staff_reset_with_the_command(alice, enrolled):
    out = io.StringIO()
    call_command("resetfactor", "alice", stdout=out)
    assert "The second factor of alice is reset" in out.getvalue()
    assert not second_factor.has_device(alice)
    call_command("resetfactor", "alice", stdout=out)
    assert "alice has no second factor" in out.getvalue()
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("resetfactor", "nobody")
