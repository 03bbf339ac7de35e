"""Django settings, read from the environment.

Every knob is an environment variable, and the README's "Configuration" lists each one with its
default: DATABASE_URL (absent: an SQLite file under var/) and some thirty-five REUNIFY_*
variables, for the secret key and hosts, HTTPS and cookies, the database's timeouts and write
retries, sign-in limits, e-mail, uploads, the practice's name and address, and clinical
thresholds. A yes/no knob accepts 1/0, true/false, yes/no or on/off and refuses anything else,
so a typo never silently turns a protection off. Everything not listed is fixed here, so every
deployment behaves the same.
"""

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REUNIFY_VAR_DIR", BASE_DIR / "var"))


_YES, _NO = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(name: str, default: bool = False) -> bool:
    """A yes/no knob; an empty value is the default, a value it does not understand an error."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in _YES | _NO:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is neither yes nor no: use 1/0, true/false, yes/no or "
            "on/off."
        )
    return value in _YES


DEBUG = _flag("REUNIFY_DEBUG")
# Public in the source, so it protects nothing: the app serves on it only in debug
# (reunify/accounts/checks.py), and `reunify check --deploy` flags it.
DEVELOPMENT_SECRET_KEY = "reunify-development-key-not-for-production-use-0123456789abcdef"  # noqa: S105  (public on purpose)
SECRET_KEY = os.environ.get("REUNIFY_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY and _flag("REUNIFY_PRODUCTION"):
    raise RuntimeError("REUNIFY_SECRET_KEY must be set in production")
# Previous keys, comma-separated, while rotating: sessions and second-factor secrets still open.
SECRET_KEY_FALLBACKS = [
    key.strip()
    for key in os.environ.get("REUNIFY_SECRET_KEY_FALLBACKS", "").split(",")
    if key.strip()
]

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("REUNIFY_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Only for its static files: /api/v1/docs loads Swagger UI from us, not from a CDN, so the
    # docs page lives under the same strict Content-Security-Policy as every other page.
    "ninja",
    "reunify.audit",
    "reunify.accounts",
    "reunify.cases",
    "reunify.safety",
    "reunify.psychoeducation",
    "reunify.documents",
    "reunify.clinical",
    "reunify.disclosure",
    "reunify.portal",
    "reunify.messaging",
    "reunify.measures",
    "reunify.reports",
    "reunify.workqueue",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "reunify.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "reunify.errors.ApiErrorMiddleware",
    # Each POST/PUT/PATCH/DELETE in one transaction, retried after a lost race (see the module).
    "reunify.transactions.WriteRetryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "reunify.accounts.middleware.LoginSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "reunify.audit.middleware.AuditSourceMiddleware",
    "reunify.security.RefusalAuditMiddleware",
]

ROOT_URLCONF = "reunify.urls"
WSGI_APPLICATION = "reunify.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "reunify" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_sqlite_path = VAR_DIR / "reunify.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_sqlite_path}", conn_max_age=60, conn_health_checks=True
    )
}
# Fail fast rather than hang: a database that accepts connections and never answers costs a
# request (and /healthz) this long, not the proxy's whole timeout.
REUNIFY_DB_CONNECT_TIMEOUT = int(os.environ.get("REUNIFY_DB_CONNECT_TIMEOUT", "5"))
REUNIFY_DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("REUNIFY_DB_STATEMENT_TIMEOUT_MS", "30000"))
# SQLite: how long a write waits for another writer's lock before it answers 503.
REUNIFY_SQLITE_BUSY_TIMEOUT = float(os.environ.get("REUNIFY_SQLITE_BUSY_TIMEOUT", "5"))
# A write that lost a race (deadlock, serialisation failure) runs this many times in all before
# it answers 503 (reunify/transactions.py).
REUNIFY_WRITE_ATTEMPTS = int(os.environ.get("REUNIFY_WRITE_ATTEMPTS", "3"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE makes every transaction take the write lock up front, so two writers queue
    # (within the busy timeout) instead of one failing when it upgrades a read to a write; the
    # audit sealer's "read the head, append after it" is one such write. WAL lets pages read
    # while one request writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": REUNIFY_SQLITE_BUSY_TIMEOUT,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": REUNIFY_DB_CONNECT_TIMEOUT,
            "options": f"-c statement_timeout={REUNIFY_DB_STATEMENT_TIMEOUT_MS}",
            # A peer gone silent is noticed in seconds, not the kernel's two hours.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "caseload"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = os.environ.get("REUNIFY_TIME_ZONE", "America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise expects the folder to exist even when it serves straight from the apps.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "reunify" / "static"]
# Collected (`reunify collectstatic`; `reunify serve`, `make run` and the tests do it first)
# under names that carry a hash of their content, compressed, and served by WhiteNoise with a
# far-future cache header: a new release's files never meet a browser's stale copy.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
# The hard ceiling; the idle limit below logs a quiet session out long before.
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "reunify.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = _flag("REUNIFY_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Off by default because a TLS-terminating proxy usually redirects; production turns it on.
    SECURE_SSL_REDIRECT = _flag("REUNIFY_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = int(os.environ.get("REUNIFY_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logging in (PRODUCT.md §8): a session without a request for this many minutes is logged out
# (0 turns it off: the test suite does, because its clock jumps days between requests).
REUNIFY_IDLE_MINUTES = int(os.environ.get("REUNIFY_IDLE_MINUTES", "15"))
# Failed logins (wrong password or wrong code) inside the window lock the account name, or the
# address they come from, for the lockout period.
REUNIFY_LOGIN_WINDOW_MINUTES = int(os.environ.get("REUNIFY_LOGIN_WINDOW_MINUTES", "15"))
REUNIFY_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("REUNIFY_LOGIN_FAILURES_PER_ACCOUNT", "5"))
REUNIFY_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("REUNIFY_LOGIN_FAILURES_PER_ADDRESS", "20"))
REUNIFY_LOCKOUT_MINUTES = int(os.environ.get("REUNIFY_LOCKOUT_MINUTES", "15"))
# How long the enrolment code printed by `createuser` or `totp reset` lets a staff member set up
# their authenticator app.
REUNIFY_ENROLMENT_CODE_HOURS = int(os.environ.get("REUNIFY_ENROLMENT_CODE_HOURS", "72"))
# How many proxies in front of the app append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
REUNIFY_PROXY_COUNT = int(os.environ.get("REUNIFY_PROXY_COUNT", "0"))

# The number of days a safety screen stays current (PRODUCT.md §3).
REUNIFY_SCREEN_VALID_DAYS = 30
# A child's check-in rating how safe they feel (0-10) at or below this is a safety concern.
REUNIFY_CHECKIN_UNSAFE_AT = int(os.environ.get("REUNIFY_CHECKIN_UNSAFE_AT", "3"))

# Uploaded documents live outside the web root and are served only through `access`
# (PRODUCT.md §8); never put this folder under STATIC_ROOT.
REUNIFY_DOCUMENTS_DIR = Path(os.environ.get("REUNIFY_DOCUMENTS_DIR", VAR_DIR / "documents"))
REUNIFY_MAX_UPLOAD_BYTES = int(os.environ.get("REUNIFY_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))

# Printed on every court report and notice, and the only thing /verify says besides the date.
REUNIFY_PRACTICE_NAME = os.environ.get("REUNIFY_PRACTICE_NAME", "Reunify demo practice")
# How families and legal parties reach the practice: shown on every portal page; blank: omitted.
REUNIFY_PRACTICE_PHONE = os.environ.get("REUNIFY_PRACTICE_PHONE", "")
REUNIFY_PRACTICE_EMAIL = os.environ.get("REUNIFY_PRACTICE_EMAIL", "")
# The site's public address (https://…), printed with /verify on reports; blank: not printed.
REUNIFY_PUBLIC_URL = os.environ.get("REUNIFY_PUBLIC_URL", "")

# Portal invitations: how long a link works.
REUNIFY_INVITATION_HOURS = int(os.environ.get("REUNIFY_INVITATION_HOURS", "72"))
# Minutes between a protected parent's arrival (and departure) and the other parent's.
REUNIFY_STAGGER_MINUTES = 15

# E-mail (invitations, reminders): SMTP in production, printed to the console otherwise.
EMAIL_BACKEND = os.environ.get(
    "REUNIFY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("REUNIFY_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("REUNIFY_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("REUNIFY_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("REUNIFY_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _flag("REUNIFY_EMAIL_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("REUNIFY_EMAIL_FROM", "reunify@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
