"""A partner's people, run by its admins: who may open the page, inviting, deactivating and
reset links in the portal and from the command line, and that nobody reaches another partner's."""
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django_helpers import PASSWORD, logged_in, make_user

from partners.models import Membership

# Committed transactions: a role or a deactivation reaches the cache as in production.
pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
NEW_PASSWORD = "a brand new password 913"


@pytest.fixture
def anna(acme):
    """Acme's admin."""
    user = make_user("anna", acme, email="anna@acme.example")
    Membership.objects.filter(user=user).update(role=Membership.ADMIN)
    return user


@pytest.fixture
def anna_client(anna):
    return logged_in(anna)


def link_path(html):
    found = re.search(r'value="https?://[^/"]+(/accounts/reset/[^"]+)"', html)
    assert found, "the page shows no link"
    return found.group(1)


def set_password_through(path, password=NEW_PASSWORD):
    """What the person given the link does: open it, choose a password. Returns the client."""
    browser = Client()
    form = browser.get(path, follow=True)
    assert b"new_password1" in form.content, form.content.decode()
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}, follow=True)
    assert "Password set" in done.content.decode()
    return browser


def logs_in(username, password):
    return Client().post("/accounts/login/", {"username": username, "password": password}).status_code == 302


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


# Who reaches the page ---------------------------------------------------------------------------


def test_an_admin_sees_the_people_of_the_partner_and_the_header_links_there(anna_client, alice, bob):
    home = anna_client.get("/").content.decode()
    assert 'href="/partners/people/"' in home

    page = anna_client.get("/partners/people/").content.decode()

    assert "People of Acme Korea" in page
    assert "alice" in page and "anna" in page
    assert "bob" not in page


def test_a_member_gets_no_link_and_no_page(alice_client):
    assert 'href="/partners/people/"' not in alice_client.get("/").content.decode()

    response = alice_client.get("/partners/people/")

    assert response.status_code == 403
    assert "Only your partner&#x27;s admins manage its people" in response.content.decode()


def test_a_visitor_is_sent_to_log_in(db):
    response = Client().get("/partners/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_admin_of_an_inactive_partner_is_refused(acme, anna_client):
    acme.active = False
    acme.save()
    assert anna_client.get("/partners/people/").status_code == 403
    assert 'href="/partners/people/"' not in anna_client.get("/accounts/password_change/").content.decode()


def test_staff_manage_the_people_of_the_partner_they_act_as(staff_client, alice):
    staff_client.post("/partners/act-as/", {"partner": "acme"})

    assert "alice" in staff_client.get("/partners/people/").content.decode()


def test_setrole_makes_a_member_an_admin_and_back(alice, alice_client):
    assert "alice is now admin of acme" in run("setrole", "acme", "alice", "admin")
    assert alice_client.get("/partners/people/").status_code == 200
    assert "already admin" in run("setrole", "acme", "alice", "admin")

    run("setrole", "acme", "alice", "member")
    assert alice_client.get("/partners/people/").status_code == 403


def test_setrole_refuses_a_user_of_another_partner(alice, globex):
    with pytest.raises(CommandError, match="not a user of partner 'globex'"):
        run("setrole", "globex", "alice", "admin")


# Inviting ----------------------------------------------------------------------------------------


def test_an_invitation_makes_a_user_without_password_and_a_link_that_sets_one(anna_client, acme):
    page = anna_client.post("/partners/people/invite/", {"username": "kim", "email": "kim@acme.example", "role": "member"})

    html = page.content.decode()
    assert "kim is invited" in html
    kim = User.objects.get(username="kim")
    assert kim.membership.partner == acme and kim.membership.role == "member"
    assert not kim.has_usable_password()
    assert "invited, no password yet" in anna_client.get("/partners/people/").content.decode()

    set_password_through(link_path(html))

    assert logs_in("kim", NEW_PASSWORD)


def test_an_invited_admin_manages_people_once_in(anna_client):
    html = anna_client.post("/partners/people/invite/", {"username": "lee", "role": "admin"}).content.decode()

    browser = set_password_through(link_path(html))
    browser.post("/accounts/login/", {"username": "lee", "password": NEW_PASSWORD})

    assert browser.get("/partners/people/").status_code == 200


@pytest.mark.parametrize("fields, message", [
    ({"username": "alice"}, "The username alice is already taken."),
    ({"username": "ALICE"}, "The username ALICE is already taken."),
    ({"username": "bob"}, "The username bob is already taken."),
    ({"username": "kim", "email": "ANNA@acme.example"}, "Somebody already uses the e-mail address ANNA@acme.example."),
    ({"username": "김철수"}, "Enter a valid username."),
    ({"username": "kim", "email": "not an address"}, "Enter a valid email address."),
])
def test_an_invitation_that_cannot_be_is_refused_and_changes_nothing(anna_client, alice, bob, fields, message):
    before = sorted(User.objects.values_list("username", "email", "password"))

    response = anna_client.post("/partners/people/invite/", {"role": "member", **fields})

    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert sorted(User.objects.values_list("username", "email", "password")) == before


def test_a_member_cannot_invite(alice_client):
    assert alice_client.post("/partners/people/invite/", {"username": "kim", "role": "admin"}).status_code == 403
    assert not User.objects.filter(username="kim").exists()


def test_the_invite_command_prints_a_link_that_works(acme, settings):
    settings.PORTAL_URL = "https://portal.example.com"

    out = run("invite", "acme", "kim", "--email", "kim@acme.example", "--admin")

    assert "Invited kim to partner acme as admin." in out
    assert "It works once, for 72 hours." in out
    link = re.search(r"Link: https://portal\.example\.com(/accounts/reset/\S+)", out).group(1)
    assert User.objects.get(username="kim").membership.role == "admin"
    set_password_through(link)
    assert logs_in("kim", NEW_PASSWORD)


def test_the_invite_command_without_portal_url_prints_the_path(acme):
    out = run("invite", "acme", "kim")
    assert "PORTAL_URL is not set: put the portal's address in front): /accounts/reset/" in out


@pytest.mark.parametrize("args, message", [
    (["invite", "acme", "alice"], "The username alice is already taken"),
    (["invite", "nobody", "kim"], "No partner 'nobody'"),
    (["invite", "acme", "kim", "--email", "alice@acme.example"], "already uses the e-mail address"),
])
def test_the_invite_command_refuses_what_exists(alice, args, message):
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not User.objects.filter(username="kim").exists()


# Deactivating ------------------------------------------------------------------------------------


def test_deactivating_a_colleague_ends_their_session_and_their_login(anna_client, alice, alice_client):
    response = anna_client.post(f"/partners/people/{alice.pk}/deactivate/", follow=True)

    assert "alice is deactivated and can no longer log in." in response.content.decode()
    assert alice_client.get("/").status_code == 302
    assert not logs_in("alice", PASSWORD)
    assert "deactivated" in anna_client.get("/partners/people/").content.decode()


def test_an_admin_cannot_deactivate_themselves(anna, anna_client):
    response = anna_client.post(f"/partners/people/{anna.pk}/deactivate/", follow=True)

    assert "You cannot deactivate yourself." in response.content.decode()
    assert User.objects.get(pk=anna.pk).is_active


def test_deactivateuser_and_its_undo(alice):
    assert "alice is now inactive" in run("deactivateuser", "alice")
    assert not logs_in("alice", PASSWORD)
    assert "already inactive" in run("deactivateuser", "alice")

    run("deactivateuser", "alice", "--undo")
    assert logs_in("alice", PASSWORD)


# Reset links -------------------------------------------------------------------------------------


def test_a_reset_link_sets_a_new_password_and_the_old_one_stops(anna_client, alice):
    html = anna_client.post(f"/partners/people/{alice.pk}/reset-link/").content.decode()

    assert "A new link for alice" in html
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD), "making a link changes no password"
    set_password_through(link_path(html))
    assert logs_in("alice", NEW_PASSWORD)
    assert not logs_in("alice", PASSWORD)


def test_no_link_for_a_deactivated_colleague(anna_client, alice):
    alice.is_active = False
    alice.save()

    response = anna_client.post(f"/partners/people/{alice.pk}/reset-link/", follow=True)

    assert "alice is deactivated: a link would do nothing." in response.content.decode()
    assert "/accounts/reset/" not in response.content.decode()


def test_resetlink_command(alice):
    out = run("resetlink", "alice")
    set_password_through(re.search(r"(/accounts/reset/\S+)", out).group(1))
    assert logs_in("alice", NEW_PASSWORD)

    run("deactivateuser", "alice")
    with pytest.raises(CommandError, match="alice is deactivated"):
        run("resetlink", "alice")


# Another partner's people ------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["deactivate", "reset-link"])
def test_an_admin_guessing_another_partners_user_gets_404_and_changes_nothing(anna_client, bob, staff, action):
    for target in (bob, staff):
        before = User.objects.filter(pk=target.pk).values_list("password", "is_active", "last_login").get()

        response = anna_client.post(f"/partners/people/{target.pk}/{action}/")

        assert response.status_code == 404
        assert "/accounts/reset/" not in response.content.decode()
        assert User.objects.filter(pk=target.pk).values_list("password", "is_active", "last_login").get() == before


@pytest.mark.parametrize("action", ["deactivate", "reset-link"])
def test_an_admin_cannot_act_on_staff_even_with_a_membership_of_the_partner(anna_client, acme, action):
    # Staff given a membership (in the admin, say) are still nobody a partner's admin may touch.
    ops = make_user("ops-member", acme, is_staff=True, is_superuser=True)
    before = User.objects.filter(pk=ops.pk).values_list("password", "is_active", "last_login").get()

    response = anna_client.post(f"/partners/people/{ops.pk}/{action}/")

    assert response.status_code == 404
    assert "/accounts/reset/" not in response.content.decode()
    assert User.objects.filter(pk=ops.pk).values_list("password", "is_active", "last_login").get() == before


def test_an_unknown_id_is_404(anna_client):
    assert anna_client.post("/partners/people/999999/deactivate/").status_code == 404


def test_a_member_cannot_act_on_a_colleague(alice_client, anna):
    assert alice_client.post(f"/partners/people/{anna.pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=anna.pk).is_active
