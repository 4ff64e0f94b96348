"""How many queries each page makes. Pages partners hit often answer from the cache: with it
warm, the home page reads only the session and the user, never the datasets table."""
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_helpers import upload

from datasets.models import Dataset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stored(alice_client):
    for name in ["one.csv", "two.csv", "three.csv"]:
        upload(alice_client, b"a,b\n1,2\n", filename=name)
    return Dataset.objects.first()


def tables(queries):
    return [query["sql"].split(" FROM ", 1)[1].split()[0].strip('"') for query in queries.captured_queries]


def test_home_warm_reads_session_and_user_only(alice_client, stored):
    alice_client.get("/")

    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get("/")

    assert len(response.context["datasets"]) == 3
    assert tables(queries) == ["accounts_portalsession", "auth_user"]


def test_home_cold_reads_membership_partner_language_second_factor_and_the_list_once(
    alice_client, stored, django_assert_num_queries
):
    cache.clear()

    with django_assert_num_queries(7):
        alice_client.get("/")


@pytest.mark.parametrize(
    "path, count",
    [
        # One more for its earlier versions, however many.
        ("/datasets/{id}/", 4),
        ("/datasets/{id}/edit/", 3),
        # Three more for the audit event: its insert, inside a savepoint of its own.
        ("/datasets/{id}/download/", 6),
        ("/datasets/{id}/delete/", 3),
        ("/datasets/upload/", 2),
        ("/auth/check", 2),
        ("/accounts/password_change/", 2),
    ],
)
def test_partner_pages_warm(alice_client, stored, django_assert_num_queries, path, count):
    alice_client.get("/")

    with django_assert_num_queries(count):
        response = alice_client.get(path.format(id=stored.id))
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200


def test_the_login_page_makes_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        Client().get("/accounts/login/")


def test_staff_home_adds_the_partner_list(staff_client, stored, django_assert_num_queries):
    staff_client.post("/partners/act-as/", {"partner": "acme"})
    staff_client.get("/")

    with django_assert_num_queries(3):
        staff_client.get("/")


def test_the_internal_api_warm_makes_no_query(stored, django_assert_num_queries, settings):
    headers = {"Authorization": f"Bearer {settings.INTERNAL_API_TOKEN}"}
    Client().get("/internal/partners/acme/datasets", headers=headers)

    with django_assert_num_queries(0):
        Client().get("/internal/partners/acme/datasets", headers=headers)
