"""Settings for the unit tests: safe stand-ins for what compose passes, then the real settings.

The stand-ins are in the environment only while the real settings read it. pytest-django loads
these settings for every pytest run, stack tests included, and a stand-in left in the environment
reaches every process a test starts: `docker compose` prefers it to the stack's .env, so a stack
test running ops/up would restart the stack with this public secret key and token.
"""
import contextlib
import os
import tempfile

STAND_INS = {
    "DJANGO_SECRET_KEY": "unit-tests-only-not-a-secret-at-all",
    "DJANGO_DEBUG": "false",
    "INTERNAL_API_TOKEN": "unit-tests-internal-token-not-a-secret",
    # Each test points DATASETS_DIR at a folder of its own; this only keeps stray writes out of the repository.
    "DATASETS_DIR": os.path.join(tempfile.gettempdir(), "portal-test-datasets"),
}


@contextlib.contextmanager
def stand_ins():
    """The stand-ins in the environment (where it has no value of its own), for reading settings."""
    added = {name: value for name, value in STAND_INS.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


with stand_ins():
    from .settings import *  # noqa: E402,F403

# The test database in a file, as in production: SQLite's in-memory one has table locks that fail
# at once, and threads standing for Gunicorn's workers must queue for the write lock (accounts.lockout).
# One file per test run: several runs may share this machine.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": os.path.join(tempfile.gettempdir(), f"portal-unit-tests-{os.getpid()}.sqlite3"),
}

# Each test starts from an empty cache of its own (tests clear it); no files to share.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}

# Hashing passwords the production way would be most of the run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Templates link static files by plain name; no collectstatic before the tests.
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
