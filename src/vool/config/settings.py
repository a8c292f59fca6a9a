"""Settings, read from the environment.

``DATABASE_URL``  database (default: SQLite file ``var/vool.sqlite3``)
``SECRET_KEY``    required when ``VOOL_ENV=production``; generated and kept in ``var/`` otherwise
``VOOL_ENV``      ``development`` (default) or ``production``, in any letter case; anything else
                  stops with an error (a misspelt ``Prod`` must not run with ``DEBUG`` on)
``VOOL_ALLOWED_HOSTS``  comma-separated host names for production
``VOOL_SCHEMAS_DIR``    the standard schemas folder (default ``../shared/schemas``, or the nearest
                        ``shared/schemas`` above the project)
``VOOL_TASK_BROKER``    a Celery broker URL (e.g. ``redis://127.0.0.1:6379/0``): bill-run chunks
                        go to Celery workers; unset = a local process pool
``VOOL_TASK_RESULT_BACKEND``  where Celery keeps the render chunks' outcomes (default: the
                        broker when it is Redis, else ``rpc://``)
``VOOL_INVOICE_DUE_DAYS``  days from issue to due date (default 14)
``VOOL_BACKOFFICE_CREDIT_LIMIT``  the largest invoice (gross EUR) crediting without a supervisor
                        (default 200.00)
``VOOL_LOGIN_FAILURE_LIMIT`` (5), ``VOOL_LOGIN_COOLOFF_MINUTES`` (15): sign-in throttling
                        (see AXES_* below)
``VOOL_PORTAL_SESSION_MINUTES`` (30): a portal session ends this long after its last change
``VOOL_CACHE_URL``  a cache shared by every server process (``redis://127.0.0.1:6379/1``):
                        sessions are then read from it and written to it and the database
                        (``cached_db``); unset = a memory cache per process, sessions in the
                        database only
``VOOL_DOCUMENTS_DIR``  rendered bill PDFs, content-addressed (default ``var/documents``)
``VOOL_DOCUMENTS_S3_BUCKET``  keep the rendered PDFs in this S3-compatible bucket instead
                        (``VOOL_DOCUMENTS_S3_ENDPOINT_URL``, ``_REGION``, ``_PREFIX``; keys from
                        ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``)
``VOOL_CASE_ATTACHMENTS_DIR`` (``var/case-attachments``), ``VOOL_CASE_ATTACHMENT_MAX_BYTES``
(5 MiB): files attached to customer requests
``VOOL_SUPPLIER_NAME``, ``_IBAN``, ``_REGISTRY_CODE``, ... the supplier on bills when no
                        Supplier is active in the admin
``VOOL_SMTP_HOST`` (localhost), ``VOOL_SMTP_PORT`` (25), ``VOOL_SMTP_USER``,
``VOOL_SMTP_PASSWORD``, ``VOOL_SMTP_TLS`` (1 = STARTTLS), ``VOOL_MAIL_FROM``: the SMTP server
                        and sender address bills are e-mailed with (``vool invoices deliver``)
``VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END``, ``VOOL_READING_WINDOW_CLOSES_AFTER_DAY``
(default: ``metering.window.DEFAULT_WINDOW``), ``VOOL_READING_PLAUSIBILITY_FACTOR`` (3),
``VOOL_READING_PLAUSIBILITY_MIN_KWH`` (10):
                        the monthly reading window and the plausibility check
``VOOL_BILL_GUARD_MAX_LINE_KWH`` (100000), ``VOOL_BILL_GUARD_MAX_LINE_AMOUNT`` (20000 EUR),
``VOOL_BILL_GUARD_HISTORY_FACTOR`` (5), ``VOOL_BILL_GUARD_HISTORY_FLOOR_AMOUNT`` (200 EUR):
                        the bill run's plausibility guard (``billing.guard``)
``VOOL_IMPORT_MAX_FILE_BYTES`` (512 MiB), ``VOOL_IMPORT_MAX_FIELD_CHARS`` (4096),
``VOOL_IMPORT_MAX_JSON_DEPTH`` (32): what an importer accepts (docs/security.md)
``VOOL_PAYMENT_ALLOCATION_RULE``  which open invoices a bank payment pays: ``OLDEST_FIRST``
                        (default) or ``EXACT_AMOUNT_FIRST``
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from vool.domain.metering.window import DEFAULT_WINDOW

PACKAGE_DIR = Path(__file__).resolve().parent.parent
_repo = PACKAGE_DIR.parent.parent
PROJECT_DIR = _repo if (_repo / "pyproject.toml").exists() else Path.cwd()
VAR_DIR = Path(os.environ.get("VOOL_VAR_DIR", PROJECT_DIR / "var"))

VOOL_ENVIRONMENTS = ("development", "production")


def parse_vool_env(value: str | None) -> str:
    """``VOOL_ENV`` as one of :data:`VOOL_ENVIRONMENTS` (letter case and spaces ignored);
    unset means development; any other value is refused."""
    name = (value if value is not None else "development").strip().lower()
    if name not in VOOL_ENVIRONMENTS:
        raise ImproperlyConfigured(
            f"VOOL_ENV={value!r} is not known; use one of: {', '.join(VOOL_ENVIRONMENTS)}."
        )
    return name


VOOL_ENV = parse_vool_env(os.environ.get("VOOL_ENV"))
PRODUCTION = VOOL_ENV == "production"
DEBUG = not PRODUCTION and os.environ.get("VOOL_DEBUG", "1") == "1"


def local_secret_key(var_dir: Path) -> str:
    """The development key kept in ``var_dir/secret_key``: created readable by its owner only
    (0600), and an existing file with wider rights is tightened to 0600."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    else:
        with os.fdopen(fd, "w") as new_file:
            new_file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when VOOL_ENV=production.")
    return local_secret_key(VAR_DIR)


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "VOOL_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
    ).split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "vool.domain.audit",
    "vool.domain.customers",
    "vool.domain.supply",
    "vool.domain.metering",
    "vool.domain.tariffs",
    "vool.domain.contracts",
    "vool.domain.ledger",
    "vool.domain.billing",
    "vool.domain.hub",
    "vool.usecases.demo",
    "vool.domain.integrity",
    "vool.domain.receivables",
    "vool.domain.legacy",
    "vool.domain.documents",
    "vool.domain.cases",
    "vool.interfaces.web",
    "vool.interfaces.backoffice",
    "vool.interfaces.portal",
    "vool.interfaces.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out sign-in
    # the service freeze: the portal read-only (a view hook; it never answers a sign-in)
    "vool.interfaces.portal.freeze.PortalFreezeMiddleware",
    "vool.interfaces.backoffice.freeze.AdminFreezeMiddleware",
]

# Sign-in throttling (django-axes) for every sign-in form: the admin's, which the back office
# uses too. After VOOL_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address,
# that pair is refused (HTTP 429) for VOOL_LOGIN_COOLOFF_MINUTES, even with the right password;
# a successful sign-in clears the count. Failed attempts are kept in the database (one count
# across all server processes). The address is REMOTE_ADDR: behind a reverse proxy that is
# the proxy's, so the count is then in effect per user name.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("VOOL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("VOOL_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

ROOT_URLCONF = "vool.config.urls"
WSGI_APPLICATION = "vool.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'vool.sqlite3'}"),
        conn_max_age=int(os.environ.get("VOOL_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    DATABASES["default"].setdefault("TEST", {})
    if os.environ.get("VOOL_SQLITE_TEST_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = os.environ["VOOL_SQLITE_TEST_NAME"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords are hashed with Argon2id; hashes made before with the others still verify (and are
# re-hashed with Argon2 at the next sign-in).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# The portal's sign-in (the admin and the back office have the admin's); a portal session
# ends VOOL_PORTAL_SESSION_MINUTES after its last change.
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:overview"
VOOL_PORTAL_SESSION_MINUTES = int(os.environ.get("VOOL_PORTAL_SESSION_MINUTES", "30"))


def cache_settings(url: str) -> tuple[dict[str, dict[str, str]], str]:
    """``CACHES`` and ``SESSION_ENGINE`` for ``VOOL_CACHE_URL``. A shared cache (Redis) takes
    the session read off the database on every request (``cached_db``: still written to the
    database, so emptying the cache signs nobody out). A memory cache is per process: sessions
    must not be kept in it (a sign-out in one gunicorn worker would not end the copy in the
    others), so without a URL they stay in the database only."""
    if not url:
        return (
            {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            "django.contrib.sessions.backends.db",
        )
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"VOOL_CACHE_URL={url!r} is not a Redis URL (redis://, rediss:// or unix://)."
        )
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "vool",
    }
    return {"default": redis}, "django.contrib.sessions.backends.cached_db"


CACHES, SESSION_ENGINE = cache_settings(os.environ.get("VOOL_CACHE_URL", ""))

# OpenID Connect sign-in to the portal through a national eID broker (issue 13 §1), off by
# default: VOOL_OIDC_ENABLED=1 and the broker's issuer, endpoints and this client's id/secret.
VOOL_OIDC_ENABLED = os.environ.get("VOOL_OIDC_ENABLED", "0") == "1"
OIDC_OP_ISSUER = os.environ.get("VOOL_OIDC_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("VOOL_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("VOOL_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("VOOL_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("VOOL_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_CLIENT_ID = os.environ.get("VOOL_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("VOOL_OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = os.environ.get("VOOL_OIDC_SCOPES", "openid")
OIDC_CREATE_USER = False  # only people who have a portal user sign in
OIDC_AUTHENTICATION_CALLBACK_URL = "portal:oidc_callback"
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/portal/login/"
if VOOL_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("vool.interfaces.portal.oidc.PortalOIDCBackend")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "et"
LANGUAGES = [("et", _("Estonian")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Tallinn"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"


def _default_schemas_dir() -> Path:
    """``../shared/schemas`` beside the project; from a git worktree or a clone one level
    deeper, the nearest ``shared/schemas`` above the project."""
    for folder in PROJECT_DIR.parents:
        if (folder / "shared" / "schemas").is_dir():
            return folder / "shared" / "schemas"
    return PROJECT_DIR.parent / "shared" / "schemas"


# Where the standard schemas (camt, UBL, e-arve, Schematron) live; tests validate against them.
VOOL_SCHEMAS_DIR = Path(os.environ.get("VOOL_SCHEMAS_DIR") or _default_schemas_dir())

# Billing and metering rules that a retailer sets (see the module docstring).
VOOL_TASK_BROKER = os.environ.get("VOOL_TASK_BROKER") or None
VOOL_INVOICE_DUE_DAYS = int(os.environ.get("VOOL_INVOICE_DUE_DAYS", "14"))
# The largest invoice (gross EUR) a back-office user may credit without the supervisor
# permission audit.credit_above_limit.
VOOL_BACKOFFICE_CREDIT_LIMIT = Decimal(os.environ.get("VOOL_BACKOFFICE_CREDIT_LIMIT", "200.00"))
# Bill documents: where rendered PDFs are kept (content-addressed), and the supplier printed
# on bills when no Supplier is active in the admin.
VOOL_DOCUMENTS_DIR = Path(os.environ.get("VOOL_DOCUMENTS_DIR", VAR_DIR / "documents"))
# Or an S3-compatible bucket for the rendered PDFs (credentials from the usual
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); print files stay in VOOL_DOCUMENTS_DIR/print.
VOOL_DOCUMENTS_S3_BUCKET = os.environ.get("VOOL_DOCUMENTS_S3_BUCKET", "")
if VOOL_DOCUMENTS_S3_BUCKET:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": VOOL_DOCUMENTS_S3_BUCKET,
                "endpoint_url": os.environ.get("VOOL_DOCUMENTS_S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("VOOL_DOCUMENTS_S3_REGION") or None,
                "location": os.environ.get("VOOL_DOCUMENTS_S3_PREFIX", ""),
                "file_overwrite": True,  # content-addressed: the same name is the same bytes
                "default_acl": None,
                "querystring_auth": True,
            },
        },
    }

# Files attached to customer requests, content-addressed, and the largest one accepted.
VOOL_CASE_ATTACHMENTS_DIR = Path(
    os.environ.get("VOOL_CASE_ATTACHMENTS_DIR", VAR_DIR / "case-attachments")
)
VOOL_CASE_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("VOOL_CASE_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024))
)
VOOL_SUPPLIER = {
    "name": os.environ.get("VOOL_SUPPLIER_NAME", ""),
    "street_address": os.environ.get("VOOL_SUPPLIER_STREET_ADDRESS", ""),
    "city": os.environ.get("VOOL_SUPPLIER_CITY", ""),
    "postal_code": os.environ.get("VOOL_SUPPLIER_POSTAL_CODE", ""),
    "country": os.environ.get("VOOL_SUPPLIER_COUNTRY", "EE"),
    "registry_code": os.environ.get("VOOL_SUPPLIER_REGISTRY_CODE", ""),
    "vat_number": os.environ.get("VOOL_SUPPLIER_VAT_NUMBER", ""),
    "iban": os.environ.get("VOOL_SUPPLIER_IBAN", ""),
    "bic": os.environ.get("VOOL_SUPPLIER_BIC", ""),
    "bank_name": os.environ.get("VOOL_SUPPLIER_BANK_NAME", ""),
    "email": os.environ.get("VOOL_SUPPLIER_EMAIL", ""),
    "phone": os.environ.get("VOOL_SUPPLIER_PHONE", ""),
    "website": os.environ.get("VOOL_SUPPLIER_WEBSITE", ""),
}
# E-mailed bills (``vool invoices deliver``): Django's SMTP backend, configured from here.
EMAIL_HOST = os.environ.get("VOOL_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("VOOL_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("VOOL_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("VOOL_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("VOOL_SMTP_TLS", "0") == "1"
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("VOOL_MAIL_FROM", "arved@localhost")
VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END = int(
    os.environ.get(
        "VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END",
        DEFAULT_WINDOW.opens_days_before_month_end,
    )
)
VOOL_READING_WINDOW_CLOSES_AFTER_DAY = int(
    os.environ.get("VOOL_READING_WINDOW_CLOSES_AFTER_DAY", DEFAULT_WINDOW.closes_after_day)
)
VOOL_READING_PLAUSIBILITY_FACTOR = os.environ.get("VOOL_READING_PLAUSIBILITY_FACTOR", "3")
VOOL_READING_PLAUSIBILITY_MIN_KWH = os.environ.get("VOOL_READING_PLAUSIBILITY_MIN_KWH", "10")
VOOL_BILL_GUARD_MAX_LINE_KWH = os.environ.get("VOOL_BILL_GUARD_MAX_LINE_KWH", "100000")
VOOL_BILL_GUARD_MAX_LINE_AMOUNT = os.environ.get("VOOL_BILL_GUARD_MAX_LINE_AMOUNT", "20000")
VOOL_BILL_GUARD_HISTORY_FACTOR = os.environ.get("VOOL_BILL_GUARD_HISTORY_FACTOR", "5")
VOOL_BILL_GUARD_HISTORY_FLOOR_AMOUNT = os.environ.get("VOOL_BILL_GUARD_HISTORY_FLOOR_AMOUNT", "200")
# What an importer accepts (vool.usecases.input_limits): file size, field length, JSON depth
VOOL_IMPORT_MAX_FILE_BYTES = int(os.environ.get("VOOL_IMPORT_MAX_FILE_BYTES", str(512 * 2**20)))
VOOL_IMPORT_MAX_FIELD_CHARS = int(os.environ.get("VOOL_IMPORT_MAX_FIELD_CHARS", "4096"))
VOOL_IMPORT_MAX_JSON_DEPTH = int(os.environ.get("VOOL_IMPORT_MAX_JSON_DEPTH", "32"))
# Which open invoices a bank payment pays: OLDEST_FIRST or EXACT_AMOUNT_FIRST.
VOOL_PAYMENT_ALLOCATION_RULE = os.environ.get("VOOL_PAYMENT_ALLOCATION_RULE", "OLDEST_FIRST")
# SEPA direct debit (``vool bank direct-debit``, pain.008.001.02): the creditor identifier the
# retailer's bank issued (e.g. EE..ZZZ + registry code); the creditor's name, IBAN and BIC are
# the supplier's (VOOL_SUPPLIER_NAME, _IBAN, _BIC).
VOOL_SEPA_CREDITOR_ID = os.environ.get("VOOL_SEPA_CREDITOR_ID", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VOOL_LOG_LEVEL", "WARNING")},
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("VOOL_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# The data hub (Estfeed Datahub, vool.usecases.datahub): off by default.
VOOL_DATAHUB_ENABLED = os.environ.get("VOOL_DATAHUB_ENABLED", "0") == "1"
VOOL_DATAHUB_BASE_URL = os.environ.get("VOOL_DATAHUB_BASE_URL", "https://datahub.elering.ee")
VOOL_DATAHUB_TOKEN_URL = os.environ.get(
    "VOOL_DATAHUB_TOKEN_URL",
    "https://kc.elering.ee/realms/elering-sso/protocol/openid-connect/token",
)
VOOL_DATAHUB_CLIENT_ID = os.environ.get("VOOL_DATAHUB_CLIENT_ID", "")
VOOL_DATAHUB_CLIENT_SECRET = os.environ.get("VOOL_DATAHUB_CLIENT_SECRET", "")
VOOL_DATAHUB_API_VERSION = os.environ.get("VOOL_DATAHUB_API_VERSION", "v2")
# 1: a page of several METERING_DATA entries is imported overlapped (the next entry parsed in
# a forked process while this one is stored; usecases.import_intervals.import_interval_pages).
# Off by default: slower in wall time on the shared 2-core machine (benchmarks/RESULTS.md, h49).
VOOL_DATAHUB_OVERLAP = os.environ.get("VOOL_DATAHUB_OVERLAP", "0") == "1"
# The hub's metering-point data carry no main fuse: a point created from it gets this one
# until the grid contract says otherwise (the import's capacity check uses it).
VOOL_DATAHUB_DEFAULT_MAIN_FUSE_A = int(os.environ.get("VOOL_DATAHUB_DEFAULT_MAIN_FUSE_A", "25"))
