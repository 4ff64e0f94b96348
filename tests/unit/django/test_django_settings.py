"""Production settings: what they refuse to start with, and what TLS turns on."""
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings_test import STAND_INS

GOOD = {"DJANGO_SECRET_KEY": "k" * 50, "INTERNAL_API_TOKEN": "t" * 40, "DJANGO_DEBUG": "false"}
NAMES = [
    "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "INTERNAL_API_TOKEN", "TLS_ENABLED", "DJANGO_HSTS_SECONDS",
    "DJANGO_CSRF_TRUSTED_ORIGINS", "UPLOAD_MAX_MB", "LOGIN_FAIL_LIMIT", "LOGIN_LOCKOUT_SECONDS", "DATASETS_DIR",
    "DATASET_MAX_COLUMNS", "DATASET_MAX_ROWS", "DATASET_MAX_CELL_BYTES", "DATASET_MAX_MEMORY_MB",
    "DATASET_INGEST_MEMORY_MB", "DJANGO_UPLOAD_DIR",
]


@pytest.fixture
def load(reload_settings):
    """Runs portal/settings.py afresh with exactly these variables set (of those it reads here)."""
    return lambda **env: reload_settings(unset=NAMES, **env)


def test_good_production_settings_load_with_their_defaults(load):
    settings = load(**GOOD)

    assert not settings.DEBUG
    assert (settings.UPLOAD_MAX_MB, settings.LOGIN_FAIL_LIMIT, settings.LOGIN_LOCKOUT_SECONDS) == (50, 5, 300)
    assert str(settings.DATASETS_DIR) == "/datasets"
    assert settings.CSRF_TRUSTED_ORIGINS == []
    assert not settings.SESSION_COOKIE_SECURE and settings.SECURE_HSTS_SECONDS == 0
    assert settings.SESSION_ENGINE == "accounts.sessions"
    assert (settings.SESSION_IDLE_MINUTES, settings.SESSION_MAX_HOURS) == (60, 12)
    assert not settings.SESSION_SAVE_EVERY_REQUEST


@pytest.mark.parametrize("key", ["", "change-me", "change-me-to-something"])
def test_an_empty_or_example_secret_key_stops_production(load, key):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        load(**{**GOOD, "DJANGO_SECRET_KEY": key})


@pytest.mark.parametrize("token", ["", "change-me"])
def test_a_missing_or_example_api_token_stops_production(load, token):
    with pytest.raises(ImproperlyConfigured, match="INTERNAL_API_TOKEN"):
        load(**{**GOOD, "INTERNAL_API_TOKEN": token})


def test_debug_runs_without_secrets(load):
    settings = load(DJANGO_DEBUG="true")

    assert settings.DEBUG and settings.SECRET_KEY and settings.INTERNAL_API_TOKEN == ""


def test_tls_turns_on_secure_cookies_and_hsts(load):
    settings = load(**GOOD, TLS_ENABLED="true", DJANGO_HSTS_SECONDS="31536000")

    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS == 31536000


def test_csrf_trusted_origins_come_from_the_environment(load):
    settings = load(**GOOD, DJANGO_CSRF_TRUSTED_ORIGINS="https://portal.example:8443, http://localhost:8080")

    assert settings.CSRF_TRUSTED_ORIGINS == ["https://portal.example:8443", "http://localhost:8080"]


@pytest.mark.parametrize(
    "name, value",
    [
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "portal.example"),
        ("UPLOAD_MAX_MB", "lots"),
        ("UPLOAD_MAX_MB", "0"),
        ("LOGIN_FAIL_LIMIT", "0"),
        ("LOGIN_LOCKOUT_SECONDS", "5m"),
        ("TLS_ENABLED", "maybe"),
        ("DATASET_MAX_COLUMNS", "0"),
        ("DATASET_MAX_ROWS", "many"),
        ("DATASET_MAX_CELL_BYTES", "64k"),
        ("DATASET_MAX_MEMORY_MB", "-1"),
        ("DATASET_INGEST_MEMORY_MB", "32"),
    ],
)
def test_a_malformed_value_stops_the_start_and_names_the_variable(load, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load(**GOOD, **{name: value})


def test_dataset_limits_have_defaults_and_come_from_the_environment(load):
    defaults = load(**GOOD)
    assert (defaults.DATASET_MAX_COLUMNS, defaults.DATASET_MAX_ROWS, defaults.DATASET_MAX_CELL_BYTES,
            defaults.DATASET_MAX_MEMORY_MB, defaults.DATASET_INGEST_MEMORY_MB) == (500, 5_000_000, 65536, 128, 320)

    chosen = load(**GOOD, DATASET_MAX_COLUMNS="10", DATASET_MAX_MEMORY_MB="64", DJANGO_UPLOAD_DIR="/uploads")
    assert (chosen.DATASET_MAX_COLUMNS, chosen.DATASET_MAX_MEMORY_MB, chosen.FILE_UPLOAD_TEMP_DIR) == (10, 64, "/uploads")


def test_the_unit_tests_stand_ins_are_not_left_in_the_environment():
    # pytest-django loads portal.settings_test for stack tests too; `docker compose` run by them
    # would prefer a stand-in left in the environment to the stack's own .env.
    leaked = [name for name, value in STAND_INS.items() if os.environ.get(name) == value]
    assert not leaked
