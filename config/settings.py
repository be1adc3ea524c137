"""Settings, read from the environment.

With nothing set the OMS runs on SQLite with Celery tasks executed in-process, so a newcomer
needs no server. Production sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis),
SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "oms",
    "inventory",
    "customers",
    "shipping",
    "orders",
    "fulfillment",
    "returns",
    "reports",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout keep the demo server and the seeding command from tripping
    # over each other's write locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    # Server-side binding lets psycopg prepare the statements a process repeats (order intake
    # sends the same dozen on every order), so PostgreSQL parses and plans them once.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True))
    # Django turns psycopg's statement preparation off unless asked; a statement run this many
    # times on a connection is then prepared once and only bound and executed after that.
    options.setdefault("prepare_threshold", env.int("DB_PREPARE_THRESHOLD", default=5))
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # Off by default (as in Django): it costs every request a round trip; a connection that broke
    # raises once and is then discarded at the end of that request.
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=False))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

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

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oms.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["oms.api.permissions.ScopeOrRolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["oms.api.throttling.PerKeyThrottle"],
    "DEFAULT_PAGINATION_CLASS": "oms.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "oms.api.errors.exception_handler",
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
    },
}

PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default=None)

# --- OMS business rules -------------------------------------------------------------------
# Lines above this quantity, or priced further than this fraction from the catalogue price,
# are recorded but held for a person to confirm.
OMS_MAX_LINE_QUANTITY = env.int("OMS_MAX_LINE_QUANTITY", default=500)
OMS_PRICE_TOLERANCE = env.float("OMS_PRICE_TOLERANCE", default=0.5)
# An API key once looked up is trusted for this long by the process that looked it up; a revoked
# key stops working everywhere within this time (at once in the process that revoked it).
OMS_API_KEY_CACHE_SECONDS = env.int("OMS_API_KEY_CACHE_SECONDS", default=10)
# Requests per minute an API key (or a signed-in user) may make, unless the key sets its own; 0: no limit.
OMS_API_RATE_LIMIT_PER_MINUTE = env.int("OMS_API_RATE_LIMIT_PER_MINUTE", default=6000)
# Bulk order calls record this many orders per transaction (one savepoint each): fewer commits,
# while the stock rows of a chunk stay locked only as long as the chunk takes.
OMS_BULK_CHUNK_SIZE = env.int("OMS_BULK_CHUNK_SIZE", default=50)
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
# Routing prices parcels from the carriers' rate tables; a process checks their version at most
# this often (seconds).
OMS_ROUTING_RATES_MAX_AGE = env.float("OMS_ROUTING_RATES_MAX_AGE", default=30.0)
