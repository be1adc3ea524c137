"""Settings, read from the environment.

With nothing set the OMS runs on SQLite with Celery tasks executed in-process, so a newcomer
needs no server. Production sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis),
SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp import constants as csp_constants
from kombu import Queue

from config.celery import channel_queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "oms.admin_site.ConsoleAdminConfig",  # django.contrib.admin with the console's site (home, grouped index)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    "django_countries",
    "phonenumber_field",
    # The front door: sign-in throttling, two-factor sign-in for staff, Content-Security-Policy.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "oms",
    "inventory",
    "customers",
    "shipping",
    "orders",
    "fulfillment",
    "returns",
    "reports",
    "portal",
    "anymail",  # e-mail providers and their delivery webhooks (portal/notifications)
    "demo",
]

MIDDLEWARE = [
    # First of all: URLs and query strings with NUL or other control characters, or not UTF-8, and
    # bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are refused before anything reads them.
    "oms.middleware.RequestRefusalMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Django's sessions, but under /portal/ a cookie of the portal's own (see portal.middleware):
    # a customer's session and a member of staff's never share one, whichever signs out.
    "portal.middleware.PortalSessionMiddleware",
    # The portal's pages in the customer's language (choice, account, browser); the console stays English.
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second factor verified this session; a console session that owes one is sent to give it.
    "django_otp.middleware.OTPMiddleware",
    "oms.signin.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes' backend first: it refuses a locked-out account or address before any password is
# checked, for every view that signs in through django.contrib.auth.authenticate.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict:
    """A database of DATABASES from its URL, with the connection options every alias shares."""
    database = env.db_url_config(url)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and a busy timeout keep the demo server and the seeding command from tripping
        # over each other's write locks.
        database.setdefault("OPTIONS", {}).update(
            {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
        )
    else:
        # Server-side binding lets psycopg prepare the statements a process repeats (order intake
        # sends the same dozen on every order), so PostgreSQL parses and plans them once.
        options = database.setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True))
        # Django turns psycopg's statement preparation off unless asked; a statement run this many
        # times on a connection is then prepared once and only bound and executed after that.
        options.setdefault("prepare_threshold", env.int("DB_PREPARE_THRESHOLD", default=5))
        database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        # Off by default (as in Django): it costs every request a round trip; a connection that broke
        # raises once and is then discarded at the end of that request.
        database.setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=False))
    database["ATOMIC_REQUESTS"] = False
    return database


DATABASES = {"default": _database(env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
# An optional read replica (streaming replication of the default): KPIs and exports read from it
# inside oms.db.reading_from_replica(); everything else, and every write, uses the default. Tests
# run against the default database itself (MIRROR), so they need no second server.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = _database(env.str("DATABASE_REPLICA_URL"))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Without a replica every read goes to the default; the router is installed either way.
DATABASE_ROUTERS = ["oms.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# API rate limits are counted in this cache, so every web process must share it (Redis:
# rediscache://host:6379/1). Per-process memory is only the default while DEBUG is on; in
# production an unset CACHE_URL refuses to start rather than let each worker count alone.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://" if DEBUG else environ.Env.NOTSET)}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Private files (customers' data exports): served only through views that check who asks, never
# by the web server directly. Production points it at persistent storage.
MEDIA_ROOT = env.str("OMS_MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Customers with no order and no change for this many years have their personal data anonymised
# by the retention job (customers with open orders are left until those close).
OMS_PERSONAL_DATA_RETENTION_YEARS = env.int("OMS_PERSONAL_DATA_RETENTION_YEARS", default=6)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # In-process (eager) task runs would otherwise log a line per event.
    "loggers": {"celery": {"level": "WARNING"}},
}

# --- Celery -------------------------------------------------------------------------------
# No broker configured (the demo, the tests): tasks run in-process, synchronously; the
# in-memory transport is named only so that Celery does not go looking for one.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not env.str("CELERY_BROKER_URL", default=""))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Two queues: the default one, and a lane for the pushes to the sales channels (a stock figure, a
# parcel's tracking), short tasks whose lateness the shops' customers see, so that a backlog of
# e-mails, exports or re-planning never stands in front of them (config/celery.py routes them).
# A worker takes both unless told otherwise (`-Q`); Redis hands the two out in turn.
CELERY_TASK_DEFAULT_QUEUE = env.str("OMS_CELERY_QUEUE", default="celery")
CELERY_TASK_QUEUES = tuple(Queue(name) for name in (CELERY_TASK_DEFAULT_QUEUE, channel_queue(CELERY_TASK_DEFAULT_QUEUE)))
CELERY_TASK_ROUTES = ("config.celery.task_route",)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oms.api.authentication.ApiKeyAuthentication",
        # Signed-in staff, unless their session still owes its second factor.
        "oms.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["oms.api.permissions.ScopeOrRolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["oms.api.throttling.PerKeyThrottle"],
    "DEFAULT_PAGINATION_CLASS": "oms.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "oms.api.errors.exception_handler",
    # DRF's parsers, with JSON nested deeper than oms.json_input.MAX_DEPTH refused as malformed (400).
    "DEFAULT_PARSER_CLASSES": ["oms.api.parsers.JSONParser", "rest_framework.parsers.FormParser", "rest_framework.parsers.MultiPartParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS API",
    "DESCRIPTION": "Order intake, stock and catalogue for external systems. "
    "Authenticate with `Authorization: Api-Key <key>`; send an `Idempotency-Key` on every POST.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a "status"; each gets its own enum component.
    "ENUM_NAME_OVERRIDES": {
        "WebhookDeliveryStatusEnum": "oms.models.WebhookDelivery.Status",
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "LocationKindEnum": "inventory.models.Location.Kind",
        "PickListKindEnum": "fulfillment.models_picking.PickListKind",
        "PickListStatusEnum": "fulfillment.models_picking.PickListStatus",
        "FulfillmentStatusEnum": "fulfillment.models.FulfillmentStatus",
        "FulfillmentHoldReasonEnum": "fulfillment.models.FulfillmentHoldReason",
        "OrderHoldReasonEnum": "orders.models.HoldReason",
        # Order and OrderDetail share these two choice sets; without a name they get hashed ones.
        "OrderStatusEnum": "orders.models.OrderStatus",
        "OrderPaymentStatusEnum": "orders.models.PaymentStatus",
        "ShipmentStatusEnum": "shipping.models.ShipmentStatus",
        "DocumentJobStatusEnum": "oms.models.DocumentJob.Status",
        "CatchUpStatusEnum": "orders.models.ChannelReconciliation.Status",
        "CycleCountStatusEnum": "inventory.models_counts.CycleCountStatus",
        "CycleCountLineStatusEnum": "inventory.models_counts.CycleCountLineStatus",
        "InvoiceStatusEnum": "orders.models_invoices.InvoiceStatus",
        "CustomerAddressKindEnum": "customers.models.CustomerAddress.Kind",
    },
}

# --- Hostile input ------------------------------------------------------------------------
# The largest request body (multipart file uploads aside), answered 413 above it: a bulk call of
# 500 realistic orders is about 3 MB and a CSV import at most 2 MB. Query strings and form bodies
# hold at most DATA_UPLOAD_MAX_NUMBER_FIELDS parameters (JSON bodies are not counted).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)

PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default=None)

# --- OMS business rules -------------------------------------------------------------------
# Lines above this quantity, or priced further than this fraction from the catalogue price,
# are recorded but held for a person to confirm.
OMS_MAX_LINE_QUANTITY = env.int("OMS_MAX_LINE_QUANTITY", default=500)
OMS_PRICE_TOLERANCE = env.float("OMS_PRICE_TOLERANCE", default=0.5)
# B2B credit: a customer with an invoice unpaid more than this many days past its due date has
# new orders held (credit_limit) until accounting decides.
OMS_CREDIT_OVERDUE_GRACE_DAYS = env.int("OMS_CREDIT_OVERDUE_GRACE_DAYS", default=7)
# The seller an invoice names (JSON): name, address lines (line1, line2, postal_code, city, region,
# country), vat_number, and optional contact lines (email, phone) and payment instructions.
OMS_INVOICE_SELLER = env.json("OMS_INVOICE_SELLER", default={
    "name": env.str("OMS_NOTIFICATION_SHOP_NAME", default="Our shop"), "line1": "", "city": "", "country": "", "vat_number": "",
})
# Screening at intake (orders.services.screening): the risk score that holds an order for fraud
# risk where no threshold is configured, and how long a process trusts its copy of the rules
# outside intake (intake compares the rules' version with every order).
OMS_SCREENING_HOLD_SCORE = env.int("OMS_SCREENING_HOLD_SCORE", default=100)
OMS_SCREENING_CACHE_SECONDS = env.int("OMS_SCREENING_CACHE_SECONDS", default=10)
# An API key once looked up is trusted for this long by the process that looked it up; a revoked
# key stops working everywhere within this time (at once in the process that revoked it).
OMS_API_KEY_CACHE_SECONDS = env.int("OMS_API_KEY_CACHE_SECONDS", default=10)
# Requests per minute an API key (or a signed-in user) may make, unless the key sets its own; 0: no limit.
OMS_API_RATE_LIMIT_PER_MINUTE = env.int("OMS_API_RATE_LIMIT_PER_MINUTE", default=6000)
# Bulk order calls record this many orders per transaction (one savepoint each): fewer commits,
# while the stock rows of a chunk stay locked only as long as the chunk takes.
OMS_BULK_CHUNK_SIZE = env.int("OMS_BULK_CHUNK_SIZE", default=50)
# Rolling re-planning of allocated orders (channels with re-planning on): a move must save more
# than this, in routing score (the strategy's weighted cost), for each order it moves; the
# exact solver gets this many seconds per window; a window holds at most this many orders
# (the oldest first: they are the nearest to going to the floor).
OMS_REPLAN_THRESHOLD = env.float("OMS_REPLAN_THRESHOLD", default=1.0)
OMS_REPLAN_TIME_LIMIT_SECONDS = env.float("OMS_REPLAN_TIME_LIMIT_SECONDS", default=2.0)
OMS_REPLAN_MAX_ORDERS = env.int("OMS_REPLAN_MAX_ORDERS", default=200)
# Orders allocated on a channel with re-planning on that fill its window: a run is queued at once (0: the beat alone).
OMS_REPLAN_WINDOW_ORDERS = env.int("OMS_REPLAN_WINDOW_ORDERS", default=25)
# An Idempotency-Key answer is replayed for this long; an in-flight one older than the
# timeout is taken over by a retry (its first attempt died).
OMS_IDEMPOTENCY_TTL_HOURS = env.int("OMS_IDEMPOTENCY_TTL_HOURS", default=24)
OMS_IDEMPOTENCY_INFLIGHT_TIMEOUT_SECONDS = env.int("OMS_IDEMPOTENCY_INFLIGHT_TIMEOUT_SECONDS", default=60)
# Outbound webhooks: how long a receiver has to answer one POST, and how long a process trusts its
# list of subscribed event names (a new subscription reaches other processes within this time).
OMS_WEBHOOK_TIMEOUT_SECONDS = env.float("OMS_WEBHOOK_TIMEOUT_SECONDS", default=10)
# Webhooks to loopback, private or reserved addresses are refused unless this is on (the demo and the
# tests run their receivers on 127.0.0.1; production should keep it off).
OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
OMS_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS = env.int("OMS_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS", default=5)
# The events feed holds back events younger than this, so a transaction that took an earlier id
# but commits later is not skipped by a reader that already moved past it.
OMS_EVENTS_FEED_SETTLE_SECONDS = env.float("OMS_EVENTS_FEED_SETTLE_SECONDS", default=2)
# Warehouse documents: the returns text printed on every packing slip; how many documents the admin
# renders at once before it hands them to a background job; worker processes that lay out a batch
# in parallel (0: one per CPU; 1: render in the calling process).
OMS_RETURNS_INSTRUCTIONS = env.str("OMS_RETURNS_INSTRUCTIONS", default="Not what you expected? Return unused items within 30 days: put this slip in the parcel and drop it off at any post office.")
OMS_DOCUMENTS_INLINE_MAX = env.int("OMS_DOCUMENTS_INLINE_MAX", default=20)
OMS_DOCUMENTS_PROCESSES = env.int("OMS_DOCUMENTS_PROCESSES", default=0)  # 0: one per CPU
# Shipping: a shipment with no carrier scan for this many of the carrier's working days is flagged late.
OMS_SHIPPING_NO_SCAN_DAYS = env.int("OMS_SHIPPING_NO_SCAN_DAYS", default=3)
# The built-in carrier's 4x6 label is rendered when a shipment is booked; off, when first printed.
OMS_LABELS_RENDER_ON_BOOKING = env.bool("OMS_LABELS_RENDER_ON_BOOKING", default=True)
# Shipping a fulfillment order books the service that rate shopping picks under this policy (JSON:
# goal cheapest_on_time | fastest_within_cap, cost_cap, allowed carrier or "carrier:service" codes),
# unless the caller names carrier and service.
OMS_SHIPPING_POLICY = env.json("OMS_SHIPPING_POLICY", default={"goal": "cheapest_on_time", "cost_cap": None, "allowed": []})
# Replenishment (reports/replenishment): the target fill rate (units served from stock on the day
# asked / units demanded) per ABC class, as JSON.
OMS_REPLENISHMENT_SERVICE_LEVELS = env.json("OMS_REPLENISHMENT_SERVICE_LEVELS", default={"A": 0.98, "B": 0.95, "C": 0.90})
OMS_REPLENISHMENT_REVIEW_DAYS = env.int("OMS_REPLENISHMENT_REVIEW_DAYS", default=7)
OMS_REPLENISHMENT_WRITE_SAFETY_STOCK = env.bool("OMS_REPLENISHMENT_WRITE_SAFETY_STOCK", default=False)
# "class": each ABC class planned as a whole for its fill rate with the least stock (steady SKUs
# above it, lumpy ones below; what bench/replenishment.py measures); "sku": each SKU x location
# planned alone for its class's fill rate.
OMS_REPLENISHMENT_PLANNING = env.str("OMS_REPLENISHMENT_PLANNING", default="class")
# Routing prices parcels from the carriers' rate tables; a process checks their version at most
# this often (seconds).
OMS_ROUTING_RATES_MAX_AGE = env.float("OMS_ROUTING_RATES_MAX_AGE", default=30.0)
# Order intake applies each channel's stock rule (inventory.ChannelStockRule) and reads the rules
# again when their version (read with the channel) changed; other readers at most this often (seconds).
OMS_CHANNEL_RULES_MAX_AGE = env.float("OMS_CHANNEL_RULES_MAX_AGE", default=10.0)
# Catching up missed orders (orders.services.channel_reconcile): a channel's first run lists the
# orders changed in the last LOOKBACK hours; each later run starts where the last good one ended,
# less OVERLAP minutes (a platform's clock and late writes); a run still "running" after ABANDONED
# minutes is taken to have died with its worker and no longer blocks the next one.
OMS_CATCH_UP_LOOKBACK_HOURS = env.int("OMS_CATCH_UP_LOOKBACK_HOURS", default=48)
OMS_CATCH_UP_OVERLAP_MINUTES = env.int("OMS_CATCH_UP_OVERLAP_MINUTES", default=10)
OMS_CATCH_UP_ABANDONED_MINUTES = env.int("OMS_CATCH_UP_ABANDONED_MINUTES", default=60)

# ABC classes and cycle counts (inventory/abc.py, inventory/counts.py). ABC: value shipped over the
# trailing WINDOW days (units x cost, price when no cost); a product is A while the cumulative share
# before it is under THRESHOLDS["A"] percent, B under THRESHOLDS["B"], else C (no movement: C).
OMS_ABC_WINDOW_DAYS = env.int("OMS_ABC_WINDOW_DAYS", default=90)
OMS_ABC_THRESHOLDS = env.json("OMS_ABC_THRESHOLDS", default={"A": 80, "B": 95})
# Days between two counts of a stock level, per class; at most CAP lines per location and day.
OMS_COUNT_FREQUENCY_DAYS = env.json("OMS_COUNT_FREQUENCY_DAYS", default={"A": 30, "B": 90, "C": 365})
OMS_COUNT_DAILY_CAP = env.int("OMS_COUNT_DAILY_CAP", default=40)
# A count is within tolerance when |counted - expected| <= units, or <= percent of expected.
OMS_COUNT_TOLERANCE = env.json(
    "OMS_COUNT_TOLERANCE",
    default={"A": {"units": 0, "percent": 0}, "B": {"units": 1, "percent": 2}, "C": {"units": 2, "percent": 5}},
)

# Stock out to channels (orders/services/stock_sync.py). A stock change is pushed this many seconds
# after it committed, and a listing is pushed again at most this often while changes keep coming
# (a burst of orders on one SKU ends as a few pushes carrying the last figure).
OMS_STOCK_SYNC_DEBOUNCE_SECONDS = env.float("OMS_STOCK_SYNC_DEBOUNCE_SECONDS", default=1.0)
# Which channels push stock is read again at most this often per process (seconds).
OMS_STOCK_SYNC_CHANNELS_MAX_AGE = env.float("OMS_STOCK_SYNC_CHANNELS_MAX_AGE", default=10.0)
# One push run of a channel stops after this many seconds (the next run carries on).
OMS_STOCK_SYNC_RUN_SECONDS = env.float("OMS_STOCK_SYNC_RUN_SECONDS", default=30.0)

# --- Sign-in: throttling, two-factor ------------------------------------------------------
# Failed sign-ins are counted per account and, separately, per client address (django-axes):
# AXES_FAILURE_LIMIT failures within the cool-off lock that account (from anywhere) or that address
# (for every account) until AXES_COOLOFF_MINUTES pass without another failure. Operations managers
# unlock from the console (Axes -> Access attempts) or with `manage.py axes_reset_username NAME`.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "oms.signin.lockout.signin_locked_out"
# A success does not wipe the address's failures: one valid account must not reset the count of
# guesses made at others from the same address.
AXES_RESET_ON_SUCCESS = False
# Its start-up banner on stderr would land in every management command's output.
AXES_VERBOSE = False
# The client's address: REMOTE_ADDR, or behind N reverse proxies that each append to
# X-Forwarded-For, the N-th entry from the right (what the outermost proxy saw; entries further
# left are whatever the client sent).
OMS_TRUSTED_PROXY_COUNT = env.int("OMS_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "oms.signin.lockout.client_address"
# Staff two-factor sign-in (django-otp, TOTP with backup codes): required of operations managers
# and superusers when on; anyone else who enrolled a device is asked for a code too.
OMS_STAFF_2FA_REQUIRED = env.bool("OMS_STAFF_2FA_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="OMS")
# The device admin shows no secrets: an operator resets a device, never reads one.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- HTTPS and browser security headers ---------------------------------------------------
# Secure by default when DEBUG is off (`manage.py check --deploy` is clean); the zero-setup demo
# on http://localhost keeps cookies and redirects plain. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https, or every request redirects to itself.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER", default=[])) or None
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = env.bool("SECURE_CONTENT_TYPE_NOSNIFF", default=True)
X_FRAME_OPTIONS = env.str("X_FRAME_OPTIONS", default="DENY")
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = env.str("SECURE_CROSS_ORIGIN_OPENER_POLICY", default="same-origin")
# Content-Security-Policy (django-csp 4) on every page: the console, the API docs (Swagger UI and
# ReDoc from drf-spectacular-sidecar, served locally) and whatever comes later. Inline scripts and
# styles run only with the request's nonce (request.csp_nonce).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'", csp_constants.NONCE],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- the customer portal and its links (portal/) ---
# Where customers reach the portal: the start of every link in e-mails and SMS.
OMS_PORTAL_BASE_URL = env.str("OMS_PORTAL_BASE_URL", default="http://localhost:8000")
# How long a tracking link in a message opens the parcel's page, and a preferences link the choices.
OMS_TRACKING_LINK_DAYS = env.int("OMS_TRACKING_LINK_DAYS", default=90)
OMS_PREFERENCES_LINK_DAYS = env.int("OMS_PREFERENCES_LINK_DAYS", default=365)

# --- SMS (portal/sms/) ---
# Which adapter sends SMS: "local" records them in the process and the log, "twilio" sends them.
OMS_SMS_BACKEND = env.str("OMS_SMS_BACKEND", default="local")
# Longer texts are shortened at a word boundary (a trailing link kept) to fit this many segments.
OMS_SMS_MAX_SEGMENTS = env.int("OMS_SMS_MAX_SEGMENTS", default=3)
# Twilio's Messages API: the account, its auth token (also the key that signs status callbacks) or
# an API key, and the sender (a number, or a Messaging Service that picks one).
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_KEY_SID = env.str("TWILIO_API_KEY_SID", default="")
TWILIO_API_KEY_SECRET = env.str("TWILIO_API_KEY_SECRET", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_BASE_URL = env.str("TWILIO_BASE_URL", default="https://api.twilio.com")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10)
# --- the portal site: sign-in links, order lookup, rate limits, languages (portal/views) ---
# How long the link in a sign-in e-mail works (once).
OMS_PORTAL_LINK_MINUTES = env.int("OMS_PORTAL_LINK_MINUTES", default=30)
# How long an order found by number plus e-mail or postal code stays open in that browser.
OMS_PORTAL_LOOKUP_MINUTES = env.int("OMS_PORTAL_LOOKUP_MINUTES", default=30)
# Sign-in requests and order lookups allowed per window from one address, and at one e-mail
# address or order number (whoever asks); more answer 429 until the window ends.
OMS_PORTAL_RATE_WINDOW_SECONDS = env.int("OMS_PORTAL_RATE_WINDOW_SECONDS", default=900)
OMS_PORTAL_RATE_PER_IP = env.int("OMS_PORTAL_RATE_PER_IP", default=20)
OMS_PORTAL_RATE_PER_TARGET = env.int("OMS_PORTAL_RATE_PER_TARGET", default=5)
# Checks of an "Order in bulk" (each reads prices, catalogue rules and stock for every line)
# allowed per window of OMS_PORTAL_RATE_WINDOW_SECONDS to one account, and from one address (a
# shared office address serves several buyers); more are refused, the pasted lines kept.
OMS_PORTAL_BULK_CHECKS_PER_WINDOW = env.int("OMS_PORTAL_BULK_CHECKS_PER_WINDOW", default=60)
OMS_PORTAL_BULK_CHECKS_PER_ADDRESS = env.int("OMS_PORTAL_BULK_CHECKS_PER_ADDRESS", default=180)
# The portal's session cookie (path /portal/), apart from the console's SESSION_COOKIE_NAME.
OMS_PORTAL_SESSION_COOKIE_NAME = env.str("OMS_PORTAL_SESSION_COOKIE_NAME", default="portal_sessionid")
# The channel (by code) orders placed in the portal's "Order in bulk" are recorded under; created
# as a B2B channel on the first such order when missing (portal.bulk_order.portal_order_channel).
OMS_PORTAL_ORDER_CHANNEL = env.str("OMS_PORTAL_ORDER_CHANNEL", default="b2b")
# The languages the portal speaks and customers are written to in (English and German complete: portal/locale).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# --- notifications: e-mail, the log, providers (portal/notifications) ---
# (Customers are written to in Customer.language, one of LANGUAGES above.)
# SMTP by default. A provider through django-anymail instead, e.g. Postmark:
#   EMAIL_BACKEND=anymail.backends.postmark.EmailBackend and ANYMAIL_POSTMARK_SERVER_TOKEN=...
# (SendGrid: anymail.backends.sendgrid.EmailBackend + ANYMAIL_SENDGRID_API_KEY; Mailgun:
# anymail.backends.mailgun.EmailBackend + ANYMAIL_MAILGUN_API_KEY and ANYMAIL_MAILGUN_SENDER_DOMAIN).
# With DEBUG on and no backend named, messages stay in memory: nothing leaves a developer's machine.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="orders@localhost")
# Every ANYMAIL_* variable of the environment (provider keys, the webhook's basic-auth secret
# ANYMAIL_WEBHOOK_SECRET="user:password"), without the prefix: ANYMAIL = {"POSTMARK_SERVER_TOKEN": ...}.
ANYMAIL = {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")}
# Tries per message (the first included) before it is logged failed; the wait doubles from
# OMS_NOTIFICATION_RETRY_SECONDS up to 30 minutes.
OMS_NOTIFICATION_ATTEMPTS = env.int("OMS_NOTIFICATION_ATTEMPTS", default=6)
OMS_NOTIFICATION_RETRY_SECONDS = env.float("OMS_NOTIFICATION_RETRY_SECONDS", default=30.0)
# How long a worker holds a message it is sending; a message still "sending" after it was lost
# mid-send and is sent again (same Message-ID) by the sweep.
OMS_NOTIFICATION_LEASE_SECONDS = env.int("OMS_NOTIFICATION_LEASE_SECONDS", default=300)
# The shop's name in messages of a channel with no branding of its own (admin: Channel brandings).
OMS_NOTIFICATION_SHOP_NAME = env.str("OMS_NOTIFICATION_SHOP_NAME", default="Our shop")
# Messages one task claims, renders and sends together (a burst goes out in batches, their facts read in a few queries).
OMS_NOTIFICATION_BATCH = env.int("OMS_NOTIFICATION_BATCH", default=100)

# Accountants' exports (reports): up to this many rows an export from a console list downloads at
# once; more (and every export through the API) are built by a worker, followed and downloaded.
OMS_EXPORT_INLINE_MAX_ROWS = env.int("OMS_EXPORT_INLINE_MAX_ROWS", default=5000)

# Demand forecasts (reports/forecasting): the planning horizon in days (weekly series: horizon // 7
# weeks), the days of ledger history read, and the level of the stored prediction intervals.
OMS_FORECAST_HORIZON_DAYS = env.int("OMS_FORECAST_HORIZON_DAYS", default=28)
OMS_FORECAST_HISTORY_DAYS = env.int("OMS_FORECAST_HISTORY_DAYS", default=730)
OMS_FORECAST_LEVEL = env.int("OMS_FORECAST_LEVEL", default=80)
