"""The partner's pages: login, home, a dataset's page, its download and its deletion; who sees what."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_helpers import PASSWORD, files_in, logged_in, make_user, upload

from datasets.models import Dataset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme_sales(alice_client):
    upload(alice_client, "지역,매출\n서울,120\n부산,75\n".encode("cp949"), filename="sales.csv")
    return Dataset.objects.get(name="sales")


def test_home_sends_a_visitor_to_the_login_page():
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_logging_in_honours_next_for_the_analytics_app(alice):
    credentials = {"username": "alice", "password": PASSWORD, "next": "/app/"}

    response = Client().post("/accounts/login/?next=/app/", credentials)

    assert response.status_code == 302
    assert response["Location"] == "/app/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/app/", "javascript:alert(1)"])
def test_logging_in_ignores_a_next_leading_off_the_site(alice, target):
    response = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": target})

    assert response["Location"] == "/"


def test_the_login_page_keeps_next_in_its_form(db):
    response = Client().get("/accounts/login/?next=/app/")

    assert response.status_code == 200
    assert b'name="next" value="/app/"' in response.content


def test_logging_out_takes_a_post_and_ends_the_session(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405

    response = alice_client.post("/accounts/logout/")

    assert response["Location"] == "/accounts/login/"
    assert alice_client.get("/auth/check").status_code == 401


def test_changing_the_password_works_and_logs_out_other_browsers(alice):
    here, elsewhere = logged_in(alice), logged_in(alice)
    new = "another long fine password 43"

    response = here.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response["Location"] == "/accounts/password_change/done/"
    assert here.get("/accounts/password_change/done/").status_code == 200
    assert get_user_model().objects.get(username="alice").check_password(new)
    assert here.get("/auth/check").status_code == 200
    assert elsewhere.get("/auth/check").status_code == 401


def test_home_lists_the_partners_datasets_and_links_analytics(alice_client, acme_sales):
    response = alice_client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Acme Korea" in page
    assert 'href="/app/"' in page
    assert f'href="/datasets/{acme_sales.id}/"' in page
    assert "sales" in page


def test_home_of_a_member_of_no_partner_says_so(db):
    response = logged_in(make_user("drifter")).get("/")

    assert response.status_code == 403
    assert "not linked to a partner" in response.content.decode()


def test_home_of_an_inactive_partner_says_so(acme, alice_client):
    acme.active = False
    acme.save()

    response = alice_client.get("/")

    assert response.status_code == 403
    assert "deactivated" in response.content.decode()


def test_the_upload_page_shows_the_limit(alice_client, settings):
    settings.UPLOAD_MAX_MB = 7

    response = alice_client.get("/datasets/upload/")

    assert response.status_code == 200
    assert "Up to 7 MB." in response.content.decode()


def test_a_dataset_page_shows_its_columns_and_first_rows(alice_client, acme_sales):
    response = alice_client.get(f"/datasets/{acme_sales.id}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "지역" in page and "integer" in page
    assert "<td>부산</td>" in page


def test_a_dataset_page_opens_the_analytics_on_that_dataset(alice_client):
    upload(alice_client, "지역,매출\n서울,120\n".encode(), filename="x.csv", name="2025 매출 & 재고")
    dataset = Dataset.objects.get(name="2025 매출 & 재고")

    page = alice_client.get(f"/datasets/{dataset.id}/").content.decode()

    # The analytics' dataset choice is bound to the URL's `dataset`, by the dataset's name.
    assert 'href="/app/?dataset=2025%20%EB%A7%A4%EC%B6%9C%20%26%20%EC%9E%AC%EA%B3%A0"' in page


def test_a_dataset_whose_file_is_gone_says_so(alice_client, acme_sales, datasets_dir):
    (datasets_dir / acme_sales.path).unlink()

    response = alice_client.get(f"/datasets/{acme_sales.id}/")

    assert "The stored file of this dataset is missing" in response.content.decode()
    assert alice_client.get(f"/datasets/{acme_sales.id}/download/").status_code == 404


def test_the_download_is_csv_that_excel_reads_as_utf8(alice_client, acme_sales):
    response = alice_client.get(f"/datasets/{acme_sales.id}/download/")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sales.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body == "\ufeff지역,매출\r\n서울,120\r\n부산,75\r\n"


def test_a_dataset_page_offers_csv_in_utf8_or_cp949_and_excel(alice_client, acme_sales):
    page = alice_client.get(f"/datasets/{acme_sales.id}/").content.decode()

    download = f"/datasets/{acme_sales.id}/download/"
    assert f'href="{download}">Download CSV (UTF-8)</a>' in page
    assert f'href="{download}?format=cp949">Download CSV (CP949)</a>' in page
    assert f'href="{download}?format=xlsx">Download Excel (.xlsx)</a>' in page


def test_deleting_asks_first_then_removes_row_and_file(alice_client, acme_sales, datasets_dir):
    assert alice_client.get(f"/datasets/{acme_sales.id}/delete/").status_code == 200
    assert Dataset.objects.exists()

    response = alice_client.post(f"/datasets/{acme_sales.id}/delete/")

    assert response["Location"] == "/"
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []
    assert f"/datasets/{acme_sales.id}/" not in alice_client.get("/").content.decode()


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/datasets/{id}/"),
        ("get", "/datasets/{id}/download/"),
        ("get", "/datasets/{id}/delete/"),
        ("post", "/datasets/{id}/delete/"),
    ],
)
def test_another_partner_guessing_the_id_gets_404(bob_client, acme_sales, datasets_dir, method, path):
    response = getattr(bob_client, method)(path.format(id=acme_sales.id))

    assert response.status_code == 404
    assert Dataset.objects.filter(pk=acme_sales.pk).exists()
    assert (datasets_dir / acme_sales.path).exists()


def test_another_partner_does_not_see_it_listed(bob_client, acme_sales):
    page = bob_client.get("/").content.decode()

    assert "Globex" in page
    assert "sales" not in page
    assert f"/datasets/{acme_sales.id}/" not in page


def test_staff_see_every_partner_and_act_as_one(staff_client, acme_sales, globex):
    page = staff_client.get("/").content.decode()
    assert "Acme Korea" in page and "Globex" in page  # both offered
    assert "sales" not in page

    staff_client.post("/partners/act-as/", {"partner": "acme"})
    page = staff_client.get("/").content.decode()

    assert f'href="/datasets/{acme_sales.id}/"' in page
    assert staff_client.get(f"/datasets/{acme_sales.id}/").status_code == 200


def test_staff_without_a_partner_are_sent_home_from_partner_pages(staff_client):
    assert staff_client.get("/datasets/upload/")["Location"] == "/"


def test_the_admin_is_for_staff_only(alice, alice_client, staff_client, acme, acme_sales):
    response = alice_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    pages = [
        "/admin/",
        "/admin/partners/partner/",
        f"/admin/partners/partner/{acme.id}/change/",
        "/admin/partners/partner/add/",
        "/admin/datasets/dataset/",
        f"/admin/datasets/dataset/{acme_sales.id}/change/",
        "/admin/auth/user/",
        f"/admin/auth/user/{alice.id}/change/",
    ]
    for page in pages:
        assert staff_client.get(page).status_code == 200, page
        assert alice_client.get(page).status_code == 302, page


def test_deleting_in_the_admin_removes_the_file_too(staff_client, acme_sales, datasets_dir):
    response = staff_client.post(f"/admin/datasets/dataset/{acme_sales.id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []


def test_a_member_cannot_log_in_to_the_admin(alice):
    response = Client().post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert "staff account" in response.content.decode()


def test_the_pages_answer_on_a_phone_too(alice_client):
    page = alice_client.get("/").content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "/static/portal/portal.css" in page
