"""Settings for the IKZ engine: one module, every difference an environment variable.

Defaults give the zero-set-up developer mode (`make run`): SQLite under var/, background jobs
in-process. Production (DEBUG=0) refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from pathlib import Path
from typing import overload

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)  # unset: production behaviour; `make run` and the tests set DEBUG=1

SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not DEBUG:
    missing = [name for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)) if not value]
    if missing:
        raise ImproperlyConfigured(
            "Production start refused (DEBUG=0): missing environment variable(s) " + ", ".join(missing)
        )
else:
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver", "[::1]"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_celery_beat",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "projects",
    "procurement",
    "funding",
    "costs",
    "workflows",
    "portal",
    "api",
    "axes",
]
# Extra apps for test probes only (the fault tests start workers with a probe flow); empty in production.
INSTALLED_APPS += env_list("EXTRA_INSTALLED_APPS")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.conventions.ConditionalGetMiddleware",  # ETag / If-None-Match on the API's GET answers
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "api.idempotency.IdempotencyMiddleware",  # Idempotency-Key on the API's POST requests
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.ErrorPageMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout answer
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",  # {{ CSP_NONCE }} for an inline <script nonce="…">
                "portal.navigation.navigation",
            ]
        },
    }
]

# Content-Security-Policy (django-csp, docs/adr/0003): scripts only from the product itself or an inline script that
# carries the request's nonce (the nonce is in the header only on pages that use it); styles still allow inline
# style attributes (templates and viewflow's pages use them; a nonce would switch 'unsafe-inline' off in browsers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "style-src": [SELF, UNSAFE_INLINE],
        "script-src": [SELF, NONCE],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# Every form of the product renders through the portal's templates (portal/templates/django/forms/: labels, hints,
# error summary, KERN UX classes), also ``{{ form }}`` and ``form.as_div`` in the sections' own templates.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("CONN_MAX_AGE", "60") or 60))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions serialise writers instead of failing with "database is locked"
    # when two approvals of a parallel split complete at the same moment.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before the password is checked
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Lockout after repeated failed logins (web login and API token), per user name and client address, so that
# colleagues behind one town-hall proxy do not lock each other out; a successful login resets the count.
AXES_ENABLED = env_bool("LOGIN_LOCKOUT_ENABLED", True)
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5") or 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(env("LOGIN_LOCKOUT_MINUTES", "15") or 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_VERBOSE = False
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_RAISE_403 = False

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
# Swagger UI from the pinned drf-spectacular-sidecar package, served by the product (no CDN); only its Swagger UI
# directory, not the unused Redoc bundle (half of the package), so collectstatic stays short
STATICFILES_DIRS = [
    (
        "drf_spectacular_sidecar/swagger-ui-dist",
        str(
            Path(importlib.util.find_spec("drf_spectacular_sidecar").origin).parent  # type: ignore[union-attr, arg-type]
            / "static"
            / "drf_spectacular_sidecar"
            / "swagger-ui-dist"
        ),
    )
]
WHITENOISE_USE_FINDERS = DEBUG
# bpmn-js (the BPMN diagram viewer) and KERN UX come from npm (pinned in package-lock.json) and are served from copies
# in portal/static/ (scripts/vendor_*.py), so that no page needs Node or a CDN.
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # silences whitenoise's "no directory" warning in development
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")) or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # No manifest hashing: viewflow's bundled CSS references font files the package does not ship, which
        # the manifest storage rejects at collectstatic. Compression only; files are served by whitenoise.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DOCUMENT_MAX_BYTES = int(env("DOCUMENT_MAX_BYTES", str(20 * 1024 * 1024)) or 0)

# --- celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# Without a broker (make run, plain make test) jobs run in-process, right after the commit.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None or env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message whose worker died without acknowledging it goes back to the queue after the visibility timeout (Redis);
# it must be longer than the longest job. The restore sweep runs every interval × throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "3600") or 3600),
    "unacked_restore_interval": int(env("CELERY_UNACKED_RESTORE_INTERVAL", "10") or 10),
    "unacked_restore_throttle": int(env("CELERY_UNACKED_RESTORE_THROTTLE", "10") or 10),
}
# Publishing retries for a few seconds, so that a broker restart does not lose a job enqueued at that moment.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 20, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "fire-due-timers": {
        "task": "workflows.tasks.fire_due_timers",
        "schedule": float(env("TIMER_DISPATCH_SECONDS", "60") or 60),
    },
    "funding-deadlines": {"task": "funding.tasks.funding_deadlines_tick", "schedule": 3600.0},
    # a background step whose message a broker crash lost is enqueued again (workflows.tasks.requeue_stale_jobs)
    "requeue-stale-jobs": {"task": "workflows.tasks.requeue_stale_jobs", "schedule": 300.0},
    # a webhook delivery whose message never reached the broker, or whose retry was lost, is sent again
    "requeue-stale-webhook-deliveries": {"task": "api.webhooks.requeue_stale_deliveries", "schedule": 300.0},
    # webhook events whose fan-out job never started (broker down after the commit) are fanned out again
    "requeue-stale-webhook-events": {"task": "api.webhooks.requeue_stale_events", "schedule": 300.0},
    # webhook events past their retention are deleted (api/webhooks/retention.py; safe to run twice)
    "purge-old-webhook-events": {"task": "api.webhooks.purge_old_events", "schedule": 86400.0},
    # tasks held by absent people go to their substitutes (portal.services.absences_apply)
    "apply-absences": {"task": "portal.tasks.apply_absences", "schedule": 3600.0},
}
JOB_REQUEUE_AFTER_SECONDS = float(env("JOB_REQUEUE_AFTER_SECONDS", "900") or 900)
# a step STARTED this long ago whose run (and retry message) were lost is enqueued again: beyond the longest job
# and the visibility timeout, after which the broker itself delivers a dead worker's message again
JOB_LEASE_SECONDS = float(
    env("JOB_LEASE_SECONDS", "") or 2 * CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]  # type: ignore[operator]
)

# --- webhooks -------------------------------------------------------------------------------
# receivers in the internal network (loopback, private, link-local addresses): development only
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", DEBUG)
WEBHOOK_REQUEUE_AFTER_SECONDS = float(env("WEBHOOK_REQUEUE_AFTER_SECONDS", "900") or 900)
# retention of webhook events (api/webhooks/retention.py): delivered ones are deleted after this many days; those
# still under way or failed without a successful redelivery are kept until the longer limit (for a redelivery)
WEBHOOK_EVENT_RETENTION_DAYS = int(env("WEBHOOK_EVENT_RETENTION_DAYS", "90") or 90)
WEBHOOK_EVENT_UNDELIVERED_RETENTION_DAYS = int(env("WEBHOOK_EVENT_UNDELIVERED_RETENTION_DAYS", "365") or 365)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # every generic list: ?page= and ?page_size= (at most 100), ?updated_since=
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "api.conventions.FilterBackend",
        "api.conventions.UpdatedSinceFilter",
    ],
    # times in UTC with the zone given (Z)
    "DEFAULT_RENDERER_CLASSES": [
        "api.conventions.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # request bodies are JSON; the upload endpoints add multipart themselves (api.parsers.UPLOAD_PARSERS)
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", "10/min")},
}
# how long a POST's Idempotency-Key is remembered (api/idempotency.py)
API_IDEMPOTENCY_TTL_HOURS = float(env("API_IDEMPOTENCY_TTL_HOURS", "24") or 24)
API_TOKEN_TTL_HOURS = float(env("API_TOKEN_TTL_HOURS", "168") or 168)  # an API token is valid for a week
SPECTACULAR_SETTINGS = {
    "TITLE": "IKZ-Engine API",
    "DESCRIPTION": "Vorgänge, Aufgaben und Datensätze der interkommunalen Zusammenarbeit",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # separate request and response components: read-only fields are not asked for when building a request
    "COMPONENT_SPLIT_REQUEST": True,
    # OpenAPI 3.1: a nullable reference is `oneOf: [{$ref}, {type: null}]`, which strict validators accept
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.openapi.document_common_errors",
        "api.openapi.ascii_tags",
        "api.webhooks.schema.document_events",
    ],
    # one name per choice set used in several components (procurement)
    "ENUM_NAME_OVERRIDES": {
        "ProcedureKindEnum": "procurement.models.choices.Kind",
        "ProcedureStatusEnum": "procurement.models.Procedure.Status",
        "ProcedureTypeEnum": "procurement.models.choices.ProcedureType",
        "OpenersFromEnum": "procurement.models.Procedure.Openers",
        # two decisions with an outcome: the funder's (grant notice) and the supervisory authority's
        "OutcomeEnum": "funding.models.Decision.Outcome",
        "SupervisoryOutcomeEnum": "projects.models.SupervisoryDecision.Outcome",
        # the economic check's decision (own or buy), besides the funding review's decision
        "EconomicCheckDecisionEnum": "costs.models.EconomicCheck.Decision",
        # the funding review's decision keeps the name it had before the economic check's decision existed
        "DecisionEnum": "api.funding.REVIEW_DECISIONS",
    },
}
# the OpenAPI schema and Swagger UI without login: in development, or where a setting publishes them
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", DEBUG)

# --- mail -----------------------------------------------------------------------------------
# The address of the product as people reach it: e-mails carry absolute links built from it.
SITE_URL = (
    env("SITE_URL")
    or ("http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0].lstrip('.')}" if ALLOWED_HOSTS else "")
).rstrip("/")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ikz@localhost")

# --- viewflow -------------------------------------------------------------------------------
VIEWFLOW = {"AUTOREGISTER": False}

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(env("SESSION_HOURS", "10") or 10) * 3600  # a working day, then log in again
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- demo -----------------------------------------------------------------------------------
DEMO_PASSWORD = env("DEMO_PASSWORD", "demo" if DEBUG else None)

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "config.logging.JsonFormatter",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", "plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
