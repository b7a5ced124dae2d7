"""The only settings module. Everything comes from the environment (see .env.example).

IPNB_ENV picks the defaults: "production" (the default: secure, nothing assumed),
"development" (`make run`: DEBUG on, dev secrets, embedded PostgreSQL) or "test".
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from ipnb_notes.lib.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

IPNB_ENV = env_str("IPNB_ENV", "production")
if IPNB_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(
        f"IPNB_ENV must be production, development or test, not {IPNB_ENV!r}"
    )
PRODUCTION = IPNB_ENV == "production"

# --- Django core -------------------------------------------------------------------
DEBUG = env_bool("DEBUG", IPNB_ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG must be false in production: it shows settings and code to every visitor"
    )
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set in production"
        )
    SECRET_KEY = f"insecure-{IPNB_ENV}-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Shown to clients on the questionnaire page and in its email (nothing else identifies them).
PRACTICE_NAME = env_str("PRACTICE_NAME", "Your therapy practice")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "pgtrigger",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "ipnb_notes",
    "accounts",
    "audit",
    "clients",
    "sessions.apps.SessionsConfig",
    "dashboards",
    "disclosures",
    "measures",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ipnb_notes.http.RequestIdMiddleware",
    "ipnb_notes.middleware.security.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ipnb_notes.http.HtmxAwareLoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "ipnb_notes.middleware.security.SessionLifetimeMiddleware",
    "ipnb_notes.middleware.security.RequireMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ipnb_notes.http.PrivateResponseMiddleware",
    "ipnb_notes.middleware.security.DeniedAccessAuditMiddleware",
    "ipnb_notes.middleware.security.UnreadableCiphertextMiddleware",
    # Innermost but for axes: a request's queued audit events go out right after its view.
    "ipnb_notes.http.CarriedWritesMiddleware",
    # Last, so that it sees every failed login (django-axes documents this position).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ipnb_notes.urls"
WSGI_APPLICATION = "ipnb_notes.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "audit.context_processors.emergency_notices",
            ],
        },
    },
    # The dashboards' long table partials (docs/PERFORMANCE.md, "Rendering"): autoescaped,
    # no context processors (a partial gets only what its {% jinja %} tag passes it).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "ipnb_notes.jinja2.environment",
            "autoescape": True,
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "ipnb_notes.staticfiles.KeptURLStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Database: PostgreSQL only ----------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _url = urlsplit(DATABASE_URL)
    if _url.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            "DATABASE_URL must be a postgresql:// URL: ipnb-notes runs on PostgreSQL only"
        )
    _db = {
        "NAME": unquote(_url.path.lstrip("/")),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": parse_qs(_url.query).get("host", [_url.hostname or ""])[0],
        "PORT": str(_url.port or ""),
    }
    # TLS to the database (CRY-01): sslmode=verify-full&sslrootcert=... in the URL's query
    # reach libpq; nothing else in the query does.
    _tls = {
        k: v[0]
        for k, v in parse_qs(_url.query).items()
        if k in {"sslmode", "sslrootcert", "sslcert", "sslkey"}
    }
    if _tls:
        _db["OPTIONS"] = _tls
elif PRODUCTION:
    raise ImproperlyConfigured(
        "DATABASE_URL must be set in production: the embedded PostgreSQL server is for"
        " development and tests only"
    )
else:
    from ipnb_notes import devdb

    _name = env_str("DB_NAME", "ipnb_notes")
    _db = {"NAME": _name, "PASSWORD": "", **devdb.ensure_running(_name)}

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        **{k: v for k, v in _db.items() if k != "OPTIONS"},
        "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        # Prepared statements are possible on the connection (Django turns them off): only
        # ipnb_notes.batch.run asks for them, for the pages' reads; Django's own cursors
        # bind client-side and are never prepared. A pooler in transaction mode in front of
        # PostgreSQL would need this removed (docs/DECISIONS.md).
        # Those reads are written for generic plans (flags and statuses in the statement's
        # text, partial indexes): PostgreSQL keeps a prepared statement's one plan instead of
        # planning it again on every execution when its estimate favours a custom plan, as
        # it did for the homes' lists (docs/DECISIONS.md, "One plan per prepared read").
        "OPTIONS": {
            **_db.get("OPTIONS", {}),
            "prepare_threshold": 5,
            "options": "-c plan_cache_mode=force_generic_plan",
        },
        "TEST": {"NAME": env_str("TEST_DB_NAME", f"test_{_db['NAME']}")},
    }
}

# Under tests every baked queryset (ipnb_notes.batch.Baked) is also built the plain way and
# compared with its baked statement and parameters.
BATCH_VERIFY_BAKED = IPNB_ENV == "test"

# --- Sessions and authentication ----------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/IP before the password is even checked.
    "ipnb_notes.lockout.LockoutBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[ipnb-notes] "
USERSESSIONS_TRACK_ACTIVITY = False
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Sudo mode (ipnb_notes.sudo): exports, releases, break-glass, invitations, roles, supervision,
# assignments, caseload transfers and email changes ask for the password (or a second factor)
# again when the last authentication is older than this, before their form is shown.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("REAUTHENTICATION_TIMEOUT_SECONDS", 300)
# allauth's own account pages (email addresses) ask for it too.
ACCOUNT_REAUTHENTICATION_REQUIRED = True

# Idle timeout and absolute lifetime, enforced by ipnb_notes.middleware.security.
IDLE_TIMEOUT_SECONDS = env_int("IDLE_TIMEOUT_SECONDS", 15 * 60)
# Emergency (break-glass) access: how long one grant keeps a client's record open, read-only.
BREAK_GLASS_MINUTES = env_int("BREAK_GLASS_MINUTES", 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)

# --- Second factor (every role; RequireMFAMiddleware sends the unenrolled to enrolment) ---------
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_TOLERANCE = 0
MFA_TOTP_ISSUER = "ipnb-notes"
MFA_TRUST_ENABLED = False
MFA_PASSKEY_LOGIN_ENABLED = False
# Browsers allow WebAuthn on http://localhost only; production is HTTPS.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
# Never set: a bypass code would defeat the second factor (a settings test guards this).
MFA_TOTP_INSECURE_BYPASS_CODE = None

# --- Client IP, lockout and rate limits --------------------------------------------------------
# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (the default)
# trusts only REMOTE_ADDR, so a forged header cannot dodge a lockout. Behind the documented
# TLS proxy set 1: otherwise every request, audit row and lockout carries the proxy's address
# (docs/OPERATIONS.md, "Behind the TLS proxy").
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# The first lockout lasts AXES_COOLOFF_MINUTES; 10 and 20 failures within a day lengthen it
# to an hour and a day (ipnb_notes.lockout.LOCKOUT_TIERS). Each attempt row keeps its own
# expiry, so one user's short tier never shortens another's.
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = "ipnb_notes.lockout.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures from one address lock only that (username, address) pair, never the account. The
# account itself is locked for every address while failures from this many networks (IPv4
# addresses, IPv6 /64s) have piled up within AXES_ACCOUNT_LOCK_MINUTES (ipnb_notes.lockout).
AXES_ACCOUNT_LOCK_NETWORKS = env_int("AXES_ACCOUNT_LOCK_NETWORKS", 10)
AXES_ACCOUNT_LOCK_MINUTES = env_int("AXES_ACCOUNT_LOCK_MINUTES", 15)
# allauth's failed-sign-in limit per address only: its default also counts per sign-in name
# from any address, which would let one address lock a clinician out.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
AXES_USERNAME_CALLABLE = "ipnb_notes.lockout.username_of"
# The client address (client_ip, TRUSTED_PROXY_COUNT), an IPv6 /64 counting as one address.
AXES_CLIENT_IP_CALLABLE = "ipnb_notes.lockout.lockout_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# Rate limits, TOTP replay protection and lockout counters need a cache shared by every
# worker process: Redis when CACHE_URL is set, otherwise a table in PostgreSQL.
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ipnb_cache",
        }
    )
}
INVITATION_TTL_HOURS = env_int("INVITATION_TTL_HOURS", 72)

# --- Security headers ------------------------------------------------------------------------
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading commits the whole domain to HTTPS for months, so it is the operator's choice
# (SECURE_HSTS_PRELOAD=true); `check --deploy` does not warn while it is off on purpose.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
if SESSION_COOKIE_SECURE:
    # __Host- cookies are HTTPS-only, host-only and path=/ (ASVS 3.3.3).
    SESSION_COOKIE_NAME = "__Host-sessionid"
if CSRF_COOKIE_SECURE:
    CSRF_COOKIE_NAME = "__Host-csrftoken"
MFA_TRUST_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    # Violations are logged (directive and blocked origin only) by audit.views.csp_report.
    "report-uri": ["/csp-report/"],
}
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "interest-cohort": [],
}

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Tests run tasks in-process even when CI provides a broker, so no test waits on a worker
# that is not there; the worker integration test sends through the broker with send_task.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL or IPNB_ENV == "test"
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker no beat runs the audit sealer: each audited transaction asks for a pass
# once it commits (audit/sealer.py). With a broker, beat's audit-seal does it.
AUDIT_SEAL_AFTER_COMMIT = CELERY_TASK_ALWAYS_EAGER
CELERY_TASK_IGNORE_RESULT = True
# The sealer has a queue (and, in docker-compose.yml, a worker) of its own, so that a long task
# never holds up the chaining of new audit events.
CELERY_TASK_ROUTES = {"audit.tasks.audit_seal": {"queue": "audit"}}
# Every task is idempotent (ids in, set-based or deduplicated effects out), so a message is
# acknowledged only after the task ran and comes back if the worker dies (REL-07).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_TIME_LIMIT = 600
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Longer than the longest task (the nightly audit verification, 1 h) plus the longest retry
# countdown (15 min), so Redis never hands a running or waiting task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 7200,
    "socket_connect_timeout": 3,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The hour (0-23, in TIME_ZONE, the practice's) at which the daily email digest goes out.
DIGEST_HOUR = env_int("DIGEST_HOUR", 7)
if not 0 <= DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(
        f"DIGEST_HOUR must be an hour from 0 to 23, not {DIGEST_HOUR}"
    )
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    # Rollup ages, 12-week windows and trends move with the clock: rebuild them nightly.
    "dashboards-rollups-nightly": {
        "task": "dashboards.tasks.rollup_refresh_all",
        "schedule": crontab(hour=3, minute=15),
    },
    "purge-expired": {"task": "accounts.tasks.purge_expired", "schedule": 3600.0},
    # Publish tasks that a broker outage kept in the outbox (REL-08).
    "outbox-sweep": {"task": "ipnb_notes.tasks.outbox_sweep", "schedule": 60.0},
    # Links for upcoming sessions from each client's measures schedule (measures/scheduling.py).
    "measures-schedules": {
        "task": "measures.tasks.schedules_run_all",
        "schedule": 900.0,
    },
    # Chain the committed audit events every second (audit/sealer.py); a late tick is
    # dropped, the next one seals what it would have.
    "audit-seal": {
        "task": "audit.tasks.audit_seal",
        "schedule": 1.0,
        "options": {"expires": 10},
    },
    # Walk the whole audit hash chain every night; a break is logged and itself audited.
    "audit-verify-nightly": {
        "task": "audit.tasks.audit_verify",
        "schedule": crontab(hour=2, minute=30),
    },
    # The clinicians' daily email digest (accounts/digest.py), at DIGEST_HOUR practice time.
    "accounts-digest-daily": {
        "task": "accounts.tasks.digest_daily",
        "schedule": crontab(hour=DIGEST_HOUR, minute=0),
    },
}

# --- Email ------------------------------------------------------------------------------------
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": {}}}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_secret("EMAIL_HOST_PASSWORD") or "",
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 10,
    }
elif _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    # Each email as a file in this directory (tests read what a real worker sent).
    MAILERS["default"]["OPTIONS"] = {"file_path": env_str("EMAIL_FILE_PATH")}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ipnb-notes <noreply@localhost>")

# --- Logging: never request bodies, never PHI --------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Request paths are logged without query strings or invitation tokens (WEB-06, AUD-09);
    # gunicorn's access log does the same (ops/gunicorn.conf.py).
    "filters": {"request_paths": {"()": "ipnb_notes.log_redaction.RedactRequestPaths"}},
    "loggers": {
        "django.request": {"level": "ERROR", "filters": ["request_paths"]},
        "django.server": {
            "level": "INFO",
            "filters": ["request_paths"],
            "propagate": True,
        },
    },
}
# AUD-06: every audit event is also sent, as one JSON line, to a syslog collector off this
# host when AUDIT_SYSLOG_ADDRESS ("host:port", UDP) is set; the nightly verification sends
# the chain head there too, which anchors the chain outside the database.
AUDIT_SYSLOG_ADDRESS = env_str("AUDIT_SYSLOG_ADDRESS")
# AUD-04: the nightly verification appends the chain head to this file, which must live on
# storage the database host cannot rewrite; the verifier checks every anchor (truncation).
AUDIT_ANCHOR_FILE = env_str("AUDIT_ANCHOR_FILE")
# REL-11: a monitor sending this bearer token gets /healthz's operational probes (backup and
# restore-drill age, WAL archiving, audit verification, clock sync). Unset: nobody does.
HEALTHZ_TOKEN = env_str("HEALTHZ_TOKEN")
LOGGING["loggers"]["ipnb_notes.audit"] = {"level": "INFO"}
if AUDIT_SYSLOG_ADDRESS:
    _syslog_host, _, _syslog_port = AUDIT_SYSLOG_ADDRESS.rpartition(":")
    LOGGING["handlers"]["audit_syslog"] = {
        "class": "logging.handlers.SysLogHandler",
        "address": (_syslog_host, int(_syslog_port)),
        "facility": "auth",
    }
    LOGGING["loggers"]["ipnb_notes.audit"]["handlers"] = ["audit_syslog", "console"]
    LOGGING["loggers"]["ipnb_notes.audit"]["propagate"] = False
ADMINS: list[tuple[str, str]] = []
DEFAULT_EXCEPTION_REPORTER_FILTER = (
    "ipnb_notes.middleware.security.NoRequestBodyReporterFilter"
)

# --- Keys held outside the database -------------------------------------------------------------
# FIELD_ENCRYPTION_KEYS: comma-separated "id:base64-32-byte-key" pairs. The first encrypts;
# every one decrypts, so a new key can be put first and `manage.py rotate_keys` run.
# Development and test get fixed, public keys: they protect nothing.
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in (env_secret("FIELD_ENCRYPTION_KEYS") or "").split(",")
    if k.strip()
]
AUDIT_HMAC_KEY = env_secret("AUDIT_HMAC_KEY")
if PRODUCTION and (not FIELD_ENCRYPTION_KEYS or not AUDIT_HMAC_KEY):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS and AUDIT_HMAC_KEY must be set in production"
    )
if PRODUCTION:
    from ipnb_notes.lib import transport
    from ipnb_notes.lib.placeholders import placeholder_problems

    _problems = [
        *placeholder_problems(
            {
                "SECRET_KEY": SECRET_KEY,
                "FIELD_ENCRYPTION_KEYS": ",".join(FIELD_ENCRYPTION_KEYS),
                "AUDIT_HMAC_KEY": AUDIT_HMAC_KEY,
                "EMAIL_HOST_PASSWORD": env_secret("EMAIL_HOST_PASSWORD"),
                "HEALTHZ_TOKEN": HEALTHZ_TOKEN,
                "DATABASE_URL": DATABASE_URL,
            }
        ),
        None
        if AUDIT_ANCHOR_FILE
        else "AUDIT_ANCHOR_FILE must be set in production: without anchors off the"
        " database host a cut-off tail of the audit trail goes unnoticed",
        transport.database_problem(
            DATABASES["default"]["HOST"], DATABASES["default"].get("OPTIONS", {})
        ),
        transport.broker_problem(CELERY_BROKER_URL),
        transport.broker_problem(CACHE_URL, "CACHE_URL"),
    ]
    if any(_problems):
        raise ImproperlyConfigured("; ".join(p for p in _problems if p))
if not FIELD_ENCRYPTION_KEYS:
    FIELD_ENCRYPTION_KEYS = ["dev1:ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcmVhbC11c2U="]
if not AUDIT_HMAC_KEY:
    AUDIT_HMAC_KEY = "development-audit-key-not-for-real-use"
