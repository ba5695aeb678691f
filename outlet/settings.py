"""One settings module, read from the environment.

The local profile (the default) needs nothing: SQLite, a cache in files, a Celery broker on the filesystem and
email to the console.  Setting DATABASE_URL, REDIS_URL, EMAIL_URL switches each part to its production
counterpart.  OUTLET_ENV=production refuses to start without real secrets, so a misconfigured deploy fails at
boot instead of running with demo keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from outlet.common import email_config
from outlet.payments.providers import PROVIDER_IDS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OUTLET_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
if os.environ.get("OUTLET_ENV", "local") != "production":
    VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    """Accept only true/false spellings so a typo such as DEBUG=flase is an error, not a silent False."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


OUTLET_ENV = os.environ.get("OUTLET_ENV", "local")
if OUTLET_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(f"OUTLET_ENV must be 'local' or 'production', not {OUTLET_ENV!r}")
IS_PRODUCTION = OUTLET_ENV == "production"

LOCAL_ONLY_SECRET_KEY = "local-only-insecure-key-never-used-in-production"
SECRET_KEY = env_secret("SECRET_KEY", None if IS_PRODUCTION else LOCAL_ONLY_SECRET_KEY) or ""
if IS_PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY == LOCAL_ONLY_SECRET_KEY):
    raise ImproperlyConfigured("Production needs SECRET_KEY (or SECRET_KEY_FILE): 50+ random characters")

DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)
if IS_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production needs ALLOWED_HOSTS")

# Absolute address of the site, used for canonical URLs, feeds, sitemaps and links in emails.
SITE_URL = os.environ.get("SITE_URL", "" if IS_PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if IS_PRODUCTION and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("Production needs SITE_URL starting with https://")
SITE_NAME = os.environ.get("SITE_NAME", "Caucasus Ledger")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL] if SITE_URL else [])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin: it adds each language's fields to the registered models
    "outlet.staff.apps.OutletAdminConfig",  # the admin, behind staff two-factor sign-in (outlet/staff/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "django_prose_editor",
    "anymail",  # email services behind one EMAIL_URL, and their bounce/complaint webhooks
    "outlet.common.apps.CommonConfig",
    "outlet.publishing.apps.PublishingConfig",
    "outlet.staff.apps.StaffConfig",
    "outlet.payments.apps.PaymentsConfig",
    "outlet.receipts.apps.ReceiptsConfig",
    "members.apps.MembersConfig",
    "donations.apps.DonationsConfig",
    "outlet.newsletters.apps.NewslettersConfig",
    "outlet.privacy.apps.PrivacyConfig",
    "outlet.demo.apps.DemoConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "outlet.common.security_headers.ContentSecurityPolicyMiddleware",  # CONTENT_SECURITY_POLICY below
    "outlet.common.security_headers.PermissionsPolicyMiddleware",  # PERMISSIONS_POLICY below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "outlet.common.front_cache.FrontCacheMiddleware",  # anonymous pages answered before sessions, CSRF and auth
    "outlet.payments.fast_lane.WebhookFastLane",  # provider webhooks straight to the intake (no cookies, no user)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the language from the address (English when unprefixed)
    "outlet.common.languages.RememberedLanguageMiddleware",  # a reader who prefers another is sent to it
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "outlet.common.request_guard.RefuseNulBytesMiddleware",  # a NUL byte in the address or a form is a 400, never a 500
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "outlet.urls"
WSGI_APPLICATION = "outlet.wsgi.application"

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
                "outlet.web.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------------
if "DATABASE_URL" in os.environ:
    DATABASES = {"default": env.db("DATABASE_URL")}
elif IS_PRODUCTION:
    raise ImproperlyConfigured("Production needs DATABASE_URL (PostgreSQL)")
else:
    # The web process and the worker write to one file: WAL lets readers run beside a writer, IMMEDIATE takes the
    # write lock when a transaction starts (so two writers queue instead of failing midway), and the timeout says
    # how long to queue.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, plus the connection a web process opens while it starts (outlet/common/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "outlet.common.postgresql"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ---------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if IS_PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("Production needs REDIS_URL")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "outlet")
# When Redis is down the site keeps serving readers (outlet/common/redis_cache.py): reads are misses, writes do nothing,
# and each process stops asking Redis for OUTAGE_RETRY_SECONDS after a failure, so an outage costs microseconds per
# call, not a timeout. What fails closed or open instead of guessing (README: "When Redis is down"):
# - donation checkout starts fail closed (donations/abuse.py: the card-testing counters cannot count);
# - sign-in stays open under per-process limits: allauth's rate-limit counters and its used-TOTP-code markers fall
#   back to this process's memory, so password guessing is still stopped (each web process enforces the limits on
#   its own: a guesser gets at most one allowance per process, never an unlimited run), while members who are
#   signed out can still sign in to read what they pay for.
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": 0.5,  # seconds; a Redis next to the web server answers in about a millisecond
    "socket_timeout": 1.0,
    "OUTAGE_RETRY_SECONDS": 5,
    "OUTAGE_LOG_SECONDS": 60,
    "LOCAL_FALLBACK_PREFIXES": ["allauth:rl:", "allauth.mfa.totp.used"],
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "outlet.common.redis_cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 300,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    # Short socket timeouts, so a request that queues work (webhook intake, a paid checkout) learns quickly that
    # the broker is gone: at once when Redis is stopped, within 3 s when it hangs. socket_timeout stays well above
    # the worker's 1 s BRPOP wait.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 1,
        "socket_timeout": 3,
    }
else:
    # Shared state is shared here too: the web server and the worker's processes all count card-testing declines,
    # checkout starts and allauth's rate limits in one folder of files (outlet/common/file_cache.py takes a lock for
    # add/incr, so counts are never lost between processes). Not DatabaseCache: every page-cache write would queue
    # for SQLite's one write lock behind the worker's transactions, and cache writes would roll back with the
    # caller's transaction, unlike Redis's. A page-cache write here is one file renamed into place plus a listing of
    # the folder (about 10 ms at 5,000 entries): fine for a local reader. MAX_ENTRIES is well above what the demo
    # fills (pages, fragments, counters), so culling, which deletes a random third, does not drop a live counter.
    CACHES = {
        "default": {
            "BACKEND": "outlet.common.file_cache.SharedFileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 300,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
    # A broker that needs no server: messages are files, shared by the web process and the worker.
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
        "control_folder": str(VAR_DIR / "celery-control"),  # broadcast/pidbox exchanges (else ./control)
    }
    if CELERY_BROKER_URL.startswith("filesystem://"):
        _broker_dir.mkdir(parents=True, exist_ok=True)
        (VAR_DIR / "celery-control").mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless this is set: every task
# then paid for a new PostgreSQL connection (a new backend process, its catalog caches cold), 12% of a receipt's time
# in the worker. With it, a worker keeps its connection the way a web process does, and outlet.celery checks it
# between tasks as Django does between requests (CONN_MAX_AGE, errors, the health check). The fixup still closes
# it after this many tasks.
CELERY_DB_REUSE_MAX = 10_000
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "outlet")
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues work while the broker is down gives up after one quick retry (about half a second) instead
# of Celery's default three; every enqueue made from a request catches the failure and a beat sweep re-derives the
# work from the database (webhook events, receipts). The worker reconnects for as long as the broker is away
# instead of exiting after 100 tries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Auth (django-allauth: readers sign in with their email address; no usernames anywhere) ----------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# The default User keeps its (required, unique) username column; allauth never shows it and fills it with a
# unique name generated from the email address at signup. Readers only ever see and type their email.
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "members.forms.SignupForm"  # adds an optional name, for greetings in emails
# Our hooks (members/adapter.py): the site's one client-address rule, over-long addresses refused, and the
# wrong-password locks per address and connection described under ACCOUNT_RATE_LIMITS.
ACCOUNT_ADAPTER = "members.adapter.AccountAdapter"
ACCOUNT_UNIQUE_EMAIL = True
# A reader proves the address before the account is usable: a short code, typed on the page they are on, so the
# signup's ?next= (say /membership/) survives verification without a trip through a mailed link.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
# A signed-in reader who adds an address and types its code goes back to their addresses, not the front page.
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "/accounts/email/"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True  # "Send me a sign-in code" for readers who forget passwords
# Password reset by emailed link (not code): a link still works when the mail is opened on another device.
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the reader when their password or email address changed
ACCOUNT_PREVENT_ENUMERATION = True  # signup/reset never reveal whether an address has an account
ACCOUNT_SESSION_REMEMBER = True  # stay signed in (SESSION_COOKIE_AGE); readers sign out from the header
ACCOUNT_LOGOUT_ON_GET = False  # sign out is a POST form (CSRF), never a link a third party can fire
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Caucasus Ledger] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if IS_PRODUCTION else "http"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# Rate limits stay on (allauth counts in the default cache: Redis in production, shared by every worker).
# Format "<amount>/<period>/<key>", period s/m/h/d, key ip / key (the email address typed) / user. "ip" is the
# client address of outlet/common/client_address.py (IPv6 counted per /64), the rule the donation limits use too.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",  # sign-in attempts of any outcome
    # Wrong passwords. The "key" here is the address typed *and* the connection it is typed from
    # (members/adapter.py), so a guesser locks only their own connection out of that account, never its owner:
    # 5 per 5 minutes and 20 an hour per address and connection (and 10 a minute per connection over all
    # addresses). Two-factor codes count here too, keyed by account (allauth.mfa).
    "login_failed": "10/m/ip,5/5m/key,20/h/key",
    # ...and per address over all connections, above what one connection can reach (20 an hour), so only a guess
    # spread over several connections meets it, and it bounds such a guess. Either lock points the reader at
    # sign-in by emailed code, which neither blocks.
    "login_failed_account": "50/h/key",
    "signup": "10/m/ip",  # signup form submissions from one address (an office NAT included)
    "confirm_email": "1/10s/key",  # resending a verification code
    "request_login_code": "20/m/ip,3/m/key",  # mailing a sign-in code
    "reset_password": "20/m/ip,5/m/key",  # mailing a reset link
    "reset_password_from_key": "20/m/ip",  # opening/using reset links
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# How many proxies (TLS terminator, load balancer) forward each request to the app. Every per-address limit (sign-in,
# sign-up, checkout starts) reads the reader's address from X-Forwarded-For by this count
# (outlet/common/client_address.py); with the wrong count every reader shares the proxy's address, and ten checkout
# starts lock out the whole site.
# Production must say it, 0 included: there is no safe guess.
_proxy_count = os.environ.get("ALLAUTH_TRUSTED_PROXY_COUNT", "").strip() or ("" if IS_PRODUCTION else "0")
if not _proxy_count:
    raise ImproperlyConfigured(
        "Production needs ALLAUTH_TRUSTED_PROXY_COUNT: how many proxies forward each request to the app (1 behind "
        "one TLS proxy, 0 if clients connect to gunicorn directly), so rate limits count readers, not the proxy"
    )
if _proxy_count not in {str(count) for count in range(11)}:
    raise ImproperlyConfigured(f"ALLAUTH_TRUSTED_PROXY_COUNT must be a whole number from 0 to 10, not {_proxy_count!r}")
ALLAUTH_TRUSTED_PROXY_COUNT = int(_proxy_count)
# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) with one-time recovery codes as the backup.
# Staff must have used it in their current session to reach the admin (outlet/staff/admin_site.py); readers may opt in.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME  # the name staff see in their authenticator app
MFA_TRUST_ENABLED = False  # no "trust this browser": every staff sign-in asks for a code
# Accept the code of the 30-second step before and after the current one (RFC 6238's advice): a phone's clock a
# little off, or a code typed as it changes, still works; a used code is refused for the whole window.
MFA_TOTP_TOLERANCE = 1
# The admin demands a session that passed two-factor sign-in. On in every profile; production refuses to turn it off.
ADMIN_REQUIRES_MFA = env_bool("ADMIN_REQUIRES_MFA", default=True)
if IS_PRODUCTION and not ADMIN_REQUIRES_MFA:
    raise ImproperlyConfigured("Production admin needs two-factor sign-in: ADMIN_REQUIRES_MFA cannot be false")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email -------------------------------------------------------------------------------------------------
# One EMAIL_URL (or EMAIL_URL_FILE) picks plain SMTP or an email service through django-anymail
# (outlet/common/email_config.py lists the forms); bounces and complaints come back to /email/webhooks/.
_email_url = (env_secret("EMAIL_URL") or "").strip()
if _email_url:
    _email = email_config.email_settings(_email_url)
    if IS_PRODUCTION and email_config.scheme_of(_email_url) in email_config.LOCAL_SCHEMES:
        raise ImproperlyConfigured("Production needs EMAIL_URL to send real email (SMTP or an email service)")
    vars().update(_email)
elif IS_PRODUCTION:
    raise ImproperlyConfigured("Production needs EMAIL_URL (e.g. smtp+tls://user:pass@host:587 or postmark://TOKEN@)")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Caucasus Ledger <members@outlet.invalid>")
# A mail server that accepts and never answers must not hold a receipt's row lock for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
ANYMAIL = {
    **vars().get("ANYMAIL", {}),
    **email_config.webhook_settings(env_secret),
    "REQUESTS_TIMEOUT": EMAIL_TIMEOUT,
    # A service that refuses a recipient (already on its own bounce list) will refuse it on every retry: the send
    # counts as done, and the service's "rejected" report reaches the tracking webhook instead of a retry loop.
    "IGNORE_RECIPIENT_STATUS": True,
}
# The SES webhook takes notifications only from these SNS topics (anymail checks the basic auth, not the topic).
EMAIL_SES_SNS_TOPIC_ARNS = email_config.sns_topics(os.environ.get("EMAIL_SES_SNS_TOPIC_ARNS"))
# The largest CSV export the admin makes in one download (outlet/csv_stream.too_big_to_export).
CSV_EXPORT_MAX_ROWS = env.int("CSV_EXPORT_MAX_ROWS", default=2_000_000)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ----------------------------------------------------------------------------------
# English is the source language and lives at the site's root; the others under /ka/, /hy/, /az/ and /ru/.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ka", "ქართული"),
    ("hy", "Հայերեն"),
    ("az", "Azərbaycanca"),
    ("ru", "Русский"),
]
# Ours (makemessages writes it), then catalogues we add for packages that lack a language: allauth has no Armenian.
# The second is not named "locale", so makemessages never takes it for one of ours and rewrites it.
LOCALE_PATHS = [BASE_DIR / "outlet" / "locale", BASE_DIR / "outlet" / "locale_extra"]
# Staff-edited texts (outlet/publishing, members, donations translation.py): a language left empty shows English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the switcher's choice is remembered for a year
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True  # no script of ours reads it
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Tbilisi")
USE_I18N = True
USE_TZ = True

# --- Static and media --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(
    os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles" if IS_PRODUCTION else VAR_DIR / "staticfiles")
)
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Locally (runserver, tests) whitenoise serves straight from the app folders; production serves collectstatic's output.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Locally the app serves uploads itself; production puts the reverse proxy or object storage in front of
# /media/ (README: Deploying), or sets SERVE_MEDIA=true on a small site.
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=not IS_PRODUCTION)
STORAGES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", default=IS_PRODUCTION)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploaded pictures live on this machine's disk by default. With MEDIA_BUCKET set they live in S3-compatible object
# storage (AWS S3, Cloudflare R2, MinIO, Backblaze B2...) through django-storages, so any number of web and worker
# machines serve and write the same files. Pictures are public and their addresses sit in cached pages, so the
# addresses are plain (never signed, which would expire): MEDIA_PUBLIC_URL is the bucket's public address or the CDN
# in front of it; MEDIA_URL becomes it, which is also how story bodies recognise a library picture.
MEDIA_BUCKET = os.environ.get("MEDIA_BUCKET", "")
MEDIA_ORIGIN = ""
if MEDIA_BUCKET:
    _media_endpoint = os.environ.get("MEDIA_ENDPOINT_URL", "").rstrip("/")
    _media_prefix = os.environ.get("MEDIA_PREFIX", "media").strip("/")
    _media_public = os.environ.get("MEDIA_PUBLIC_URL", "").rstrip("/") or (
        f"{_media_endpoint}/{MEDIA_BUCKET}" if _media_endpoint else f"https://{MEDIA_BUCKET}.s3.amazonaws.com"
    )
    _media_public_parts = urlsplit(_media_public)
    if _media_public_parts.scheme not in {"http", "https"} or not _media_public_parts.netloc:
        raise ImproperlyConfigured("MEDIA_PUBLIC_URL must be an http(s) address, e.g. https://media.example.org")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "endpoint_url": _media_endpoint or None,
            "region_name": os.environ.get("MEDIA_REGION") or None,
            "access_key": env_secret("MEDIA_ACCESS_KEY_ID"),
            "secret_key": env_secret("MEDIA_SECRET_ACCESS_KEY"),
            "location": _media_prefix,
            "custom_domain": _media_public_parts.netloc + _media_public_parts.path,
            "url_protocol": f"{_media_public_parts.scheme}:",
            "querystring_auth": False,
            "file_overwrite": False,  # two machines uploading "photo.jpg" keep both
            "default_acl": None,  # the bucket's policy decides; ACLs are off on new AWS buckets
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
    MEDIA_URL = f"{_media_public}/{_media_prefix}/" if _media_prefix else f"{_media_public}/"
    MEDIA_ORIGIN = f"{_media_public_parts.scheme}://{_media_public_parts.netloc}"
    SERVE_MEDIA = False

# --- Security ----------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Content-Security-Policy (django-csp; outlet/common/security_headers.py): scripts, styles, fonts, images and
# fetches come from this site only (images may also be data: URLs); no inline script or style and no eval (the templates
# need none: behaviour lives in static/js), no plugins, no <base> elsewhere, never inside another site's frame. Forms
# post here, plus to the payment provider's hosted pages when that provider is in use (PAYMENT_PROVIDER_PAGES: a browser
# applies form-action to the redirect a form's answer makes); the sandbox's pages are on this host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the authenticator app's QR code (allauth); the object storage's address when pictures live there
        "img-src": ["'self'", "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
PAYMENT_PROVIDER_PAGES = {"stripe": ["https://checkout.stripe.com", "https://billing.stripe.com"]}
# Browser features no page here uses are off for this site and anything it frames ("()" = nobody). Only features
# Chromium recognises are listed: an unknown one is a console warning on every page (Chromium 156 has no
# "bluetooth"; tests/e2e/test_content_security_policy.py fails on such a warning). Passkeys would need
# publickey-credentials-get=(self); two-factor here is an authenticator app and recovery codes.
PERMISSIONS_POLICY = {
    feature: "()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "serial",
        "usb",
        "xr-spatial-tracking",
        "browsing-topics",
    )
}
if IS_PRODUCTION:
    if ALLAUTH_TRUSTED_PROXY_COUNT:
        # Only a proxy we were told about may say the reader came over HTTPS; with none, a client connecting to
        # gunicorn directly could claim it.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers and container runtimes ask /healthz over plain HTTP inside the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Product settings --------------------------------------------------------------------------------------
# How many metered articles a reader who is not a member may read in any rolling 30 days.
METERED_FREE_ARTICLES = env.int("METERED_FREE_ARTICLES", default=3)
METER_WINDOW_DAYS = 30
# How many seconds an anonymous reader's rendered article page may be served from the cache.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
# Anonymous pages answered above the session middleware (outlet/common/front_cache.py). The cookies are every one a
# shared page may read; the local bytes bound each process's own copies (the shared cache holds them all).
FRONT_CACHE = env.bool("FRONT_CACHE", default=True)
FRONT_CACHE_LOCAL_BYTES = env.int("FRONT_CACHE_LOCAL_BYTES", default=8 * 1024 * 1024)
FRONT_CACHE_KEY_COOKIES = ["django_language", "outlet_meter", "outlet_dismissed"]
FRONT_CACHE_QUERY_PARAMETERS = {"page", "currency"}
# Signed-in readers' pages are vouched for by one query per request (outlet/publishing/reader_pass.py), prepared on
# PostgreSQL; off behind a pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
READER_CHECK_PREPARED = env.bool("READER_CHECK_PREPARED", default=True)
if READER_CHECK_PREPARED and DATABASES["default"]["ENGINE"] == "outlet.common.postgresql":
    # psycopg prepares nothing without a threshold. Django's own cursors bind in the client and never prepare, so
    # this reaches only the check's cursor, which asks for it on every run.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)

# Newsletters (outlet/newsletters/sending.py): emails per second across a send's workers (the mail provider's
# limit), how many Delivery rows a worker claims at once, how long a claim stands before another worker may take
# it over (longer than EMAIL_TIMEOUT: only a dead worker's rows go stale), how many tasks share a send, and how
# long one task sends before handing over to a fresh one (short tasks: a deploy restarts workers between them).
NEWSLETTER_SEND_RATE = env.float("NEWSLETTER_SEND_RATE", default=50.0)
NEWSLETTER_CLAIM_BATCH = env.int("NEWSLETTER_CLAIM_BATCH", default=200)
NEWSLETTER_CLAIM_TIMEOUT = env.int("NEWSLETTER_CLAIM_TIMEOUT", default=300)
NEWSLETTER_SEND_WORKERS = env.int("NEWSLETTER_SEND_WORKERS", default=1)
NEWSLETTER_TASK_SECONDS = env.int("NEWSLETTER_TASK_SECONDS", default=120)
# Sign-ups from the form on articles: at most this many per client address per hour.
NEWSLETTER_SIGNUPS_PER_HOUR = env.int("NEWSLETTER_SIGNUPS_PER_HOUR", default=10)
ARTICLES_PER_PAGE = 12

# --- Payments ----------------------------------------------------------------------------------------------
# "sandbox" (local checkout and portal pages, no keys) or "stripe". Production refuses the sandbox.
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "stripe" if IS_PRODUCTION else "sandbox")
if PAYMENT_PROVIDER not in PROVIDER_IDS:
    raise ImproperlyConfigured(f"PAYMENT_PROVIDER must be one of {', '.join(PROVIDER_IDS)}, not {PAYMENT_PROVIDER!r}")
if IS_PRODUCTION and PAYMENT_PROVIDER != "stripe":
    raise ImproperlyConfigured("Production takes payments through Stripe: PAYMENT_PROVIDER=stripe")
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY", "") or ""
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET", "") or ""
if PAYMENT_PROVIDER == "stripe" and IS_PRODUCTION and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured("Production needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
# Signs the sandbox's own webhook events, so they pass through the same verifying intake as Stripe's.
# Its own key, derived from SECRET_KEY unless set: a key used for one purpose only (signing sandbox events).
SANDBOX_WEBHOOK_SECRET = (
    env_secret("SANDBOX_WEBHOOK_SECRET")
    or hmac.new(SECRET_KEY.encode(), b"outlet.payments.sandbox.webhook-signing", hashlib.sha256).hexdigest()
)
# Local only: the sandbox plays a payment provider that has stopped answering (each call a person waits on pauses
# this long, then fails as the Stripe adapter does when Stripe is silent): SANDBOX_SILENT_SECONDS=8 make run
SANDBOX_SILENT_SECONDS = env.float("SANDBOX_SILENT_SECONDS", default=0.0)
# What the card statement shows (Stripe: 5-22 characters).
PAYMENT_STATEMENT_DESCRIPTOR = os.environ.get("PAYMENT_STATEMENT_DESCRIPTOR", "CAUCASUS LEDGER")
# An event not processed this many minutes after it arrived is queued again by the sweep task.
WEBHOOK_REQUEUE_AFTER_MINUTES = env.int("WEBHOOK_REQUEUE_AFTER_MINUTES", default=5)

# --- Memberships -------------------------------------------------------------------------------------------
# After a failed renewal a member keeps access this many days while the provider retries the card.
MEMBERSHIP_GRACE_DAYS = env.int("MEMBERSHIP_GRACE_DAYS", default=7)
# A paid membership stays open this long past its period end, so a renewal that is charged a little late never
# locks a paying reader out between the period ending and the provider's renewal event arriving.
MEMBERSHIP_RENEWAL_LEEWAY_HOURS = env.int("MEMBERSHIP_RENEWAL_LEEWAY_HOURS", default=48)
MEMBERSHIP_CURRENCIES = ["GEL", "USD", "EUR"]

# --- Donations and receipts --------------------------------------------------------------------------------
# The processing-fee estimate shown on the donation form, added when the donor covers it, and taken off each gift
# before the newsrooms' split: a percentage in basis points (290 = 2.9 %) plus a fixed part per currency.
DONATION_FEE_BASIS_POINTS = env.int("DONATION_FEE_BASIS_POINTS", default=290)
DONATION_FEE_FIXED_MINOR = {"GEL": 80, "USD": 30, "EUR": 25}
# What a donor's card statement shows: neutral on purpose, for supporters at risk (Stripe: 5-22 characters).
DONATION_STATEMENT_DESCRIPTOR = os.environ.get("DONATION_STATEMENT_DESCRIPTOR", "CL MEDIA SERVICES")
# Donor names, emails and messages are blanked this many years after the gift (receipts must be kept for the
# bookkeeping period); amounts stay, so totals and the ledger never change.
DONOR_DATA_RETENTION_YEARS = env.int("DONOR_DATA_RETENTION_YEARS", default=7)
# --- Privacy (outlet/privacy) ------------------------------------------------------------------------------
# A reader's data export (a zip of everything we hold about them) can be downloaded this many days, then is deleted.
PRIVACY_EXPORT_DAYS = env.int("PRIVACY_EXPORT_DAYS", default=7)
# Stored provider events (payments.WebhookEvent) keep the payer's email, name, address and phone this many days,
# long enough to investigate a disputed payment; then a daily task blanks those fields (ids, amounts and types stay).
WEBHOOK_PAYLOAD_RETENTION_DAYS = env.int("WEBHOOK_PAYLOAD_RETENTION_DAYS", default=90)
# The code emailed to confirm an account deletion (or a guest donor's erasure) works this many minutes.
PRIVACY_CODE_MINUTES = env.int("PRIVACY_CODE_MINUTES", default=30)
# The erase link in a guest donor's receipt email works this many days.
PRIVACY_GUEST_LINK_DAYS = env.int("PRIVACY_GUEST_LINK_DAYS", default=90)
# The organisation that issues receipts: its code keeps receipt numbers gap-free per issuer and year.
RECEIPT_ISSUER = {
    "code": os.environ.get("RECEIPT_ISSUER_CODE", "CL"),
    "name": os.environ.get("RECEIPT_ISSUER_NAME", "Caucasus Ledger Media Foundation"),
    "address": os.environ.get("RECEIPT_ISSUER_ADDRESS", "12 Rustaveli Avenue, Tbilisi 0108, Georgia"),
    "registration": os.environ.get("RECEIPT_ISSUER_REGISTRATION", "Registered non-profit, ID 404000000"),
}
# Card-testing defence: starts of a donation checkout allowed per window (seconds), per client address (one IPv4
# address or IPv6 /64, outlet/common/client_address.py) and per mailbox (plus-tags and Gmail's dots ignored).
DONATION_RATE_LIMITS = {"ip": (10, 600), "email": (5, 600)}
# Declines of one card (the provider's card fingerprint) in the window that get it refused, and for how long: while
# it is, the email and connection of any checkout it is declined on cannot start another gift.
DONATION_CARD_DECLINES = {"declines": 4, "window_seconds": 3600, "refuse_minutes": 360}
# Declined donation payments in the window that switch the proof-of-work challenge on, and for how long.
DONATION_DECLINE_SPIKE = {"declines": 8, "window_seconds": 600, "challenge_minutes": 120}
# How hard the proof-of-work challenge is (the largest number a browser may have to try).
DONATION_CHALLENGE_MAX_NUMBER = env.int("DONATION_CHALLENGE_MAX_NUMBER", default=100_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
