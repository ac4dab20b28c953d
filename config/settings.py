"""Settings: wiring only, read from the environment through one reader with safe defaults.

The names are those of DESIGN.md (DATABASE_URL, REDIS_URL, SECRET_KEY or SECRET_KEY_FILE,
DJANGO_DEBUG, ALLOWED_HOSTS, AGENCY_DROP_DIR, DJANGO_HTTPS) plus a few of our own, each
described in README.md.
"""

import secrets
import warnings
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
DATA_DIR = Path(env("DATA_DIR", default=str(BASE_DIR / ".data")))


def _secret_key() -> str:
    if env("SECRET_KEY", default=""):
        return env("SECRET_KEY")
    if env("SECRET_KEY_FILE", default=""):
        return Path(env("SECRET_KEY_FILE")).read_text().strip()
    # Development default: a key generated once and kept outside the repository.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env("DJANGO_DEBUG", default="0") == "1"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
HTTPS = env("DJANGO_HTTPS", default="0") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "config.apps.AxesConfig",  # django-axes, under the name the admin shows (config/apps.py)
    "django_celery_beat",
    "core",
    "enrollment",
    "eligibility",
    "settlement",
    "disputes",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.OfficeLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    from config.embedded_pg import database_settings

    DATABASES = {"default": database_settings(DATA_DIR)}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SESSION_IDLE_MINUTES without a request, and with the browser.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Lockout after repeated failed logins (django-axes), per user name and address.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
# Development serves static files through the finders; production runs collectstatic first.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)  # whitenoise, via stacklevel
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)

# HTTPS behind a TLS proxy: secure cookies, HSTS, the proxy's scheme header, HTTP redirected.
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "core.error_views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [  # core's JSON parser refuses a NUL character (400, not a 500)
        "core.parsers.JSONParser", "rest_framework.parsers.FormParser", "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "医保核定 API",
    "DESCRIPTION": "The verification office's REST API, version 1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PersonStatusEnum": "enrollment.models.register.PersonStatus",
        "EmployerStatusEnum": "enrollment.models.register.Employer.Status",
        "ApplicationStatusEnum": "enrollment.models.applications.Application.Status",
        "ApplicationKindEnum": "enrollment.models.applications.Application.Kind",
    },
}

# Celery: Redis when REDIS_URL is set; otherwise tasks run in-process (development only).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
_reconcile_hour, _reconcile_minute = env("RECONCILE_AT", default="02:00").split(":")
_audit_hour, _audit_minute = env("AUDIT_VERIFY_AT", default="01:30").split(":")
CELERY_BEAT_SCHEDULE = {
    "reconcile-agency-extracts": {
        "task": "enrollment.tasks.reconcile_pending_extracts",
        "schedule": crontab(hour=int(_reconcile_hour), minute=int(_reconcile_minute)),
    },
    "flag-overdue-applications": {
        "task": "enrollment.tasks.report_overdue_applications",
        "schedule": crontab(hour=6, minute=30),
    },
    # Before the reconciliation, so that the night's report prints a fresh checkpoint.
    "verify-audit-trail": {
        "task": "core.tasks.verify_audit_trail",
        "schedule": crontab(hour=int(_audit_hour), minute=int(_audit_minute)),
    },
    "recheck-received-claim-batches": {
        "task": "settlement.tasks.recheck_received_batches",
        "schedule": crontab(minute="*/10"),
    },
}

# The audit trail's key (HMAC of every entry and checkpoint) lives outside the database: AUDIT_KEY, or a
# file (AUDIT_KEY_FILE, a Docker secret), or a key generated once into DATA_DIR/audit_key. Read when first
# used (core.audit.audit_key), not here, so that building the image creates no key.
AUDIT_KEY = env("AUDIT_KEY", default="")
AUDIT_KEY_FILE = env("AUDIT_KEY_FILE", default="")
# Where verify_audit and the nightly check write the checkpoint (latest entry and hash) that the next
# verification compares with: outside the database, so that a trimmed tail is found.
AUDIT_CHECKPOINT_DIR = Path(env("AUDIT_CHECKPOINT_DIR", default=str(DATA_DIR / "audit-checkpoints")))

# The office.
OFFICE_NAME = env("OFFICE_NAME", default="示范市医疗保障事业管理中心")
OFFICE_NAME_EN = env("OFFICE_NAME_EN", default="Demonstration City Medical Insurance Verification Office")
# The service window, printed on every letter to the public.
OFFICE_ADDRESS = env("OFFICE_ADDRESS", default="示范市人民路100号市民服务中心二楼医保窗口")
OFFICE_PHONE = env("OFFICE_PHONE", default="0000-12345678")
OFFICE_HOURS = env("OFFICE_HOURS", default="周一至周五 9:00—12:00，13:30—17:00（法定节假日除外）")
# Letters go to the public in the office's language, whatever language the clerk's screen shows.
LETTER_LANGUAGE = env("LETTER_LANGUAGE", default=LANGUAGE_CODE)
LETTER_FONT_PATH = env("LETTER_FONT_PATH", default="/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
AGENCY_DROP_DIR = Path(env("AGENCY_DROP_DIR", default=str(DATA_DIR / "agency")))
# An open discrepancy older than this many days raises one problem in the ledger.
DISCREPANCY_ESCALATE_AFTER_DAYS = env.int("DISCREPANCY_ESCALATE_AFTER_DAYS", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# The coverage check's lookup log (eligibility.services.coverage): each INSERT commits without waiting
# for the WAL to reach the disk (synchronous_commit off for that one statement), which takes the disk's
# flush (~4 ms here) off every lookup; a crash of the database server may lose the last fraction of a
# second of lookups, never leave a half-written one. True: wait for the flush like every other write.
COVERAGE_LOG_DURABLE = env.bool("COVERAGE_LOG_DURABLE", default=False)
