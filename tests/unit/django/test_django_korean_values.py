"""Values written the Korean way (dates year first, amounts with separators, won signs, △ for a
negative) are stored typed; a column where any value fits no form, or forms disagree, stays text."""
import datetime as dt

import pyarrow.parquet as pq
import pytest

from datasets import reading

LIMITS = reading.Limits(columns=10, rows=1000, cell_bytes=1000, memory_bytes=2**20)


def stored(tmp_path, values, encoding="utf-8"):
    """The kind inspect gives a column of these values, and the values convert stores."""
    source, target = tmp_path / "data.csv", tmp_path / "data.parquet"
    lines = ["v", *(f'"{value}"' for value in values)]
    source.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    layout = reading.inspect(source, LIMITS)
    reading.convert(source, layout, target, LIMITS)
    ((_, kind),) = layout.columns
    return kind, pq.read_table(target).column("v").to_pylist()


D, T = dt.date, dt.datetime

RECOGNISED = {
    "dots": (["2025.01.01", "2025.12.31"], "date", [D(2025, 1, 1), D(2025, 12, 31)]),
    "dots as Korean Excel writes them": (["2025. 1. 1.", "2025. 12. 31."], "date", [D(2025, 1, 1), D(2025, 12, 31)]),
    "slashes": (["2025/01/01", "2024/02/29"], "date", [D(2025, 1, 1), D(2024, 2, 29)]),
    "hyphens without zeros": (["2025-1-1", "2025-12-31"], "date", [D(2025, 1, 1), D(2025, 12, 31)]),
    "year, month and day in words": (
        ["2025년 1월 1일", "2025년 12월 31일"], "date", [D(2025, 1, 1), D(2025, 12, 31)]
    ),
    "separators mixed in the column": (
        ["2025.01.01", "2025-01-02", "2025/01/03", "2025년 1월 4일"],
        "date",
        [D(2025, 1, 1), D(2025, 1, 2), D(2025, 1, 3), D(2025, 1, 4)],
    ),
    # 85 cannot be a day, so the column is year first; 85 is in the 1900s, 25 in the 2000s.
    "two-digit years a value proves year first": (
        ["25.01.01", "85.03.12", "99-12-31"],
        "date",
        [D(2025, 1, 1), D(1985, 3, 12), D(1999, 12, 31)],
    ),
    "ISO dates as before": (["2024-01-31", "2024-02-29"], "date", [D(2024, 1, 31), D(2024, 2, 29)]),
    "오전 and 오후": (
        ["2025-01-01 오후 3:04:05", "2025.01.01 오전 9:30", "2025년 1월 1일 오후 11:59:59"],
        "datetime",
        [T(2025, 1, 1, 15, 4, 5), T(2025, 1, 1, 9, 30), T(2025, 1, 1, 23, 59, 59)],
    ),
    "half past twelve, noon and midnight": (
        ["2025-01-01 오후 12:30", "2025-01-01 오전 12:30"],
        "datetime",
        [T(2025, 1, 1, 12, 30), T(2025, 1, 1, 0, 30)],
    ),
    "24-hour times after a Korean date": (
        ["2025.01.01 15:30", "2025. 1. 2. 9:05:07"],
        "datetime",
        [T(2025, 1, 1, 15, 30), T(2025, 1, 2, 9, 5, 7)],
    ),
    "ISO datetimes as before": (
        ["2024-02-01T10:00:05", "2024-01-31 09:30:00.25"],
        "datetime",
        [T(2024, 2, 1, 10, 0, 5), T(2024, 1, 31, 9, 30, 0, 250000)],
    ),
    "thousands separators": (["4,584,943", "1,200", "7", "-12,345"], "integer", [4584943, 1200, 7, -12345]),
    "won, before or after": (
        ["₩1,200", "￦3,000", "1,200원", "5 원", "500"], "integer", [1200, 3000, 1200, 5, 500]
    ),
    "dollars with cents": (["$1,200.50", "$3"], "float", [1200.5, 3.0]),
    "percentages as fractions": (["12.5%", "100%", "(0.5%)", "△2%"], "float", [0.125, 1.0, -0.005, -0.02]),
    "negatives in parentheses": (["(1,200)", "300", "(₩5)"], "integer", [-1200, 300, -5]),
    "negatives marked by either triangle": (["△1,200", "▲1,200", "△₩7"], "integer", [-1200, -1200, -7]),
    "a minus on either side of the won sign": (["-₩1,200", "₩-1,200"], "integer", [-1200, -1200]),
    "separators with a fraction": (["1,200.00", "3"], "float", [1200.0, 3.0]),
}


@pytest.mark.parametrize("values, kind, typed", RECOGNISED.values(), ids=RECOGNISED.keys())
def test_a_korean_form_is_stored_typed(tmp_path, values, kind, typed):
    assert stored(tmp_path, values) == (kind, typed)


KEPT_AS_TEXT = {
    "month 13": ["2025.01.01", "2025.13.01"],
    "30 February": ["2025. 2. 28.", "2025. 2. 30."],
    "two separators in one date": ["2025.01-01"],
    "a lone two-digit year, which could be 25 January 2001": ["25.01.01"],
    "two-digit years that read day first as well": ["25.01.01", "31.12.25"],
    "two-digit years beside four-digit ones": ["85.03.12", "2025.01.01"],
    "13 o'clock in the afternoon": ["2025-01-01 오후 3:04", "2025-01-01 오후 13:04"],
    "separators out of place": ["1,200", "1,2,3"],
    "a comma as the decimal point": ["1,5", "2,25"],
    "a code with a separator": ["0,123"],
    "parentheses round text": ["(1,200)", "(abc)"],
    "a parenthesis never closed": ["(1,200"],
    "a triangle alone": ["△1,200", "△"],
    "two signs": ["(-1,200)"],
    "won and dollars in one column": ["₩1,200", "$5"],
    "an amount beside a word": ["₩1,200", "별도 문의"],
    "both won signs on one value": ["₩1,200원"],
    "percentages beside plain numbers": ["12%", "0.3"],
    "a currency with a percent sign": ["₩12%"],
    # In stock tables ▲ is a rise and ▼ a fall: a column that has ▼ is no accounting column.
    "a falling triangle": ["▲1,200", "▼300"],
}


@pytest.mark.parametrize("values", KEPT_AS_TEXT.values(), ids=KEPT_AS_TEXT.keys())
def test_a_column_that_fits_no_single_form_stays_text_as_written(tmp_path, values):
    assert stored(tmp_path, values) == ("text", values)


def test_a_column_is_judged_whole_and_not_batch_by_batch(tmp_path, monkeypatch):
    # One row a batch: what a later batch shows decides as much as the first.
    monkeypatch.setattr(reading, "BATCH_VALUES", 1)

    assert stored(tmp_path, ["12%", "7%", "0.3"]) == ("text", ["12%", "7%", "0.3"])
    assert stored(tmp_path, ["₩1,200", "$5"]) == ("text", ["₩1,200", "$5"])
    assert stored(tmp_path, ["25.01.01", "24.12.31", "85.03.12"]) == (
        "date",
        [D(2025, 1, 1), D(2024, 12, 31), D(1985, 3, 12)],
    )


def test_codes_keep_their_zeros_and_iso_numbers_read_as_before(tmp_path):
    assert stored(tmp_path, ["007", "012"]) == ("text", ["007", "012"])
    assert stored(tmp_path, ["1e5", "+3", ".5", "-0.25"]) == ("float", [100000.0, 3.0, 0.5, -0.25])
    assert stored(tmp_path, ["120", "-20", "0"]) == ("integer", [120, -20, 0])


def test_a_cp949_file_reads_the_won_sign_it_can_hold(tmp_path):
    # CP949 has no ₩ (U+20A9): Korean Windows writes the full-width ￦.
    assert stored(tmp_path, ["￦4,584,943", "△￦1,200"], encoding="cp949") == ("integer", [4584943, -1200])
