"""The audit trail: each action leaves an event naming who, for which partner and from which
address; a partner's admin reads only its own partner's trail (paged, newest first, in the
reader's language and the portal's zone) and exports it; staff read all of it in the admin,
where nobody can change it; events older than AUDIT_RETENTION_DAYS go."""
import base64
import csv
import io
import json
import re
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.test.client import RequestFactory
from django.utils import timezone
from django_helpers import PASSWORD, logged_in, make_user, upload, verify_second_factor
from django_otp.oath import TOTP

from audit import trail
from audit.models import Event
from datasets.models import Dataset
from partners.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAIL_LIMIT = 2
    settings.LOGIN_LOCKOUT_SECONDS = 300


@pytest.fixture
def anna(acme):
    user = make_user("anna", acme)
    Membership.objects.filter(user=user).update(role=Membership.ADMIN)
    return user


def events(**filters):
    """(action, actor, partner, target, address) of the events, oldest first."""
    rows = Event.objects.filter(**filters).order_by("at", "id")
    return [(e.action, e.actor_name, e.partner_name, e.target, e.address) for e in rows]


def browser(address=ADDRESS):
    return Client(headers={"X-Real-IP": address})


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


# Sign-ins ----------------------------------------------------------------------------------------


def test_sign_ins_failures_lockouts_and_sign_outs_are_recorded_with_the_address(alice):
    client = browser()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post("/accounts/logout/")
    for _ in range(3):
        browser("198.51.100.9").post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert events() == [
        ("login_failed", "alice", "Acme Korea", "alice", ADDRESS),
        ("login", "alice", "Acme Korea", "", ADDRESS),
        ("logout", "alice", "Acme Korea", "", ADDRESS),
        ("login_failed", "alice", "Acme Korea", "alice", "198.51.100.9"),
        ("login_failed", "alice", "Acme Korea", "alice", "198.51.100.9"),
        ("locked_out", "alice", "Acme Korea", "alice", "198.51.100.9"),
    ]


def test_a_failed_sign_in_of_an_unknown_name_belongs_to_no_partner(acme):
    browser().post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert events() == [("login_failed", "", "", "nobody", ADDRESS)]


def test_second_factor_events_are_recorded(alice, settings):
    settings.LOGIN_FAIL_LIMIT = 5
    client = browser()
    client.force_login(alice)
    page = client.get("/accounts/second-factor/setup/").content.decode()
    key = re.search(r'id="secret" type="text" readonly value="([A-Z2-7 ]+)"', page).group(1).replace(" ", "")
    totp = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)))
    totp.time = time.time()
    done = client.post("/accounts/second-factor/setup/", {"code": f"{totp.token():06d}"}).content.decode()
    recovery = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done)
    client.post("/accounts/second-factor/recovery-codes/")
    client.post("/accounts/logout/")
    Event.objects.all().delete()

    again = browser()
    again.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    again.post("/accounts/login/code/", {"code": "000000"})
    again.post("/accounts/login/code/", {"code": recovery[0]})  # the old codes were replaced
    totp.time = time.time() + 30
    again.post("/accounts/login/code/", {"code": f"{totp.token():06d}"})

    assert [e[0] for e in events()] == ["login", "factor_failed", "factor_failed", "factor_verified"]
    assert {e[4] for e in events()} == {ADDRESS}


def test_a_recovery_code_sign_in_says_how_many_are_left(alice, anna):
    client = browser()
    client.force_login(alice)
    verify_second_factor(client, alice)
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>",
                       client.post("/accounts/second-factor/recovery-codes/").content.decode())
    again = browser()
    again.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    again.post("/accounts/login/code/", {"code": codes[0]})

    assert events(action="recovery_code_used") == [("recovery_code_used", "alice", "Acme Korea", "", ADDRESS)]
    page = logged_in(anna).get("/partners/trail/").content.decode()
    assert "second factor: recovery code used" in page and "9 recovery codes left" in page


def test_set_up_and_new_codes_are_recorded(alice):
    client = browser()
    client.force_login(alice)
    verify_second_factor(client, alice)
    client.post("/accounts/second-factor/recovery-codes/")
    assert events(action="recovery_codes_new") == [("recovery_codes_new", "alice", "Acme Korea", "", ADDRESS)]


def test_password_changes_are_recorded(alice):
    client = browser()
    client.force_login(alice)
    client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "a brand new password 913", "new_password2": "a brand new password 913",
    })
    assert events(action="password_changed") == [("password_changed", "alice", "Acme Korea", "", ADDRESS)]


# People ------------------------------------------------------------------------------------------


def test_people_actions_in_the_portal_name_the_admin_and_the_address(anna, alice):
    admin = browser()
    admin.force_login(anna)
    page = admin.post("/partners/people/invite/", {"username": "kim", "role": "member"}).content.decode()
    admin.post(f"/partners/people/{alice.pk}/reset-link/")
    verify_second_factor(logged_in(alice), alice)
    admin.post(f"/partners/people/{alice.pk}/reset-factor/")
    admin.post(f"/partners/people/{alice.pk}/deactivate/")
    link = re.search(r'value="https?://[^/"]+(/accounts/reset/[^"]+)"', page).group(1)
    invitee = browser("198.51.100.9")
    form = invitee.get(link, follow=True)
    invitee.post(form.redirect_chain[-1][0], {"new_password1": "a brand new password 913", "new_password2": "a brand new password 913"})

    assert "<td>member</td>" in admin.get("/partners/trail/").content.decode()  # the invitee's role
    assert events(action__in=["invited", "link_made", "factor_reset", "deactivated", "password_set"]) == [
        ("invited", "anna", "Acme Korea", "kim", ADDRESS),
        ("link_made", "anna", "Acme Korea", "kim", ADDRESS),
        ("link_made", "anna", "Acme Korea", "alice", ADDRESS),
        ("factor_reset", "anna", "Acme Korea", "alice", ADDRESS),
        ("deactivated", "anna", "Acme Korea", "alice", ADDRESS),
        ("password_set", "kim", "Acme Korea", "", "198.51.100.9"),
    ]


def test_commands_are_recorded_without_an_actor(acme, alice):
    run("invite", "acme", "lee")
    run("setrole", "acme", "alice", "admin")
    run("deactivateuser", "alice")
    run("deactivateuser", "alice", "--undo")

    assert events() == [
        ("invited", "", "Acme Korea", "lee", ""),
        ("link_made", "", "Acme Korea", "lee", ""),
        ("role_changed", "", "Acme Korea", "alice", ""),
        ("deactivated", "", "Acme Korea", "alice", ""),
        ("reactivated", "", "Acme Korea", "alice", ""),
    ]


def test_admin_changes_are_recorded_for_staff_only(staff_client, acme):
    staff_client.post("/partners/act-as/", {"partner": "acme"})
    staff_client.post(f"/admin/partners/partner/{acme.pk}/change/", {
        "name": "Acme Korea", "active": "on", "require_mfa": "on",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    }, headers={"X-Real-IP": ADDRESS})

    acme.refresh_from_db()
    assert acme.require_mfa
    assert events(action="admin_change") == [("admin_change", "stella", "", "partner Acme Korea", ADDRESS)]
    assert events(action="acted_as") == [("acted_as", "stella", "Acme Korea", "", "127.0.0.1")]
    assert "Require mfa" in Event.objects.get(action="admin_change").detail


# Datasets ----------------------------------------------------------------------------------------


@pytest.fixture
def in_a_request_of(alice):
    """Model signals run inside a request of alice's from ADDRESS, as the dataset views' do."""
    request = RequestFactory().post("/datasets/", HTTP_X_REAL_IP=ADDRESS)
    request.user = alice
    token = trail._request.set(request)
    yield
    trail._request.reset(token)


def test_dataset_uploads_new_versions_renames_and_deletes_are_recorded(acme, alice, in_a_request_of):
    dataset = Dataset.objects.create(partner=acme, name="sales", path="acme/a.parquet", rows=1, columns=[],
                                     size_bytes=1, sha256="0" * 64, uploaded_by=alice)
    dataset.name = "sales 2025"
    dataset.save()
    dataset.path, dataset.number = "acme/b.parquet", 2
    dataset.save()
    dataset.delete()

    assert events() == [
        ("dataset_uploaded", "alice", "Acme Korea", "sales", ADDRESS),
        ("dataset_renamed", "alice", "Acme Korea", "sales 2025", ADDRESS),
        ("dataset_new_version", "alice", "Acme Korea", "sales 2025", ADDRESS),
        ("dataset_deleted", "alice", "Acme Korea", "sales 2025", ADDRESS),
    ]
    assert Event.objects.get(action="dataset_renamed").detail_display() == "formerly sales"


def test_a_download_is_recorded_with_its_format(alice):
    client = browser()
    client.force_login(alice)
    upload(client, b"a,b\n1,2\n", filename="sales.csv")
    dataset = Dataset.objects.get()

    assert client.get(f"/datasets/{dataset.pk}/download/?format=cp949").status_code == 200

    assert events(action="dataset_downloaded") == [("dataset_downloaded", "alice", "Acme Korea", "sales", ADDRESS)]
    assert Event.objects.get(action="dataset_downloaded").detail == "cp949"


def analytics_event(ticket, body, token="unit-tests-internal-token-not-a-secret"):
    """What a replica posts of a partner's work in the analytics."""
    return Client().post(f"/internal/sessions/{ticket}/events", json.dumps(body), content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})


def test_datasets_opened_and_exports_in_the_analytics_are_recorded_from_the_browsers_address(alice, settings):
    settings.INTERNAL_API_TOKEN = "unit-tests-internal-token-not-a-secret"
    client = browser()
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    ticket = client.get("/auth/check")["X-Portal-Session"]

    opened = analytics_event(ticket, {"action": "dataset_opened", "target": "sales", "address": "198.51.100.9",
                                      "partner": "acme"})
    exported = analytics_event(ticket, {"action": "analytics_export", "target": "sales", "detail": "xlsx",
                                        "address": "198.51.100.9", "partner": "acme"})

    assert (opened.status_code, exported.status_code) == (200, 200)
    assert events(action__in=["dataset_opened", "analytics_export"]) == [
        ("dataset_opened", "alice", "Acme Korea", "sales", "198.51.100.9"),
        ("analytics_export", "alice", "Acme Korea", "sales", "198.51.100.9"),
    ]
    assert Event.objects.get(action="analytics_export").detail == "xlsx"


@pytest.mark.parametrize(
    "body, status",
    [({"action": "login", "target": "x"}, 400), ({"target": "x"}, 400), ("not json", 400)],
    ids=["an event the analytics do not make", "no action", "not JSON"],
)
def test_the_analytics_can_record_only_their_own_events(alice, settings, body, status):
    settings.INTERNAL_API_TOKEN = "unit-tests-internal-token-not-a-secret"
    client = browser()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    ticket = client.get("/auth/check")["X-Portal-Session"]
    before = Event.objects.count()

    response = Client().post(f"/internal/sessions/{ticket}/events", body if isinstance(body, str) else json.dumps(body),
                             content_type="application/json", headers={"Authorization": "Bearer unit-tests-internal-token-not-a-secret"})

    assert response.status_code == status
    assert Event.objects.count() == before


def test_an_analytics_event_needs_the_token_and_a_live_session(alice, settings):
    settings.INTERNAL_API_TOKEN = "unit-tests-internal-token-not-a-secret"
    body = {"action": "dataset_opened", "target": "sales", "address": "not an address", "partner": "acme"}

    assert analytics_event("no-such-ticket", body).json() == {"state": "signed_out"}
    client = browser()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    ticket = client.get("/auth/check")["X-Portal-Session"]
    assert analytics_event(ticket, body, token="wrong").status_code == 403
    assert not Event.objects.filter(action="dataset_opened").exists()

    assert analytics_event(ticket, {**body, "partner": "globex"}).status_code == 409, "a tab of another partner's"
    assert not Event.objects.filter(action="dataset_opened").exists()
    assert analytics_event(ticket, body).status_code == 200
    assert events(action="dataset_opened") == [("dataset_opened", "alice", "Acme Korea", "sales", "")]


# Reading the trail -------------------------------------------------------------------------------


def test_a_partner_admin_reads_only_its_own_partners_trail(anna, alice, bob):
    browser().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    browser().post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    admin = logged_in(anna)

    page = admin.get("/partners/trail/").content.decode()

    assert "Audit trail of Acme Korea" in page
    assert "alice" in page and ADDRESS in page
    assert "bob" not in page
    assert 'href="/partners/trail/"' in admin.get("/").content.decode()


def test_a_member_cannot_read_the_trail(alice_client):
    assert alice_client.get("/partners/trail/").status_code == 403
    assert 'href="/partners/trail/"' not in alice_client.get("/").content.decode()


def test_the_trail_is_paged_newest_first_in_the_readers_language(anna, acme):
    admin = logged_in(anna)
    Event.objects.all().delete()
    start = timezone.now() - timedelta(hours=1)
    Event.objects.bulk_create([
        Event(at=start + timedelta(seconds=i), action=Event.LOGIN, actor_name=f"user{i:02d}", partner=acme)
        for i in range(60)
    ])

    first = admin.get("/partners/trail/").content.decode()
    second = admin.get("/partners/trail/?page=2").content.decode()

    names = re.findall(r"<td>(user\d\d)</td>", first)
    assert names[:2] == ["user59", "user58"] and len(names) == 50
    assert re.findall(r"<td>(user\d\d)</td>", second)[-1] == "user00"
    assert "Page 1 of 2" in first
    korean = admin.get("/partners/trail/", headers={"Accept-Language": "ko"}).content.decode()
    assert re.search(r"\d{4}년 \d+월 \d+일 (오전|오후) \d+:\d\d \(KST\)", korean)


def test_the_trail_exports_as_csv_for_its_partner_only(anna, acme, globex):
    admin = logged_in(anna)
    Event.objects.all().delete()
    Event.objects.create(at=timezone.now(), action=Event.LOGIN, actor_name="=cmd()", partner=acme, address=ADDRESS)
    Event.objects.create(at=timezone.now(), action=Event.LOGIN, actor_name="bob", partner=globex)

    response = admin.get("/partners/trail/?format=csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["When", "Who", "What", "Whom or what", "Detail", "Address"]
    assert [row[1:3] + row[5:] for row in rows[1:]] == [["'=cmd()", "signed in (password)", ADDRESS]]
    assert rows[1][0].endswith("+09:00")


def test_staff_read_every_partner_in_the_admin_and_nobody_changes_it(staff_client, acme, globex):
    event = Event.objects.create(at=timezone.now(), action=Event.LOGIN, actor_name="alice", partner=acme)
    Event.objects.create(at=timezone.now(), action=Event.LOGIN, actor_name="bob", partner=globex)

    listing = staff_client.get("/admin/audit/event/").content.decode()

    assert "alice" in listing and "bob" in listing
    assert staff_client.get("/admin/audit/event/add/").status_code == 403
    assert staff_client.post(f"/admin/audit/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    staff_client.post(f"/admin/audit/event/{event.pk}/change/", {"actor_name": "mallory"})
    event.refresh_from_db()
    assert event.actor_name == "alice"


# Keeping ----------------------------------------------------------------------------------------


def test_events_older_than_the_retention_go(settings, acme):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    Event.objects.create(at=now - timedelta(days=31), action=Event.LOGIN, partner=acme, actor_name="old")
    Event.objects.create(at=now - timedelta(days=29), action=Event.LOGIN, partner=acme, actor_name="recent")

    assert "Removed 1 audit event(s) older than 30 days." in run("pruneaudit")
    assert list(Event.objects.values_list("actor_name", flat=True)) == ["recent"]
    assert "Removed 0" in run("pruneaudit")


def test_recording_prunes_once_a_day(settings, acme, alice):
    settings.AUDIT_RETENTION_DAYS = 30
    old = Event.objects.create(at=timezone.now() - timedelta(days=31), action=Event.LOGIN, actor_name="old")

    trail.record(Event.LOGIN, user=alice)
    assert not Event.objects.filter(pk=old.pk).exists()

    older = Event.objects.create(at=timezone.now() - timedelta(days=40), action=Event.LOGIN, actor_name="older")
    trail.record(Event.LOGIN, user=alice)
    assert Event.objects.filter(pk=older.pk).exists()  # pruned already today
    cache.delete(trail.PRUNED_KEY)
    trail.record(Event.LOGIN, user=alice)
    assert not Event.objects.filter(pk=older.pk).exists()
