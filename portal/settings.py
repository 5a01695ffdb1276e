"""Settings of the camera connection portal.

Every knob comes from the environment (documented in README.md, "Configuration") and has an embedded
default that runs the portal on one machine: SQLite in WAL mode, django-q2 ORM broker.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from portal.dev_keys import DEV_CREDENTIALS_KEY, DEV_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_float(name, default):
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development defaults are public: production sets its own through the environment.
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Where the embedded default keeps its database, logs and uploads (created when the portal starts,
# portal/apps.py, or, for the logs, first written).
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    # django.contrib.admin with the portal's admin site (portal/admin_scope.py).
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "auditlog",
    "django_q",
    "axes",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal",
    "facilities",
    "cameras",
    "reports",
    "problems",
    "api",
    "guidance",
    "readiness",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Renews an idle session at most once a minute instead of writing it on every request.
    "portal.sessions.SessionRenewalMiddleware",
    "portal.locale.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Request id, client address from trusted proxies only, audit context (not auditlog's own).
    "portal.middleware.AuditMiddleware",
    # A signed-in account that must give its second factor sees only the code (or enrolment)
    # page until it has (portal/twofactor_gate.py).
    "portal.twofactor_gate.SecondFactorMiddleware",
    # After it: an account whose role must acknowledge the current guidance is asked to once
    # its second factor is given (guidance/gate.py).
    "guidance.gate.GuidanceGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

# Database: PostgreSQL when DATABASE_URL is set, otherwise an embedded SQLite file.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
        "PG_JIT", False
    ):
        # JIT off for the portal's connections: the scope's subqueries push the planner's cost
        # estimates of small queries over jit_above_cost, and compiling them took seconds for
        # milliseconds of work (3.6 s of JIT for a 3-row page, issue 13; bench/README.md).
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "portal.sqlite3")),
            "OPTIONS": {
                # Without WAL, IMMEDIATE transactions and a long busy timeout the task cluster and
                # web requests lock each other out ("database is locked") under load.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes' AxesStandaloneBackend first: it refuses locked-out logins (portal/axes_hooks.py).
    "portal.axes_hooks.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A refused form (stale page, blocked cookies) says what to do, in the portal's layout.
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login protection (django-axes): after AXES_FAILURE_LIMIT failed logins of one user name from one
# address, that pair is locked out for AXES_COOLOFF minutes (lock-outs are account events; unlock
# earlier with `manage.py axes_reset_username NAME`). The client address is the audit trail's.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Wrong second-factor codes count as failed logins (portal/twofactor.py). The count starts again
# when a whole sign-in succeeds (password, then the code where one is asked), not at the password
# alone: it would wipe the wrong codes, and the password's holder could guess codes forever.
AXES_RESET_ON_SUCCESS = False
# Never stored in axes' record of a failed attempt: the typed name and address are columns of
# their own, and a code typed wrong may be one digit off the right one.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
AXES_CLIENT_IP_CALLABLE = "portal.axes_hooks.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.axes_hooks.lockout_response"
# The audit trail records logins and lock-outs; axes keeps only its counters (no admin, no log).
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True

# Two-factor sign-in (portal/twofactor.py): staff accounts (every role that works in the admin),
# national officials and national administrators always; every other account (facility
# managers) may set it up, and must when OTP_REQUIRED_FOR_MANAGERS=1. No setting turns it off.
OTP_REQUIRED_FOR_MANAGERS = env_bool("OTP_REQUIRED_FOR_MANAGERS", False)
# The name authenticator apps show beside the account's name.
OTP_ISSUER = os.environ.get("OTP_ISSUER", "Cổng kết nối camera")

# Sessions (in the database, so an account can be signed out from the server) end after
# SESSION_IDLE_MINUTES without a request. A request renews the session (row and cookie) when it
# was last renewed SESSION_RENEW_SECONDS ago or more (portal/sessions.py): a read-only page view
# then writes nothing, where saving every request made each one wait for the write lock.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_RENEW_SECONDS = env_int("SESSION_RENEW_SECONDS", 60)
SESSION_SAVE_EVERY_REQUEST = env_bool("SESSION_SAVE_EVERY_REQUEST", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# HTTPS: HTTPS_ONLY=1 in production turns on secure cookies, redirection to https:// and HSTS
# (each can be set on its own). Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so
# the proxy's X-Forwarded-Proto tells Django the request was https (only if the proxy sets it).
HTTPS_ONLY = env_bool("HTTPS_ONLY", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS_ONLY)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS_ONLY)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS_ONLY)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS_ONLY)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A scraper on the same machine or network reads /metrics over plain HTTP (its bearer token and
# address list guard it, reports/metrics.py): no redirect to https for it.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]

# Content-Security-Policy (django-csp 4), in every environment so a violation shows in
# development too: scripts, styles, images and fonts from the portal itself only, no inline
# script or style, no framing. CSP_REPORT_ONLY=1 reports violations instead of blocking.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# Language and time: Vietnamese first, English selectable on every page.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Dates as dd/mm/yyyy in Vietnamese (portal/formats/vi/formats.py), and 1.234.567 for numbers on
# pages. Exports write raw values and never go through these formats.
FORMAT_MODULE_PATH = ["portal.formats"]
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Lets the portal serve its static files without collectstatic on a developer machine.
WHITENOISE_USE_FINDERS = True

# Camera credentials at rest: comma-separated Fernet keys, the first encrypts, all decrypt
# (so a key can be rotated). The default is public and only for development.
CAMERA_CREDENTIALS_KEYS = env_list("CAMERA_CREDENTIALS_KEY", DEV_CREDENTIALS_KEY)

# Where the portal may open camera streams (cameras/targets.py). Loopback, link-local (cloud
# metadata), multicast, unspecified and broadcast addresses are always denied; these add denied
# networks and carve exceptions (comma-separated CIDRs; the most specific network wins).
CAMERA_DENIED_NETWORKS = env_list("CAMERA_DENIED_NETWORKS")
CAMERA_ALLOWED_NETWORKS = env_list("CAMERA_ALLOWED_NETWORKS")
# Seconds to wait for DNS when a camera address with a host name is saved (0: do not resolve then).
CAMERA_RESOLVE_TIMEOUT = env_float("CAMERA_RESOLVE_TIMEOUT", 2.0)

# Stream checks (cameras/tasks.py, cameras/conf.py): a sweep every CAMERA_CHECK_INTERVAL minutes
# claims the due cameras in batches of CAMERA_CHECK_BATCH_SIZE (one django-q2 task each), a batch
# probes CAMERA_CHECK_THREADS streams at once; offline after CAMERA_OFFLINE_AFTER failed checks.
CAMERA_CHECK_INTERVAL = env_int("CAMERA_CHECK_INTERVAL", 5)
# 128 probes at once per batch (two workers: 256 per cluster, about 100 routine checks a second
# on 2 cores at 7 ms CPU each; memory is no limit, about 1 MiB per probe in flight), in batches
# of twice as many cameras: a thread that is done takes the next camera instead of waiting for
# the batch's slowest probe (bench/README.md, "Camera sweep, routine checks").
CAMERA_CHECK_BATCH_SIZE = env_int("CAMERA_CHECK_BATCH_SIZE", 256)
CAMERA_CHECK_THREADS = env_int("CAMERA_CHECK_THREADS", 128)
CAMERA_OFFLINE_AFTER = env_int("CAMERA_OFFLINE_AFTER", 2)
# Days of daily uptime rows, ended outages and sweep records kept.
CAMERA_HISTORY_DAYS = env_int("CAMERA_HISTORY_DAYS", 400)
# Seconds a batch holds its cameras (a dead batch's cameras are checked again after it), and
# unfinished checks in a row after which a camera that keeps killing its batch is isolated.
CAMERA_CHECK_LEASE = env_int("CAMERA_CHECK_LEASE", 300)
CAMERA_CHECK_CRASH_LIMIT = env_int("CAMERA_CHECK_CRASH_LIMIT", 3)
# Hours after which a camera's next check is a full one (frame rate sampled, the verdict on the
# whole standard) rather than a routine one (handshake and first keyframe): cameras/tasks.py.
CAMERA_FULL_CHECK_HOURS = env_float("CAMERA_FULL_CHECK_HOURS", 24.0)
# Minutes a passing verdict stays good enough to mark a camera connected (cameras/lifecycle.py);
# empty means three check intervals.
CONNECT_MAX_AGE = env_int("CONNECT_MAX_AGE", 0) or None
# Probe limits in seconds (cameras/probe.py): connect, each read, whole probe, and how much
# stream to read for frame rate and bit rate.
CAMERA_PROBE_OPEN_TIMEOUT = env_float("CAMERA_PROBE_OPEN_TIMEOUT", 5.0)
CAMERA_PROBE_READ_TIMEOUT = env_float("CAMERA_PROBE_READ_TIMEOUT", 5.0)
CAMERA_PROBE_DEADLINE = env_float("CAMERA_PROBE_DEADLINE", 10.0)
CAMERA_PROBE_SAMPLE_SECONDS = env_float("CAMERA_PROBE_SAMPLE_SECONDS", 2.0)

# Bulk CSV import of facilities and cameras (portal/csvimport.py): largest file and most rows.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 10000)

# Report exports (reports/export_jobs.py): an Excel export of more rows than this is built by a
# background task into an encrypted file under EXPORT_DIR, downloadable by its owner for
# EXPORT_RETENTION_HOURS hours.
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 20000)
EXPORT_RETENTION_HOURS = env_int("EXPORT_RETENTION_HOURS", 24)
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", DATA_DIR / "exports"))

# Camera snapshots (cameras/snapshots.py): one picture from the first keyframe, encrypted under
# SNAPSHOT_DIR, at most SNAPSHOT_KEEP per camera and none older than SNAPSHOT_RETENTION_HOURS.
# Full checks take one at most every SNAPSHOT_INTERVAL hours, between the local hours of
# SNAPSHOT_HOURS (start-end: a night picture would be judged black).
SNAPSHOT_DIR = Path(os.environ.get("SNAPSHOT_DIR", DATA_DIR / "snapshots"))
SNAPSHOT_KEEP = env_int("SNAPSHOT_KEEP", 3)
SNAPSHOT_RETENTION_HOURS = env_int("SNAPSHOT_RETENTION_HOURS", 72)
SNAPSHOT_INTERVAL = env_int("SNAPSHOT_INTERVAL", 24)
SNAPSHOT_HOURS = os.environ.get("SNAPSHOT_HOURS", "08-17")

# Guidance (guidance/): the roles (permission codenames) whose accounts must acknowledge the
# current versions at sign-in, where the uploaded PDFs are kept and how large one may be.
GUIDANCE_ACK_ROLES = env_list(
    "GUIDANCE_ACK_ROLES", "manage_province,connect_province,view_facility"
)
GUIDANCE_DIR = Path(os.environ.get("GUIDANCE_DIR", DATA_DIR / "guidance"))
GUIDANCE_MAX_PDF_BYTES = env_int("GUIDANCE_MAX_PDF_BYTES", 20 * 1024 * 1024)
# The portal's address as its users reach it, for links in e-mails (guidance reminders).
PORTAL_URL = os.environ.get("PORTAL_URL", "http://localhost:8000")
SNAPSHOT_SIZE = env_int("SNAPSHOT_SIZE", 640)
# Who sees pictures besides national administrators, province admins and operator engineers
# of the province: the facility's managers (on by default), national officials (off).
SNAPSHOT_FACILITY_MANAGERS = env_bool("SNAPSHOT_FACILITY_MANAGERS", True)
SNAPSHOT_NATIONAL_OFFICIALS = env_bool("SNAPSHOT_NATIONAL_OFFICIALS", False)

# Readiness plans (readiness/): a plan not confirmed current by an engineer for this many days
# makes its province "not ready" on the national view and the dashboards.
READINESS_REVIEW_DAYS = env_int("READINESS_REVIEW_DAYS", 30)
# Whether the progress dashboards show the count of provinces not ready as a column.
READINESS_DASHBOARD_COUNTER = env_bool("READINESS_DASHBOARD_COUNTER", False)
# Problem reports (problems/): attachments sealed under PROBLEM_FILES_DIR, each at most
# PROBLEM_ATTACHMENT_MAX_BYTES, at most PROBLEM_ATTACHMENTS_PER_MESSAGE per report or reply.
PROBLEM_FILES_DIR = Path(os.environ.get("PROBLEM_FILES_DIR", DATA_DIR / "problem_files"))
PROBLEM_ATTACHMENT_MAX_BYTES = env_int("PROBLEM_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
PROBLEM_ATTACHMENTS_PER_MESSAGE = env_int("PROBLEM_ATTACHMENTS_PER_MESSAGE", 5)

# django-guardian: no anonymous user object (anonymous visitors see nothing), permissions of
# direct foreign-key tables prefetched when listing.
ANONYMOUS_USER_NAME = None
GUARDIAN_AUTO_PREFETCH = True

# django-q2: the ORM broker is the embedded default; REDIS_URL switches to Redis for scale-out.
REDIS_URL = os.environ.get("REDIS_URL", "")

# The cache every web process shares: today only the API's rate limits count in it
# (cameras/disclosure.py). Redis when REDIS_URL is set; otherwise a table of the database
# (created by migrate, api 0002), never a process's memory, where each gunicorn worker would
# count on its own and a limit would multiply by the number of workers.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }
Q_CLUSTER = {
    "name": "portal",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 600),
    "retry": env_int("Q_TIMEOUT", 600) + 60,
    "max_attempts": 1,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "label": _("Background tasks"),
    "sync": env_bool("Q_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# Daily progress report (reports app): local time of the scheduled snapshot (HH:MM, 24 h) and the
# deadline the dashboards count down to (YYYY-MM-DD; empty hides it). The default, 12 June 2021,
# is the deadline set by the ministry's letter.
REPORT_SNAPSHOT_TIME = os.environ.get("REPORT_SNAPSHOT_TIME", "17:00")
PROGRESS_DEADLINE = os.environ.get("PROGRESS_DEADLINE", "2021-06-12")

# Mail (camera outage notices): console backend unless configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "camera-portal@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"one_line_forbidden": {"()": "portal.errors.OneLineForbidden"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # One JSON line per account event in ACCESS_LOG_DIR/access-YYYY-MM-DD.jsonl.
        "access_file": {"class": "portal.accesslog.DailyFileHandler"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # FFmpeg and django-q2 are chatty at INFO.
    "loggers": {
        "libav": {"level": "ERROR"},
        "django-q": {"level": "WARNING"},
        # A refusal (PermissionDenied) is one warning line with who and why, not a traceback.
        "django.request": {"filters": ["one_line_forbidden"]},
        "portal.access": {"handlers": ["access_file"], "level": "INFO", "propagate": False},
    },
}

# Audit trail. Entries and access-log files older than the retention are removed by a daily task
# (portal/audit_retention.py); X-Forwarded-For is believed only as far as this many of our own
# proxies wrote it (0: the portal is reached directly and the header is ignored).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ACCESS_LOG_DIR = Path(os.environ.get("ACCESS_LOG_DIR", DATA_DIR / "log"))

# Prometheus metrics at /metrics (reports/metrics.py): absent (404) while METRICS_TOKEN is empty;
# then a scrape needs "Authorization: Bearer <token>" from an address in these networks.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")

# Connection details (stream address, user name, password) disclosed to one account: at most this
# many cameras per period ("N/second|minute|hour|day"), on the API and the camera page together.
# At 2,000 an hour an operator engineer fetches a big province's cameras within a working day.
CONNECTION_DETAILS_RATE = os.environ.get("CONNECTION_DETAILS_RATE", "2000/hour")

# The operator API (api/, README "Operator API"): Django REST Framework under /api/v1/, tokens of
# our own (api/models.py: stored hashed) or the portal's session, JSON in and out, errors as JSON
# in the reader's language (api/errors.py), OpenAPI 3 by drf-spectacular served with Swagger UI
# from our own static files (drf-spectacular-sidecar).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenAccessPermission",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON only: a form-encoded or multipart body is refused (415), not half understood.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # The browsable API's page names in the reader's language (api/naming.py).
    "VIEW_NAME_FUNCTION": "api.naming.view_name",
    # The connection details' limit, counted per camera disclosed (cameras/disclosure.py).
    "DEFAULT_THROTTLE_RATES": {"connection_details": CONNECTION_DETAILS_RATE},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Camera connection portal API",
    "DESCRIPTION": (
        "Cameras, facilities and daily progress within the calling account's scope; connection "
        "details for operator engineers; bulk connection results from an operator's central "
        "system."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its documentation, like every page of the portal, for accounts only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets named after their classes, not after the first field that uses them.
    "ENUM_NAME_OVERRIDES": {
        "ConnectionStatusEnum": "cameras.choices.ConnectionStatus",
        "HealthEnum": "cameras.choices.Health",
        "ZoneEnum": "cameras.choices.Zone",
        "FacilityStatusEnum": "facilities.choices.FacilityStatus",
        "FacilityKindEnum": "facilities.choices.FacilityKind",
        "RegionEnum": "facilities.choices.Region",
        "OperatorEnum": "facilities.choices.Operator",
    },
}
# Results one POST /api/v1/connections/ may carry (all are checked before anything is written).
API_CONNECTIONS_MAX_ITEMS = env_int("API_CONNECTIONS_MAX_ITEMS", 10000)
# API tokens (api/models.py): the longest life a token may be given, in days.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
# A token's "last used" is written at most this often (seconds): a read through the API writes
# nothing more often, as a page view does not (SESSION_RENEW_SECONDS).
API_TOKEN_TOUCH_SECONDS = env_int("API_TOKEN_TOUCH_SECONDS", 60)
