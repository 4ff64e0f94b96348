"""A dataset's versions: a new file keeps the one it replaces, the last DATASET_VERSIONS_KEPT of
them stay (the others go, their files after the commit), and each can be downloaded or made
current again; the dataset's name and description can be edited. Another partner's ids are
not found and change nothing."""
import html
import io
import sqlite3
from urllib.parse import quote

import openpyxl
import polib
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import Client
from django_helpers import files_in, spooled

from datasets import backups, catalog, files, ingest
from datasets.models import Dataset, DatasetVersion

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = "지역,매출\n서울,120\n부산,75\n".encode()
SECOND = "지역,매출,메모\n서울,130,신규\n부산,80,\n대구,60,\n".encode()
THIRD = "지역,매출\n광주,10\n".encode()


def store(partner, content, replacing=None, user=None, name="매출"):
    path = spooled(content)
    return ingest.store(path, ingest.inspect(path), partner, name=name, description="월별", uploaded_by=user,
                        replacing=replacing)


def versions_of(dataset):
    return [(v.number, v.rows, v.path) for v in DatasetVersion.objects.filter(dataset=dataset)]


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def compiled(settings, tmp_path):
    """The ko catalog compiled as the image build does, into a folder of the test's own."""
    target = tmp_path / "locale" / "ko" / "LC_MESSAGES"
    target.mkdir(parents=True)
    polib.pofile(str(settings.BASE_DIR / "locale" / "ko" / "LC_MESSAGES" / "django.po")).save_as_mofile(
        str(target / "django.mo")
    )
    settings.LOCALE_PATHS = [tmp_path / "locale"]


@pytest.fixture
def two_versions(acme, alice):
    """A dataset of acme's whose second file replaced its first."""
    first = store(acme, FIRST, user=alice)
    second = store(acme, SECOND, replacing=first)
    return first, second


# Storing a new version --------------------------------------------------------------------------

def test_a_new_version_keeps_the_file_it_replaces(two_versions, datasets_dir, alice):
    first, second = two_versions

    dataset = Dataset.objects.get()
    assert (dataset.id, dataset.number, dataset.rows, dataset.path) == (first.id, 2, 3, second.path)
    kept = dataset.versions.get()
    assert (kept.number, kept.path, kept.rows, kept.sha256, kept.uploaded_by) == (1, first.path, 2, first.sha256, alice)
    assert [column["name"] for column in kept.columns] == ["지역", "매출"]
    assert files_in(datasets_dir) == sorted([first.path, second.path])
    # The analytics follow the catalog: the new file, under a new cache version.
    (entry,) = catalog.datasets_of(first.partner_id)
    assert (entry["path"], entry["version"]) == (second.path, second.sha256)


def test_versions_beyond_the_setting_go_with_their_files(acme, datasets_dir, settings):
    settings.DATASET_VERSIONS_KEPT = 2
    dataset = store(acme, FIRST)
    paths = [dataset.path]
    for content in (SECOND, THIRD, FIRST):
        dataset = store(acme, content, replacing=dataset)
        paths.append(dataset.path)

    assert dataset.number == 4
    assert versions_of(dataset) == [(3, 1, paths[2]), (2, 3, paths[1])]
    assert files_in(datasets_dir) == sorted(paths[1:])


def test_a_pruned_version_keeps_its_row_and_file_when_the_commit_fails(acme, datasets_dir, settings, monkeypatch):
    settings.DATASET_VERSIONS_KEPT = 1
    dataset = store(acme, SECOND, replacing=store(acme, FIRST))
    before = versions_of(dataset), files_in(datasets_dir)

    def fail():
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(connection, "commit", fail)
    with pytest.raises(DatabaseError):
        store(acme, THIRD, replacing=dataset)
    monkeypatch.undo()

    assert (versions_of(dataset), files_in(datasets_dir)) == before
    assert Dataset.objects.get().path == dataset.path


def test_keeping_no_versions_replaces_the_file(acme, alice_client, datasets_dir, settings):
    settings.DATASET_VERSIONS_KEPT = 0
    dataset = store(acme, SECOND, replacing=store(acme, FIRST))

    assert (dataset.number, versions_of(dataset)) == (2, [])
    assert files_in(datasets_dir) == [dataset.path]
    assert "The portal keeps no earlier versions" in text(alice_client.get(f"/datasets/{dataset.id}/"))


def test_a_failed_new_version_leaves_the_dataset_and_its_files_as_they_were(acme, datasets_dir, monkeypatch):
    first = store(acme, FIRST)

    def refuse(source, target):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(ingest.os, "replace", refuse)
    with pytest.raises(OSError, match="Input/output error"):
        store(acme, SECOND, replacing=first)
    monkeypatch.undo()

    dataset = Dataset.objects.get()
    assert (dataset.path, dataset.number, dataset.rows) == (first.path, 1, 2)
    assert not DatasetVersion.objects.exists()
    assert files_in(datasets_dir) == [first.path]


def test_storing_over_another_partners_dataset_is_refused(acme, globex, datasets_dir):
    theirs = store(globex, FIRST)

    with pytest.raises(Dataset.DoesNotExist):
        store(acme, SECOND, replacing=theirs)

    assert versions_of(theirs) == [] and Dataset.objects.get().partner == globex
    assert files_in(datasets_dir) == [theirs.path]


# The dataset's page, downloads and restores -----------------------------------------------------

def test_the_page_lists_the_earlier_versions(alice_client, two_versions):
    first, second = two_versions

    page = text(alice_client.get(f"/datasets/{first.id}/"))

    assert "Earlier versions" in page
    assert f'href="/datasets/{first.id}/versions/1/download/?format=cp949"' in page
    assert f'action="/datasets/{first.id}/versions/1/restore/"' in page
    assert "Restore version 1" in page and "by alice" in page
    assert "Restore version 2" not in page


def first_sheet(body):
    return [[cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows()]


@pytest.mark.parametrize("form, suffix, content", [
    (None, ".csv", lambda body: body.decode("utf-8") == "\ufeff지역,매출\r\n서울,120\r\n부산,75\r\n"),
    ("cp949", ".csv", lambda body: body.decode("cp949") == "지역,매출\r\n서울,120\r\n부산,75\r\n"),
    ("xlsx", ".xlsx", lambda body: first_sheet(body) == [["지역", "매출"], ["서울", 120], ["부산", 75]]),
])
def test_an_earlier_version_downloads_under_the_datasets_name_and_its_number(alice_client, two_versions, form, suffix,
                                                                             content):
    first, _ = two_versions
    query = f"?format={form}" if form else ""

    response = alice_client.get(f"/datasets/{first.id}/versions/1/download/{query}")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="(version 1){suffix}"; filename*=utf-8\'\'{quote("매출 (version 1)" + suffix)}'
    )
    assert content(b"".join(response.streaming_content) if response.streaming else response.content)


def test_restoring_makes_the_version_current_and_keeps_the_current_one(alice_client, two_versions, datasets_dir):
    first, second = two_versions

    response = alice_client.post(f"/datasets/{first.id}/versions/1/restore/")

    assert response.status_code == 302 and response["Location"] == f"/datasets/{first.id}/"
    dataset = Dataset.objects.get()
    assert (dataset.number, dataset.rows, dataset.path, dataset.sha256) == (1, 2, first.path, first.sha256)
    assert versions_of(dataset) == [(2, 3, second.path)]
    assert files_in(datasets_dir) == sorted([first.path, second.path])
    page = text(alice_client.get(response["Location"]))
    assert "Version 1 of “매출” is the current one again." in page
    assert "Restore version 2" in page and "Restore version 1" not in page
    # What the analytics read at their next rerun: the restored file, under its own cache version.
    headers = {"Authorization": "Bearer unit-tests-internal-token-not-a-secret"}
    (entry,) = Client().get("/internal/partners/acme/datasets", headers=headers).json()["datasets"]
    assert (entry["path"], entry["version"], entry["rows"]) == (first.path, first.sha256, 2)


def test_a_version_replaced_last_is_kept_first(acme, alice_client, settings):
    settings.DATASET_VERSIONS_KEPT = 2
    dataset = store(acme, FIRST)
    for content in (SECOND, THIRD):
        dataset = store(acme, content, replacing=dataset)
    alice_client.post(f"/datasets/{dataset.id}/versions/1/restore/")

    dataset = store(acme, SECOND, replacing=Dataset.objects.get())

    # Version 1 was in use a moment ago; version 2 had been replaced longest ago.
    assert dataset.number == 4
    assert [number for number, _, _ in versions_of(dataset)] == [1, 3]


def test_restoring_a_version_that_is_no_more_changes_nothing(alice_client, two_versions):
    first, second = two_versions
    alice_client.post(f"/datasets/{first.id}/versions/1/restore/")

    # Number 1 is current now: a second click finds no such version.
    assert alice_client.post(f"/datasets/{first.id}/versions/1/restore/").status_code == 404
    assert Dataset.objects.get().path == first.path


def test_a_version_whose_file_is_missing_is_not_restored(alice_client, two_versions, datasets_dir):
    first, second = two_versions
    (datasets_dir / first.path).unlink()

    response = alice_client.post(f"/datasets/{first.id}/versions/1/restore/", follow=True)

    assert "The file of this version is missing" in text(response)
    assert Dataset.objects.get().path == second.path


def test_restoring_takes_a_post_with_its_csrf_token(alice, two_versions):
    first, _ = two_versions
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.get(f"/datasets/{first.id}/versions/1/restore/").status_code == 405
    assert client.post(f"/datasets/{first.id}/versions/1/restore/").status_code == 403
    assert client.post(f"/datasets/{first.id}/edit/", {"name": "x"}).status_code == 403
    assert Dataset.objects.get().number == 2 and Dataset.objects.get().name == "매출"


# Renaming and describing ------------------------------------------------------------------------

def test_a_dataset_is_renamed_and_described(alice_client, two_versions):
    first, _ = two_versions
    assert 'value="매출"' in text(alice_client.get(f"/datasets/{first.id}/edit/"))

    response = alice_client.post(f"/datasets/{first.id}/edit/", {"name": "2025 매출", "description": "지점별 합계"})

    assert response.status_code == 302 and response["Location"] == f"/datasets/{first.id}/"
    dataset = Dataset.objects.get()
    assert (dataset.name, dataset.description, dataset.number) == ("2025 매출", "지점별 합계", 2)
    (entry,) = catalog.datasets_of(dataset.partner_id)
    assert (entry["name"], entry["description"]) == ("2025 매출", "지점별 합계")
    assert "Saved “2025 매출”." in text(alice_client.get(response["Location"]))


@pytest.mark.parametrize("language, refusal", [
    ("en", "You already have a dataset named “재고”."),
    ("ko", "“재고”(이)라는 데이터셋이 이미 있습니다."),
])
def test_a_name_the_partner_already_uses_is_refused_in_the_users_language(acme, alice_client, two_versions, compiled,
                                                                          language, refusal):
    first, _ = two_versions
    store(acme, THIRD, name="재고")

    response = alice_client.post(f"/datasets/{first.id}/edit/", {"name": "재고", "description": "바뀜"},
                                 headers={"accept-language": language})

    assert response.status_code == 200
    assert refusal in text(response)
    assert [(d.name, d.description) for d in Dataset.objects.order_by("id")] == [("매출", "월별"), ("재고", "월별")]


def test_another_partners_dataset_may_have_the_name(globex, alice_client, two_versions):
    first, _ = two_versions
    store(globex, THIRD, name="재고")

    assert alice_client.post(f"/datasets/{first.id}/edit/", {"name": "재고"}).status_code == 302
    assert Dataset.objects.get(pk=first.pk).name == "재고"


# Another partner's ids -------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, data", [
    ("get", "/datasets/{id}/edit/", None),
    ("post", "/datasets/{id}/edit/", {"name": "taken over", "description": "x"}),
    ("get", "/datasets/{id}/versions/1/download/", None),
    ("get", "/datasets/{id}/versions/1/download/?format=xlsx", None),
    ("post", "/datasets/{id}/versions/1/restore/", None),
])
def test_another_partners_ids_are_not_found_and_change_nothing(bob_client, two_versions, datasets_dir, method, path,
                                                               data):
    first, _ = two_versions
    before = list(Dataset.objects.values()), list(DatasetVersion.objects.values()), files_in(datasets_dir)

    response = getattr(bob_client, method)(path.format(id=first.id), data)

    assert response.status_code == 404
    assert (list(Dataset.objects.values()), list(DatasetVersion.objects.values()), files_in(datasets_dir)) == before


def test_the_page_of_another_partners_dataset_shows_none_of_its_versions(bob_client, two_versions):
    first, _ = two_versions
    assert bob_client.get(f"/datasets/{first.id}/").status_code == 404


# Deleting, sweeping, backups --------------------------------------------------------------------

def test_deleting_a_dataset_removes_every_versions_file(alice_client, two_versions, datasets_dir):
    first, _ = two_versions

    assert alice_client.post(f"/datasets/{first.id}/delete/").status_code == 302

    assert not Dataset.objects.exists() and not DatasetVersion.objects.exists()
    assert files_in(datasets_dir) == []


def test_version_files_are_no_strays(acme, two_versions, datasets_dir):
    stray = datasets_dir / "acme" / "0123456789abcdef.parquet"
    stray.write_bytes(b"PAR1")

    found = files.strays(older_than_seconds=-60)

    assert [path for path in found if path.is_relative_to(datasets_dir)] == [stray]


def test_a_backup_holds_the_versions_and_a_restore_brings_them_back(two_versions, datasets_dir, tmp_path):
    first, second = two_versions
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stderr=io.StringIO())
    database, datasets = tmp_path / "target" / "portal.sqlite3", tmp_path / "target" / "datasets"
    datasets.mkdir(parents=True)

    with open(archive, "rb") as stream:
        backups.restore(stream, database, datasets)

    assert files_in(datasets) == sorted([first.path, second.path])
    assert (datasets / first.path).read_bytes() == (datasets_dir / first.path).read_bytes()
    with sqlite3.connect(database) as db:
        kept = db.execute(f"SELECT number, path, sha256 FROM {DatasetVersion._meta.db_table}").fetchall()
    db.close()
    assert kept == [(1, first.path, first.sha256)]


def test_a_version_stored_during_a_backup_has_its_file_in_the_archive(acme, two_versions, tmp_path, monkeypatch):
    _, second = two_versions
    copy_database = backups.copy_database
    stored = []

    def two_more_first(target):
        # The second file becomes a version, the third one too: neither is in the first pass.
        stored.append(store(acme, THIRD, replacing=second))
        stored.append(store(acme, FIRST, replacing=stored[-1]))
        return copy_database(target)

    monkeypatch.setattr(backups, "copy_database", two_more_first)
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stderr=io.StringIO())

    with open(archive, "rb") as stream:
        listed = backups.read_archive(stream)["files"]
    assert {backups.DATASETS + dataset.path for dataset in stored} <= set(listed)
