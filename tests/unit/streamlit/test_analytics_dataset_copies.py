"""A replica's own copies of the datasets it shows: fetched from the portal's internal API by
version (the file's sha256), checked before they are used, one copy per dataset version."""
from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from analytics import datasets, portal_api, settings
from analytics.settings import DatasetLimits
from analytics_support import TOKEN, sales_frame, write

LIMITS = DatasetLimits()


@pytest.fixture
def portal(tmp_path, monkeypatch):
    """A stand-in for the portal's internal API: serves `files` ({url path: bytes})."""
    files = {}
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PORTAL_INTERNAL_URL", f"http://127.0.0.1:{server.server_address[1]}")
    settings.get.cache_clear()
    yield files, seen
    server.shutdown()


def parquet_bytes(tmp_path):
    return write(tmp_path / "source", "acme/sales.parquet", sales_frame()).read_bytes()


def test_a_missing_copy_is_fetched_by_version_and_then_read(store, portal, tmp_path):
    files, seen = portal
    content = parquet_bytes(tmp_path)
    version = hashlib.sha256(content).hexdigest()
    files[f"/internal/partners/acme/datasets/{version}"] = content
    config = settings.get()

    def fetch(target):
        portal_api.fetch_dataset_file("acme", version, target, config)

    loaded = datasets.load(store, "acme", "acme/new.parquet", version, LIMITS, fetch)
    assert loaded.profile.rows == sales_frame().height
    assert (store / "acme/new.parquet").read_bytes() == content
    assert seen == [(f"/internal/partners/acme/datasets/{version}", f"Bearer {TOKEN}")]


def test_a_copy_that_does_not_match_its_version_is_never_kept(store, portal, tmp_path):
    files, _ = portal
    version = "0" * 64
    files[f"/internal/partners/acme/datasets/{version}"] = parquet_bytes(tmp_path)
    config = settings.get()
    with pytest.raises(OSError, match="checksum"):
        portal_api.fetch_dataset_file("acme", version, store / "acme/x.parquet", config)
    assert not list((store / "acme").iterdir())


def test_a_failed_fetch_reads_as_a_missing_file(store, portal):
    def fetch(target):
        raise portal_api.PortalUnavailable("down")

    with pytest.raises(datasets.DatasetError, match="missing"):
        datasets.load(store, "acme", "acme/gone.parquet", "v9", LIMITS, fetch)


def test_copies_the_catalog_no_longer_names_go(store):
    old = write(store, "acme/old.parquet", sales_frame())
    new = write(store, "acme/new.parquet", sales_frame())
    datasets.keep_only(store, "acme", {"acme/new.parquet"})
    assert new.exists() and not old.exists()
