"""/auth/check, nginx's gate in front of /app/, and how staff pick the partner they act as."""
import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django_helpers import logged_in, make_user

from accounts.models import PortalSession as Session
from partners.models import Membership


def check(client, method="get"):
    return getattr(client, method)("/auth/check")


@pytest.mark.django_db
def test_not_logged_in_is_401():
    response = check(Client())

    assert response.status_code == 401
    assert "X-Portal-Partner" not in response


def test_a_user_of_an_active_partner_is_200_with_the_identity(alice_client):
    response = check(alice_client)

    assert response.status_code == 200
    assert response["X-Portal-Partner"] == "acme"
    assert response["X-Portal-User"] == "alice"
    assert response.content == b""
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_a_user_of_an_inactive_partner_is_403_at_once(acme, alice_client):
    assert check(alice_client).status_code == 200  # the cache now holds the partner as active

    acme.active = False
    acme.save()

    assert check(alice_client).status_code == 403


def test_staff_without_a_partner_chosen_is_403(staff_client):
    assert check(staff_client).status_code == 403


def test_a_user_without_a_partner_is_403(db):
    assert check(logged_in(make_user("drifter"))).status_code == 403


def test_staff_who_picked_a_partner_pass_as_that_partner(staff_client, globex):
    response = staff_client.post("/partners/act-as/", {"partner": "globex"})
    assert response.status_code == 302

    response = check(staff_client)

    assert response.status_code == 200
    assert response["X-Portal-Partner"] == "globex"
    assert response["X-Portal-User"] == "stella"


def test_staff_acting_as_an_inactive_partner_are_403(staff_client, globex):
    globex.active = False
    globex.save()
    staff_client.post("/partners/act-as/", {"partner": "globex"})

    assert check(staff_client).status_code == 403


def test_a_member_cannot_pick_another_partner(alice_client, globex):
    response = alice_client.post("/partners/act-as/", {"partner": "globex"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert check(alice_client)["X-Portal-Partner"] == "acme"


def test_staff_membership_is_ignored_the_session_choice_counts(staff, staff_client, acme):
    Membership.objects.create(user=staff, partner=acme)

    assert check(staff_client).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_moving_a_user_to_another_partner_takes_effect_at_once(alice, alice_client, globex):
    assert check(alice_client)["X-Portal-Partner"] == "acme"

    membership = alice.membership
    membership.partner = globex
    membership.save()

    assert check(alice_client)["X-Portal-Partner"] == "globex"


def test_a_guarded_post_needs_no_csrf_token(alice):
    # nginx's subrequest keeps the method of the request it guards, without body or token.
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert check(client, "post").status_code == 200


def test_the_gate_never_writes_the_session(alice_client):
    session_before = Session.objects.get()

    response = check(alice_client)

    assert response.cookies == {}
    assert Session.objects.get().expire_date == session_before.expire_date
    assert Session.objects.get().session_data == session_before.session_data


def test_with_a_warm_cache_the_gate_reads_only_session_and_user(alice_client):
    check(alice_client)

    with CaptureQueriesContext(connection) as queries:
        assert check(alice_client).status_code == 200

    tables = [query["sql"].split(" FROM ")[1].split()[0].strip('"') for query in queries.captured_queries]
    assert tables == ["accounts_portalsession", "auth_user"]
