"""What the portal's dataset versions mean to a session already open on a dataset: when the
partner restores an earlier version and renames the dataset, the next rerun (once the catalog's
few seconds of caching are over) shows the restored file's data under the new name, still on the
dataset the partner chose."""
import time

from analytics import portal_api
from analytics_support import catalog_payload, dataset_entry, sales_frame, write


def test_a_restored_version_and_a_new_name_reach_an_open_session_at_its_next_rerun(app, portal, store, monkeypatch):
    write(store, "acme/first.parquet", sales_frame())
    write(store, "acme/second.parquet", sales_frame().head(10))
    other = dataset_entry("2", "Other", "acme/sales-b.parquet")
    portal.payloads["acme"] = catalog_payload([other, dataset_entry("1", "Sales", "acme/second.parquet", "sha-2")])
    app.run()
    app.sidebar.selectbox(key="dataset").select("1").run()
    assert (app.title[0].value, app.metric[0].value) == ("Sales", "10")

    # Version 1 restored, then the dataset renamed: the catalog names the older file and its checksum.
    restored = dataset_entry("1", "Sales 2024", "acme/first.parquet", "sha-1")
    portal.payloads["acme"] = catalog_payload([other, restored])
    later = time.monotonic() + portal_api.CACHE_SECONDS
    monkeypatch.setattr(portal_api, "_clock", lambda: later)
    app.run()

    assert not app.exception
    assert app.sidebar.selectbox(key="dataset").value == "1"
    assert (app.title[0].value, app.metric[0].value) == ("Sales 2024", "60")
