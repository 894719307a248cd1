"""Settings for the support portal, read from the environment.

Development defaults need nothing installed (SQLite, tasks run inline, email on the console).
`DJANGO_ENV=production` turns on the secure settings and refuses the development defaults.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

from config import logs

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)

if DEBUG and not IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
else:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production must be given a real key

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    # Before allauth, so the portal's templates override allauth's.
    "portal",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files (the CSP allows no CDN)
    "django_filters",
    "django_htmx",
    "simple_history",
    "contracts",
    "tickets",
    "tickets.channels",
    "hours",
    "django_structlog",
    "django_prometheus",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.HostileInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "portal.middleware.UserTimezoneMiddleware",
    "portal.middleware.StaffMFARequiredMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Widgets drawn in Python, exactly as Django's widget templates draw them (portal/formstyle.py).
FORM_RENDERER = "portal.formstyle.QuickWidgetRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES and env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # Parameters travel apart from the SQL (server-side binding), so a statement's text is the same whatever its
    # values, and psycopg prepares each one a connection has run five times: PostgreSQL then parses it once per
    # connection, and plans it once where its plan does not depend on its values (it keeps planning the others for
    # each run's values). This pays with CONN_MAX_AGE, where a connection lives across requests.
    # A pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or without
    # max_prepared_statements) needs DATABASE_PREPARED_STATEMENTS=false.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
# SQLite ignores an index's INCLUDE columns (the report rollups' median index); PostgreSQL uses them.
SILENCED_SYSTEM_CHECKS = [] if IS_POSTGRES else ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web server, worker and beat share one SQLite file: WAL lets readers go on while one writes,
    # a write transaction takes the lock when it begins (so it waits, rather than failing halfway), and a
    # writer waits up to 20 s for another's commit instead of answering "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "account_login"

# Accounts: email is the login, nobody signs up without an invitation (portal.adapters).
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "portal.forms.SignupDetailsForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if IS_PRODUCTION else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Support] "
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Support Portal"
# When on, support staff must enrol a TOTP authenticator before using the workspace.
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=IS_PRODUCTION)

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
SUPPORT_TIME_ZONE = "America/Los_Angeles"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded files: local disk (the demo's default), or, with a bucket named, S3-compatible object storage that
# every web host and worker shares (django-storages; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or
# the host's role). Files stay private: links are signed and short-lived, and the portal serves them itself.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_S3_LOCATION", default=""),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media-not-served/"  # uploads are only served through permission-checked views
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# One form submission (fields and files together), and how many files it may carry: over them, a clear 413 / 400.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=50 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# The longest message text (a ticket's description, a comment) a person can send; email intake keeps less.
TEXT_MAX_CHARS = 200_000

# Email
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@demo.test")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"Support <{SUPPORT_EMAIL}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SUPPORT_TEAM_EMAIL = env.str("SUPPORT_TEAM_EMAIL", default="support-team@demo.test")
ONCALL_EMAIL = env.str("ONCALL_EMAIL", default="oncall@demo.test")
ONCALL_WEBHOOK_URL = env.str("ONCALL_WEBHOOK_URL", default="")
EMAIL_INBOUND_MAX_BYTES = env.int("EMAIL_INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
EMAIL_INBOUND_TOKEN = env.str("EMAIL_INBOUND_TOKEN", default="" if IS_PRODUCTION else "dev-inbound-token")
# The authserv-id our receiving mail server writes in Authentication-Results; empty: no server's verdict is trusted
# and only signed reply addresses authenticate a sender (docs/intake.md).
EMAIL_AUTHSERV_ID = env.str("EMAIL_AUTHSERV_ID", default="")
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND",
        default="django.core.mail.backends.smtp.EmailBackend"
        if IS_PRODUCTION
        else "django.core.mail.backends.console.EmailBackend",
    )

if "EMAIL_FILE_PATH" in env:  # for Django's file backend (the cluster test reads what was sent)
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")

# Slack
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/")
# The workspace the app is installed in: events of any other team are refused. Empty: Slack intake refuses all.
SLACK_TEAM_ID = env.str("SLACK_TEAM_ID", default="")
SLACK_FILE_MAX_BYTES = env.int("SLACK_FILE_MAX_BYTES", default=10 * 1024 * 1024)

# Asana: with a token, engagements linked to an Asana project take their plan from it (contracts.tasks.asana_sync).
ASANA_TOKEN = env.str("ASANA_TOKEN", default="")
ASANA_API_URL = env.str("ASANA_API_URL", default="https://app.asana.com/api/1.0").rstrip("/")

# Celery. The broker is CELERY_BROKER_URL, else REDIS_URL; with neither, tasks run inline in the web process.
# `make run` names an SQLite file as the broker (Kombu's SQLAlchemy transport), so the demo's worker and beat
# need no service; production names Redis.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "portal.heartbeat.HeartbeatScheduler"
# The worker's own bootstep writes its heartbeat (portal.heartbeat); /healthz reads them.
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=30)
HEARTBEAT_STALE_SECONDS = 120
if CELERY_BROKER_URL:
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_RESULT_BACKEND = REDIS_URL or None
    CELERY_TASK_IGNORE_RESULT = not REDIS_URL
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
if CELERY_BROKER_URL.startswith("sqla+sqlite"):
    # SQLite as a queue (Kombu passes these to SQLAlchemy's create_engine): wait for another process's write.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 20}}

# The cache holds rate-limit counters and, with Redis, the sessions: shared by every web process.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="portal")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}}
# Each process keeps the entitlements it worked out, under the contracts' change stamp that PostgreSQL replaces on
# every contract write (contracts/migrations/0005): an answer is never older than the stamp read with it.
CACHES["entitlements"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "entitlements",
    "TIMEOUT": 24 * 3600,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
# Every periodic job, in one place.
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "tickets.tasks.sla_sweep", "schedule": crontab(minute="*")},
    "queue-tally-fold": {"task": "tickets.tasks.queue_tally_fold", "schedule": crontab(minute="*")},
    "solved-tickets-close": {"task": "tickets.tasks.solved_tickets_close", "schedule": crontab(minute="*/15")},
    "hours-usage-notices": {"task": "hours.tasks.usage_notices_sweep", "schedule": crontab(minute="*/15")},
    "outbox-flush": {"task": "portal.tasks.outbox_flush", "schedule": crontab(minute="*")},
    "asana-sync": {"task": "contracts.tasks.asana_sync", "schedule": crontab(minute="*/15")},
    "quotes-expire": {"task": "contracts.tasks.quotes_expire", "schedule": crontab(minute=5)},
}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a bad token gets 401 with a WWW-Authenticate challenge rather than 403.
        "config.authentication.TokenAuthentication",
        "config.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.api.PortalAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Support Portal API",
    "DESCRIPTION": "Tickets, contracts and Solution Architect hours of the support portal.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TargetSourceEnum": "contracts.models.TargetSource",
        "PriorityEnum": "contracts.models.Priority",
        "KindEnum": "tickets.models.Kind",
        "ArticleStatusEnum": "portal.models.Article.Status",
        "InboundEmailStatusEnum": "tickets.channels.models.InboundEmail.Status",
        "InboundEmailSourceEnum": "tickets.channels.models.InboundEmail.Source",
        "ChangeRequestStatusEnum": "contracts.models.ChangeRequest.Status",
        "QuoteStatusEnum": "contracts.models.Quote.Status",
        "MilestoneStatusEnum": "contracts.models.Milestone.Status",
    },
}

# Content Security Policy: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

HOURS_LOCK_DAYS = env.int("HOURS_LOCK_DAYS", default=30)

if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    SECURE_REFERRER_POLICY = "same-origin"

# Logs: one JSON object a line (django-structlog) in production, readable lines in development; LOG_FORMAT
# chooses. Each request's request_id (X-Request-ID from the load balancer, or a new one) is on every line it
# logs and travels with the tasks it enqueues, so a worker's lines carry it too.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "console")
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("TRUST_UPSTREAM_REQUEST_ID", default=True)
LOGGING = logs.logging_config(LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
logs.structlog_configure()

# Errors go to Sentry when SENTRY_DSN is set (the web processes and the workers, with their integrations).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    logs.sentry_init(SENTRY_DSN, environment=DJANGO_ENV, traces_sample_rate=env.float("SENTRY_TRACES", default=0.0))

# /metrics (Prometheus): open to a bearer METRICS_TOKEN, or to the addresses in METRICS_ALLOWED_IPS (networks).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[] if IS_PRODUCTION else ["127.0.0.1/32", "::1/128"])
PROMETHEUS_EXPORT_MIGRATIONS = False
