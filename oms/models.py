import base64
import hashlib
import re
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition


class HoldRecord(models.Model):
    """What every kind of hold records besides its reason and subject: the detail a person reads,
    when it was placed, and when, by whom and with what note it was released."""

    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    release_note = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.get_reason_display()

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class AuditRecord(models.Model):
    """What every audit trail row records besides its subject and kind: the status change if any,
    the message a person reads, structured data, who did it and when."""

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.message}"


class DomainEvent(models.Model):
    """The outbox: an event recorded in the transaction that caused it, dispatched after commit.

    A row whose ``dispatched_at`` is still empty was not handed to its subscribers (the process
    died between commit and dispatch); the periodic sweep dispatches it again.
    """

    # The id receivers see (``webhook-id``, the events feed): the same on every delivery attempt.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    name = models.CharField(max_length=100)
    # What the event is about, e.g. ``order:42``; ``sequence`` numbers that subject's events
    # 1, 2, 3... in the order they were recorded, so a receiver can spot a gap or a reordering.
    stream = models.CharField(max_length=60, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    # Only undispatched events are looked up by time (the partial index below).
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(dispatched_at__isnull=True), name="event_undispatched_idx")
        ]
        # The kernel's permission to see personal data unmasked in the console (oms.masking); it
        # belongs to no one model, and the kernel's events are where a customer's data travels.
        permissions = [("view_personal_data", "Can see personal data (names, e-mails, phones, addresses) unmasked")]
        constraints = [
            models.UniqueConstraint(
                fields=["stream", "sequence"], condition=models.Q(sequence__isnull=False), name="event_stream_sequence_unique"
            )
        ]

    def __str__(self):
        return f"{self.name} #{self.pk}"


API_SCOPES = (
    ("orders:read", "Read orders and their events"),
    ("orders:write", "Create, change, hold, release and cancel orders; channel adapters and order imports"),
    ("invoices:read", "Read invoices of orders bought on payment terms, their payments and the receivables ageing; download their PDFs"),
    ("invoices:write", "Record payments against invoices, one invoice or a customer's remittance across several"),
    ("customers:read", "Read customers"),
    ("customers:write", "Create and change customers"),
    ("products:read", "Read products and locations"),
    ("products:write", "Create and change products"),
    ("stock:read", "Read stock, movements and availability"),
    ("stock:write", "Post stock movements and stock snapshots"),
    ("counts:read", "Read cycle counts (blind: expected quantities only with counts:approve)"),
    ("counts:write", "Scan and enter counted quantities of cycle counts"),
    ("counts:approve", "Approve cycle count variances, ask for recounts, cancel counts; see expected quantities of counted lines"),
    ("purchasing:read", "Read suppliers, their products and purchase orders"),
    ("purchasing:write", "Create and change suppliers; draft, send, receive, close and cancel purchase orders"),
    ("events:read", "Read the domain events feed"),
    ("fulfillment:read", "Read fulfillment orders"),
    ("fulfillment:write", "Ship, deliver and move fulfillment orders"),
    ("shipping:read", "Read shipments and manifests; print labels and manifests"),
    ("shipping:write", "Void shipments, close manifests and create return labels"),
    ("returns:read", "Read returns (RMAs), their lines and audit trails"),
    ("returns:write", "Request, approve, reject, receive, inspect and cancel returns"),
    ("reports:read", "Read KPIs and dashboards; follow and download the exports this key started"),
    ("reports:write", "Start exports and imports (products, prices, stock counts, customers)"),
    ("documents:read", "Follow and download the document jobs this key started (e.g. a large batch of labels)"),
    ("webhooks:manage", "Manage webhook subscriptions and re-deliver webhooks"),
)
API_SCOPE_NAMES = tuple(name for name, _ in API_SCOPES)


def _hash_key(raw_key: str) -> str:
    # Keys are 256 bits of randomness: a fast digest is enough, a slow KDF would only cost
    # every request a few milliseconds without making a guess any likelier to succeed.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class Integration(models.Model):
    """An external system that talks to the OMS: a shop, marketplace, ERP, WMS, 3PL or carrier.

    It owns API keys (inbound) and webhook subscriptions (outbound), so an operator can see and
    switch off everything one partner does in one place.
    """

    class Kind(models.TextChoices):
        SHOP = "shop", "Web shop"
        MARKETPLACE = "marketplace", "Marketplace"
        POS = "pos", "Point of sale"
        ERP = "erp", "ERP"
        WMS = "wms", "WMS / 3PL"
        CARRIER = "carrier", "Carrier"
        OTHER = "other", "Other"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    contact_email = models.EmailField(blank=True, help_text="Who to tell when its webhooks keep failing.")
    is_active = models.BooleanField(default=True, help_text="Off: its API keys are refused and its webhooks are not sent.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApiKey(models.Model):
    """A key an external system authenticates with. Only its hash is stored."""

    PREFIX_LENGTH = 8

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.PROTECT, related_name="api_keys", help_text="The system that uses this key."
    )
    scopes = models.JSONField(default=list, help_text="Empty means every scope.")
    is_active = models.BooleanField(default=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests this key may make per minute; empty: OMS_API_RATE_LIMIT_PER_MINUTE."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def generate(cls, *, name: str, scopes=(), created_by=None, integration: Integration | None = None) -> tuple["ApiKey", str]:
        """Create a key; the raw key is returned once and never stored."""
        prefix = secrets.token_hex(cls.PREFIX_LENGTH // 2)
        raw_key = f"oms_{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(
            name=name, prefix=prefix, hashed_key=_hash_key(raw_key), scopes=list(scopes), created_by=created_by, integration=integration
        )
        return key, raw_key

    @staticmethod
    def split(raw_key: str) -> str | None:
        """The prefix of a well-formed raw key, or None."""
        parts = raw_key.split("_", 2)
        if len(parts) != 3 or parts[0] != "oms" or len(parts[1]) != ApiKey.PREFIX_LENGTH:
            return None
        return parts[1]

    def matches(self, raw_key: str) -> bool:
        return secrets.compare_digest(self.hashed_key, _hash_key(raw_key))

    def has_scope(self, scope: str) -> bool:
        return not self.scopes or scope in self.scopes

    @property
    def label(self) -> str:
        return f"api:{self.name}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an ``Idempotency-Key``, replayed to its retries."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        DONE = "done"

    owner = models.CharField(max_length=120, help_text="Who sent the key: an API key or a user.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    token = models.CharField(max_length=32, help_text="Set by the request that claimed the key.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_uniq")]


def webhook_secret_new() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# An event name (``order.created``), a prefix pattern (``order.*``) or ``*`` for every event.
EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")


def event_name_matches(patterns, name: str) -> bool:
    """Whether an event called ``name`` is wanted by a list of names and patterns."""
    for pattern in patterns:
        if pattern == "*" or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


class WebhookSubscription(models.Model):
    """An integration's request to be told about events: POSTed to ``url``, signed with ``secret``."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(max_length=500, help_text="Where the events are POSTed (http or https).")
    events = models.JSONField(default=list, help_text='Event names, "order.*" for a prefix, "*" for every event.')
    # Shown once when created or rotated; receivers verify signatures with it.
    secret = models.CharField(max_length=100, default=webhook_secret_new, editable=False)
    is_active = models.BooleanField(default=True, help_text="Off: no new deliveries are made for it.")
    description = models.CharField(max_length=200, blank=True)
    # Raised by one on every change: the API's ETag for If-Match.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.integration_id and self.integration.code}: {self.url}"

    def wants(self, name: str) -> bool:
        return event_name_matches(self.events, name)


class WebhookDelivery(models.Model):
    """One event owed to one subscription, with where its sending stands.

    ``leased_until`` is set by the worker that claims it for one attempt (one conditional UPDATE),
    so two workers never send it at once; a lease left to expire belongs to a worker that died.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    # Both foreign keys are indexed by the unique constraint and the composite index below.
    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="webhook_deliveries", db_index=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts since it was created or last re-delivered.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["event", "subscription"], name="webhook_delivery_event_subscription_uniq")]
        indexes = [
            # The sweep: pending deliveries that are due.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhook_due_idx"),
            # The admin and the API list them newest first, by subscription and by status.
            models.Index(fields=["subscription", "status", "-id"], name="webhook_sub_status_idx"),
            models.Index(fields=["status", "-id"], name="webhook_status_idx"),
        ]
        permissions = [("redeliver_webhookdelivery", "Can re-deliver webhooks")]

    def __str__(self):
        return f"delivery #{self.pk}"


class WebhookAttempt(models.Model):
    """The log of one attempt to send a delivery: what the receiver answered and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: no answer (timeout, refused).")
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"attempt #{self.pk}"


class DocumentJob(FSMModelMixin, models.Model):
    """A document (a PDF of many pages) rendered in the background, downloadable when done.

    Generic: ``kind`` names a renderer registered in :mod:`oms.documents` (pick lists, packing
    slips, later reports); ``payload`` is what that renderer needs (ids, plain data). The PDF is
    kept in the database, so any web process can serve what any worker rendered.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    status = FSMField(default=Status.QUEUED, choices=Status.choices, protected=True)
    payload = models.JSONField(default=dict)
    progress_done = models.PositiveIntegerField(default=0, help_text="Documents rendered so far.")
    progress_total = models.PositiveIntegerField(default=0, help_text="Documents to render.")
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_size = models.PositiveIntegerField(null=True, blank=True, help_text="Bytes.")
    page_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    # A worker that claimed the job holds it until then; a job left running past it belongs to a
    # worker that died and may be claimed again.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "-id"], name="documentjob_kind_idx")]
        permissions = [("download_documentjob", "Can download rendered documents")]

    def __str__(self):
        return f"{self.title} #{self.pk}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def filename(self) -> str:
        stem = re.sub(r"[^A-Za-z0-9]+", "-", self.title).strip("-").lower() or self.kind
        return f"{stem}-{self.pk}.pdf"

    @transition(field=status, source=[Status.QUEUED, Status.RUNNING], target=Status.RUNNING)
    def start(self, *, lease_until):
        self.attempts += 1
        self.leased_until = lease_until
        self.started_at = self.started_at or timezone.now()
        self.error = ""

    @transition(field=status, source=Status.RUNNING, target=Status.DONE)
    def finish(self, *, pdf: bytes, page_count: int):
        self.pdf, self.pdf_size, self.page_count = pdf, len(pdf), page_count
        self.progress_done = self.progress_total
        self.finished_at, self.leased_until = timezone.now(), None

    @transition(field=status, source=[Status.QUEUED, Status.RUNNING], target=Status.FAILED)
    def fail(self, *, error: str):
        self.error = error[:4000]
        self.finished_at, self.leased_until = timezone.now(), None


class SavedFilter(models.Model):
    """A named view of a console list: the list's query string (filters, search, ordering) kept
    under a name, so an operator gets the same rows back in one click. Shared ones are offered to
    every staff user who may open that list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    # The admin's list it belongs to, as "<app_label>.<model_name>" (a proxy such as the hold queue has its own).
    model = models.CharField(max_length=100)
    name = models.CharField(max_length=80)
    query_string = models.CharField(max_length=2000, blank=True)
    shared = models.BooleanField(default=False, help_text="Offered to every staff user who may open this list.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "model", "name"], name="saved_filter_name_unique_per_user_and_list")]
        indexes = [models.Index(fields=["model", "shared"], name="saved_filter_list_idx")]

    def __str__(self):
        return self.name


class ConfigChange(models.Model):
    """The audit trail of catalogue and configuration (products, channel stock rules, routing
    strategies, carriers and rate tables, screening rules): who changed which object, and each
    changed field's old and new value. Written by the services and the console that change them."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"

    model = models.CharField(max_length=100, help_text="The model's label, e.g. inventory.Product.")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    action = models.CharField(max_length=8, choices=Action.choices)
    # {field: [old, new]}; None stands for "no value" (a created or deleted object).
    changes = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id", "-at"], name="config_change_object_idx")]

    def __str__(self):
        return f"{self.get_action_display()} {self.model} {self.object_repr}"
