"""Uploads through the portal's form: good files are stored as Parquet, bad ones leave nothing."""
import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.utils.html import escape
from django_helpers import files_in, parquet_bytes, upload

from datasets import ingest
from datasets.models import Dataset

pytestmark = pytest.mark.django_db(transaction=True)

# Each bad file with (a part of) the error it must get. Every message is different, and each one
# that can say where names the line and the column.
BAD_FILES = {
    "empty": (b"", "The submitted file is empty."),
    "blank lines only": (b"\n\r\n\n", "no header line"),
    "header only": (b"region,amount\n", "Line 1 is the header, but no rows of data follow it."),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Line 3, column 1: a NUL byte. This is a binary file"),
    "nul further down": (
        b"a,b\n" + b"1,2\n" * 3000 + b"3,\x004\n",
        "Line 3002, column 3: a NUL byte",
    ),
    "excel workbook": (b"PK\x03\x04" + bytes(40), "looks like an Excel workbook but cannot be read"),
    "ragged, value missing": (
        b"a,b,c\n1,2,3\n4,5\n",
        "Line 3, column 3: this row has 2 values, but the header (line 1) names 3 columns; \u201cc\u201d is missing.",
    ),
    "ragged, value extra": (
        b"a,b\n1,2\n3,4\n5,6,7\n",
        "Line 4, column 3: this row has 3 values, but the header (line 1) names 2 columns.",
    ),
    "duplicate column names": (
        b"a,b,a\n1,2,3\n",
        "Line 1, column 3: the column name \u201ca\u201d repeats column 1.",
    ),
    "empty column name": (b"a,,c\n1,2,3\n", "Line 1, column 2: the column name is empty."),
    "neither UTF-8 nor CP949": (
        b"name,city\nabc,\xff\xfe\n",
        "not text in UTF-8 (line 2, column 5: byte 0xff) or in CP949/EUC-KR (line 2, column 5: byte 0xff)",
    ),
    "BOM but not UTF-8": (
        b"\xef\xbb\xbfname\nok\n\xc0\n",
        "not text in UTF-8 with BOM (line 3, column 1: byte 0xc0)",
    ),
    "quote never closed": (
        b'a,b\n1,2\n3,"four\n5,6\n',
        "Line 3: a quoted value starts on this line and is never closed.",
    ),
    "column without values": (
        b"a,b\n1,\n2,\n",
        "Column 2 (\u201cb\u201d) is empty in every row, so its type cannot be inferred.",
    ),
    "broken parquet": (b"PAR1" + b"not really parquet" + b"PAR1", "The file looks like Parquet but cannot be read"),
    "parquet without rows": (
        parquet_bytes(pa.table({"a": pa.array([], pa.int64())})),
        "The Parquet file has columns but no rows.",
    ),
    "parquet column of nulls": (
        parquet_bytes(pa.table({"a": [1], "b": pa.array([None], pa.null())})),
        "Column 2 (\u201cb\u201d) has no values, so its type cannot be inferred.",
    ),
    "parquet nested column": (
        parquet_bytes(pa.table({"a": [1], "tags": [["x", "y"]]})),
        "Column 2 (\u201ctags\u201d) holds list<element: string>, which the portal does not take.",
    ),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_gets_its_own_error_and_leaves_nothing(alice_client, datasets_dir, content, message):
    response = upload(alice_client, content, filename="bad.csv")

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert message in errors[0]
    assert escape(message) in response.content.decode()
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []


def test_each_bad_file_has_a_different_message():
    messages = [message for _, message in BAD_FILES.values()]
    assert len(set(messages)) == len(messages)


def test_a_file_over_the_limit_is_refused(settings, alice_client, datasets_dir):
    settings.UPLOAD_MAX_MB = 1
    row = b"1234567,89\n"
    content = b"a,b\n" + row * (2**20 // len(row) + 1)

    response = upload(alice_client, content)

    assert response.context["form"].errors["file"] == [
        f"The file is 1.0 MB ({len(content):,} bytes); the limit is 1 MB."
    ]
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []


def test_a_file_at_the_limit_is_taken(settings, alice_client):
    settings.UPLOAD_MAX_MB = 1
    content = b"a\n" + (b"x" * 1000 + b"\n") * 1047 + b"y" * 526 + b"\n"
    assert len(content) == 2**20

    response = upload(alice_client, content)

    assert response.status_code == 302
    assert Dataset.objects.get().rows == 1048


def read_stored(dataset, datasets_dir):
    return pq.read_table(datasets_dir / dataset.path)


def test_a_cp949_csv_keeps_its_korean_names_and_values(alice_client, datasets_dir):
    content = "지역,매출,메모\n서울,120,첫 주문\n부산,75,\n".encode("cp949")

    response = upload(alice_client, content, filename="매출.csv")

    assert response.status_code == 302
    dataset = Dataset.objects.get()
    assert dataset.name == "매출"
    assert dataset.columns == [
        {"name": "지역", "type": "text"},
        {"name": "매출", "type": "integer"},
        {"name": "메모", "type": "text"},
    ]
    assert read_stored(dataset, datasets_dir).to_pylist() == [
        {"지역": "서울", "매출": 120, "메모": "첫 주문"},
        {"지역": "부산", "매출": 75, "메모": None},
    ]


def test_a_cp949_csv_of_korean_dates_and_amounts_is_stored_typed(alice_client, datasets_dir):
    content = (
        "거래일,금액,증감,비율,주문시각,메모\r\n"
        '2025.01.01,"￦4,584,943","△1,200",12.5%,2025-01-01 오후 3:04:05,첫 주문\r\n'
        '2025. 1. 2.,"1,200원","(300)",100%,2025.01.02 오전 9:30,\r\n'
        '2025년 1월 3일,7,"▲1,000,000",0.5%,2025-01-03 오전 12:15,"1,200원 별도"\r\n'
    ).encode("cp949")

    response = upload(alice_client, content, filename="거래.csv")

    assert response.status_code == 302
    dataset = Dataset.objects.get()
    types = {
        "거래일": "date", "금액": "integer", "증감": "integer", "비율": "float", "주문시각": "datetime", "메모": "text"
    }
    assert dataset.columns == [{"name": name, "type": kind} for name, kind in types.items()]
    table = read_stored(dataset, datasets_dir)
    # Typed in the file itself: the analytics take these types as they are, and no text form of
    # a date or an amount is kept.
    assert table.schema == pa.schema(
        [("거래일", pa.date32()), ("금액", pa.int64()), ("증감", pa.int64()), ("비율", pa.float64()),
         ("주문시각", pa.timestamp("us")), ("메모", pa.string())]
    )
    assert table.to_pydict() == {
        "거래일": [dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)],
        "금액": [4584943, 1200, 7],
        "증감": [-1200, -300, -1000000],
        "비율": [0.125, 1.0, 0.005],
        "주문시각": [
            dt.datetime(2025, 1, 1, 15, 4, 5), dt.datetime(2025, 1, 2, 9, 30), dt.datetime(2025, 1, 3, 0, 15)
        ],
        "메모": ["첫 주문", None, "1,200원 별도"],
    }
    page = alice_client.get(f"/datasets/{dataset.id}/").content.decode()
    for name, kind in types.items():
        assert re.search(rf"<td>{name}</td>\s*<td>{kind}</td>", page), f"{name} shown as {kind}"


def test_euc_kr_is_read_as_cp949(alice_client, datasets_dir):
    upload(alice_client, "이름\n김철수\n".encode("euc-kr"))

    assert read_stored(Dataset.objects.get(), datasets_dir).to_pylist() == [{"이름": "김철수"}]


def test_a_utf8_csv_with_bom_loses_the_bom_and_keeps_the_text(alice_client, datasets_dir):
    content = "\ufeff이름,점수\n홍길동,9.5\n".encode("utf-8")

    upload(alice_client, content)

    dataset = Dataset.objects.get()
    assert [column["name"] for column in dataset.columns] == ["이름", "점수"]
    assert read_stored(dataset, datasets_dir).to_pylist() == [{"이름": "홍길동", "점수": 9.5}]


@pytest.mark.parametrize(
    "content, names",
    [
        (b"a\tb,c\n1\t2,3\n", ["a", "b,c"]),
        (b"a;b\n1,5;2\n", ["a", "b"]),
        (b"a|b|c\n1|2|3\n", ["a", "b", "c"]),
        (b'a,b\n"x, y",2\n', ["a", "b"]),
        (b"only\n1\n", ["only"]),
    ],
    ids=["tab", "semicolon", "pipe", "quoted comma", "one column"],
)
def test_the_delimiter_is_sniffed(alice_client, content, names):
    upload(alice_client, content)

    assert [column["name"] for column in Dataset.objects.get().columns] == names


def test_column_types_are_inferred_and_codes_keep_their_zeros(alice_client, datasets_dir):
    content = (
        "flag,count,price,day,moment,code,mixed,phone\n"
        "true,1,1.5,2024-01-31,2024-01-31 09:30,007,1,010-1234-5678\n"
        "FALSE,-20,3,2024-02-29,2024-02-01T10:00:05,012,x,+82 10 1234 5678\n"
        ",,,,,,,\n"  # a row with nothing in it is skipped
        ",3,,,,,,\n"
    ).encode()

    upload(alice_client, content)

    dataset = Dataset.objects.get()
    assert {column["name"]: column["type"] for column in dataset.columns} == {
        "flag": "boolean",
        "count": "integer",
        "price": "float",
        "day": "date",
        "moment": "datetime",
        "code": "text",
        "mixed": "text",
        "phone": "text",
    }
    assert dataset.rows == 3
    table = read_stored(dataset, datasets_dir)
    # Stored typed, so that every reader takes these types from the file as they are.
    assert table.schema == pa.schema(
        [("flag", pa.bool_()), ("count", pa.int64()), ("price", pa.float64()), ("day", pa.date32()),
         ("moment", pa.timestamp("us")), ("code", pa.string()), ("mixed", pa.string()), ("phone", pa.string())]
    )
    assert table.column("day").to_pylist() == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), None]
    assert table.column("count").to_pylist() == [1, -20, 3]
    assert table.column("code").to_pylist() == ["007", "012", None]
    assert table.column("flag").to_pylist() == [True, False, None]


def test_an_impossible_date_makes_the_column_text(alice_client):
    upload(alice_client, b"day\n2024-02-28\n2023-02-29\n")

    assert Dataset.objects.get().columns == [{"name": "day", "type": "text"}]


def test_a_parquet_file_is_stored_with_its_types(alice_client, datasets_dir, sales_table):
    response = upload(alice_client, parquet_bytes(sales_table), filename="sales.parquet")

    assert response.status_code == 302
    dataset = Dataset.objects.get()
    assert dataset.columns == [{"name": "region", "type": "text"}, {"name": "amount", "type": "integer"}]
    assert read_stored(dataset, datasets_dir).equals(sales_table)


def test_a_stored_file_is_named_by_the_partner_and_described_by_its_row(alice, alice_client, datasets_dir):
    content = b"a,b\n1,x\n2,y\n"

    upload(alice_client, content, name="Orders", description="Q1 orders")

    dataset = Dataset.objects.get()
    assert (dataset.name, dataset.description, dataset.rows, dataset.uploaded_by) == ("Orders", "Q1 orders", 2, alice)
    assert dataset.path.startswith("acme/") and dataset.path.endswith(".parquet")
    assert files_in(datasets_dir) == [dataset.path]
    stored = datasets_dir / dataset.path
    assert dataset.size_bytes == stored.stat().st_size
    assert len(dataset.sha256) == 64
    assert stored.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_every_upload_streams_through_a_file_in_the_upload_folder(alice_client, datasets_dir, upload_dir, monkeypatch,
                                                                   kind):
    if kind == "csv":
        content = "도시,값\n".encode("cp949") + "서울,1\n".encode("cp949") * 5000
    else:
        content = parquet_bytes(pa.table({"도시": ["서울"] * 5000, "값": list(range(5000))}))
    read_from = []
    real_examine = ingest.examine
    monkeypatch.setattr(ingest, "examine", lambda path, options: read_from.append(Path(path)) or real_examine(path, options))

    response = upload(alice_client, content, filename=f"big.{kind}")

    assert response.status_code == 302
    assert read_stored(Dataset.objects.get(), datasets_dir).num_rows == 5000
    (spooled,) = read_from
    assert spooled.parent == upload_dir
    assert not spooled.exists(), "gone once the upload is stored"
    assert list(upload_dir.glob(".pending-*")) == []


def test_a_name_taken_by_the_partner_is_refused(alice_client, datasets_dir):
    upload(alice_client, b"a\n1\n", filename="sales.csv")

    response = upload(alice_client, b"a\n2\n", filename="sales.csv")

    assert "You already have a dataset named \u201csales\u201d" in response.context["form"].errors["name"][0]
    assert Dataset.objects.count() == 1
    assert len(files_in(datasets_dir)) == 1


def test_another_partner_may_use_the_same_name(alice_client, bob_client):
    upload(alice_client, b"a\n1\n", filename="sales.csv")
    response = upload(bob_client, b"a\n2\n", filename="sales.csv")

    assert response.status_code == 302
    assert sorted(Dataset.objects.values_list("partner__slug", flat=True)) == ["acme", "globex"]
