import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class DomainEvent(models.Model):
    """The outbox: an event recorded in the transaction that caused it, dispatched after commit.

    A row whose ``dispatched_at`` is still empty was not handed to its subscribers (the process
    died between commit and dispatch); the periodic sweep dispatches it again.
    """

    name = models.CharField(max_length=100)
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

    def __str__(self):
        return f"{self.name} #{self.pk}"


API_SCOPES = (
    ("orders:read", "Read orders"),
    ("orders:write", "Create and cancel orders"),
    ("products:read", "Read products and locations"),
    ("products:write", "Create products"),
    ("stock:read", "Read stock and availability"),
    ("stock:write", "Post stock movements"),
)
API_SCOPE_NAMES = tuple(name for name, _ in API_SCOPES)


def _hash_key(raw_key: str) -> str:
    # Keys are 256 bits of randomness: a fast digest is enough, a slow KDF would only cost
    # every request a few milliseconds without making a guess any likelier to succeed.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A key an external system authenticates with. Only its hash is stored."""

    PREFIX_LENGTH = 8

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text="Empty means every scope.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def generate(cls, *, name: str, scopes=(), created_by=None) -> tuple["ApiKey", str]:
        """Create a key; the raw key is returned once and never stored."""
        prefix = secrets.token_hex(cls.PREFIX_LENGTH // 2)
        raw_key = f"oms_{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(name=name, prefix=prefix, hashed_key=_hash_key(raw_key), scopes=list(scopes), created_by=created_by)
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
