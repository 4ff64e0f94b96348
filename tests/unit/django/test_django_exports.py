"""What the portal exports: CSV in UTF-8 (with a byte-order mark) or CP949, and Excel workbooks
with typed cells; formula cells stored as they came and never run; download names that keep the
dataset's name."""
import csv
import datetime as dt
import html
import io
import zipfile

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django_helpers import parquet_bytes, upload

from datasets import exports
from datasets.exports import defuse_formula
from datasets.models import Dataset


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("  =1+1", "'  =1+1"),
        ("＝1+1", "'＝1+1"),
        ("｜cmd", "'｜cmd"),
        ("|cmd", "'|cmd"),
        ("\u3000@SUM(A1)", "'\u3000@SUM(A1)"),
        (" -5", " -5"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+3.25", "+3.25"),
        ("-1e5", "-1e5"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
        (-5, -5),
        (2.5, 2.5),
    ],
)
def test_defuse_formula(value, expected):
    assert defuse_formula(value) == expected


@pytest.mark.django_db(transaction=True)
def test_formula_cells_are_accepted_kept_and_defused_on_download(alice_client, datasets_dir):
    content = b'=cmd,note,amount\n"=HYPERLINK(""http://evil.example"")",@me,-5\n+1+1,-x,3\n'

    response = upload(alice_client, content, filename="formulas.csv")

    assert response.status_code == 302
    dataset = Dataset.objects.get()
    assert pq.read_table(datasets_dir / dataset.path).to_pylist()[0] == {
        "=cmd": '=HYPERLINK("http://evil.example")',
        "note": "@me",
        "amount": -5,
    }
    body = b"".join(alice_client.get(f"/datasets/{dataset.id}/download/").streaming_content).decode()
    assert body == (
        "\ufeff'=cmd,note,amount\r\n"
        '"\'=HYPERLINK(""http://evil.example"")",\'@me,-5\r\n'
        "'+1+1,'-x,3\r\n"
    )


# The three downloads: CSV in UTF-8 (the default) or CP949, and an Excel workbook.


def download(client, dataset, form=None):
    return client.get(f"/datasets/{dataset.id}/download/" + (f"?format={form}" if form else ""))


def body(response):
    content = b"".join(response.streaming_content)
    response.close()
    return content


def stored(client, content, name, filename="data.csv"):
    assert upload(client, content, filename=filename, name=name).status_code == 302
    return Dataset.objects.get(name=name)


SALES = "지역,매출,날짜,메모\n서울,120,2025-01-31,=1+1\n부산,75,2025-02-01,보통\n".encode()


@pytest.mark.django_db(transaction=True)
def test_the_utf8_csv_starts_with_a_byte_order_mark_and_reads_back_as_excel_reads_it(alice_client):
    dataset = stored(alice_client, SALES, "2025 매출")

    content = body(download(alice_client, dataset))

    assert content.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))) == [
        ["지역", "매출", "날짜", "메모"],
        ["서울", "120", "2025-01-31", "'=1+1"],
        ["부산", "75", "2025-02-01", "보통"],
    ]


@pytest.mark.django_db(transaction=True)
def test_the_cp949_csv_decodes_as_cp949_without_a_byte_order_mark(alice_client):
    dataset = stored(alice_client, SALES, "2025 매출")

    response = download(alice_client, dataset, "cp949")

    assert response["Content-Type"] == "text/csv; charset=cp949"
    content = body(response)
    assert not content.startswith(b"\xef\xbb\xbf")
    assert content.decode("cp949") == "지역,매출,날짜,메모\r\n서울,120,2025-01-31,'=1+1\r\n부산,75,2025-02-01,보통\r\n"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "content, said",
    [
        ("지역,메모\n서울,좋음\n부산,눈 ☃\n", "row 3 of column “메모” holds “☃” (U+2603)"),
        # A no-break space, as pasted from a web page: invisible, so its code is named too.
        ("지역,메모\n서울\u00a0특별시,좋음\n", "row 2 of column “지역” holds “\u00a0” (U+00A0)"),
        ("지역,메모 ✓\n서울,좋음\n", "the column name “메모 ✓” holds “✓” (U+2713)"),
    ],
    ids=["cell", "invisible character", "column name"],
)
def test_a_cp949_csv_of_characters_cp949_lacks_is_refused_naming_where(alice_client, content, said):
    dataset = stored(alice_client, content.encode(), "메모")

    response = download(alice_client, dataset, "cp949")

    assert response.status_code == 302
    assert response["Location"] == f"/datasets/{dataset.id}/"
    page = alice_client.get(response["Location"]).content.decode()
    assert said in html.unescape(page)
    assert "Download the CSV in UTF-8 or the Excel file instead" in html.unescape(page)


def workbook_of(content):
    return openpyxl.load_workbook(io.BytesIO(content))


@pytest.mark.django_db(transaction=True)
def test_the_workbook_has_typed_cells_and_text_that_never_runs(alice_client, upload_dir):
    content = (
        "지역,매출,단가,날짜,시각,확인,메모,주문번호\n"
        "서울,120,1.5,2025-01-31,2025-01-31 09:30:00,true,=1+1,123456789012345678\n"
        '부산,-75,,2025-02-01,2025-02-01 18:00:00,false,"@SUM(A1:A2)",42\n'
        "대구,0,2.25,2025-02-02,2025-02-02 00:00:00,true,http://example.com,7\n"
    ).encode()
    dataset = stored(alice_client, content, "2025 매출 (CP949)")

    response = download(alice_client, dataset, "xlsx")

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    xlsx = body(response)
    sheet = workbook_of(xlsx).active
    assert sheet.title == "2025 매출 (CP949)"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [
        ("지역", "매출", "단가", "날짜", "시각", "확인", "메모", "주문번호"),
        ("서울", 120, 1.5, dt.datetime(2025, 1, 31), dt.datetime(2025, 1, 31, 9, 30), True, "=1+1", "123456789012345678"),
        ("부산", -75, None, dt.datetime(2025, 2, 1), dt.datetime(2025, 2, 1, 18), False, "@SUM(A1:A2)", 42),
        ("대구", 0, 2.25, dt.datetime(2025, 2, 2), dt.datetime(2025, 2, 2), True, "http://example.com", 7),
    ]
    second = sheet[2]
    assert [cell.data_type for cell in second] == ["s", "n", "n", "d", "d", "b", "s", "s"]
    assert second[3].number_format == "yyyy-mm-dd" and second[4].number_format == "yyyy-mm-dd hh:mm:ss"
    assert second[6].quotePrefix, "a formula-like text stays text when edited in Excel"
    with zipfile.ZipFile(io.BytesIO(xlsx)) as package:
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet_xml and "<hyperlink" not in sheet_xml
        assert "xl/worksheets/_rels/sheet1.xml.rels" not in package.namelist()
    assert not [path for path in upload_dir.iterdir() if path.name.startswith(".export-")], "no scratch left"


@pytest.mark.django_db(transaction=True)
def test_a_moment_with_a_zone_is_written_in_the_portals_zone(alice_client):
    table = pa.table({"at": pa.array([dt.datetime(2025, 1, 31, 0, 30, tzinfo=dt.timezone.utc)], pa.timestamp("us", "UTC"))})
    dataset = stored(alice_client, parquet_bytes(table), "moments", filename="moments.parquet")

    sheet = workbook_of(body(download(alice_client, dataset, "xlsx"))).active

    assert sheet["A2"].value == dt.datetime(2025, 1, 31, 9, 30), "Asia/Seoul, as the portal's pages show it"


@pytest.mark.django_db(transaction=True)
def test_nanosecond_timestamps_download_and_show_to_the_microsecond(alice_client):
    # pandas writes nanoseconds; without pandas (the image has none) pyarrow gives them to
    # Python only as pandas' Timestamps.
    table = pa.table({"at": pa.array([1_738_283_400_123_456_789], pa.timestamp("ns"))})
    dataset = stored(alice_client, parquet_bytes(table), "nanos", filename="nanos.parquet")
    shown = dt.datetime(2025, 1, 31, 0, 30, 0, 123456)

    page = alice_client.get(f"/datasets/{dataset.id}/")
    csv_text = body(download(alice_client, dataset)).decode("utf-8-sig")
    sheet = workbook_of(body(download(alice_client, dataset, "xlsx"))).active

    assert page.status_code == 200 and "2025" in page.content.decode()
    assert csv_text.splitlines()[1] == str(shown)
    assert abs(sheet["A2"].value - shown) < dt.timedelta(milliseconds=1), "Excel keeps milliseconds"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["a" * 30 + "'b", "'quoted'", "x" * 29 + " '"])
def test_a_name_excel_would_refuse_for_a_sheet_still_downloads(alice_client, name):
    dataset = stored(alice_client, SALES, name)

    response = download(alice_client, dataset, "xlsx")

    assert response.status_code == 200
    title = workbook_of(body(response)).active.title
    assert title and not title.startswith("'") and not title.endswith("'") and len(title) <= 31


@pytest.mark.django_db(transaction=True)
def test_more_rows_than_excel_takes_are_refused_and_not_offered(alice_client, monkeypatch):
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 3)
    dataset = stored(alice_client, SALES + "대구,1,2025-02-02,x\n".encode(), "매출")

    page = html.unescape(alice_client.get(f"/datasets/{dataset.id}/").content.decode())
    assert "?format=xlsx" not in page
    assert "Excel takes at most 3 rows, the header included, and this dataset has 3 rows." in page

    response = download(alice_client, dataset, "xlsx")
    assert response.status_code == 302
    assert "Excel takes at most 3 rows" in html.unescape(alice_client.get(response["Location"]).content.decode())


@pytest.mark.django_db(transaction=True)
def test_a_dataset_of_more_cells_than_the_portal_makes_in_time_is_not_offered_as_excel(alice_client, monkeypatch):
    monkeypatch.setattr(exports, "EXCEL_MAX_CELLS", 7)
    dataset = stored(alice_client, SALES, "매출")  # 2 rows of 4 columns

    page = html.unescape(alice_client.get(f"/datasets/{dataset.id}/").content.decode())
    assert "?format=xlsx" not in page
    assert "it has 8 cells, and the portal makes Excel files of at most 7." in page
    assert download(alice_client, dataset, "xlsx").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_cell_longer_than_excel_takes_is_refused_naming_where(alice_client, monkeypatch, upload_dir):
    monkeypatch.setattr(exports, "EXCEL_MAX_CELL_CHARS", 5)
    dataset = stored(alice_client, "지역,메모\n서울,짧음\n부산,아주 긴 메모\n".encode(), "메모")

    response = download(alice_client, dataset, "xlsx")

    assert response.status_code == 302
    page = html.unescape(alice_client.get(response["Location"]).content.decode())
    assert "Excel takes at most 5 characters in a cell, and row 3 of column “메모” holds 7." in page
    assert not [path for path in upload_dir.iterdir() if path.name.startswith(".export-")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "name, form, header",
    [
        ("2025 매출 (CP949)", None,
         "attachment; filename=\"2025 (CP949).csv\"; filename*=utf-8''2025%20%EB%A7%A4%EC%B6%9C%20%28CP949%29.csv"),
        ("재고 현황", "xlsx", "attachment; filename=\"dataset.xlsx\"; filename*=utf-8''%EC%9E%AC%EA%B3%A0%20%ED%98%84%ED%99%A9.xlsx"),
        ('a/b:c*"d"?', "cp949", 'attachment; filename="a b c d.csv"'),
        ("sales", None, 'attachment; filename="sales.csv"'),
    ],
)
def test_the_download_name_keeps_the_datasets_name_hangul_included(alice_client, name, form, header):
    dataset = stored(alice_client, "지역,매출\n서울,120\n".encode(), name)

    response = download(alice_client, dataset, form)

    assert response.status_code == 200
    assert response["Content-Disposition"] == header
    body(response)


@pytest.mark.django_db(transaction=True)
def test_an_unknown_format_is_not_found(alice_client):
    dataset = stored(alice_client, SALES, "매출")

    assert download(alice_client, dataset, "pdf").status_code == 404
