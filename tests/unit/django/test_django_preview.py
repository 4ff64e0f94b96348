"""An upload is previewed before anything is stored: the partner sees the columns' kinds and the
first rows as they will be stored, changes what is wrong, and confirms or cancels. Nothing is
stored before the confirmation, and cancelling or leaving leaves no file behind."""
import os
import time

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_helpers import PREVIEW, choose_file, files_in, upload
from test_django_excel import workbook

from datasets import ingest, pending
from datasets.models import Dataset

KOREAN_CSV = (
    "거래일자,지점,매출액\n2025.01.01,강남,\"4,584,943\"\n2025.01.02,서초,미정\n2025.01.03,강남,\"1,200\"\n"
    "2025.01.04,강남,\"1,300\"\n2025.01.05,서초,\"￦2,000\"\n2025.01.06,강남,\"3,000원\"\n"
).encode("cp949")


def read_stored(dataset, datasets_dir):
    return pq.read_table(datasets_dir / dataset.path)


def waiting_files(upload_dir):
    return sorted(path.name for path in upload_dir.glob(".pending-*"))


def test_choosing_a_file_shows_its_preview_and_stores_nothing(alice_client, datasets_dir, upload_dir):
    chosen = choose_file(alice_client, KOREAN_CSV, filename="2025 매출.csv")

    assert chosen.status_code == 302 and chosen["Location"] == PREVIEW
    page = alice_client.get(PREVIEW)
    html = page.content.decode()
    assert "Check before storing" in html
    assert "“2025 매출.csv”: 6 rows and 3 columns (comma-separated text in CP949/EUC-KR)" in html
    columns = page.context["columns"]
    assert [(column["name"], column["field"].value()) for column in columns] == [
        ("거래일자", "date"), ("지점", "text"), ("매출액", "text")
    ]
    assert page.context["rows"][0] == [("2025-01-01", False), ("강남", False), ("4,584,943", False)]
    assert columns[2]["notes"] == [
        "Stored as text: all but 1 value read as Whole number. Choose Whole number to store them so; "
        "that one is then left empty: line 3: “미정”"
    ]
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []
    assert len(waiting_files(upload_dir)) == 2, "the file and what its preview showed"


def test_a_changed_kind_is_previewed_then_stored_as_shown(alice_client, datasets_dir):
    choose_file(alice_client, KOREAN_CSV, filename="sales.csv")

    updated = alice_client.post(PREVIEW, {"action": "update", "kind_2": "integer"})

    assert updated.status_code == 200 and not Dataset.objects.exists()
    (note,) = updated.context["columns"][2]["notes"]
    assert note == "1 value does not read as Whole number and will be stored empty: line 3: “미정”"
    assert [row[2] for row in updated.context["rows"]] == [
        ("4,584,943", True), ("", True), ("1,200", True), ("1,300", True), ("2,000", True), ("3,000", True)
    ]

    confirmed = alice_client.post(PREVIEW, {"action": "confirm", "kind_2": "integer", "name": "2025 매출"})

    assert confirmed.status_code == 302
    dataset = Dataset.objects.get()
    assert dataset.name == "2025 매출"
    assert dataset.columns == [
        {"name": "거래일자", "type": "date"}, {"name": "지점", "type": "text"}, {"name": "매출액", "type": "integer"}
    ]
    assert read_stored(dataset, datasets_dir).column("매출액").to_pylist() == [4584943, None, 1200, 1300, 2000, 3000]


def test_a_choice_changed_at_confirm_is_shown_first_and_not_stored_unseen(alice_client):
    choose_file(alice_client, KOREAN_CSV)

    response = alice_client.post(PREVIEW, {"action": "confirm", "kind_2": "integer"})

    assert response.status_code == 200, "the partner sees what the new choice gives"
    assert not Dataset.objects.exists()
    assert alice_client.post(PREVIEW, {"action": "confirm"}).status_code == 302
    assert dict((c["name"], c["type"]) for c in Dataset.objects.get().columns)["매출액"] == "integer"


def test_cancelling_stores_nothing_and_leaves_no_file(alice_client, datasets_dir, upload_dir):
    choose_file(alice_client, KOREAN_CSV)

    response = alice_client.post(PREVIEW, {"action": "cancel"}, follow=True)

    assert "Nothing was stored from “data.csv”." in response.content.decode()
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == [] and waiting_files(upload_dir) == []
    again = alice_client.get(PREVIEW, follow=True)
    assert "No upload is waiting to be checked" in again.content.decode()


def test_a_new_upload_replaces_the_one_waiting(alice_client, upload_dir):
    choose_file(alice_client, KOREAN_CSV)
    first = waiting_files(upload_dir)

    choose_file(alice_client, b"a,b\n1,2\n")

    assert waiting_files(upload_dir) != first and len(waiting_files(upload_dir)) == 2


def test_an_upload_left_waiting_is_swept_after_the_idle_limit(alice_client, upload_dir, settings):
    choose_file(alice_client, KOREAN_CSV)
    old = time.time() - settings.SESSION_IDLE_MINUTES * 60 - 5
    for path in upload_dir.glob(".pending-*"):
        os.utime(path, (old, old))

    pending.sweep()

    assert waiting_files(upload_dir) == []
    assert "No upload is waiting" in alice_client.get(PREVIEW, follow=True).content.decode()


def test_another_partners_session_cannot_reach_a_waiting_upload(alice_client, bob_client, upload_dir):
    choose_file(alice_client, KOREAN_CSV)

    response = bob_client.post(PREVIEW, {"action": "confirm"}, follow=True)

    assert "No upload is waiting" in response.content.decode()
    assert not Dataset.objects.exists()
    assert len(waiting_files(upload_dir)) == 2, "alice's upload still waits for alice"


def test_a_name_taken_asks_whether_this_is_a_new_version(alice_client, datasets_dir):
    upload(alice_client, b"a\n1\n", filename="sales.csv")
    choose_file(alice_client, b"a\n2\n3\n", filename="sales.csv")

    refused = alice_client.post(PREVIEW, {"action": "confirm"})

    assert refused.status_code == 200
    (error,) = refused.context["form"].errors["name"]
    assert error.startswith("You already have a dataset named “sales”.")
    assert refused.context["existing"].name == "sales"

    stored = alice_client.post(PREVIEW, {"action": "confirm", "as_version": "on"}, follow=True)

    assert "Stored a new version of “sales”: 2 rows, 1 column" in stored.content.decode()
    assert Dataset.objects.get().rows == 2


def test_a_dataset_deleted_while_its_new_version_is_stored_is_said_so(alice_client, monkeypatch):
    upload(alice_client, b"a\n1\n", filename="sales.csv")
    choose_file(alice_client, b"a\n2\n3\n", filename="sales.csv")
    convert = ingest._convert

    def colleague_deletes_meanwhile(*args):
        convert(*args)
        Dataset.objects.get().delete()

    monkeypatch.setattr(ingest, "_convert", colleague_deletes_meanwhile)
    refused = alice_client.post(PREVIEW, {"action": "confirm", "as_version": "on"})

    assert refused.status_code == 200
    assert "was deleted in the meantime" in refused.context["form"].errors["name"][0]
    assert not Dataset.objects.exists()
    monkeypatch.setattr(ingest, "_convert", convert)
    assert alice_client.post(PREVIEW, {"action": "confirm"}).status_code == 302, "the file still waits"
    assert Dataset.objects.get().rows == 2


def test_another_sheet_and_header_row_are_previewed(alice_client, tmp_path):
    path = workbook(tmp_path, {"요약": [["구분", "합계"], ["전체", 30]], "상세": [["제목"], ["지점", "금액"], ["강남", 10], ["서초", 20]]})
    choose_file(alice_client, path.read_bytes(), filename="book.xlsx")

    first = alice_client.get(PREVIEW)
    assert first.context["layout"].sheet == "요약"
    other = alice_client.post(PREVIEW, {"action": "update", "sheet": "상세"})
    assert (other.context["layout"].sheet, other.context["layout"].header_line) == ("상세", 2)
    assert [column["name"] for column in other.context["columns"]] == ["지점", "금액"]
    html = other.content.decode()
    assert "Excel workbook, sheet “상세”" in html

    assert alice_client.post(PREVIEW, {"action": "confirm"}).status_code == 302
    assert Dataset.objects.get().columns == [{"name": "지점", "type": "text"}, {"name": "금액", "type": "integer"}]


def test_a_preview_that_is_all_text_says_so(alice_client):
    choose_file(alice_client, "이름,메모\n김,가\n이,나\n".encode())

    page = alice_client.get(PREVIEW)

    assert page.context["all_text"]
    assert "Every column will be stored as text" in page.content.decode()


# The same rules from the command line


def test_importdataset_takes_a_sheet_a_header_row_and_kinds(acme, tmp_path, datasets_dir):
    path = workbook(tmp_path, {"표지": [["x"]], "상세": [["제목"], ["지점", "금액"], ["강남", "10"], ["서초", "미정"]]})

    call_command("importdataset", "acme", str(path), "--name", "상세", "--sheet", "상세", "--header-row", "2",
                 "--type", "금액=integer", stdout=open(os.devnull, "w"))

    dataset = Dataset.objects.get()
    assert dataset.columns == [{"name": "지점", "type": "text"}, {"name": "금액", "type": "integer"}]
    assert read_stored(dataset, datasets_dir).column("금액").to_pylist() == [10, None]


def test_importdataset_previews_without_storing(acme, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_bytes(KOREAN_CSV)

    call_command("importdataset", "acme", str(path), "--name", "x", "--preview", "--type", "매출액=integer")

    out = capsys.readouterr().out
    assert "매출액: integer (found text), 1 values do not fit and would be stored empty (line 3: '미정')" in out
    assert not Dataset.objects.exists()


@pytest.mark.parametrize("given", ["매출액", "매출액=money", "=integer"])
def test_importdataset_refuses_a_kind_it_does_not_know(acme, tmp_path, given):
    path = tmp_path / "data.csv"
    path.write_bytes(KOREAN_CSV)

    with pytest.raises(CommandError, match="write COLUMN=KIND"):
        call_command("importdataset", "acme", str(path), "--name", "x", "--type", given)


def test_importdataset_names_a_column_that_is_not_there(acme, tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(KOREAN_CSV)

    with pytest.raises(CommandError, match="no column named '금액'"):
        call_command("importdataset", "acme", str(path), "--name", "x", "--type", "금액=integer")
