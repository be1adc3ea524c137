"""Serializers of the kernel's endpoints: the events feed and webhook subscriptions and deliveries."""

from rest_framework import serializers

from oms.models import DomainEvent, Integration, WebhookAttempt, WebhookDelivery, WebhookSubscription

from .fields import MAX_BIGINT


class EventSerializer(serializers.ModelSerializer):
    """An event as the feed shows it: the same document a webhook receiver gets in its body."""

    id = serializers.IntegerField(read_only=True, help_text="Ascending; pass the last one you saw as `after` to resume.")
    uuid = serializers.UUIDField(read_only=True, help_text="The `webhook-id` of this event's webhooks.")
    type = serializers.CharField(source="name", read_only=True, help_text="e.g. `order.created`.")
    timestamp = serializers.DateTimeField(source="created_at", read_only=True)
    data = serializers.JSONField(source="payload", read_only=True)
    stream = serializers.CharField(read_only=True, help_text="What it is about, e.g. `order:42`; empty for none.")
    sequence = serializers.IntegerField(read_only=True, allow_null=True, help_text="1, 2, 3... within its stream.")

    class Meta:
        model = DomainEvent
        fields = ("id", "uuid", "type", "timestamp", "stream", "sequence", "data")


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page; null when you have caught up (poll again later).")
    last_id = serializers.IntegerField(allow_null=True, help_text="Pass as `after` next time; null when nothing was ever read.")


class EventFeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0, max_value=MAX_BIGINT, help_text="Only events with a larger id.")
    type = serializers.RegexField(
        r"^[a-z0-9_.]+(\.\*)?$", required=False, max_length=100, help_text="An event name, or a prefix such as `order.*`."
    )
    stream = serializers.CharField(required=False, max_length=60, help_text="e.g. `order:42`.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class SubscriptionSerializer(serializers.ModelSerializer):
    integration = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ("id", "integration", "url", "events", "description", "is_active", "version", "created_at", "updated_at")
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown only in this answer: store it to verify signatures.")

    class Meta(SubscriptionSerializer.Meta):
        fields = (*SubscriptionSerializer.Meta.fields, "secret")
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    integration = serializers.SlugRelatedField(
        slug_field="code", queryset=Integration.objects.all(), required=False,
        help_text="Its code; leave out with a key that belongs to an integration (the key's own is used).",
    )
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1, help_text='e.g. `["order.*"]`, `["*"]`.')
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class SubscriptionUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ("started_at", "status_code", "duration_ms", "succeeded", "error", "response_excerpt")
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.IntegerField(read_only=True)
    event_uuid = serializers.UUIDField(source="event.uuid", read_only=True, help_text="The `webhook-id` it is sent with.")
    event_type = serializers.CharField(source="event.name", read_only=True)
    subscription = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id", "subscription", "event_id", "event_uuid", "event_type", "status", "attempts", "next_attempt_at",
            "last_status_code", "last_duration_ms", "last_error", "delivered_at", "created_at",
        )
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = (*DeliverySerializer.Meta.fields, "attempt_log")
        read_only_fields = fields
