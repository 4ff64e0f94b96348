"""A view in the URL: a link names the dataset and the page's choices, and opening it restores
them; what a link names outside the partner's own catalog is dropped, never shown."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analytics import charts as chart_kinds
from analytics_support import APP, catalog_payload, charts, dataset_entry, sales_frame, texts, write
from support.markdown import readable

EXPLORE = "app_pages/explore.py"


def test_a_link_opens_the_dataset_it_names(app, portal):
    app.query_params["dataset"] = "Sales 2024b"
    app.run()

    assert not app.exception
    assert app.sidebar.selectbox(key="dataset").value == "2"
    assert readable(app.title[0].value) == "Sales 2024b"


def test_a_link_naming_a_dataset_the_partner_does_not_have_opens_its_own(app, portal):
    # Another partner's dataset, by its name: not among this partner's options, so not shown.
    app.query_params["dataset"] = "Globex payroll"
    app.run()

    assert not app.exception
    assert app.sidebar.selectbox(key="dataset").value == "1"
    assert readable(app.title[0].value) == "Sales"
    assert app.query_params["dataset"] == "Sales", "the URL names the dataset shown, not the link's"
    assert all("Globex" not in text for text in texts(app.markdown) + texts(app.caption))


def test_the_url_names_the_dataset_picked_and_keeps_it_on_every_page(app, portal):
    app.run()
    app.sidebar.selectbox(key="dataset").set_value("2").run()
    assert app.query_params["dataset"] == "Sales 2024b"

    app.switch_page(EXPLORE).run()
    assert app.sidebar.selectbox(key="dataset").value == "2"
    assert app.query_params["dataset"] == "Sales 2024b"


def test_a_link_restores_the_chart_and_the_filters(app, portal):
    app.query_params["dataset"] = "Sales"
    app.query_params["explore:1:v1:kind"] = "Bar by category"
    app.query_params["filter:1:v1:category"] = "region"
    app.query_params["filter:1:v1:category:region"] = "north"
    app.switch_page(EXPLORE).run()

    assert not app.exception
    assert app.segmented_control(key="explore:1:v1:kind").value == chart_kinds.BAR
    assert app.sidebar.multiselect(key="filter:1:v1:category:region").value == ["north"]
    assert "region is north" in readable(app.caption[0].value)
    [(spec, data)] = charts(app)
    assert spec["mark"]["type"] == "bar"


def test_a_link_with_values_outside_the_data_falls_back_to_the_defaults(app, portal):
    app.query_params["filter:1:v1:category"] = "salary"  # no such column
    app.query_params["explore:1:v1:kind"] = "Pie"  # no such chart
    app.switch_page(EXPLORE).run()

    assert not app.exception
    assert app.sidebar.selectbox(key="filter:1:v1:category").value == "(none)"
    assert app.segmented_control(key="explore:1:v1:kind").value == chart_kinds.LINE


def test_a_link_to_a_dataset_stored_a_moment_ago_opens_it(app, portal, store, headers):
    app.run()  # the replica now keeps the partner's list of two
    write(store, "acme/new.parquet", sales_frame())
    portal.payloads["acme"] = catalog_payload([
        dataset_entry("1", "Sales", "acme/sales.parquet"),
        dataset_entry("2", "Sales 2024b", "acme/sales-b.parquet"),
        dataset_entry("3", "Sales 2025", "acme/new.parquet"),
    ])
    fetched = len(portal.calls)

    opened = AppTest.from_file(str(APP), default_timeout=30)  # "Open analytics" on its page
    opened.query_params["dataset"] = "Sales 2025"
    opened.run()

    assert not opened.exception
    assert readable(opened.title[0].value) == "Sales 2025"
    assert len(portal.calls) == fetched + 1, "the kept list asked again, once"
