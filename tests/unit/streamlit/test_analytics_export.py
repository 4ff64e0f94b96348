"""CSV export: formula cells defused, everything else written as it is."""
from __future__ import annotations

import csv
import datetime as dt
import io

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
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


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
