"""The internal API that tells Streamlit which datasets a partner has."""
import datetime as dt
import decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_helpers import parquet_bytes, upload

from datasets import reading
from datasets.models import Dataset

TOKEN = "unit-tests-internal-token-not-a-secret"


@pytest.fixture(autouse=True)
def token(settings):
    settings.INTERNAL_API_TOKEN = TOKEN


def ask(slug="acme", token=TOKEN, scheme="Bearer"):
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return Client().get(f"/internal/partners/{slug}/datasets", headers=headers)


def test_without_a_token_it_is_401(acme):
    response = ask(token=None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("token, scheme", [(TOKEN, "Basic"), ("", "Bearer")])
def test_a_token_in_another_scheme_or_empty_is_401(acme, token, scheme):
    assert ask(token=token, scheme=scheme).status_code == 401


@pytest.mark.parametrize("token", ["wrong", TOKEN + "x", TOKEN[:-1], TOKEN.upper()])
def test_a_wrong_token_is_403(acme, token):
    response = ask(token=token)

    assert response.status_code == 403
    assert "datasets" not in response.json()


def test_no_configured_token_lets_nobody_in(acme, settings):
    settings.INTERNAL_API_TOKEN = ""

    assert ask(token="anything").status_code == 403


def test_an_unknown_partner_is_404(db):
    assert ask("nobody").status_code == 404


def test_only_get_is_answered(acme):
    response = Client().post("/internal/partners/acme/datasets", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 405


@pytest.mark.django_db(transaction=True)
def test_it_lists_the_partners_datasets_with_paths_and_schemas(alice_client, bob_client):
    upload(alice_client, "지역,매출\n서울,120\n".encode("cp949"), filename="sales.csv", description="by city")
    upload(bob_client, b"a\n1\n", filename="other.csv")
    dataset = Dataset.objects.get(partner__slug="acme")

    body = ask().json()

    assert body["partner"] == {"slug": "acme", "name": "Acme Korea", "active": True}
    assert body["datasets"] == [
        {
            "id": dataset.id,
            "name": "sales",
            "description": "by city",
            "path": dataset.path,
            "rows": 1,
            "columns": [{"name": "지역", "type": "text"}, {"name": "매출", "type": "integer"}],
            "size_bytes": dataset.size_bytes,
            "version": dataset.sha256,
            "uploaded_by": "alice",
            "uploaded_at": body["datasets"][0]["uploaded_at"],
        }
    ]
    assert body["datasets"][0]["uploaded_at"].startswith(dataset.uploaded_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["datasets"][0]["path"].startswith("acme/")


# Every kind a CSV column can be, and Parquet types the portal takes beyond the ones it writes.
TYPED_UPLOADS = {
    "csv": (
        b"flag,count,price,day,moment,code\n"
        b"true,1,1.5,2024-01-31,2024-01-31 09:30,007\n"
        b"false,2,2,2024-02-29,2024-02-01T10:00:05,012\n",
        "typed.csv",
        ["boolean", "integer", "float", "date", "datetime", "text"],
    ),
    "parquet": (
        parquet_bytes(
            pa.table(
                {
                    "small": pa.array([1, 2], pa.int32()),
                    "ratio": pa.array([0.5, 1.5], pa.float32()),
                    "money": pa.array([decimal.Decimal("1.25"), None], pa.decimal128(10, 2)),
                    "day": pa.array([dt.date(2024, 1, 31), None], pa.date32()),
                    "at": pa.array([dt.datetime(2024, 1, 31, 9, 30), None], pa.timestamp("ms", tz="Asia/Seoul")),
                    "region": pa.array(["north", "south"]).dictionary_encode(),
                    "days_as_text": pa.array(["2024-01-31", "2024-02-29"], pa.large_string()),
                }
            )
        ),
        "typed.parquet",
        ["integer", "float", "decimal", "date", "datetime", "text", "text"],
    ),
}


@pytest.mark.parametrize("content, filename, kinds", TYPED_UPLOADS.values(), ids=TYPED_UPLOADS.keys())
@pytest.mark.django_db(transaction=True)
def test_the_column_types_it_sends_are_the_stored_files(alice_client, datasets_dir, content, filename, kinds):
    upload(alice_client, content, filename=filename)

    [entry] = ask().json()["datasets"]

    schema = pq.read_schema(datasets_dir / entry["path"])
    assert entry["columns"] == [{"name": field.name, "type": reading.kind_of(field.type)} for field in schema]
    assert [column["type"] for column in entry["columns"]] == kinds


@pytest.mark.django_db(transaction=True)
def test_an_inactive_partner_is_still_described(acme):
    acme.active = False
    acme.save()

    assert ask().json() == {"partner": {"slug": "acme", "name": "Acme Korea", "active": False}, "datasets": []}


@pytest.mark.django_db(transaction=True)
def test_uploads_and_deletes_show_at_once_and_a_warm_list_costs_no_query(alice_client):
    assert ask().json()["datasets"] == []

    upload(alice_client, b"a\n1\n", filename="first.csv")
    assert [d["name"] for d in ask().json()["datasets"]] == ["first"]

    with CaptureQueriesContext(connection) as queries:
        assert [d["name"] for d in ask().json()["datasets"]] == ["first"]
    assert len(queries) == 0

    alice_client.post(f"/datasets/{Dataset.objects.get().id}/delete/")
    assert ask().json()["datasets"] == []


def stored_dataset(partner, settings, content=b"PAR1 not really parquet PAR1", name="sales"):
    import hashlib

    digest = hashlib.sha256(content).hexdigest()
    dataset = Dataset.objects.create(partner=partner, name=name, path=f"{partner.slug}/{name}.parquet", rows=1,
                                     columns=[], size_bytes=len(content), sha256=digest)
    dataset.file.parent.mkdir(parents=True, exist_ok=True)
    dataset.file.write_bytes(content)
    return dataset


def fetch_file(slug, sha256, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return Client().get(f"/internal/partners/{slug}/datasets/{sha256}", headers=headers)


def test_a_dataset_version_s_file_is_served_by_its_sha256(acme, settings):
    dataset = stored_dataset(acme, settings)
    response = fetch_file("acme", dataset.sha256)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == dataset.file.read_bytes()


def test_the_file_needs_the_token_and_the_partner_s_own_version(acme, globex, settings):
    dataset = stored_dataset(acme, settings)
    assert fetch_file("acme", dataset.sha256, token=None).status_code == 401
    assert fetch_file("globex", dataset.sha256).status_code == 404
    assert fetch_file("acme", "0" * 64).status_code == 404
    dataset.file.unlink()
    assert fetch_file("acme", dataset.sha256).status_code == 404
