"""Excel workbooks are read like CSV files: Excel's own numbers, dates and true/false arrive typed,
text cells meet the Korean forms, a title above the header is passed over, and the partner can
pick the sheet, the header row and a column's kind; values that do not fit a chosen kind are
counted with their rows."""
import datetime as dt
import zipfile

import pyarrow.parquet as pq
import pytest
import xlsxwriter

from datasets import reading

LIMITS = reading.Limits(columns=20, rows=1000, cell_bytes=1000, memory_bytes=2**20)


def workbook(tmp_path, sheets, name="book.xlsx"):
    """An .xlsx of {sheet name: rows}, each value written as Excel would hold it (numbers as
    numbers, dates as dates with a date format)."""
    path = tmp_path / name
    book = xlsxwriter.Workbook(path)
    dates, times = book.add_format({"num_format": "yyyy-mm-dd"}), book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for title, rows in sheets.items():
        sheet = book.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, times)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


def stored(path, layout, tmp_path):
    target = tmp_path / "stored.parquet"
    reading.convert(path, layout, target, LIMITS)
    return pq.read_table(target)


SALES = [
    ["2025 매출 현황"],
    [],
    ["일자", "지점", "금액", "비율", "확정", "입력 시각"],
    [dt.date(2025, 1, 1), "강남", 4584943, 0.125, True, dt.datetime(2025, 1, 1, 9, 30)],
    [dt.date(2025, 1, 2), "서초", 1200.5, 0.25, False, dt.datetime(2025, 1, 2, 15, 4)],
]


def test_excels_own_numbers_dates_and_booleans_arrive_typed_below_a_title(tmp_path):
    path = workbook(tmp_path, {"매출": SALES})

    layout, findings = reading.examine(path, LIMITS)

    assert layout.kind == "excel" and layout.sheet == "매출"
    assert layout.header_line == 3, "the title row and the blank row above the header are passed over"
    assert dict(layout.columns) == {
        "일자": "date", "지점": "text", "금액": "float", "비율": "float", "확정": "boolean", "입력 시각": "datetime",
    }
    table = stored(path, layout, tmp_path)
    assert table.column("일자").to_pylist() == [dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
    assert table.column("금액").to_pylist() == [4584943.0, 1200.5]
    assert table.column("확정").to_pylist() == [True, False]
    assert table.column("입력 시각").to_pylist() == [dt.datetime(2025, 1, 1, 9, 30), dt.datetime(2025, 1, 2, 15, 4)]
    assert [line for line, _ in findings.head] == [1, 3, 4, 5], "blank rows are no rows"
    assert findings.rows[0] == ("2025-01-01", "강남", 4584943, 0.125, True, "2025-01-01 09:30:00")


def test_whole_numbers_make_an_integer_column(tmp_path):
    path = workbook(tmp_path, {"s": [["수량"], [3], [40], [500]]})

    layout = reading.inspect(path, LIMITS)

    assert layout.columns == (("수량", "integer"),)
    assert stored(path, layout, tmp_path).column("수량").to_pylist() == [3, 40, 500]


def test_text_cells_in_korean_forms_are_recognised_as_in_csv(tmp_path):
    rows = [["일자", "금액"], ["2025.01.01", "4,584,943원"], ["2025년 1월 2일", "△1,200원"]]
    path = workbook(tmp_path, {"s": rows})

    layout = reading.inspect(path, LIMITS)

    assert layout.columns == (("일자", "date"), ("금액", "integer"))
    table = stored(path, layout, tmp_path)
    assert table.column("일자").to_pylist() == [dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
    assert table.column("금액").to_pylist() == [4584943, -1200]


def test_the_first_sheet_with_data_is_read_unless_another_is_chosen(tmp_path):
    path = workbook(tmp_path, {"표지": [], "1월": [["a"], [1]], "2월": [["b", "c"], ["x", 2]]})

    first, findings = reading.examine(path, LIMITS)
    chosen = reading.inspect(path, LIMITS, reading.Options(sheet="2월"))

    assert findings.sheets == ("표지", "1월", "2월")
    assert (first.sheet, first.columns) == ("1월", (("a", "integer"),))
    assert (chosen.sheet, chosen.columns) == ("2월", (("b", "text"), ("c", "integer")))
    with pytest.raises(reading.IngestError, match="no sheet named “3월”; its sheets are “표지”, “1월”, “2월”"):
        reading.inspect(path, LIMITS, reading.Options(sheet="3월"))


def test_a_cover_sheet_that_is_no_table_is_passed_over(tmp_path):
    path = workbook(tmp_path, {"표지": [["2025년 보고서"]], "자료": [["a", "b"], [1, 2]]})

    assert reading.inspect(path, LIMITS).sheet == "자료"
    with pytest.raises(reading.IngestError, match="Row 1 is the header, but no rows of data follow it"):
        reading.inspect(path, LIMITS, reading.Options(sheet="표지"))


def test_the_partner_may_pick_another_header_row(tmp_path):
    rows = [["지점별 실적", "", ""], ["지점", "금액", "비고"], ["강남", 10, "x"], ["서초", 20, "y"]]
    path = workbook(tmp_path, {"s": rows})

    found = reading.inspect(path, LIMITS)
    picked = reading.inspect(path, LIMITS, reading.Options(header_line=3))

    assert found.header_line == 2 and found.rows == 2
    assert picked.header_line == 3 and [name for name, _ in picked.columns] == ["강남", "10", "x"]
    assert picked.rows == 1
    with pytest.raises(reading.IngestError, match="Line 9 is not one of the file's first rows"):
        reading.inspect(path, LIMITS, reading.Options(header_line=9))


def test_a_chosen_kind_stores_what_fits_and_counts_what_does_not_with_its_rows(tmp_path):
    rows = [["지점", "금액"], ["강남", "1,200"], ["서초", "미정"], ["송파", "3,400"], ["마포", "-"]]
    path = workbook(tmp_path, {"s": rows})

    found, found_findings = reading.examine(path, LIMITS)
    chosen, findings = reading.examine(path, LIMITS, reading.Options(kinds=(("금액", "integer"),)))

    assert dict(found.columns)["금액"] == "text"
    assert dict(chosen.columns)["금액"] == "integer" and chosen.chosen == ("금액",)
    assert findings.found == ("text", "text")
    assert findings.misfits[1] == (2, ((3, "미정"), (5, "-")))
    assert stored(path, chosen, tmp_path).column("금액").to_pylist() == [1200, None, 3400, None]
    assert [row[1] for row in findings.rows] == [1200, None, 3400, None]
    assert found_findings.misfits[1] == (0, ())


def test_a_text_column_that_nearly_reads_as_a_kind_says_so(tmp_path):
    content = "일자,지점\n" + "".join(f"2025-01-{day:02},강남\n" for day in range(1, 11)) + "미정,강남\n"
    path = tmp_path / "data.csv"
    path.write_text(content)

    layout, findings = reading.examine(path, LIMITS)

    assert dict(layout.columns) == {"일자": "text", "지점": "text"}
    assert findings.near[0] == ("date", 1, ((12, "미정"),))
    assert findings.near[1] == (), "a column of names reads as no kind"


def test_a_csv_with_a_title_line_above_its_header(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("거래 내역 (2025년)\n일자,금액\n2025.01.01,\"1,000\"\n2025.01.02,\"2,000\"\n".encode("cp949"))

    layout = reading.inspect(path, LIMITS)

    assert (layout.header_line, layout.columns, layout.rows) == (2, (("일자", "date"), ("금액", "integer")), 2)


def test_a_value_beyond_the_named_columns_is_refused_with_its_row(tmp_path):
    path = workbook(tmp_path, {"s": [["a", "b"], [1, 2], [3, 4, "합계 7"]]})

    with pytest.raises(reading.IngestError, match="Row 3, column 3: a value beyond the last named column"):
        reading.inspect(path, LIMITS)


def test_a_header_cell_left_empty_names_its_row(tmp_path):
    path = workbook(tmp_path, {"s": [["a", None, "c"], [1, 2, 3]]})

    with pytest.raises(reading.IngestError, match="Row 1, column 2: the column name is empty"):
        reading.inspect(path, LIMITS)


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04" + bytes(200), b"\xd0\xcf\x11\xe0" + bytes(600)],
    ids=["broken xlsx", "broken xls"],
)
def test_a_broken_workbook_gets_one_sentence_and_what_to_do(tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)

    with pytest.raises(reading.IngestError) as refused:
        reading.inspect(path, LIMITS)

    assert str(refused.value).startswith("This file looks like an Excel workbook but cannot be read as one")
    assert str(refused.value).endswith("save it again as .xlsx, or as CSV UTF-8.")


def test_a_zip_of_csv_files_is_no_workbook(tmp_path):
    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")

    with pytest.raises(reading.IngestError, match="cannot be read as one"):
        reading.inspect(path, LIMITS)


def test_a_workbook_of_empty_sheets_says_so(tmp_path):
    path = workbook(tmp_path, {"a": [], "b": []})

    with pytest.raises(reading.IngestError, match="Every sheet of this workbook is empty"):
        reading.inspect(path, LIMITS)


def test_a_sheet_over_the_row_limit_is_refused(tmp_path):
    path = workbook(tmp_path, {"s": [["n"], *([value] for value in range(30))]})
    few = reading.Limits(columns=20, rows=20, cell_bytes=1000, memory_bytes=2**20)

    with pytest.raises(reading.IngestError, match="more than 20 rows"):
        reading.inspect(path, few)


def test_cell_text_writes_each_excel_value_in_the_form_its_kind_reads():
    assert reading._cell_text(4584943.0) == "4584943"
    assert reading._cell_text(0.1) == "0.1"
    assert reading._cell_text(1e20) == "1e+20"
    assert reading._cell_text(True) == "true"
    assert reading._cell_text(dt.date(2025, 1, 1)) == "2025-01-01"
    assert reading._cell_text(dt.datetime(2025, 1, 1, 9, 30, 0, 500000)) == "2025-01-01 09:30:00.500000"
    assert reading._cell_text(dt.time(9, 30)) == "09:30:00", "a time of day alone is text"
    assert reading._cell_text("") == ""


def test_an_xlsx_named_csv_is_read_by_its_content(tmp_path):
    path = workbook(tmp_path, {"s": [["a"], [1]]}, name="exported.csv")

    assert reading.inspect(path, LIMITS).kind == "excel"


def test_a_chosen_date_refuses_impossible_days_and_a_chosen_datetime_impossible_hours(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("d,t\n2025-02-28,2025-01-01 23:59\n2025-02-30,2025-01-01 24:00\n2025.3.1,2025-01-01 오후 1:00\n")

    layout, findings = reading.examine(path, LIMITS, reading.Options(kinds=(("d", "date"), ("t", "datetime"))))

    assert findings.misfits == ((1, ((3, "2025-02-30"),)), (1, ((3, "2025-01-01 24:00"),)))
    table = stored(path, layout, tmp_path)
    assert table.column("d").to_pylist() == [dt.date(2025, 2, 28), None, dt.date(2025, 3, 1)]
    assert table.column("t").to_pylist() == [dt.datetime(2025, 1, 1, 23, 59), None, dt.datetime(2025, 1, 1, 13, 0)]

