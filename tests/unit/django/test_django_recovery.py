"""One-time links and mail: a link expires after INVITE_LINK_HOURS and works once, a deactivated
user's does nothing; with a mail server (a real SMTP server, started here) invitations and reset
links go by mail in the recipient's language, and "Forgot your password?" answers the same for
every address without waiting for the mail server."""
import asyncio
import email
import io
import email.policy
import queue
import re
import socket
import threading
from datetime import datetime, timedelta

import polib
import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from django_helpers import PASSWORD, logged_in, make_user

from accounts import links
from accounts.models import LoginAttempt, Preferences
from partners.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
NEW_PASSWORD = "a brand new password 913"
CATALOG_DIR = "locale/ko/LC_MESSAGES"
# How long a test waits for the SMTP server to receive a mail before it fails.
MAIL_WAIT_SECONDS = 10


class Inbox:
    """What the SMTP server received; `hold` keeps the server from answering DATA until released."""

    def __init__(self):
        self.received = queue.Queue()
        self.hold = threading.Event()
        self.hold.set()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
        self.received.put(envelope)
        return "250 OK"

    def next(self):
        envelope = self.received.get(timeout=MAIL_WAIT_SECONDS)
        return envelope.rcpt_tos, email.message_from_bytes(envelope.original_content, policy=email.policy.default)

    def empty(self):
        return self.received.empty()


def background_mails_done():
    """Waits until the mails the portal sends in the background have been handed over (or failed)."""
    for thread in threading.enumerate():
        if thread.name == "reset-mail":
            thread.join(MAIL_WAIT_SECONDS)
            assert not thread.is_alive(), f"a mail was still being sent after {MAIL_WAIT_SECONDS} s"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(settings):
    """A real SMTP server on this host, and the portal set to mail through it."""
    found = Inbox()
    controller = Controller(found, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_ENABLED = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Partner portal <portal@acme.example>"
    yield found
    found.hold.set()
    controller.stop()


@pytest.fixture
def korean(settings, tmp_path):
    """The ko catalog compiled as the image build does."""
    target = tmp_path / CATALOG_DIR
    target.mkdir(parents=True)
    polib.pofile(str(settings.BASE_DIR / CATALOG_DIR / "django.po")).save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]


@pytest.fixture
def anna_client(acme):
    anna = make_user("anna", acme)
    Membership.objects.filter(user=anna).update(role=Membership.ADMIN)
    return logged_in(anna)


def path_in(text):
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", text).group(1)


def open_link(path, browser=None):
    browser = browser or Client()
    return browser, browser.get(path, follow=True)


def set_password(path, password=NEW_PASSWORD):
    browser, form = open_link(path)
    assert b"new_password1" in form.content, "the link shows no password form"
    return browser.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}, follow=True)


def logs_in(username, password):
    return Client().post("/accounts/login/", {"username": username, "password": password}).status_code == 302


def stored_password(user):
    return User.objects.filter(pk=user.pk).values_list("password", flat=True).get()


# The link ----------------------------------------------------------------------------------------


def test_a_link_expires_after_invite_link_hours(alice, monkeypatch, settings):
    settings.INVITE_LINK_HOURS = 2
    settings.PASSWORD_RESET_TIMEOUT = 2 * 3600
    path = links.path_for(alice)
    later = datetime.now() + timedelta(hours=2, minutes=1)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    before = stored_password(alice)

    _, page = open_link(path)

    html = page.content.decode()
    assert "This link no longer works" in html and "It has expired" in html
    assert "Ask your partner's admin for a new link." in html
    assert stored_password(alice) == before


def test_a_link_still_works_just_before_it_expires(alice, monkeypatch, settings):
    settings.PASSWORD_RESET_TIMEOUT = 2 * 3600
    path = links.path_for(alice)
    monkeypatch.setattr(default_token_generator, "_now", lambda: datetime.now() + timedelta(hours=1, minutes=59))

    assert "Password set" in set_password(path).content.decode()


def test_a_link_works_once(alice):
    path = links.path_for(alice)
    set_password(path)

    _, again = open_link(path)

    assert "This link no longer works" in again.content.decode()
    assert logs_in("alice", NEW_PASSWORD)


def test_a_link_opened_in_two_browsers_sets_the_password_once(alice):
    path = links.path_for(alice)
    first, first_form = open_link(path)
    second, second_form = open_link(path)
    first.post(first_form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    after_first = stored_password(alice)

    late = second.post(second_form.redirect_chain[-1][0], {"new_password1": "an intruder's password 55", "new_password2": "an intruder's password 55"})

    assert "This link no longer works" in late.content.decode()
    assert stored_password(alice) == after_first


def test_a_deactivated_users_link_does_nothing(alice):
    path = links.path_for(alice)
    alice.is_active = False
    alice.save()
    before = stored_password(alice)

    _, page = open_link(path)

    assert "This link no longer works" in page.content.decode()
    assert stored_password(alice) == before


def test_a_made_up_link_does_nothing(alice):
    _, page = open_link(f"/accounts/reset/{links.path_for(alice).split('/')[3]}/not-a-token/")
    assert "This link no longer works" in page.content.decode()


def test_an_invitees_page_greets_them_as_new(acme):
    kim = User(username="kim")
    kim.set_unusable_password()
    kim.save()

    _, page = open_link(links.path_for(kim))

    assert "Choose your password" in page.content.decode()


def test_the_expired_page_speaks_korean(alice, korean, monkeypatch):
    path = links.path_for(alice)
    monkeypatch.setattr(default_token_generator, "_now", lambda: datetime.now() + timedelta(days=30))

    page = Client().get(path, headers={"accept-language": "ko"}, follow=True).content.decode()

    assert '<html lang="ko">' in page and "파트너 포털" in page


# Without a mail server ---------------------------------------------------------------------------


def test_without_mail_the_login_page_sends_people_to_their_admin(db):
    html = Client().get("/accounts/login/").content.decode()

    assert "Ask your partner's admin for a link to choose a new one." in html
    assert "/accounts/password_reset/" not in html
    assert Client().get("/accounts/password_reset/").status_code == 404


def test_without_mail_an_invitation_shows_its_link(anna_client):
    html = anna_client.post("/partners/people/invite/", {"username": "kim", "email": "kim@acme.example", "role": "member"}).content.decode()
    assert "Give them this link" in html and "/accounts/reset/" in html


# With a mail server ------------------------------------------------------------------------------


def test_an_invitation_is_mailed_in_the_language_the_inviter_chose(anna_client, inbox, korean):
    page = anna_client.post(
        "/partners/people/invite/", {"username": "kim", "email": "kim@acme.example", "role": "member", "language": "ko"}
    ).content.decode()

    assert "The link is on its way to kim@acme.example." in page
    assert "/accounts/reset/" not in page, "a mailed link is not shown to the admin"
    recipients, mail = inbox.next()
    assert recipients == ["kim@acme.example"]
    assert mail["Content-Language"] == "ko"
    assert mail["From"] == "Partner portal <portal@acme.example>"
    body = mail.get_content()
    assert "파트너 포털" in body and "kim" in body and "Acme Korea" in body
    set_password(path_in(body))
    assert logs_in("kim", NEW_PASSWORD)


def test_an_english_invitation(anna_client, inbox, korean):
    anna_client.post("/partners/people/invite/", {"username": "kim", "email": "kim@acme.example", "role": "member", "language": "en"})

    _, mail = inbox.next()

    assert mail["Subject"] == "Your invitation to the partner portal"
    assert mail["Content-Language"] == "en"
    assert "Partner portal" in mail.get_content() and "72 hours" in mail.get_content()


def test_a_mail_server_that_refuses_leaves_the_link_on_the_page(anna_client, inbox, settings):
    settings.EMAIL_PORT = free_port()  # nothing listens there

    html = anna_client.post(
        "/partners/people/invite/", {"username": "kim", "email": "kim@acme.example", "role": "member", "language": "en"}
    ).content.decode()

    assert "could not be sent. Give them this link yourself." in html
    set_password(re.search(r'value="https?://[^/"]+(/accounts/reset/[^"]+)"', html).group(1))
    assert logs_in("kim", NEW_PASSWORD)


def test_an_admins_reset_link_is_mailed_in_the_colleagues_language_and_not_shown(anna_client, alice, inbox, korean):
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")
    Preferences.objects.create(user=alice, language="ko")

    page = anna_client.post(f"/partners/people/{alice.pk}/reset-link/").content.decode()

    assert "The link is on its way to alice@acme.example." in page and "/accounts/reset/" not in page
    recipients, mail = inbox.next()
    assert recipients == ["alice@acme.example"] and mail["Content-Language"] == "ko"
    set_password(path_in(mail.get_content()))
    assert logs_in("alice", NEW_PASSWORD)


def test_the_invite_command_mails_the_link_with_portal_url(acme, inbox, settings):
    settings.PORTAL_URL = "https://portal.example.com"
    out = io.StringIO()

    call_command("invite", "acme", "kim", "--email", "kim@acme.example", "--language", "en", stdout=out)

    assert "Mailed to kim@acme.example." in out.getvalue()
    _, mail = inbox.next()
    assert "https://portal.example.com/accounts/reset/" in mail.get_content()
    set_password(path_in(mail.get_content()))
    assert logs_in("kim", NEW_PASSWORD)


def test_forgot_password_mails_a_link_in_the_users_language(alice, inbox, korean):
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")
    Preferences.objects.create(user=alice, language="en")
    browser = Client()
    assert 'href="/accounts/password_reset/"' in browser.get("/accounts/login/").content.decode()

    done = browser.post("/accounts/password_reset/", {"email": "ALICE@acme.example"}, headers={"accept-language": "ko"}, follow=True)

    assert done.redirect_chain[-1][0] == "/accounts/password_reset/done/"
    recipients, mail = inbox.next()
    assert recipients == ["alice@acme.example"]
    assert mail["Subject"] == "A new password for the partner portal"
    assert mail["Content-Language"] == "en"
    set_password(path_in(mail.get_content()))
    assert logs_in("alice", NEW_PASSWORD)


def test_forgot_password_without_a_saved_language_uses_the_pages(alice, inbox, korean):
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")

    Client().post("/accounts/password_reset/", {"email": "alice@acme.example"}, headers={"accept-language": "ko"})

    _, mail = inbox.next()
    assert mail["Content-Language"] == "ko" and "파트너 포털" in mail.get_content()


def test_an_invitee_whose_link_expired_can_ask_for_a_new_one(acme, inbox):
    kim = User(username="kim", email="kim@acme.example")
    kim.set_unusable_password()
    kim.save()

    Client().post("/accounts/password_reset/", {"email": "kim@acme.example"})

    recipients, mail = inbox.next()
    assert recipients == ["kim@acme.example"]
    assert mail["Subject"] == "Your invitation to the partner portal"
    set_password(path_in(mail.get_content()))
    assert logs_in("kim", NEW_PASSWORD)


def test_forgot_password_answers_the_same_for_an_unknown_address(alice, inbox):
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")

    known = Client().post("/accounts/password_reset/", {"email": "alice@acme.example"}, follow=True)
    inbox.next()
    unknown = Client().post("/accounts/password_reset/", {"email": "nobody@acme.example"}, follow=True)
    background_mails_done()

    assert known.redirect_chain == unknown.redirect_chain == [("/accounts/password_reset/done/", 302)]
    strip = lambda response: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())  # noqa: E731
    assert strip(known) == strip(unknown)
    assert inbox.empty()


def test_forgot_password_does_not_wait_for_the_mail_server(alice, inbox):
    """The answer comes while the mail server still holds the mail: a known address takes no
    longer than an unknown one."""
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")
    inbox.hold.clear()

    response = Client().post("/accounts/password_reset/", {"email": "alice@acme.example"})

    assert response.status_code == 302
    assert inbox.empty()
    inbox.hold.set()
    recipients, _ = inbox.next()
    assert recipients == ["alice@acme.example"]


def test_a_deactivated_user_gets_no_reset_mail(alice, inbox):
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example", is_active=False)

    done = Client().post("/accounts/password_reset/", {"email": "alice@acme.example"})
    background_mails_done()

    assert done.status_code == 302
    assert inbox.empty()


def test_forgot_password_is_rate_limited_per_address_like_logins(alice, inbox, settings):
    settings.LOGIN_FAIL_LIMIT = 2
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")
    browser = Client()
    for _ in range(2):
        assert browser.post("/accounts/password_reset/", {"email": "alice@acme.example"}).status_code == 302
        inbox.next()

    refused = browser.post("/accounts/password_reset/", {"email": "nobody@acme.example"})

    assert refused.status_code == 200
    assert "Too many requests for this address or from yours. Try again in 5 minutes." in refused.content.decode()
    background_mails_done()
    assert inbox.empty()
    # The requests counted against the address, as failed logins do: no more password checks from it.
    assert "Too many failed logins" in browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).content.decode()


def test_one_mailbox_cannot_be_flooded_from_many_addresses(alice, inbox, settings):
    settings.LOGIN_FAIL_LIMIT = 2
    User.objects.filter(pk=alice.pk).update(email="alice@acme.example")
    for address in ("10.0.0.1", "10.0.0.2"):
        Client(REMOTE_ADDR=address).post("/accounts/password_reset/", {"email": "alice@acme.example"})
        inbox.next()

    refused = Client(REMOTE_ADDR="10.0.0.3").post("/accounts/password_reset/", {"email": "Alice@acme.example"})

    assert "Too many requests" in refused.content.decode()
    assert LoginAttempt.objects.filter(username="mail:alice@acme.example").count() == 2


# Settings ----------------------------------------------------------------------------------------

MAIL_NAMES = ["INVITE_LINK_HOURS", "PORTAL_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL"]


@pytest.fixture
def load(reload_settings):
    """Runs portal/settings.py afresh with these variables (and the test stand-ins) set."""
    return lambda **env: reload_settings(unset=MAIL_NAMES, with_stand_ins=True, **env)


def test_links_last_invite_link_hours_and_mail_is_off_by_default(load):
    defaults = load()
    assert (defaults.INVITE_LINK_HOURS, defaults.PASSWORD_RESET_TIMEOUT) == (72, 72 * 3600)
    assert not defaults.EMAIL_ENABLED

    chosen = load(INVITE_LINK_HOURS="2", EMAIL_HOST="smtp.example.com", DEFAULT_FROM_EMAIL="portal@example.com")
    assert chosen.PASSWORD_RESET_TIMEOUT == 7200
    assert chosen.EMAIL_ENABLED and (chosen.EMAIL_PORT, chosen.EMAIL_USE_TLS) == (587, True)


@pytest.mark.parametrize("env, message", [
    ({"INVITE_LINK_HOURS": "three"}, "INVITE_LINK_HOURS must be a whole number"),
    ({"INVITE_LINK_HOURS": "0"}, "INVITE_LINK_HOURS must be between 1 and 2160"),
    ({"EMAIL_HOST": "smtp.example.com"}, "set DEFAULT_FROM_EMAIL"),
    ({"PORTAL_URL": "portal.example.com"}, "PORTAL_URL needs a scheme"),
])
def test_bad_link_and_mail_settings_stop_the_start(load, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load(**env)
