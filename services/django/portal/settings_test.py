"""Settings for the unit tests: safe stand-ins for what compose passes, then the real settings."""
import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "unit-tests-only-not-a-secret")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("INTERNAL_API_TOKEN", "unit-tests-internal-token")
# Each test points DATASETS_DIR at a folder of its own; this only keeps stray writes out of the repository.
os.environ.setdefault("DATASETS_DIR", os.path.join(tempfile.gettempdir(), "portal-test-datasets"))

from .settings import *  # noqa: E402,F403

# Each test starts from an empty cache of its own (tests clear it); no files to share.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}

# Hashing passwords the production way would be most of the run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Templates link static files by plain name; no collectstatic before the tests.
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
