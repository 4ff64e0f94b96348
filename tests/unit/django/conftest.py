"""Fixtures for the portal's unit tests: partners, users, logged-in clients and a datasets folder."""
import importlib
import io

import pyarrow as pa
import pytest
from django.core.cache import cache
from django.test.client import RequestFactory
from django.utils import translation
from django_helpers import logged_in, make_user

import portal.settings
from datasets import child, ingest
from partners.models import Partner
from portal.settings_test import stand_ins


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Tests read English unless they ask for Korean: every test client's browser asks for English
    (a test sends its own Accept-Language to change that), and code run outside a request reads
    English too. PORTAL_LANGUAGE stays ko, as in production."""
    base_environ = RequestFactory._base_environ

    def english_environ(self, **request):
        return {"HTTP_ACCEPT_LANGUAGE": "en", **base_environ(self, **request)}

    monkeypatch.setattr(RequestFactory, "_base_environ", english_environ)
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def datasets_dir(settings, tmp_path):
    folder = tmp_path / "datasets"
    folder.mkdir()
    settings.DATASETS_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    """Where uploads spool, as the uploads volume is in the container."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


@pytest.fixture(autouse=True)
def reader_in_process(request, monkeypatch):
    """Uploads are read by the child's code in the test's own process: a process per upload would
    make the suite slow. Tests that ask for `real_child` get a real, bounded child process."""
    if "real_child" in request.fixturenames:
        return

    def run_here(text):
        answer = io.StringIO()
        child.serve(io.StringIO(text), answer)
        return 0, answer.getvalue(), ""

    monkeypatch.setattr(ingest, "_run_child", run_here)


@pytest.fixture
def real_child():
    """Each read of an upload runs in a child process, as in production."""


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme(db):
    return Partner.objects.create(slug="acme", name="Acme Korea")


@pytest.fixture
def globex(db):
    return Partner.objects.create(slug="globex", name="Globex")


@pytest.fixture
def alice(acme):
    return make_user("alice", acme)


@pytest.fixture
def bob(globex):
    return make_user("bob", globex)


@pytest.fixture
def staff(db):
    return make_user("stella", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(alice):
    return logged_in(alice)


@pytest.fixture
def bob_client(bob):
    return logged_in(bob)


@pytest.fixture
def staff_client(staff):
    return logged_in(staff)


@pytest.fixture
def sales_table():
    return pa.table({"region": ["서울", "부산"], "amount": [120, 75]})


@pytest.fixture
def reload_settings(monkeypatch):
    """Runs portal/settings.py afresh with these variables set and those in `unset` unset, the
    unit tests' stand-ins filling in for the rest when `with_stand_ins`; the test settings are
    back afterwards."""

    def reload(unset=(), with_stand_ins=False, **env):
        for name in unset:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if not with_stand_ins:
            return importlib.reload(portal.settings)
        with stand_ins():
            return importlib.reload(portal.settings)

    yield reload
    monkeypatch.undo()
    with stand_ins():
        importlib.reload(portal.settings)
