"""Fixtures for the portal's unit tests: partners, users, logged-in clients and a datasets folder."""
import pyarrow as pa
import pytest
from django.core.cache import cache
from django_helpers import logged_in, make_user

from partners.models import Partner


@pytest.fixture(autouse=True)
def datasets_dir(settings, tmp_path):
    folder = tmp_path / "datasets"
    folder.mkdir()
    settings.DATASETS_DIR = folder
    return folder


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
