"""Settings of the portal, all read from the environment here and nowhere else (12-factor).

compose.yaml passes the values from `.env`; the schema every service reads through
(envsettings) holds each setting's default and rule, and `.env.example` documents each one.
"""
import importlib.util
import tempfile
from pathlib import Path

import envsettings
from django.core.exceptions import ImproperlyConfigured
from envsettings import Flag


def setting(name, **given):
    """envsettings.read, with the error Django gives for settings."""
    try:
        return envsettings.read(name, **given)
    except envsettings.SettingError as error:
        raise ImproperlyConfigured(str(error)) from None


BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = setting("DJANGO_DEBUG", default="false", rule=Flag())

# The example value and an empty one are refused in production: a known key forges sessions.
SECRET_KEY = setting("DJANGO_SECRET_KEY", default="dev-only-insecure-key-never-for-partners" if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY.startswith("change-me")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is empty or the example value; ops/up generates one in .env")

# Streamlit's key to the internal API; an empty token never authenticates.
INTERNAL_API_TOKEN = setting("INTERNAL_API_TOKEN")
if not DEBUG and (not INTERNAL_API_TOKEN or INTERNAL_API_TOKEN.startswith("change-me")):
    raise ImproperlyConfigured("INTERNAL_API_TOKEN is empty or the example value; ops/up generates one in .env")

# localhost is always allowed: the container's own health probe asks for it.
ALLOWED_HOSTS = setting("DJANGO_ALLOWED_HOSTS") + ["localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "partners",
    "datasets",
    "monitoring",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Keeps the request for audit events recorded from model signals (audit.trail).
    "audit.trail.RequestMiddleware",
    # After the user is known: a language saved on the account comes first.
    "accounts.language.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: a session it ends leaves a word on the login page.
    "accounts.sessions.SessionLifetimeMiddleware",
    # After the sessions' end: a session that only passed the password goes to its code step.
    "accounts.second_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Development only (compose.dev.yaml installs it): the Debug Toolbar shows each request's queries
# and timings. Requests come through nginx from an address that changes, so it shows for all.
DEBUG_TOOLBAR = DEBUG and importlib.util.find_spec("debug_toolbar") is not None
if DEBUG_TOOLBAR:
    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": lambda request: True}

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partners.access.people_link",
            ],
            "builtins": ["portal.formats"],
        },
    },
]

# SQLite on the portal-data volume. WAL lets readers go on while one writer commits; IMMEDIATE
# takes the write lock at BEGIN so two Gunicorn workers never deadlock upgrading a read lock.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": setting("DJANGO_DB_PATH", default=str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        },
    }
}

# One cache on local disk shared by every Gunicorn worker and by management commands run in the
# container: an upload in one worker, or `deactivatepartner`, must reach all the others at once.
# A per-process memory cache cannot. Login attempts are not kept here: a cache cannot count them
# atomically across workers (accounts.lockout counts them in the database).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": setting("DJANGO_CACHE_DIR", default=str(Path(tempfile.gettempdir()) / "portal-cache")),
        "TIMEOUT": 3600,
        # The default of 300 entries would cull the per-user entries once a few hundred users are in.
        "OPTIONS": {"MAX_ENTRIES": 10000},
    }
}

# Sessions live in the database (the portal-data volume), so logins survive a restart; each
# carries the ticket the analytics check it by (accounts.sessions). Nothing writes the session on
# every request: /auth/check runs on each /app/ request and writes activity at most once a minute.
SESSION_ENGINE = "accounts.sessions"
SESSION_SAVE_EVERY_REQUEST = False
# A session ends this long after its last request, or after its sign-in, whichever comes first.
SESSION_IDLE_MINUTES = setting("SESSION_IDLE_MINUTES")
SESSION_MAX_HOURS = setting("SESSION_MAX_HOURS")
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Passwords checked per username and per client address within LOGIN_LOCKOUT_SECONDS; further
# attempts in that window are refused unchecked (accounts.lockout).
LOGIN_FAIL_LIMIT = setting("LOGIN_FAIL_LIMIT")
LOGIN_LOCKOUT_SECONDS = setting("LOGIN_LOCKOUT_SECONDS")

# Invitations and password resets are one-time links (accounts.links): Django's reset tokens,
# which stop working once the password is set with them, and expire after this long.
INVITE_LINK_HOURS = setting("INVITE_LINK_HOURS")
PASSWORD_RESET_TIMEOUT = INVITE_LINK_HOURS * 3600
# The portal's address as partners type it: links printed or mailed by the management commands,
# which have no request to take it from, start with it. Pages use the address the browser used.
PORTAL_URL = setting("PORTAL_URL").rstrip("/")
if PORTAL_URL and not PORTAL_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"PORTAL_URL needs a scheme, like https://portal.example.com, got {PORTAL_URL!r}")

# Mail goes out only when EMAIL_HOST is set: then invitations and reset links are also e-mailed,
# and the login page offers "Forgot your password?". Without it, a partner's admin hands links over.
EMAIL_HOST = setting("EMAIL_HOST")
EMAIL_ENABLED = bool(EMAIL_HOST)
EMAIL_PORT = setting("EMAIL_PORT")
EMAIL_HOST_USER = setting("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = setting("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = setting("EMAIL_USE_TLS")
# A mail server that does not answer must not hold a Gunicorn worker for long.
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = setting("DEFAULT_FROM_EMAIL")
if EMAIL_ENABLED and not DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured("EMAIL_HOST is set: set DEFAULT_FROM_EMAIL, the address mail comes from, too")

# The second factor (accounts.second_factor): staff always need one; a partner's people when
# their partner requires it, or everybody's when this is on.
PORTAL_REQUIRE_MFA = setting("PORTAL_REQUIRE_MFA")
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "Partner portal"
# Wrong codes count in the login lockout, atomically across workers; django-otp's own
# per-device delay would also refuse a right code after a typo, for no gain.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Audit events (audit.trail) older than this are removed.
AUDIT_RETENTION_DAYS = setting("AUDIT_RETENTION_DAYS")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Korean and English. A user's language is decided by accounts.language: the choice saved on the
# account, then the browser's, then PORTAL_LANGUAGE; the analytics learn it from Django.
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LANGUAGE_CODE = setting("PORTAL_LANGUAGE")
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Stored in UTC, shown in PORTAL_TIME_ZONE.
TIME_ZONE = setting("PORTAL_TIME_ZONE")
USE_TZ = True

STATIC_URL = "/static/"
# nginx serves this folder (the static volume) itself; Django only fills it at start.
STATIC_ROOT = setting("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed file names: nginx can let browsers keep static files for good.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Datasets are stored as Parquet under DATASETS_DIR/<partner slug>/; Streamlit mounts it read-only.
DATASETS_DIR = Path(setting("DATASETS_DIR", default="/datasets"))
UPLOAD_MAX_MB = setting("UPLOAD_MAX_MB")
# Every uploaded file streams to disk, into a folder on a volume of its own: never into a worker's
# memory, nor into /tmp, whose tmpfs counts against the container's memory limit. The ingest child
# reads it there by its path. Form fields beside a file are small; nginx refuses bodies over
# UPLOAD_MAX_MB first.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
FILE_UPLOAD_TEMP_DIR = setting("DJANGO_UPLOAD_DIR", default=tempfile.gettempdir())
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Bounds on every dataset, checked while a file is read (datasets.reading), in uploads and in
# importdataset; the analytics check stored files against the same variables.
DATASET_MAX_COLUMNS = setting("DATASET_MAX_COLUMNS")
DATASET_MAX_ROWS = setting("DATASET_MAX_ROWS")
DATASET_MAX_CELL_BYTES = setting("DATASET_MAX_CELL_BYTES")
DATASET_MAX_MEMORY_MB = setting("DATASET_MAX_MEMORY_MB")
# The memory of the child process that reads one upload (datasets.ingest; at most two at once).
DATASET_INGEST_MEMORY_MB = setting("DATASET_INGEST_MEMORY_MB")
# Earlier files of each dataset kept for download and restore when a new version replaces one
# (datasets.versions); 0 keeps none.
DATASET_VERSIONS_KEPT = setting("DATASET_VERSIONS_KEPT")

# The probes' load snapshots (a volume every container writes) and how often they come; the ops
# page and `recordload` read them. The probe reads the same variables with the same defaults.
PROBE_REPORT_DIR = Path(setting("PROBE_REPORT_DIR", default="/var/lib/portal-probe"))
PROBE_INTERVAL = setting("PROBE_INTERVAL")

# nginx is the only client; it sets X-Forwarded-Proto, so Django knows when the browser used TLS.
USE_X_FORWARDED_HOST = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# nginx may listen on a port other than 443, and then the browser's Origin names it: list such
# origins (scheme://host:port) or CSRF refuses every form post.
CSRF_TRUSTED_ORIGINS = setting("DJANGO_CSRF_TRUSTED_ORIGINS")
for origin in CSRF_TRUSTED_ORIGINS:
    if not origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"DJANGO_CSRF_TRUSTED_ORIGINS entries need a scheme, got {origin!r}")

# With TLS on, cookies never travel over plain HTTP and browsers are told to stay on HTTPS.
# HSTS applies to every port of the host, so plain HTTP on another port stops working for
# browsers that saw it: start short and lengthen once TLS is known to work.
TLS_ENABLED = setting("TLS_ENABLED", default="false", rule=Flag())
SESSION_COOKIE_SECURE = TLS_ENABLED
CSRF_COOKIE_SECURE = TLS_ENABLED
SECURE_HSTS_SECONDS = setting("DJANGO_HSTS_SECONDS") if TLS_ENABLED else 0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # Every 401 and 403 of /auth/check would be a warning line; nginx's access log has them all.
    "loggers": {"django.request": {"level": "ERROR"}},
}
