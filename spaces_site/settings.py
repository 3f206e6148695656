"""Settings for Spaces: one module, driven by the environment (DESIGN §6).

The defaults are the embedded ones, safe for development: SQLite, the bundled
Valkey server on REDIS_URL (started by `make run`), console email. Production
sets DJANGO_DEBUG=false, a real SECRET_KEY, DATABASE_URL and REDIS_URL.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)  # the embedded database, test database and beat schedule

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="django-insecure-development-key-set-DJANGO_SECRET_KEY-in-production",
)
if not DEBUG and not env("DJANGO_SECRET_KEY", default=""):
    # Sessions, password resets and TURN credentials are signed with it: never a known key.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set, and DJANGO_DEBUG=false needs a secret key of its own: "
        "set DJANGO_SECRET_KEY to a long random value, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "csp",
    "core",
    "accounts",
    "timeline",
    "mediaserver",
    "rooms",
    "notifications",
    "scheduling",
    "recordings",
    "captions",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.NulBytesMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "core.middleware.TimeZoneMiddleware",
    "core.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
    "core.middleware.NotFoundPageMiddleware",
]

ROOT_URLCONF = "spaces_site.urls"
WSGI_APPLICATION = "spaces_site.wsgi.application"
ASGI_APPLICATION = "spaces_site.asgi.application"

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
                "csp.context_processors.nonce",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (psycopg 3 with a pool) in production.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = env.bool(
        "DATABASE_POOL", default=not DEBUG
    )
else:
    # A file, so that a live Daphne process in the browser tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis (or Valkey): channel layer, Celery broker, cache. `make run` starts the
# bundled Valkey server on this port when REDIS_URL is not set.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6390/0")
# While Redis is down or hung, every client gives up within seconds instead of the
# clients' defaults (minutes, or forever for a Celery publish): see docs/deploy.md.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=2.0)
REDIS_CLIENT_OPTIONS = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": env(
            "CHANNEL_LAYER_BACKEND", default="channels_redis.pubsub.RedisPubSubChannelLayer"
        ),
        "CONFIG": {"hosts": [{"address": REDIS_URL, **REDIS_CLIENT_OPTIONS}]},
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "spaces",
        "OPTIONS": REDIS_CLIENT_OPTIONS,
    }
}

# Where the site is, for links that leave it (tweets, emails, calendar files). `make run`
# serves on PORT, so the default follows it.
SITE_URL = env("SITE_URL", default=f"http://localhost:{env.int('PORT', default=8000)}")

# Web Push (VAPID). `manage.py vapidkeys` makes a pair; `make run` makes one in var/.
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env("VAPID_SUBJECT", default="mailto:admin@localhost")
# The browsers' push services: the only hosts the server will send pushes to.
PUSH_SERVICE_HOSTS = env.list(
    "PUSH_SERVICE_HOSTS",
    default=[
        "fcm.googleapis.com",
        "push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
)
# Push services are HTTPS; plain http is allowed only to loopback, for local testing.
PUSH_ALLOW_LOOPBACK = env.bool("PUSH_ALLOW_LOOPBACK", default=DEBUG)

# Live audio (DESIGN §4). The embedded media server (`manage.py runmedia`) listens on
# MEDIA_CHANNEL of the channel layer; only the servers can reach it.
MEDIA_BACKEND = env("MEDIA_BACKEND", default="embedded")
MEDIA_CHANNEL = env("MEDIA_CHANNEL", default="media.embedded")
MEDIA_ANSWER_TIMEOUT = env.float("MEDIA_ANSWER_TIMEOUT", default=5.0)
# ICE servers for browsers, as RTCIceServer dicts: none by default (loopback, one host).
MEDIA_ICE_SERVERS = env.json("MEDIA_ICE_SERVERS", default=[])
# A coturn `static-auth-secret`: browsers get short-lived TURN credentials minted from it.
TURN_SECRET = env("TURN_SECRET", default="")
TURN_URLS = env.list("TURN_URLS", default=[])
TURN_TTL = env.int("TURN_TTL", default=3600)
# The egress (mediaserver/egress/): the room mix as HLS, fMP4 segments of
# HLS_SEGMENT_SECONDS, in EGRESS_STORAGE (an alias in STORAGES or a dotted path to a
# Storage class; None: a private directory, EGRESS_ROOT), under hls/<space_id>/. Never
# the uploads' MEDIA_ROOT, which is public: who may hear a Space is checked per request
# (recordings/views.py), so the files live where no URL reaches them unchecked.
EGRESS_STORAGE = env("EGRESS_STORAGE", default=None)
EGRESS_ROOT = env.path("EGRESS_ROOT", default=str(VAR_DIR / "egress"))
HLS_SEGMENT_SECONDS = env.float("HLS_SEGMENT_SECONDS", default=2.0)
# Anonymous sockets one address may hold open to one Space (docs/realtime.md).
WS_ANON_SOCKETS_PER_ADDRESS = env.int("WS_ANON_SOCKETS_PER_ADDRESS", default=20)

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
# One queue per deployment sharing a Redis (the browser tests use one per run).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing a task while Redis is down raises within seconds (the default retries forever
# on a hung server); the worker and beat keep reconnecting on their own.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {**REDIS_CLIENT_OPTIONS, "max_retries": 1}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# When the broker connection drops, running tasks are given back (acks_late) and run again,
# as they will be by default in Celery 6 (and the worker says no deprecation warning).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A live Space whose host has been away this long (seconds) is told it ends in a minute,
# then ends (docs/realtime.md).
HOST_AWAY_GRACE = env.int("HOST_AWAY_GRACE", default=300)
# One beat process; each issue adds its periodic tasks here.
CELERY_BEAT_SCHEDULE = {
    "rooms-sweep-presence": {"task": "rooms.tasks.sweep_presence", "schedule": 10.0},
    "rooms-end-when-host-away": {"task": "rooms.tasks.end_when_host_away", "schedule": 10.0},
    "rooms-refresh-live-bar-counts": {
        "task": "rooms.tasks.refresh_live_bar_counts",
        "schedule": 30.0,
    },
    # Expired sessions are deleted (Django keeps them otherwise).
    "core-clear-sessions": {"task": "core.tasks.clear_sessions", "schedule": 3600.0},
    # Reminders are claimed from the database when due, never queued ahead (DESIGN §5).
    "scheduling-deliver-reminders": {
        "task": "scheduling.tasks.deliver_reminders",
        "schedule": 30.0,
    },
    # Owed emails and pushes are rows in outboxes: each sweep claims what is due (retries,
    # and whatever a lost task left), so no message waits on a queued task.
    "notifications-send-emails": {"task": "notifications.tasks.send_emails", "schedule": 30.0},
    "notifications-send-pushes": {"task": "notifications.tasks.send_pushes", "schedule": 30.0},
    # Scheduled Spaces never started are let go SPACE_NOT_HELD_AFTER past their time.
    "scheduling-mark-not-held": {"task": "scheduling.tasks.mark_not_held", "schedule": 60.0},
    # Recordings past their retention are deleted, files and state (docs/recordings.md).
    "recordings-expire": {"task": "recordings.tasks.expire_recordings", "schedule": 3600.0},
}
# Seconds after its time that a scheduled Space never started is marked not held
# (docs/scheduling.md).
SPACE_NOT_HELD_AFTER = env.int("SPACE_NOT_HELD_AFTER", default=2 * 3600)
# Recordings (docs/recordings.md): kept this many days after their Space ended; with a
# prefix (e.g. "/protected/"), their files are sent by nginx (X-Accel-Redirect), not Django.
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=30)
RECORDINGS_X_ACCEL_PREFIX = env.str("RECORDINGS_X_ACCEL_PREFIX", default=None)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "timeline:home"

# django-allauth: email + password, a handle chosen at sign-up.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "handle"
ACCOUNT_USERNAME_VALIDATORS = "accounts.validators.handle_validators"
ACCOUNT_USERNAME_MIN_LENGTH = 2
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "signup": "20/m/ip"}

globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Spaces <noreply@spaces.localhost>")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Daphne serves uploads itself on the embedded defaults; production puts a web
# server or object storage in front and turns this off.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic in development, whitenoise serves straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Any request body, refused by its Content-Length (or once a streamed body passes it)
# before Django reads it: core.middleware.BodyLimitMiddleware in spaces_site/asgi.py.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=6 * 1024 * 1024)

# Avatars: re-encoded through Pillow, these limits apply before decoding.
AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_PIXELS = 4096 * 4096
AVATAR_SIZE = 400

REST_FRAMEWORK = {
    # Token first: DRF takes the first class's WWW-Authenticate, so a missing or bad
    # token is a 401 that says how to authenticate (session auth alone gives 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Spaces API",
    "DESCRIPTION": "Live audio rooms in a small social network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # `<id:...>` (core.forms.RowIdConverter): what the URL resolver accepts.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    },
    # One name for the languages wherever they appear (a person's, a Space's captions').
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": LANGUAGES},
}

# Content Security Policy: no inline script anywhere; nonces for the few pages
# (API docs) whose vendored script is inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF, "ws:", "wss:"] if DEBUG else [SELF, "wss:"],
        "media-src": [SELF, "blob:"],
        "object-src": ["'none'"],
        "base-uri": [SELF],
        "frame-ancestors": ["'none'"],
        "form-action": [SELF],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"outage_one_liner": {"()": "core.logging.OutageOneLiner"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["outage_one_liner"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# Clips (issue 11, docs/recordings.md "Clips"): how many one person may cut in an hour.
CLIPS_PER_HOUR = env.int("CLIPS_PER_HOUR", default=20)

# Listening over HLS (issue 11; docs/media.md, "Listening over HLS"). The embedded media
# server answers at most WEBRTC_LISTENER_CAP WebRTC listeners per Space; past it, or when
# it is saturated (MEDIA_MAX_SESSIONS connections in all, or a room's 20 ms mix clock late
# by more than MEDIA_MAX_LATENESS seconds on average: over a tick, it cannot keep up), a
# new listener is sent to the Space's live HLS stream. Speakers are never refused for it.
WEBRTC_LISTENER_CAP = env.int("WEBRTC_LISTENER_CAP", default=200)
MEDIA_MAX_SESSIONS = env.int("MEDIA_MAX_SESSIONS", default=300)
MEDIA_MAX_LATENESS = env.float("MEDIA_MAX_LATENESS", default=0.025)

# Live HLS after the end (review 4): an HLS listener plays a few seconds behind, so the
# live stream's files stay served (and an unrecorded Space's files stay) this long after
# the Space ended.
LIVE_HLS_GRACE_SECONDS = env.int("LIVE_HLS_GRACE_SECONDS", default=30)

# Captions (issue 12; docs/captions.md). A worker process (`manage.py runcaptions`)
# recognises each speaker's audio, which the media server sends it as UDP datagrams to
# CAPTIONS_FEED_ADDRESS (loopback, or a private interface: never a public one). Without
# CAPTIONS_MODEL_PATH the models that install from PyPI are used (English: Whisper
# tiny.en; Italian: Whisper base); with it, the faster-whisper (CTranslate2) model in
# that directory, for every language it knows. Audio more than CAPTIONS_MAX_BACKLOG
# seconds behind is dropped, and the page says captions are behind.
CAPTIONS_MODEL_PATH = env.str("CAPTIONS_MODEL_PATH", default=None)
CAPTIONS_FEED_ADDRESS = env.str("CAPTIONS_FEED_ADDRESS", default="127.0.0.1:8399")
CAPTIONS_MAX_BACKLOG = env.float("CAPTIONS_MAX_BACKLOG", default=6.0)
CAPTIONS_CPU_THREADS = env.int("CAPTIONS_CPU_THREADS", default=2)
