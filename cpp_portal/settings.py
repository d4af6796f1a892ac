"""CPP Portal settings, driven by environment variables.

With no variable set the portal runs on this machine alone: SQLite, a broker kept in files,
emails kept in the app. DATABASE_URL, REDIS_URL and real AWS settings make it run for real.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the embedded defaults write (database, broker files, keys) lives here, never in git.
LOCAL_DIR = Path(environ.Env().str("CPP_LOCAL_DIR", default=str(BASE_DIR / ".local")))

env = environ.Env()

# A checkout with no deployment variable at all is a developer's machine (DESIGN: "with none set,
# everything runs on this machine alone"), so a bare `manage.py` works there. Any one of them means
# a deployment: DEBUG is then off unless asked for, and a missing SECRET_KEY stops the process.
DEPLOYMENT_VARIABLES = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CPP_CREDENTIALS_KEYS")
RUNS_ALONE = not any(env.str(name, default="") for name in DEPLOYMENT_VARIABLES)
DEBUG = env.bool("DEBUG", default=RUNS_ALONE)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address used in emails (magic links, invitation links), where no request is at hand.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth.mfa's list of security keys uses it
    "django_countries",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "workshops",
    "notifications",
    "cleaner",
    "privacy",
    "django_htmx",
    "csp",
    "staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise (static files need no policy), before the rest: every page, the 503 and
    # error pages included, leaves with both headers.
    "csp.middleware.CSPMiddleware",
    "cpp_portal.headers.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After allauth's: an SA or superuser without a second factor reaches only the pages that set one up.
    "accounts.second_factor.SecondFactorRequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees exceptions from views first: Redis down is a clear 503, not a server error.
    "cpp_portal.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "cpp_portal.urls"
WSGI_APPLICATION = "cpp_portal.wsgi.application"

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

# --- Database -------------------------------------------------------------------------------
LOCAL_DIR.mkdir(parents=True, exist_ok=True)
# An empty DATABASE_URL (a compose file's `${DATABASE_URL:-}`) means unset, not a broken URL.
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{LOCAL_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside a writer, and
    # IMMEDIATE transactions wait for the lock instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # psycopg2 has no pool in Django: keep connections and check them before reuse, so a
    # restarted PostgreSQL costs one failed check, not a broken page.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def _next_redis_database(url: str) -> str:
    """The same Redis server, one database up: clearing the cache must never empty the task queue."""
    base, _, number = url.rstrip("/").rpartition("/")
    if number.isdigit() and "://" in base:
        return f"{base}/{int(number) + 1}"
    return f"{url.rstrip('/')}/1"


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_CACHE_URL", default="") or _next_redis_database(REDIS_URL),
        }
    }
else:
    # A database cache is shared by every local process, which rate limits need.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cpp_cache"}}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Staff: email and password through allauth (rate limited).
    "allauth.account.auth_backends.AuthenticationBackend",
    # Everyone: a signed, short-lived, single-use link (django-sesame).
    "sesame.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = 8 * 3600

# Magic links (DESIGN.md section 7): valid 15 minutes, usable once; only a POST signs in.
SESAME_MAX_AGE = 15 * 60
SESAME_ONE_TIME = True
SESAME_TOKEN_NAME = "token"  # noqa: S105 (a query parameter's name, not a secret)
# The link's MAC: 16 bytes (128 bits) rather than sesame's 10, so no guess ever hits one.
SESAME_SIGNATURE_SIZE = 16
# Sesame's v2 tokens, refused unless spelt exactly as sesame writes them (accounts.sesame_tokens);
# no v1 tokens at all.
SESAME_TOKENS = ["accounts.sesame_tokens"]
CPP_MAGIC_LINK_MINUTES = SESAME_MAX_AGE // 60
# The "your account is ready" link goes out up to the lead time before the start and is opened
# during the day: it lives through a workshop day, still single-use.
CPP_CREDENTIALS_LINK_MAX_AGE = 24 * 3600
# The privacy notice customers consent to; a new version asks them again.
CPP_PRIVACY_NOTICE_VERSION = env.str("CPP_PRIVACY_NOTICE_VERSION", default="2026-11")

# allauth, for staff password sign-in only: customers never get a password, and nobody signs up
# with one (accounts.adapter closes sign-up).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Per IP and per email address ("key"); they need a cache every process shares (Redis in production).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "magic_link": env.str("CPP_MAGIC_LINK_RATE", default="20/h/ip,5/h/key"),
}
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# The second factor (allauth.mfa): required of Solutions Architects and superusers, offered to
# Account Managers (accounts.second_factor). An authenticator app (TOTP) with recovery codes, and
# security keys or passkeys (WebAuthn) where the browser has them; never a passwordless sign-in.
MFA_ADAPTER = "accounts.second_factor.SecondFactorAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "CPP Portal"
# A code typed just as the app turns to the next one still counts (RFC 6238's one step of drift);
# failed codes count against the sign-in rate limits like wrong passwords.
MFA_TOTP_TOLERANCE = 1
# Browsers treat http://127.0.0.1 and localhost as secure for WebAuthn; fido2 does not, so `make run` needs this.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("pt", _("Portuguese")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------------
# With DEBUG off the defaults are those of a site served over HTTPS only (`check --deploy` is
# clean); with DEBUG on (`make run`) plain http works. Behind a proxy that terminates TLS, set
# BEHIND_TLS_PROXY, or every request looks like http and the redirect to https never ends. To
# serve plain http on purpose (a stack on localhost), set SECURE_SSL_REDIRECT=false.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# The language cookie goes the same way as the session's (set_language and accounts.views write it).
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = SESSION_COOKIE_HTTPONLY
LANGUAGE_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Sent over https only. A year, for the portal's host and any host under it (none of which may
# then serve plain http); 0 turns it off.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Asking browsers to preload HSTS is a submission for the whole registered domain, which only its
# owner can make and hardly undo: not a default of one site on it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles and everything else from this site only,
# no inline script, no inline style, no eval. Pages keep their JavaScript in static/ and pass
# data to it in data-* attributes; htmx is told not to inject its indicator <style> (staff/base.html).
# frame-ancestors repeats X_FRAME_OPTIONS for browsers that read only CSP. Two views set a policy
# of their own, which this one never overwrites: the outbox's email frame (stricter, and framed by
# the outbox page) and the credentials page (this policy with frame-ancestors pinned to 'none').
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # The admin's and the charts' images are files or inline SVG; data: for the admin's icons.
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}
# Permissions-Policy (cpp_portal/headers.py): every powerful feature off, except what the portal
# uses: WebAuthn (security keys and passkeys for staff sign-in) and writing to the clipboard (the
# copy buttons), both for this site only.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "clipboard-read": [],
    "clipboard-write": ["self"],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# --- Email ---------------------------------------------------------------------------------
# Every email goes through the outbox (notifications/); this backend is what finally sends it.
# The embedded default sends nothing: emails stay in the outbox and a staff page shows them.
OUTBOX_ONLY_BACKEND = "notifications.backends.OutboxOnlyBackend"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=OUTBOX_ONLY_BACKEND)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CPP Portal <cpp@example.com>")
# SES through django-ses (EMAIL_BACKEND=django_ses.SESBackend): API v2, a configuration set whose
# event destination posts bounces and complaints to /notifications/ses-events.
USE_SES_V2 = True
AWS_SES_REGION_NAME = env.str("AWS_SES_REGION_NAME", default=env.str("AWS_DEFAULT_REGION", default="eu-west-1"))
AWS_SES_REGION_ENDPOINT = f"email.{AWS_SES_REGION_NAME}.amazonaws.com"
AWS_SES_REGION_ENDPOINT_URL = (
    env.str("AWS_SES_REGION_ENDPOINT_URL", default=env.str("AWS_ENDPOINT_URL", default="")) or None
)
AWS_SES_CONFIGURATION_SET = env.str("AWS_SES_CONFIGURATION_SET", default="") or None
# The SNS topics whose events the webhook takes; django-ses takes any topic while this is empty,
# so with SES on it is required (notifications.checks refuses to start without it).
AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = env.list("AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS", default=[])
# The outbox keeps the rate itself, shared by every worker; django-ses's own throttle is per process.
AWS_SES_AUTO_THROTTLE = None
CPP_EMAIL_MAX_PER_SECOND = env.float("CPP_EMAIL_MAX_PER_SECOND", default=14.0)
# How many send loops the beat task starts each minute; each claims rows until none are due.
CPP_EMAIL_SENDERS = env.int("CPP_EMAIL_SENDERS", default=2)

# --- Celery ---------------------------------------------------------------------------------
# The embedded broker keeps messages in files, so web, worker and beat need no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = LOCAL_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The file broker is polled; 1 s (its default) makes a demo feel sluggish.
        "polling_interval": 0.2,
    }
else:
    # A late-acked task is handed out again after the visibility timeout: it must exceed the
    # longest countdown we ever use (a day of email backoff) or tasks run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 24 * 3600}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- AWS ------------------------------------------------------------------------------------
# AWS_ENDPOINT_URL (boto3's own variable) points every client at a local fake AWS.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="")
AWS_REGION = env.str("AWS_DEFAULT_REGION", default="eu-west-1")
CPP_SANDBOX_OU_ID = env.str("CPP_SANDBOX_OU_ID", default="")
CPP_SANDBOX_ROLE_NAME = env.str("CPP_SANDBOX_ROLE_NAME", default="OrganizationAccountAccessRole")
# Regions the guardrails allow when no published workshop names any.
CPP_SANDBOX_DEFAULT_REGIONS = env.list("CPP_SANDBOX_DEFAULT_REGIONS", default=[AWS_REGION])

# Fernet keys that encrypt attendees' console passwords at rest, comma-separated: the first
# encrypts, all decrypt, so a new key is put first and `manage.py rotate_credential_keys`
# re-encrypts before the old one is dropped. The local default is a key kept in .local/.
CPP_CREDENTIALS_KEYS = env.list("CPP_CREDENTIALS_KEYS", default=[])
if not CPP_CREDENTIALS_KEYS and DEBUG:
    _key_file = LOCAL_DIR / "credentials.key"
    if not _key_file.exists():
        from cryptography.fernet import Fernet

        _key_file.write_bytes(Fernet.generate_key())
        _key_file.chmod(0o600)
    CPP_CREDENTIALS_KEYS = [_key_file.read_text().strip()]
# Where attendees sign in to the AWS console of their sandbox account.
CPP_CONSOLE_SIGNIN_URL = env.str("CPP_CONSOLE_SIGNIN_URL", default="https://{account_id}.signin.aws.amazon.com/console")

# --- The workshop programme -----------------------------------------------------------------
# How long after a workshop's end it is closed automatically (credentials revoked, cleanup).
CPP_CLOSE_GRACE_MINUTES = env.int("CPP_CLOSE_GRACE_MINUTES", default=60)
CPP_GDPR_RETENTION_DAYS = env.int("CPP_GDPR_RETENTION_DAYS", default=30)
# A new workshop's AWS budget per attendee, in USD; each sandbox account's budget is this times its attendees.
CPP_BUDGET_PER_ATTENDEE_USD = env.float("CPP_BUDGET_PER_ATTENDEE_USD", default=25.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
