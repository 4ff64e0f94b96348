"""Downloads: CSV in UTF-8 (with a byte-order mark) or CP949 with formula cells defused, Excel
workbooks with typed cells and text that never runs, refusals that say where, and file names
that keep the dataset's name."""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
import zipfile

import openpyxl
import polars as pl
import pytest

from analytics import export


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+41 22 555", "'+41 22 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("\n=1+1", "'\n=1+1"),
        (" =1", "' =1"),
        ("   +1", "'   +1"),
        ("\u3000=1", "'\u3000=1"),
        ("＝SUM(A1)", "'＝SUM(A1)"),
        ("＋1", "'＋1"),
        ("|cmd", "'|cmd"),
        ("｜cmd", "'｜cmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("서울 =1", "서울 =1"),
        ("", ""),
    ],
)
def test_defuse(cell, written):
    assert export.defuse(cell) == written


def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_text_cells_and_names_are_defused_numbers_and_dates_are_not():
    frame = pl.DataFrame(
        {
            "=name": ["=1+1", "ok", None],
            "kind": pl.Series(["@x", "-y", "z"]).cast(pl.Categorical),
            "amount": [-5, 3, 0],
            "day": [dt.date(2024, 1, 1), None, dt.date(2024, 1, 3)],
        }
    )
    rows = read(export.to_csv(frame.lazy()))
    assert rows == [
        ["'=name", "kind", "amount", "day"],
        ["'=1+1", "'@x", "-5", "2024-01-01"],
        ["ok", "'-y", "3", ""],
        ["", "z", "0", "2024-01-03"],
    ]


def test_the_frame_and_a_single_cell_are_defused_alike():
    cells = [" =1", "\u3000＝1", "\n@x", "|x", "plain", "-3"]
    rows = read(export.to_csv(pl.DataFrame({"text": cells}).lazy()))
    assert [row[0] for row in rows[1:]] == [export.defuse(cell) for cell in cells]


def test_cells_with_commas_quotes_and_newlines_stay_one_cell():
    frame = pl.DataFrame({"text": ['=a,"b"\nc', "x"]})
    assert read(export.to_csv(frame.lazy())) == [["text"], ['\'=a,"b"\nc'], ["x"]]


def test_nested_and_binary_columns_are_left_out():
    frame = pl.DataFrame({"keep": [1], "tags": [["a", "b"]], "blob": [b"\x00"]})
    assert export.exportable(frame.schema) == (["keep"], ["tags", "blob"])
    assert read(export.to_csv(frame.lazy())) == [["keep"], ["1"]]


# UTF-8 and CP949


def test_a_csv_starts_with_a_byte_order_mark_so_excel_reads_it_as_utf8():
    data = export.to_csv(pl.DataFrame({"지역": ["서울"], "매출": [120]}).lazy())
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "지역,매출\n서울,120\n"


def test_a_cp949_csv_decodes_as_cp949_with_formulas_defused():
    frame = pl.DataFrame({"지역": ["서울", "부산"], "메모": ["=1+1", "보통"], "매출": [120, -5]})
    data = export.to_csv(frame.lazy(), "cp949")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("cp949") == "지역,메모,매출\n서울,'=1+1,120\n부산,보통,-5\n"


@pytest.mark.parametrize(
    ("frame", "said"),
    [
        (pl.DataFrame({"지역": ["서울", "부산", "대구"], "메모": ["좋음", "보통", "눈 ☃"]}),
         "row 4 of column “메모” holds “☃” (U+2603)"),
        # Row by row first: the earlier row wins over the column further left.
        (pl.DataFrame({"a": ["x", "y", "🎉"], "b": ["x", "\u00a0", "z"]}), "row 3 of column “b” holds “\u00a0” (U+00A0)"),
        (pl.DataFrame({"메모 ✓": ["좋음"]}), "the column name “메모 ✓” holds “✓” (U+2713)"),
        (pl.DataFrame({"kind": pl.Series(["ok", "☃"]).cast(pl.Categorical)}), "row 3 of column “kind” holds “☃”"),
    ],
    ids=["cell", "first row first", "column name", "category"],
)
def test_characters_cp949_lacks_are_refused_naming_where(frame, said):
    refused = export.refusal(frame.lazy(), export.CP949)
    assert said in str(refused)
    assert "Choose CSV (UTF-8) or Excel (.xlsx)" in str(refused)
    with pytest.raises(export.ExportRefused):
        export.to_csv(frame.lazy(), "cp949")
    assert export.refusal(frame.lazy(), export.CSV) is None, "UTF-8 holds every character"


def test_rows_are_counted_as_in_the_file_after_the_filters():
    frame = pl.DataFrame({"n": [1, 2, 3, 4], "memo": ["ok", "☃", "ok", "☃"]}).lazy().filter(pl.col("n") > 2)
    assert "row 3 of column “memo”" in str(export.refusal(frame, export.CP949))


# Excel


def workbook_of(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_a_workbook_has_typed_cells_and_text_that_never_runs():
    frame = pl.DataFrame(
        {
            "지역": ["서울", "부산"],
            "units": [120, -5],
            "price": [1.5, None],
            "day": [dt.date(2025, 1, 31), dt.date(1899, 12, 1)],
            "at": [dt.datetime(2025, 1, 31, 9, 30), None],
            "moment": pl.Series([dt.datetime(2025, 1, 31, 0, 30), None]).dt.replace_time_zone("UTC"),
            "ok": [True, False],
            "note": ["=1+1", "http://example.com"],
            "kind": pl.Series(["@x", "plain"]).cast(pl.Categorical),
            "order": [123456789012345678, 7],
        }
    )
    data = export.to_xlsx(frame.lazy(), "2025 매출 (CP949)")
    sheet = workbook_of(data).active
    assert sheet.title == "2025 매출 (CP949)"
    assert list(sheet.iter_rows(values_only=True)) == [
        ("지역", "units", "price", "day", "at", "moment", "ok", "note", "kind", "order"),
        ("서울", 120, 1.5, dt.datetime(2025, 1, 31), dt.datetime(2025, 1, 31, 9, 30),
         dt.datetime(2025, 1, 31, 9, 30), True, "=1+1", "@x", "123456789012345678"),
        # Excel's dates start in 1900: an earlier one is its ISO text.
        ("부산", -5, None, "1899-12-01", None, None, False, "http://example.com", "plain", 7),
    ]
    first = sheet[2]
    assert [cell.data_type for cell in first] == ["s", "n", "n", "d", "d", "d", "b", "s", "s", "s"]
    assert first[3].number_format == "yyyy-mm-dd" and first[4].number_format == "yyyy-mm-dd hh:mm:ss"
    assert first[7].quotePrefix and first[8].quotePrefix, "formula-like text stays text when edited"
    assert not sheet["H3"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert "<f>" not in package.read("xl/worksheets/sheet1.xml").decode()
        assert "xl/worksheets/_rels/sheet1.xml.rels" not in package.namelist(), "no links"


@pytest.mark.parametrize("name", ["a" * 30 + "'b", "'quoted'", "x" * 29 + " '"])
def test_a_name_excel_would_refuse_for_a_sheet_still_makes_a_workbook(name):
    data = export.to_xlsx(pl.DataFrame({"n": [1, 2]}).lazy(), name)

    title = openpyxl.load_workbook(io.BytesIO(data)).active.title
    assert title and not title.startswith("'") and not title.endswith("'") and len(title) <= 31


def test_a_workbook_leaves_nothing_in_the_temporary_folder(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    export.to_xlsx(pl.DataFrame({"n": range(1000)}).lazy(), "numbers")
    assert list(scratch.iterdir()) == []


def test_more_rows_than_excel_takes_are_refused(monkeypatch):
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 3)
    frame = pl.DataFrame({"n": [1, 2, 3]}).lazy()
    refused = export.refusal(frame, export.XLSX)
    assert "Excel takes at most 3 rows, the header included, and these are 3 rows." in str(refused)
    with pytest.raises(export.ExportRefused):
        export.to_xlsx(frame, "numbers")
    assert export.refusal(frame.head(2), export.XLSX) is None


def test_a_cell_longer_than_excel_takes_is_refused_naming_where(monkeypatch):
    monkeypatch.setattr(export, "EXCEL_MAX_CELL_CHARS", 5)
    frame = pl.DataFrame({"n": [1, 2], "메모": ["짧음", "아주 긴 메모"]}).lazy()
    assert "row 3 of column “메모” holds 7." in str(export.refusal(frame, export.XLSX))


def test_a_workbook_of_more_cells_than_a_replica_makes_at_once_is_refused(monkeypatch):
    monkeypatch.setattr(export, "EXCEL_MAX_CELLS", 5)
    frame = pl.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3]}).lazy()
    assert "too large to be made here" in str(export.refusal(frame, export.XLSX))
    assert export.refusal(frame.head(2), export.XLSX) is None


def test_a_workbook_too_large_for_the_temporary_folder_is_refused(monkeypatch):
    room = shutil.disk_usage(tempfile.gettempdir())._replace(free=10_000)
    monkeypatch.setattr(export.shutil, "disk_usage", lambda path: room)
    refused = export.refusal(pl.DataFrame({"n": range(1000)}).lazy(), export.XLSX)
    assert "too large to be made here" in str(refused)


# File names


@pytest.mark.parametrize(
    ("name", "form", "file_name"),
    [
        ("2025 매출 (CP949)", export.CSV, "2025 매출 (CP949).csv"),
        ("재고 현황", export.XLSX, "재고 현황.xlsx"),
        ('a/b:c*?"<>|\x01d', export.CP949, "a b c d.csv"),
        ("..", export.CSV, "dataset.csv"),
    ],
)
def test_a_file_name_keeps_the_datasets_name_hangul_included(name, form, file_name):
    assert export.file_name(name, form) == file_name
