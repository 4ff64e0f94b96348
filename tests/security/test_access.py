"""Who may do what: forged form posts, password guessing, the internal API, another partner's
datasets and Django's admin, each tried by someone who should be refused."""
import secrets

import pytest
import requests

from support.fresh import new_partner
from support.front import front_clients, login_attempts
from support.logins import create_partner_user, create_staff_user, login
from support.raw_http import send
from support.summary import count
from support.uploads import get_from_back_network, internal_catalog, small_csv, upload

BAD_INPUTS = "bad inputs tried"
CSRF_FAILURE = 403


@pytest.fixture(scope="module")
def owner(stack):
    """A partner with one dataset: (slug, session, dataset id)."""
    partner = new_partner(stack, "owner")
    slug, session = partner.slug, partner.session
    assert upload(session, stack.url, small_csv(), name="owned").status_code == 302
    (dataset,) = internal_catalog(stack, slug)["datasets"]
    return slug, session, dataset["id"]


def browser_with(session, *names):
    """A fresh client that carries only these cookies of `session`, as a forged request would."""
    client = requests.Session()
    for name in names:
        client.cookies.set(name, session.cookies[name])
    return client


def still_logged_in(stack, session):
    return session.get(f"{stack.url}/", allow_redirects=False).status_code == 200


# Forged posts: no CSRF token at all, or a valid one sent from another site's page.


def forged_posts(stack, dataset_id):
    """(what, path, form data) of every form a partner posts."""
    return [
        ("upload", "/datasets/upload/", {"name": "forged"}),
        ("delete", f"/datasets/{dataset_id}/delete/", {}),
        ("logout", "/accounts/logout/", {}),
        ("password change", "/accounts/password_change/",
         {"old_password": "x", "new_password1": "forged-Pa55word!", "new_password2": "forged-Pa55word!"}),
    ]


@pytest.mark.parametrize("how", ["no token", "token from another site's page"])
def test_a_partners_forms_refuse_posts_without_a_valid_csrf_token(stack, request, owner, how):
    slug, session, dataset_id = owner
    for what, path, data in forged_posts(stack, dataset_id):
        count(request.config, BAD_INPUTS, "CSRF-less POST", 1)
        headers = {}
        if how == "no token":
            forger = browser_with(session, "sessionid")
        else:
            forger = browser_with(session, "sessionid", "csrftoken")
            data = {**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
            headers = {"Origin": "https://evil.example", "Referer": "https://evil.example/page"}
        files = {"file": ("forged.csv", small_csv(), "text/csv")} if what == "upload" else None
        response = forger.post(f"{stack.url}{path}", data=data, files=files, headers=headers, allow_redirects=False)
        assert response.status_code == CSRF_FAILURE, f"{what} ({how}): {response.status_code}"
    assert [d["name"] for d in internal_catalog(stack, slug)["datasets"]] == ["owned"]
    assert still_logged_in(stack, session)


def test_login_without_a_csrf_token_is_refused(stack, request):
    count(request.config, BAD_INPUTS, "CSRF-less POST", 1)
    username, password = create_partner_user(stack, f"nocsrf-{secrets.token_hex(3)}")
    # A bare POST, as a cross-site form would send it: no csrftoken cookie, no token field.
    response = send(stack.url, "POST", "/accounts/login/", [("Content-Type", "application/x-www-form-urlencoded")],
                    body=f"username={username}&password={password}".encode())
    assert response.status == CSRF_FAILURE, response.status
    assert "sessionid" not in response.headers.get("set-cookie", "")


def test_staff_act_as_refuses_a_post_without_a_csrf_token(stack, request, owner):
    count(request.config, BAD_INPUTS, "CSRF-less POST", 1)
    slug, _, _ = owner
    staff = login(stack.url, *create_staff_user(stack, f"ops-{secrets.token_hex(3)}"))
    response = browser_with(staff, "sessionid").post(f"{stack.url}/partners/act-as/", data={"partner": slug},
                                                     allow_redirects=False)
    assert response.status_code == CSRF_FAILURE, response.status_code


# Password guessing, from client containers with addresses of their own (see support.front).


def refused(result):
    """Throttled: Django's lockout message, or nginx's limit_req (429, or 503 by default)."""
    return result["locked"] or result["status"] in (429, 503)


def test_ten_rapid_bad_logins_for_one_user_are_throttled(stack, request):
    limit = stack.setting("LOGIN_FAIL_LIMIT")
    username, password = create_partner_user(stack, f"guessed-{secrets.token_hex(3)}")
    count(request.config, BAD_INPUTS, "rapid bad logins", 10)
    front, (guesser, elsewhere) = front_clients(stack, 2)
    try:
        results = login_attempts(front, guesser, [[username, f"guess-{i}"] for i in range(10)])
        # The right password, at once, from the guesser and from another address: both refused.
        right_from_guesser, right_from_elsewhere = (
            login_attempts(front, address, [[username, password]])[0] for address in (guesser, elsewhere))
    finally:
        front.stop()
    assert all(r["status"] in (200, 429, 503) and not r["session"] for r in results), results
    assert all(refused(r) for r in results[limit:]), f"attempts after the {limit}th were not throttled: {results}"
    assert any(refused(r) for r in results), results
    assert refused(right_from_guesser) and not right_from_guesser["session"], right_from_guesser
    assert refused(right_from_elsewhere) and not right_from_elsewhere["session"], "the lock is not per user"


def test_ten_rapid_bad_logins_for_many_users_from_one_address_are_throttled(stack, request):
    limit = stack.setting("LOGIN_FAIL_LIMIT")
    count(request.config, BAD_INPUTS, "rapid bad logins", 10)
    front, (sprayer,) = front_clients(stack, 1)
    try:
        results = login_attempts(front, sprayer, [[f"nobody-{secrets.token_hex(3)}", "Winter2026!"] for _ in range(10)])
    finally:
        front.stop()
    assert all(r["status"] in (200, 429, 503) and not r["session"] for r in results), results
    assert all(refused(r) for r in results[limit:]), f"attempts after the {limit}th were not throttled: {results}"


# The internal API: only Streamlit, with the service token, from the back network.


def test_the_internal_api_refuses_requests_without_the_right_token(stack, request, owner):
    slug, _, _ = owner
    token = stack.settings["INTERNAL_API_TOKEN"]
    url = f"http://django:8000/internal/partners/{slug}/datasets"
    tries = {
        "no token": ({}, 401),
        "empty bearer": ({"Authorization": "Bearer "}, 401),
        "another scheme": ({"Authorization": f"Basic {token}"}, 401),
        "token alone": ({"Authorization": token}, 401),
        "wrong token": ({"Authorization": "Bearer " + secrets.token_urlsafe(32)}, 403),
        "token plus a character": ({"Authorization": f"Bearer {token}x"}, 403),
        "token cut short": ({"Authorization": f"Bearer {token[:-1]}"}, 403),
    }
    for service in ("nginx", "streamlit"):
        for what, (headers, expected) in tries.items():
            count(request.config, BAD_INPUTS, "internal API without the right token", 1)
            status, body = get_from_back_network(stack, url, {"Host": "localhost", **headers}, service=service)
            assert status == expected, f"{what} from {service}: {status} {body}"
            assert slug not in body and "datasets" not in body, f"{what} from {service} got data"
    # The right token works from there: the refusals above are the token's doing.
    status, body = get_from_back_network(stack, url, {"Host": "localhost", "Authorization": f"Bearer {token}"})
    assert status == 200 and slug in body


@pytest.mark.parametrize("path", ["/internal/partners/{slug}/datasets", "/internal/", "/internal"])
def test_the_internal_api_is_404_through_nginx_even_with_the_token(stack, request, owner, path):
    count(request.config, BAD_INPUTS, "internal API through nginx", 1)
    slug, session, _ = owner
    token = stack.settings["INTERNAL_API_TOKEN"]
    response = session.get(f"{stack.url}{path.format(slug=slug)}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert "json" not in response.headers.get("Content-Type", ""), response.text[:200]


# Other partners' data and the admin.


def test_another_partners_dataset_is_404_and_cannot_be_deleted(stack, request, owner):
    owner_slug, _, dataset_id = owner
    intruder = new_partner(stack, "intruder").session
    for page in ("", "download/", "delete/"):
        count(request.config, BAD_INPUTS, "another partner's dataset", 1)
        assert intruder.get(f"{stack.url}/datasets/{dataset_id}/{page}").status_code == 404
    count(request.config, BAD_INPUTS, "another partner's dataset", 1)
    deleted = intruder.post(f"{stack.url}/datasets/{dataset_id}/delete/",
                            data={"csrfmiddlewaretoken": intruder.cookies["csrftoken"]},
                            headers={"Referer": f"{stack.url}/datasets/{dataset_id}/delete/"}, allow_redirects=False)
    assert deleted.status_code == 404
    assert [d["id"] for d in internal_catalog(stack, owner_slug)["datasets"]] == [dataset_id]


@pytest.mark.parametrize("path", ["/admin/", "/admin/auth/user/", "/admin/partners/partner/",
                                  "/admin/datasets/dataset/", "/admin/auth/user/add/", "/ops/status/"])
def test_a_partner_user_opening_the_admin_is_refused(stack, request, owner, path):
    count(request.config, BAD_INPUTS, "partner user in the admin", 1)
    _, session, _ = owner
    response = session.get(f"{stack.url}{path}", allow_redirects=False)
    if response.status_code == 302:
        # Django's admin sends users who are not staff to its own login page, which says so.
        assert response.headers["Location"].startswith("/admin/login/"), response.headers["Location"]
        page = session.get(f"{stack.url}{response.headers['Location']}")
        assert "not authorized to access this page" in page.text
    else:
        assert response.status_code in (403, 404), response.status_code
    assert "Site administration" not in response.text and "<svg" not in response.text
