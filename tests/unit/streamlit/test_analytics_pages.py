"""Every page flow through AppTest: identity, catalog, loading errors, and each page's output."""
from __future__ import annotations

import datetime as dt
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from analytics import charts as chart_kinds, export, identity, portal_api
from analytics_support import TICKET, TOKEN, catalog_payload, charts, dataset_entry, sales_frame, texts, write
from portal_bench.analytics_timing import generate
from support.markdown import readable

OVERVIEW = "app_pages/overview.py"
EXPLORE = "app_pages/explore.py"
COMPARE = "app_pages/compare.py"
DOWNLOAD = "app_pages/download.py"


def only_dataset(portal, entry):
    portal.payloads["acme"] = catalog_payload([entry])


def assert_no_data(at):
    assert not at.exception
    assert not at.dataframe
    assert not at.get("vega_lite_chart")


# Identity and catalog


@pytest.mark.parametrize(
    "sent",
    [
        {},
        {identity.USER_HEADER: "ann"},
        {identity.PARTNER_HEADER: "acme"},
        {identity.PARTNER_HEADER: "../acme", identity.USER_HEADER: "ann"},
    ],
    ids=["no headers", "no partner", "no user", "malformed partner"],
)
def test_without_identity_the_app_sends_to_the_portal_and_shows_no_data(app, headers, portal, sent):
    headers.clear()
    headers.update(sent)
    app.run()
    assert "through the partner portal" in app.warning[0].value
    assert any('href="/"' in text for text in texts(app.markdown))
    assert portal.calls == []
    assert not app.sidebar.subheader
    assert_no_data(app)


def test_sidebar_names_the_partner_and_links_back_to_the_portal(app, portal):
    app.run()
    assert texts(app.sidebar.subheader) == ["Acme Ltd"]
    assert "Signed in as ann" in texts(app.sidebar.caption)
    assert any('href="/"' in text and "Back to the portal" in text for text in texts(app.sidebar.markdown))
    assert app.sidebar.selectbox(key="dataset").options == ["Sales", "Sales 2024b"]
    assert portal.calls == ["acme"]


# The sign-in behind the tab


def signed_out_page(app):
    assert not app.exception
    assert_no_data(app)
    assert not app.sidebar.subheader, "not even the partner's name stays"
    for kept in ("portal", "dataset"):
        assert kept not in app.session_state, "nothing of the partner's stays in the tab"
    return app.warning[0].value


def test_every_rerun_checks_the_sign_in_as_activity(app, portal):
    app.run()
    app.run()
    assert portal.session_calls == [(TICKET, True)], "asked once, then kept for a moment"


@pytest.mark.parametrize(
    ("state", "said", "link"),
    [
        (portal_api.SessionState("signed_out"), "You are signed out of the portal", "/accounts/login/?next=/app/"),
        (portal_api.SessionState("signed_out", reason="idle"), "without activity", "/accounts/login/?next=/app/"),
        (portal_api.SessionState("signed_out", reason="expired"), "has ended", "/accounts/login/?next=/app/"),
        (portal_api.SessionState("no_partner"), "no longer linked to a partner", "/accounts/login/?next=/app/"),
        (portal_api.SessionState("partner_inactive"), "not active", "/accounts/login/?next=/app/"),
        (portal_api.SessionState(portal_api.ACTIVE, "globex"), "another partner", "/app/"),
    ],
    ids=["signed out", "idle", "expired", "removed from partner", "partner inactive", "partner changed"],
)
def test_a_tab_whose_sign_in_ended_shows_why_and_no_data(app, portal, monkeypatch, state, said, link):
    app.run()
    assert app.title[0].value == "Sales"
    portal.sessions[TICKET] = state
    later = time.monotonic() + portal_api.SESSION_CACHE_SECONDS
    monkeypatch.setattr(portal_api, "_clock", lambda: later)
    app.run()
    assert said in signed_out_page(app)
    assert any(f"]({link})" in text for text in texts(app.markdown))
    assert portal.calls == ["acme"], "no catalog is asked for once the sign-in has ended"


def test_a_tab_without_a_ticket_shows_no_data(app, headers, portal):
    del headers[identity.SESSION_HEADER]
    app.run()
    assert "through the partner portal" in app.warning[0].value
    assert portal.session_calls == []
    assert_no_data(app)


def test_a_partner_with_no_datasets_is_told_how_to_add_one(app, portal):
    portal.payloads["acme"] = catalog_payload([])
    app.run()
    assert "no datasets yet" in app.info[0].value
    assert_no_data(app)


def test_an_inactive_partner_sees_no_data(app, portal):
    portal.payloads["acme"] = catalog_payload([dataset_entry("1", "Sales", "acme/sales.parquet")], active=False)
    app.run()
    assert "not active" in app.error[0].value
    assert_no_data(app)


def test_an_unknown_partner_is_told_so(app, portal_server):
    app.run()
    assert "does not know the partner 'acme'" in app.error[0].value
    assert_no_data(app)


def test_the_catalog_comes_from_the_internal_api(app, portal_server, store):
    write(store, "acme/sales.parquet", sales_frame())
    portal_server.answer("acme", catalog_payload([dataset_entry("1", "Sales", "acme/sales.parquet")]))
    app.run()
    assert app.title[0].value == "Sales"
    assert portal_server.requests[0]["Authorization"] == f"Bearer {TOKEN}"


def test_an_unreachable_portal_gives_a_message_not_a_traceback(app):
    # The store fixture points PORTAL_INTERNAL_URL at a port nothing listens on.
    app.run()
    assert "could not be reached" in app.error[0].value
    assert_no_data(app)


def test_a_missing_setting_is_named(app, portal, monkeypatch):
    monkeypatch.delenv("INTERNAL_API_TOKEN")
    app.run()
    assert "INTERNAL_API_TOKEN" in app.error[0].value
    assert_no_data(app)


# Files


def test_a_corrupt_file_shows_a_message(app, portal, store):
    (store / "acme" / "sales.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    app.run()
    assert "“Sales” cannot be shown" in app.error[0].value
    assert "could not be read as Parquet" in app.error[0].value
    assert_no_data(app)


def test_a_missing_file_shows_a_message(app, portal, store):
    (store / "acme" / "sales.parquet").unlink()
    app.run()
    assert "file is missing" in app.error[0].value
    assert_no_data(app)


@pytest.mark.parametrize(
    "path",
    ["globex/sales.parquet", "acme/../globex/sales.parquet", "/etc/passwd", "acme/link.parquet"],
    ids=["other partner", "dot-dot", "absolute", "symlink out"],
)
def test_a_path_outside_the_partners_folder_is_refused(app, portal, store, path):
    secret = write(store, "globex/sales.parquet", sales_frame())
    os.symlink(secret, store / "acme" / "link.parquet")
    only_dataset(portal, dataset_entry("9", "Borrowed", path))
    app.run()
    assert "outside your folder" in app.error[0].value
    assert_no_data(app)


def test_a_new_version_of_a_dataset_is_reloaded(app, portal, store, monkeypatch):
    app.run()
    assert app.metric[0].value == "60"
    write(store, "acme/sales.parquet", sales_frame().head(10))
    app.run()
    assert app.metric[0].value == "60", "same version: served from the cache"
    portal.payloads["acme"]["datasets"][0]["version"] = "v2"
    later = time.monotonic() + portal_api.CACHE_SECONDS
    monkeypatch.setattr(portal_api, "_clock", lambda: later)
    app.run()
    assert app.metric[0].value == "10"


# Overview


def test_overview_shows_size_types_missing_values_statistics_and_a_sample(app, portal):
    app.run()
    assert not app.exception
    assert app.title[0].value == "Sales"
    assert [m.value for m in app.metric] == ["60", "5", "1"]
    columns, numbers, dates, categories, sample = (frame.value for frame in app.dataframe)
    assert list(columns["column"]) == ["day", "region", "units", "price", "note"]
    assert list(columns["kind"]) == ["date", "category", "number", "number", "category"]
    assert list(columns["missing"]) == [0, 0, 0, 1, 0]
    frame = sales_frame()
    assert list(columns["distinct"]) == [frame[name].drop_nulls().n_unique() for name in columns["column"]]
    assert list(numbers["column"]) == ["units", "price"]
    assert numbers.set_index("column").loc["units", "max"] == 7
    assert list(dates["earliest"]) == ["2024-01-01"]
    assert set(categories["column"]) == {"region", "note"}
    assert len(sample) == 60


def test_overview_and_explore_take_the_types_the_file_stores(app, portal, store):
    # Dates stored as text, as a Parquet upload may carry them: the analytics take them as text.
    frame = sales_frame().with_columns(pl.col("day").alias("shipped"), pl.col("day").cast(pl.String).alias("day"))
    write(store, "acme/text-days.parquet", frame)
    only_dataset(portal, dataset_entry("3", "Text days", "acme/text-days.parquet"))

    app.run()
    assert not app.exception
    columns, _numbers, dates, categories, _sample = (element.value for element in app.dataframe)
    kinds = dict(zip(columns["column"], columns["kind"]))
    assert (kinds["day"], kinds["shipped"]) == ("category", "date")
    assert list(dates["column"]) == ["shipped"]
    assert "day" in set(categories["column"])

    app.switch_page(EXPLORE).run()
    assert app.selectbox(key="explore:3:v1:date").options == ["shipped"]


# Explore


@pytest.mark.parametrize(
    ("kind", "mark"),
    [(chart_kinds.LINE, "line"), (chart_kinds.BAR, "bar"), (chart_kinds.HISTOGRAM, "bar"), (chart_kinds.SCATTER, "circle")],
)
def test_explore_draws_each_kind_of_chart(app, portal, kind, mark):
    app.switch_page(EXPLORE).run()
    app.segmented_control[0].set_value(kind).run()
    assert not app.exception
    [(spec, data)] = charts(app)
    assert spec["mark"]["type"] == mark
    assert 0 < data.height <= 60


def test_explore_offers_only_fitting_columns(app, portal):
    app.switch_page(EXPLORE).run()
    assert app.selectbox(key="explore:1:v1:date").options == ["day"]
    assert app.selectbox(key="explore:1:v1:value").options == ["units", "price"]
    app.segmented_control[0].set_value(chart_kinds.BAR).run()
    assert app.selectbox(key="explore:1:v1:category").options == ["region", "note"]
    app.segmented_control[0].set_value(chart_kinds.SCATTER).run()
    assert app.selectbox(key="explore:1:v1:y").options == ["price"]


def test_explore_bars_aggregate_with_the_chosen_function(app, portal):
    app.switch_page(EXPLORE).run()
    app.segmented_control[0].set_value(chart_kinds.BAR).run()
    app.selectbox(key="explore:1:v1:agg").set_value("median").run()
    app.selectbox(key="explore:1:v1:value").set_value("price").run()
    [(spec, data)] = charts(app)
    expected = sales_frame().group_by("region").agg(pl.col("price").median())
    drawn = dict(zip(data["category"], data["value"]))
    assert drawn == dict(zip(expected["region"], expected["price"]))


def test_explore_says_why_a_chart_does_not_fit(app, portal, store):
    write(store, "acme/plain.parquet", sales_frame().drop("day"))
    only_dataset(portal, dataset_entry("3", "Plain", "acme/plain.parquet"))
    app.switch_page(EXPLORE).run()
    app.segmented_control[0].set_value(chart_kinds.LINE).run()
    assert "needs a date column" in app.info[0].value
    assert not app.get("vega_lite_chart")


def test_explore_filters_narrow_the_rows(app, portal):
    app.switch_page(EXPLORE).run()
    app.sidebar.selectbox(key="filter:1:v1:category").set_value("region").run()
    app.sidebar.multiselect(key="filter:1:v1:category:region").set_value(["north"]).run()
    app.sidebar.selectbox(key="filter:1:v1:date").set_value("day").run()
    app.sidebar.date_input(key="filter:1:v1:date:day").set_value((dt.date(2024, 1, 1), dt.date(2024, 1, 31))).run()
    expected = sales_frame().filter((pl.col("region") == "north") & (pl.col("day") <= dt.date(2024, 1, 31))).height
    assert readable(app.caption[0].value).startswith(f"Sales · {expected} of 60 rows · day from 2024-01-01 to 2024-01-31; region is north")
    [(spec, data)] = charts(app)
    assert data["value"].sum() == sales_frame().filter(
        (pl.col("region") == "north") & (pl.col("day") <= dt.date(2024, 1, 31))
    )["units"].sum()


def test_explore_numeric_filter_and_empty_result(app, portal):
    app.switch_page(EXPLORE).run()
    app.sidebar.selectbox(key="filter:1:v1:number").set_value("units").run()
    app.sidebar.slider(key="filter:1:v1:number:units").set_range(7, 7).run()
    assert readable(app.caption[0].value).startswith("Sales · 8 of 60 rows")
    app.sidebar.selectbox(key="filter:1:v1:category").set_value("region").run()
    app.sidebar.multiselect(key="filter:1:v1:category:region").set_value(["north"]).run()
    app.sidebar.slider(key="filter:1:v1:number:units").set_range(1, 1).run()
    rows = sales_frame().filter((pl.col("region") == "north") & (pl.col("units") == 1)).height
    assert readable(app.caption[0].value).startswith(f"Sales · {rows} of 60 rows")


def test_a_float_range_moved_back_to_its_ends_is_no_filter(app, portal):
    app.switch_page(EXPLORE).run()
    app.sidebar.selectbox(key="filter:1:v1:number").set_value("price").run()
    app.sidebar.slider(key="filter:1:v1:number:price").set_range(10.004, 12.996).run()
    assert readable(app.caption[0].value) == "Sales · 60 of 60 rows · no filters"
    app.sidebar.slider(key="filter:1:v1:number:price").set_range(10.5, 13.0).run()
    assert readable(app.caption[0].value).startswith("Sales · 44 of 60 rows · price from 10.5 to 13")


def test_scatter_sends_a_bounded_sample_of_a_large_dataset(app, portal, store):
    generate(6000, store / "acme" / "big.parquet")
    only_dataset(portal, dataset_entry("4", "Big", "acme/big.parquet"))
    app.switch_page(EXPLORE).run()
    app.segmented_control[0].set_value(chart_kinds.SCATTER).run()
    [(spec, data)] = charts(app)
    assert data.height == 5000
    assert "5,000 of 6,000 points" in readable(app.caption[1].value)


# Compare


def test_compare_two_datasets_side_by_side(app, portal):
    app.switch_page(COMPARE).run()
    app.segmented_control[0].set_value("Two datasets").run()
    app.selectbox(key="compare:align").set_value("region").run()
    assert not app.exception
    units = sales_frame()["units"].sum()
    assert readable(app.success[0].value).startswith(
        f"Total units is {2 * units:,} in Sales 2024b against {units:,} in Sales: higher by {units:,} (100.0%)."
    )
    assert [m.value for m in app.metric] == [f"{units:,}", f"{2 * units:,}", f"{units:,}"]
    table = app.dataframe[0].value
    assert list(table.columns) == ["region", "A · Sales", "B · Sales 2024b", "delta", "delta %"]
    assert list(table["delta %"]) == ["+100.0%", "+100.0%", "+100.0%"]
    [(spec, data)] = charts(app)
    assert spec["mark"]["type"] == "bar"
    assert set(data["side"]) == {"A · Sales", "B · Sales 2024b"}


def test_compare_two_segments_of_one_dataset(app, portal):
    app.switch_page(COMPARE).run()
    app.selectbox(key="compare:segment_column").set_value("region").run()
    app.multiselect(key="compare:segment_a:region").set_value(["north"]).run()
    app.multiselect(key="compare:segment_b:region").set_value(["south"]).run()
    app.selectbox(key="compare:align").set_value("day").run()
    frame = sales_frame()
    north = frame.filter(pl.col("region") == "north")["units"].sum()
    south = frame.filter(pl.col("region") == "south")["units"].sum()
    assert f"{south:,} in region: south against {north:,} in region: north" in readable(app.success[0].value)
    table = app.dataframe[0].value
    assert list(table.columns)[0] == "day (month)"
    assert len(table) == 3
    [(spec, data)] = charts(app)
    assert spec["mark"]["type"] == "line"


def test_compare_two_ranges_of_days_lines_them_up_by_calendar_week(app, portal):
    app.switch_page(COMPARE).run()
    app.segmented_control[0].set_value("Two periods").run()
    app.selectbox(key="compare:period_unit").set_value("your own dates").run()
    app.date_input(key="compare:period_a:day").set_value((dt.date(2024, 1, 1), dt.date(2024, 1, 31))).run()
    app.date_input(key="compare:period_b:day").set_value((dt.date(2024, 2, 1), dt.date(2024, 2, 29))).run()
    app.selectbox(key="compare:align").set_value("day").run()
    app.selectbox(key="compare:bucket").set_value("week").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table.columns)[:3] == ["week of the period", "A · 2024-01-01 to 2024-01-31", "B · 2024-02-01 to 2024-02-29"]
    # Weeks from Monday: January's fifth is 29 to 31 January, February's first 1 to 4 February.
    assert list(table["week of the period"]) == [1, 2, 3, 4, 5]
    assert "The largest gap is at week" in readable(app.success[0].value)
    assert any("first or last week holds only the days inside the period" in c for c in texts(app.caption))


def test_compare_datasets_with_only_one_says_why(app, portal):
    only_dataset(portal, dataset_entry("1", "Sales", "acme/sales.parquet"))
    app.switch_page(COMPARE).run()
    app.segmented_control[0].set_value("Two datasets").run()
    assert "needs two of them" in app.info[0].value


# Download


@dataclass
class Registered:
    """A download button's file: made as the server makes it on a click, and its name and type."""

    make: Callable[[], bytes]
    mimetype: str | None
    file_name: str | None

    def __call__(self) -> bytes:
        return self.make()


@pytest.fixture
def deferred(monkeypatch):
    """The files download buttons registered, as the server would make them on a click."""
    registered = []
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, *args, file_name=None, **kwargs):
        registered.append(Registered(data_callable, mimetype, file_name))
        return original(self, data_callable, mimetype, *args, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return registered


def test_download_gives_the_filtered_rows_with_formulas_defused(app, portal, deferred):
    app.switch_page(EXPLORE).run()
    app.sidebar.selectbox(key="filter:1:v1:category").set_value("region").run()
    app.sidebar.multiselect(key="filter:1:v1:category:region").set_value(["north"]).run()
    app.switch_page(OVERVIEW).run()
    app.switch_page(DOWNLOAD).run()
    assert not app.exception
    assert "region is north" in readable(app.caption[0].value), "filters carry over from Explore"
    assert app.get("download_button")
    csv = deferred[-1]().decode("utf-8-sig")
    lines = csv.splitlines()
    assert lines[0] == "day,region,units,price,note"
    assert len(lines) == 1 + 20
    assert all(",north," in line for line in lines[1:])
    notes = {line.rsplit(",", 1)[1] for line in lines[1:]}
    assert notes == {"'=1+1", "'+cmd", "'-x", "'@SUM(A1)", "plain"}


def test_download_of_chosen_columns(app, portal, deferred):
    app.switch_page(DOWNLOAD).run()
    app.multiselect(key="download:1:v1:columns").set_value(["region", "units"]).run()
    assert deferred[-1]().decode("utf-8-sig").splitlines()[0] == "region,units"
    assert list(app.dataframe[0].value.columns) == ["region", "units"]


def choose_format(app, form):
    app.segmented_control(key="download:format").set_value(form).run()
    assert not app.exception


def test_download_offers_csv_in_utf8_by_default_then_cp949_and_excel(app, portal, deferred):
    app.switch_page(DOWNLOAD).run()
    control = app.segmented_control(key="download:format")
    assert control.options == ["CSV (UTF-8)", "CSV (CP949)", "Excel (.xlsx)"]
    assert control.value == export.CSV
    assert app.get("download_button")[0].proto.label == "Download CSV"
    data = deferred[-1]()
    assert data.startswith(b"\xef\xbb\xbf"), "Korean Excel reads it as UTF-8"
    assert (deferred[-1].file_name, deferred[-1].mimetype) == ("Sales.csv", "text/csv")

    choose_format(app, export.CP949)
    assert deferred[-1].file_name == "Sales.csv"
    assert deferred[-1]().decode("cp949").splitlines()[0] == "day,region,units,price,note"


def test_download_as_excel_gives_the_filtered_rows_and_chosen_columns_typed(app, portal, deferred):
    app.switch_page(DOWNLOAD).run()
    app.sidebar.selectbox(key="filter:1:v1:category").set_value("region").run()
    app.sidebar.multiselect(key="filter:1:v1:category:region").set_value(["north"]).run()
    app.multiselect(key="download:1:v1:columns").set_value(["day", "units", "note"]).run()
    choose_format(app, export.XLSX)

    assert app.get("download_button")[0].proto.label == "Download Excel file"
    made = deferred[-1]
    assert made.file_name == "Sales.xlsx"
    assert made.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(openpyxl.load_workbook(io.BytesIO(made())).active.iter_rows(values_only=True))
    expected = sales_frame().filter(pl.col("region") == "north").select("day", "units", "note")
    assert rows[0] == ("day", "units", "note")
    assert rows[1:] == [(dt.datetime.combine(day, dt.time()), units, note) for day, units, note in expected.iter_rows()]
    assert any("no cell runs as a formula" in readable(caption.value) for caption in app.main.caption)


def test_the_download_keeps_the_datasets_hangul_name(app, portal, store, deferred):
    write(store, "acme/stock.parquet", sales_frame())
    only_dataset(portal, dataset_entry("5", "2025 매출 (CP949)", "acme/stock.parquet"))
    app.switch_page(DOWNLOAD).run()
    assert deferred[-1].file_name == "2025 매출 (CP949).csv"
    choose_format(app, export.XLSX)
    assert deferred[-1].file_name == "2025 매출 (CP949).xlsx"


def test_a_cp949_download_of_characters_it_lacks_says_where_instead_of_offering_it(app, portal, store, deferred):
    write(store, "acme/snow.parquet", sales_frame().with_columns(pl.when(pl.int_range(pl.len()) == 2)
                                                                 .then(pl.lit("눈 ☃")).otherwise("note").alias("note")))
    only_dataset(portal, dataset_entry("6", "Snow", "acme/snow.parquet"))
    app.switch_page(DOWNLOAD).run()
    choose_format(app, export.CP949)
    assert not app.get("download_button")
    warning = readable(app.warning[0].value)
    assert "row 4 of column “note” holds “☃” (U+2603)" in warning
    choose_format(app, export.CSV)
    assert app.get("download_button") and not app.warning


def test_more_rows_than_excel_takes_are_not_offered_as_excel(app, portal, monkeypatch, deferred):
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 60)
    app.switch_page(DOWNLOAD).run()
    choose_format(app, export.XLSX)
    assert not app.get("download_button")
    assert "Excel takes at most 60 rows, the header included, and these are 60 rows." in readable(app.warning[0].value)
    app.sidebar.selectbox(key="filter:1:v1:category").set_value("region").run()
    app.sidebar.multiselect(key="filter:1:v1:category:region").set_value(["north"]).run()
    assert app.get("download_button"), "narrowed by the filters, the rows fit"
