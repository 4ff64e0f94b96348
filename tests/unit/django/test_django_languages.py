"""Korean and English: which language a user gets (the choice saved on the account, then the
browser's Accept-Language, then PORTAL_LANGUAGE), the switcher, what the analytics are told, and
Korean pages, messages and upload errors from the compiled catalog."""
import json
from datetime import date, datetime, timezone

import polib
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django_helpers import PASSWORD, PREVIEW, choose_file, logged_in, make_user, upload

from accounts.models import Preferences
from portal import formats

# Committed transactions: a saved choice reaches the cache as it does in production, after the commit.
pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "unit-tests-internal-token-not-a-secret"
CATALOG = django_settings.BASE_DIR / "locale" / "ko" / "LC_MESSAGES" / "django.po"


@pytest.fixture(autouse=True)
def compiled(settings, tmp_path):
    """The ko catalog compiled as the image build does, into a folder of the test's own."""
    target = tmp_path / "locale" / "ko" / "LC_MESSAGES"
    target.mkdir(parents=True)
    polib.pofile(str(CATALOG)).save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    settings.INTERNAL_API_TOKEN = TOKEN


def page(client, path="/", accept=None):
    headers = {} if accept is None else {"accept-language": accept}
    return client.get(path, headers=headers).content.decode()


# The order --------------------------------------------------------------------------------------


def test_without_a_choice_or_a_browser_preference_the_portal_speaks_portal_language(alice_client, settings):
    assert "로그아웃" in page(alice_client, accept="")
    settings.LANGUAGE_CODE = "en"
    assert "Log out" in page(alice_client, accept="")


@pytest.mark.parametrize("accept, expected", [("ko-KR,ko;q=0.9", "로그아웃"), ("en-US,en;q=0.8", "Log out"), ("fr, en;q=0.5", "Log out"), ("fr", "로그아웃")])
def test_the_browser_language_comes_before_portal_language(alice_client, accept, expected):
    assert expected in page(alice_client, accept=accept)


def test_a_saved_choice_comes_before_the_browser(alice, alice_client):
    Preferences.objects.create(user=alice, language="ko")

    html = page(alice_client, accept="en")

    assert "로그아웃" in html and '<html lang="ko">' in html


# The switcher -----------------------------------------------------------------------------------


def test_every_page_has_the_switcher_each_language_named_in_itself(alice_client, client):
    pages = [page(alice_client), page(alice_client, "/datasets/upload/", accept="ko"), page(client, "/accounts/login/", accept="ko")]
    for html in pages:
        assert 'action="/accounts/language/"' in html
        assert ">한국어</button>" in html and ">English</button>" in html
        assert 'name="csrfmiddlewaretoken"' in html


def test_switching_saves_the_choice_on_the_account_and_returns_to_the_page(alice, alice_client):
    response = alice_client.post("/accounts/language/", {"language": "ko", "next": "/datasets/upload/"})

    assert response.status_code == 302 and response["Location"] == "/datasets/upload/"
    assert Preferences.objects.get(user=alice).language == "ko"
    assert "데이터셋 올리기" in page(alice_client, "/datasets/upload/", accept="en")


def test_the_choice_follows_the_user_to_another_browser(alice, alice_client):
    alice_client.post("/accounts/language/", {"language": "ko", "next": "/"})

    other = Client()
    other.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert "로그아웃" in page(other, accept="en")


def test_an_anonymous_visitor_gets_a_cookie_and_the_login_page_in_that_language(client):
    response = client.post("/accounts/language/", {"language": "ko", "next": "/accounts/login/"})

    assert response["Location"] == "/accounts/login/"
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "ko"
    assert "로그인" in page(client, "/accounts/login/", accept="en")


def test_a_choice_made_before_signing_in_is_kept_on_the_account(alice, client):
    client.post("/accounts/language/", {"language": "ko", "next": "/accounts/login/"})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert Preferences.objects.get(user=alice).language == "ko"


def test_the_switcher_needs_a_csrf_token_and_refuses_other_languages(alice, alice_client):
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(alice)
    assert guarded.post("/accounts/language/", {"language": "ko"}).status_code == 403

    alice_client.post("/accounts/language/", {"language": "fr", "next": "/"})
    assert not Preferences.objects.filter(user=alice).exists()


def test_the_switcher_never_redirects_off_the_site(alice_client):
    response = alice_client.post("/accounts/language/", {"language": "en", "next": "https://evil.example/"})

    assert response["Location"] == "/"


# What the analytics learn -------------------------------------------------------------------------


def sign_in(accept="en"):
    client = Client(headers={"accept-language": accept})
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    return client


def ticket(client):
    return client.get("/auth/check")["X-Portal-Session"]


def state(ticket, accept=None):
    path = f"/internal/sessions/{ticket}" + (f"?accept_language={accept}" if accept is not None else "")
    return Client().get(path, headers={"Authorization": f"Bearer {TOKEN}", "accept-language": "en"}).json()


def choose(ticket, body, token=TOKEN):
    return Client().post(
        f"/internal/sessions/{ticket}/language",
        body if isinstance(body, (str, bytes)) else json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize("accept, expected", [("ko-KR", "ko"), ("en-GB", "en"), ("", "ko")])
def test_the_gate_names_the_language_it_decided(alice, accept, expected):
    client = sign_in()

    assert client.get("/auth/check", headers={"accept-language": accept})["X-Portal-Language"] == expected


def test_the_gate_names_the_saved_choice_over_the_browser(alice):
    Preferences.objects.create(user=alice, language="en")

    assert sign_in().get("/auth/check", headers={"accept-language": "ko"})["X-Portal-Language"] == "en"


def test_the_session_api_answers_the_choice_then_the_tabs_browser_then_portal_language(alice):
    handed = ticket(sign_in())

    assert state(handed)["language"] == "ko"
    assert state(handed, accept="en-US,en;q=0.9")["language"] == "en"
    Preferences.objects.create(user=alice, language="ko")
    assert state(handed, accept="en-US")["language"] == "ko"


def test_the_analytics_switcher_saves_the_choice_for_both_halves(alice):
    client = sign_in(accept="ko")
    handed = ticket(client)

    response = choose(handed, {"language": "en"})

    assert response.status_code == 200 and response.json() == {"state": "active", "language": "en"}
    assert state(handed, accept="ko")["language"] == "en"
    assert client.get("/auth/check", headers={"accept-language": "ko"})["X-Portal-Language"] == "en"
    assert "Log out" in page(client, accept="ko")


@pytest.mark.parametrize("body", [{"language": "fr"}, {}, "not json", ["en"]])
def test_the_analytics_switcher_refuses_a_bad_language(alice, body):
    response = choose(ticket(sign_in()), body)

    assert response.status_code == 400
    assert not Preferences.objects.exists()


def test_the_analytics_switcher_needs_the_token_and_a_live_session(alice):
    handed = ticket(sign_in())

    assert choose(handed, {"language": "en"}, token="wrong").status_code == 403
    assert choose("no-such-ticket", {"language": "en"}).json() == {"state": "signed_out"}
    assert Client().get(f"/internal/sessions/{handed}/language", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405
    assert not Preferences.objects.exists()


# Korean texts ------------------------------------------------------------------------------------


def test_korean_pages_messages_and_errors(alice, alice_client):
    korean = {"accept-language": "ko"}
    uploaded = upload(alice_client, b"a,b\n1,2\n3,4\n", filename="sales.csv", headers=korean, follow=True)
    html = uploaded.content.decode()
    assert "“sales”을(를) 저장했습니다: 2행, 2열" in html
    assert "CSV 내려받기" in html and "분석 열기" in html

    refused = alice_client.post("/datasets/upload/", {"file": SimpleUploadedFile("x.csv", b"a,b\n")}, headers=korean)
    assert "1번째 줄이 머리글인데 그 뒤에 데이터 행이 없습니다." in refused.content.decode()


@pytest.mark.usefixtures("real_child")
def test_an_upload_error_from_the_child_process_is_in_the_requests_language(alice_client):
    for accept, expected in [("ko", "빈 줄만 있습니다"), ("en", "it holds only blank lines")]:
        response = alice_client.post(
            "/datasets/upload/", {"file": SimpleUploadedFile("blank.csv", b"\n\n\n")}, headers={"accept-language": accept}
        )
        assert expected in response.content.decode()


def test_a_partner_without_access_is_told_in_korean(db):
    client = logged_in(make_user("loner"))

    assert "계정이 파트너사에 연결되어 있지 않습니다" in page(client, accept="ko")


# Times and numbers -------------------------------------------------------------------------------

MOMENT = datetime(2026, 11, 28, 4, 18, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "language, zone, expected",
    [
        ("ko", "Asia/Seoul", "2026년 11월 28일 오후 1:18 (KST)"),
        ("en", "Asia/Seoul", "Nov 28, 2026, 1:18 PM KST"),
        ("en", "UTC", "Nov 28, 2026, 4:18 AM UTC"),
        ("ko", "Europe/Berlin", "2026년 11월 28일 오전 5:18 (CET)"),
    ],
)
def test_a_time_is_shown_in_the_portal_zone_with_its_name(settings, language, zone, expected):
    settings.TIME_ZONE = zone
    with translation.override(language):
        assert formats.when(MOMENT) == expected


@pytest.mark.parametrize(
    "language, day, month",
    [("ko", "2025년 1월 3일", "2025년 1월"), ("en", "Jan 3, 2025", "January 2025")],
)
def test_dates_per_language(language, day, month):
    with translation.override(language):
        assert formats.day(date(2025, 1, 3)) == day
        assert formats.month(date(2025, 1, 3)) == month


@pytest.mark.parametrize("value, expected", [(0, "0"), (999, "999"), (1234, "1,234"), (5_000_000, "5,000,000"), (1234.5, "1,235")])
def test_numbers_have_thousands_separators(value, expected):
    for language in ("ko", "en"):
        with translation.override(language):
            assert formats.number(value) == expected


def test_an_uploads_preview_speaks_korean(alice_client):
    korean = {"accept-language": "ko"}
    choose_file(alice_client, "일자,금액\n2025.01.01,\"1,000\"\n2025.01.02,미정\n".encode(), headers=korean)

    html = alice_client.get(PREVIEW, headers=korean).content.decode()

    assert "저장하기 전에 확인" in html and "날짜" in html and "텍스트" in html
    assert "Check before storing" not in html and "Whole number" not in html


def test_the_dataset_list_shows_time_with_zone_and_grouped_numbers(alice_client, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    upload(alice_client, b"n\n" + b"1\n" * 1234, filename="big.csv")

    korean, english = page(alice_client, accept="ko"), page(alice_client, accept="en")

    assert "1,234" in korean and "(KST)" in korean and "년" in korean
    assert "1,234" in english and " KST" in english and ("PM" in english or "AM" in english)
