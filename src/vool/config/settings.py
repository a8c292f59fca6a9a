"""Settings, read from the environment.

``DATABASE_URL``  database (default: SQLite file ``var/vool.sqlite3``)
``SECRET_KEY``    required when ``VOOL_ENV=production``; generated and kept in ``var/`` otherwise
``VOOL_ENV``      ``development`` (default) or ``production``
``VOOL_ALLOWED_HOSTS``  comma-separated host names for production
``VOOL_SCHEMAS_DIR``    the standard schemas folder (default ``../shared/schemas``)
``VOOL_TASK_BROKER``    a Celery broker URL (e.g. ``redis://127.0.0.1:6379/0``): bill-run chunks
                        go to Celery workers; unset = a local process pool
``VOOL_INVOICE_DUE_DAYS``  days from issue to due date (default 14)
``VOOL_DOCUMENTS_DIR``  rendered bill PDFs, content-addressed (default ``var/documents``)
``VOOL_SUPPLIER_NAME``, ``_IBAN``, ``_REGISTRY_CODE``, ... the supplier on bills when no
                        Supplier is active in the admin
``VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END`` (1), ``VOOL_READING_WINDOW_CLOSES_AFTER_DAY``
(3), ``VOOL_READING_PLAUSIBILITY_FACTOR`` (3), ``VOOL_READING_PLAUSIBILITY_MIN_KWH`` (10):
                        the monthly reading window and the plausibility check
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
_repo = PACKAGE_DIR.parent.parent
PROJECT_DIR = _repo if (_repo / "pyproject.toml").exists() else Path.cwd()
VAR_DIR = Path(os.environ.get("VOOL_VAR_DIR", PROJECT_DIR / "var"))

VOOL_ENV = os.environ.get("VOOL_ENV", "development")
PRODUCTION = VOOL_ENV == "production"
DEBUG = not PRODUCTION and os.environ.get("VOOL_DEBUG", "1") == "1"


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when VOOL_ENV=production.")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


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
    "vool.domain.customers",
    "vool.domain.supply",
    "vool.domain.metering",
    "vool.domain.tariffs",
    "vool.domain.contracts",
    "vool.domain.ledger",
    "vool.domain.billing",
    "vool.domain.documents",
    "vool.interfaces.web",
    "vool.interfaces.backoffice",
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
]

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

# Where the standard schemas (camt, UBL, e-arve, Schematron) live; tests validate against them.
VOOL_SCHEMAS_DIR = Path(
    os.environ.get("VOOL_SCHEMAS_DIR", PROJECT_DIR.parent / "shared" / "schemas")
)

# Billing and metering rules that a retailer sets (see the module docstring).
VOOL_TASK_BROKER = os.environ.get("VOOL_TASK_BROKER") or None
VOOL_INVOICE_DUE_DAYS = int(os.environ.get("VOOL_INVOICE_DUE_DAYS", "14"))
# Bill documents: where rendered PDFs are kept (content-addressed), and the supplier printed
# on bills when no Supplier is active in the admin.
VOOL_DOCUMENTS_DIR = Path(os.environ.get("VOOL_DOCUMENTS_DIR", VAR_DIR / "documents"))
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
VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END = int(
    os.environ.get("VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END", "1")
)
VOOL_READING_WINDOW_CLOSES_AFTER_DAY = int(
    os.environ.get("VOOL_READING_WINDOW_CLOSES_AFTER_DAY", "3")
)
VOOL_READING_PLAUSIBILITY_FACTOR = os.environ.get("VOOL_READING_PLAUSIBILITY_FACTOR", "3")
VOOL_READING_PLAUSIBILITY_MIN_KWH = os.environ.get("VOOL_READING_PLAUSIBILITY_MIN_KWH", "10")

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
