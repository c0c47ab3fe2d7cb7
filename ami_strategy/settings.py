"""Settings for the Ami Town strategy KPI review, read from the environment.

A fresh checkout runs on SQLite with DEBUG on; production sets DEBUG=0 and must then
supply a real SECRET_KEY and ALLOWED_HOSTS, or the app refuses to start.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "development-only-not-secret"


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "1")
SECRET_KEY = os.getenv("SECRET_KEY", DEVELOPMENT_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY must be set to a long random value when DEBUG is off.")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY is too short (at least 32 characters) when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list this site's host names when DEBUG is off.")

# Publish the dashboards without login; anonymous visitors then see approved figures only.
PUBLIC_DASHBOARDS = envbool("PUBLIC_DASHBOARDS", "0")
# Public pages drawn for an anonymous visitor are kept until the data version changes (kpis/page_cache.py).
# Every key holds the data version read from the database, so a kept page is never served after a change,
# also with several app servers each keeping its own copies ("pages" below, in each process's memory).
PAGE_CACHE = envbool("PAGE_CACHE", "1")
# Meeting packs (会議資料, PDF) are made once in a background thread and kept in the database
# (reports/pack/builds.py). The request that asks first waits this long for its pack before it answers with
# a page that asks again until the pack is ready. A build says it is alive every 20 s; one not heard of
# for the stale limit belonged to a server that stopped, and is started again by the next request. Keep the
# wait under the app server's own request timeout (gunicorn: 30 s).
PACK_BUILD_IN_BACKGROUND = envbool("PACK_BUILD_IN_BACKGROUND", "1")
PACK_BUILD_WAIT_SECONDS = float(os.getenv("PACK_BUILD_WAIT_SECONDS", "10"))
PACK_BUILD_STALE_MINUTES = float(os.getenv("PACK_BUILD_STALE_MINUTES", "2"))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": 24 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_tables2",
    "django_filters",
    "simple_history",
    "csp",
    "axes",
    "goals",
    "accounts",
    "kpis",
    "reviews",
    "reports",
    "office",
    "maintenance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # /plans/<code>/… shows another loaded plan than the current one (accounts/strategy.py).
    "accounts.strategy.PlanPrefix",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After LocaleMiddleware: negatives shown as 「△3」 in the Japanese interface when the strategy says so.
    "kpis.display.negative_numbers",
    # The dashboards and the API answer 304 while nothing changed since the browser's copy (an ETag).
    "kpis.versioning.ConditionalPages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ami_strategy.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.strategy",
                "accounts.context_processors.roles",
            ],
            # Template filters that show figures and fiscal years, and the {% scrollbox %} for wide tables;
            # lib/ is a plain package, not an app.
            "libraries": {"figures": "lib.templatetags.figures", "layout": "lib.templatetags.layout"},
        },
    },
]

WSGI_APPLICATION = "ami_strategy.wsgi.application"

# Forms draw their fields with templates/includes/field.html (and form.html); see lib/forms.py.
FORM_RENDERER = "lib.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.getenv("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several people save at once: WAL lets readers go on while one writes, a writer waits up to 20 s for
    # the lock instead of failing with "database is locked", and IMMEDIATE takes the write lock when a
    # transaction begins, so two transactions never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The app's queries are short reads by key; PostgreSQL's JIT compiler, which starts when a plan's cost
    # estimate is high (as a large plan's are), spent longer compiling them than running them (12 ms of 13
    # for the plan years with figures, at 100 times the real plan).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackendWithoutDemo",
]
# Repeated failed logins: 5 tries per user name and address, then locked for 30 minutes.
AXES_FAILURE_LIMIT = int(os.getenv("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.getenv("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "dashboards:home"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("英語"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# Absolute: a relative STATIC_URL would take the script prefix, which carries /plans/<code>/ on another plan's
# pages (accounts.strategy.PlanPrefix).
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SESSION_COOKIE_AGE = int(os.getenv("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if envbool("HTTPS", "0"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.getenv("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "0")
# The HSTS preload list is for public internet host names; an LGWAN host cannot be submitted to it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content Security Policy: everything from this site only; no inline script or style, no outside host.
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # plotly.js adds one EMPTY <style> element and fills it through the CSSOM: allow exactly that
        # (the SHA-256 of the empty string), nothing else inline.
        "style-src": [SELF, "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if envbool("CSP_REPORT_ONLY", "0"):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# Uploaded figures files (CSV / xlsx) are small; anything bigger is refused before parsing.
MAX_UPLOAD_BYTES = int(os.getenv("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# Error pages (templates/400.html … 500.html): see lib/error_pages.py and the handlers in ami_strategy/urls.py.
CSRF_FAILURE_VIEW = "lib.error_pages.csrf_failure"

# The server's log: import audit lines (ami_strategy.imports), refused access (ami_strategy.access), Django's
# security events, failed and locked-out logins (axes) and server errors with their traceback. They go to
# standard error, which gunicorn under systemd sends to the journal; LOG_FILE also writes them to a file,
# reopened when logrotate moves it (safe with several gunicorn workers). See docs/operations.md.
LOG_FILE = os.getenv("LOG_FILE", "")
LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO").upper()
_LOG_HANDLERS = ["console", "file"] if LOG_FILE else ["console"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},  # standard error
        **(
            {
                "file": {
                    "class": "logging.handlers.WatchedFileHandler",
                    "filename": LOG_FILE,
                    "encoding": "utf-8",
                    "formatter": "plain",
                }
            }
            if LOG_FILE
            else {}
        ),
    },
    # The root logger has no handler, so the app's loggers may propagate (tests read them there); Django's
    # stop here, or its own console handler would print them twice under DEBUG.
    "loggers": {
        # ami_strategy.imports and ami_strategy.access (and any later ami_strategy.* logger).
        "ami_strategy": {"handlers": _LOG_HANDLERS, "level": LOG_LEVEL},
        "axes": {"handlers": _LOG_HANDLERS, "level": LOG_LEVEL},
        "axes.apps": {"level": "WARNING"},  # not its start-up banner on every command
        "django.security": {"handlers": _LOG_HANDLERS, "level": "WARNING", "propagate": False},
        # 5xx with their traceback; 4xx are answers, not errors, and stay out of the log.
        "django.request": {"handlers": _LOG_HANDLERS, "level": "ERROR", "propagate": False},
    },
}

# --- Mail (reminders, 提出・差戻し notices) --------------------------------------------------------------
# Through the town's SMTP relay (an LGWAN mail server: docs/operations.md). Without EMAIL_HOST, mails go
# to the console under DEBUG (make run); in production they go to the SMTP server on localhost. Set
# EMAIL_BACKEND to django.core.mail.backends.filebased.EmailBackend (with EMAIL_FILE_PATH) to keep files.
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_PORT = int(os.getenv("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "0")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "0")
EMAIL_TIMEOUT = int(os.getenv("EMAIL_TIMEOUT", "30"))
EMAIL_SUBJECT_PREFIX = os.getenv("EMAIL_SUBJECT_PREFIX", "[阿見町 総合戦略KPI] ")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "kpi-noreply@localhost")
EMAIL_FILE_PATH = os.getenv("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
EMAIL_BACKEND = os.getenv(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
# The site's address in mails (links to the entry and review pages), e.g. https://kpi.town.ami.lg.jp
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
