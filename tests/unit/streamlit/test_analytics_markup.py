"""Partner text (dataset names and descriptions, partner and user names, column names) is shown as
text on every page: never as HTML, a link, an image or formatting."""
from __future__ import annotations

import polars as pl
import pytest

from analytics import ui
from analytics_support import catalog_payload, dataset_entry, sales_frame, write
from support.markdown import live_parts, readable, text_problems

OVERVIEW = "app_pages/overview.py"
EXPLORE = "app_pages/explore.py"
DOWNLOAD = "app_pages/download.py"
COMPARE = "app_pages/compare.py"

HOSTILE = [
    '<script>alert("name")</script>',
    "<img src=x onerror=alert(1)>",
    "[Log in again](https://evil.example/login)",
    "![pixel](https://evil.example/p.png)",
    "[ref]: https://evil.example/",
    "see www.evil.example or https://evil.example",
    "**bold** _it_ `code` :red[red] $x^2$ # not a heading",
    "back\\slash \\<b\\> &lt;b&gt;",
]
# Everything the app draws from Markdown: AppTest's names for those elements.
MARKDOWN_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "error", "info", "success", "warning")


def drawn(at) -> list[str]:
    bodies = [element.value for kind in MARKDOWN_ELEMENTS for element in getattr(at, kind)]
    return bodies + [metric.label for metric in at.metric]


def assert_shown_as_text(at, text: str) -> None:
    """`text` reaches the partner as it is, and no body carrying it renders as more than text."""
    assert not text_problems(drawn(at), text)


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_keeps_every_character_and_leaves_nothing_live(text):
    assert readable(ui.literal(text)) == text
    assert not live_parts(ui.literal(text))


@pytest.fixture
def hostile(portal, store):
    """acme's only dataset has a hostile name and description, and so do the partner and a column."""
    name, description = HOSTILE[0] + " " + HOSTILE[2], HOSTILE[1] + " " + HOSTILE[3]
    frame = sales_frame().rename({"region": "[r](https://evil.example)"})
    write(store, "acme/hostile.parquet", frame)
    write(store, "acme/other.parquet", frame)
    entry = {**dataset_entry("7", name, "acme/hostile.parquet"), "description": description}
    payload = catalog_payload([entry, dataset_entry("8", HOSTILE[5], "acme/other.parquet")])
    payload["partner"]["name"] = HOSTILE[4]
    portal.payloads["acme"] = payload
    return name, description


def test_overview_and_sidebar_show_names_and_descriptions_as_text(app, hostile):
    name, description = hostile
    app.run()
    assert not app.exception
    assert readable(app.title[0].value) == name
    assert_shown_as_text(app, name)
    assert_shown_as_text(app, description)
    assert_shown_as_text(app, HOSTILE[4])


@pytest.mark.parametrize("page", [EXPLORE, DOWNLOAD])
def test_explore_and_download_captions_show_the_name_and_filters_as_text(app, hostile, page):
    name, _ = hostile
    app.switch_page(page).run()
    app.sidebar.selectbox(key="filter:7:v1:category").set_value("[r](https://evil.example)").run()
    app.sidebar.multiselect(key="filter:7:v1:category:[r](https://evil.example)").set_value(["north"]).run()
    assert not app.exception
    assert_shown_as_text(app, name)
    assert_shown_as_text(app, "[r](https://evil.example) is north")


def test_compare_names_two_hostile_datasets_as_text(app, hostile):
    name, _ = hostile
    app.switch_page(COMPARE).run()
    app.segmented_control[0].set_value("Two datasets").run()
    assert not app.exception
    assert_shown_as_text(app, name)
    assert_shown_as_text(app, HOSTILE[5])
    labels = [readable(metric.label) for metric in app.metric[:2]]
    assert labels[0].endswith(name) and labels[1].endswith(HOSTILE[5]), labels


def test_a_dataset_that_cannot_be_loaded_is_named_as_text(app, hostile, store):
    (store / "acme" / "hostile.parquet").write_bytes(b"PAR1 not parquet PAR1")
    name, _ = hostile
    app.run()
    assert "cannot be shown" in app.error[0].value
    assert_shown_as_text(app, name)


def test_a_bare_url_in_a_column_name_is_not_a_link_in_messages(app, portal, store):
    write(store, "acme/dates.parquet", pl.DataFrame({"https://evil.example": [1, 2], "b": ["x", "y"]}))
    portal.payloads["acme"] = catalog_payload([dataset_entry("9", "Dates", "acme/dates.parquet")])
    app.switch_page(EXPLORE).run()
    app.segmented_control[0].set_value("Scatter").run()
    assert not app.exception
    assert_shown_as_text(app, "https://evil.example")
