"""The kernel's endpoints: the domain events feed, webhook subscriptions and deliveries.

An API key sees and manages only the subscriptions and deliveries of the integration it belongs to
(a key of no integration, none); signed-in staff see all of them when their role may.
"""

from datetime import timedelta
from urllib.parse import urlencode

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.errors import InvalidInput, NotFound
from oms.models import DomainEvent, WebhookDelivery, WebhookSubscription
from oms.webhooks import (
    webhook_delivery_redeliver,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)

from .authentication import ApiClient, request_actor
from .idempotency import idempotent
from .parsers import JSONParser
from .representation import represent_many
from .schema import IDEMPOTENCY_KEY, IF_MATCH, error_responses
from .serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    EventFeedQuerySerializer,
    EventPageSerializer,
    EventSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionCreateSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateSerializer,
)
from .versioning import expected_version, with_etag

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _own_integration(request) -> int | None:
    """The integration whose webhooks a key manages (it sees only that one's); None for signed-in
    staff, whose role decides. A key of no integration manages none: a subscription is always some
    integration's, and such a key could otherwise point every integration's events anywhere."""
    user = request.user
    if not isinstance(user, ApiClient):
        return None
    if user.key.integration_id is None:
        raise PermissionDenied(
            "This API key belongs to no integration, so it manages no webhooks. Use a key of the integration that receives "
            "them (python manage.py create_api_key NAME --integration CODE, or the admin)."
        )
    return user.key.integration_id


def _visible_subscriptions(request) -> QuerySet[WebhookSubscription]:
    subscriptions = WebhookSubscription.objects.select_related("integration")
    integration_id = _own_integration(request)
    return subscriptions if integration_id is None else subscriptions.filter(integration_id=integration_id)


def _visible_deliveries(request) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.select_related("event").defer("event__payload")
    integration_id = _own_integration(request)
    return deliveries if integration_id is None else deliveries.filter(subscription__integration_id=integration_id)


def _subscription(request, pk: int) -> WebhookSubscription:
    subscription = _visible_subscriptions(request).filter(pk=pk).first()
    if subscription is None:
        raise NotFound(f"No webhook subscription with id {pk}.")
    return subscription


# --- Events feed ----------------------------------------------------------------------------------


class EventsFeedView(APIView):
    required_scopes = {"GET": "events:read"}
    required_permissions = {"GET": "oms.view_domainevent"}

    @extend_schema(
        operation_id="events_list",
        summary="The domain events feed",
        description="Every recorded event, oldest first by `id`. A receiver that was down catches up by passing the "
        "last `id` it saw as `after` (or following `next`) until `next` is null. Events of one subject (`stream`, "
        "e.g. `order:42`) carry `sequence` 1, 2, 3... so a gap or a reordering is visible. The newest couple of "
        "seconds are held back until every transaction that may still add an earlier id has committed.",
        parameters=[EventFeedQuerySerializer],
        responses={200: EventPageSerializer, **error_responses(400)},
    )
    def get(self, request):
        query = EventFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        events = DomainEvent.objects.only("id", "uuid", "name", "created_at", "stream", "sequence", "payload").order_by("id")
        settle = settings.OMS_EVENTS_FEED_SETTLE_SECONDS
        if settle > 0:
            events = events.filter(created_at__lte=timezone.now() - timedelta(seconds=settle))
        after = wanted.get("after")
        if after is not None:
            events = events.filter(id__gt=after)
        kind = wanted.get("type")
        if kind:
            events = events.filter(name__startswith=kind[:-1]) if kind.endswith(".*") else events.filter(name=kind)
        if wanted.get("stream"):
            events = events.filter(stream=wanted["stream"])
        limit = wanted["limit"]
        page = list(events[: limit + 1])
        more = len(page) > limit
        page = page[:limit]
        last_id = page[-1].pk if page else after
        next_url = None
        if more:
            params = {k: v for k, v in request.query_params.items() if k != "after"}
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode({**params, 'after': last_id})}")
        return Response({"results": represent_many(EventSerializer, page), "next": next_url, "last_id": last_id})


# --- Webhook subscriptions ------------------------------------------------------------------------


class SubscriptionFilter(django_filters.FilterSet):
    integration = django_filters.CharFilter(field_name="integration__code", help_text="Integration code.")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = WebhookSubscription
        fields = ["integration", "is_active"]


class SubscriptionsView(GenericAPIView):
    required_scopes = {"GET": "webhooks:manage", "POST": "webhooks:manage"}
    required_permissions = {"GET": "oms.view_webhooksubscription", "POST": "oms.add_webhooksubscription"}
    parser_classes = [JSONParser]
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter

    def get_queryset(self):
        return _visible_subscriptions(self.request)

    @extend_schema(
        operation_id="webhook_subscriptions_list",
        summary="List webhook subscriptions",
        description="Newest first, cursor-paginated. Secrets are never listed.",
        responses={200: SubscriptionSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(SubscriptionSerializer, page))

    @extend_schema(
        operation_id="webhook_subscriptions_create",
        summary="Subscribe to events",
        description="Events are POSTed to `url` as JSON and signed per Standard Webhooks (`webhook-id`, "
        "`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">` keyed with "
        "the base64-decoded part of `secret` after `whsec_`). The `secret` is in this answer only. Anything but a "
        "2xx answer is retried for about 32 hours with growing waits.",
        request=SubscriptionCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: SubscriptionCreatedSerializer, **error_responses(400, 422)},
    )
    @idempotent
    def post(self, request):
        serializer = SubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        own = _own_integration(request)
        integration = data.pop("integration", None)
        if own is not None:
            if integration is not None and integration.pk != own:
                raise InvalidInput("This key may only subscribe its own integration.", fields={"integration": ["Not this key's integration."]})
            integration = request.user.key.integration
        if integration is None:
            raise InvalidInput("Name the integration to subscribe.", fields={"integration": ["This field is required."]})
        subscription = webhook_subscription_create(integration=integration, actor=request_actor(request), **data)
        return Response(SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(APIView):
    required_scopes = {"GET": "webhooks:manage", "PATCH": "webhooks:manage", "DELETE": "webhooks:manage"}
    required_permissions = {"GET": "oms.view_webhooksubscription", "PATCH": "oms.change_webhooksubscription", "DELETE": "oms.delete_webhooksubscription"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="webhook_subscriptions_retrieve",
        summary="One webhook subscription",
        description="With an `ETag` to send back in `If-Match` when changing it.",
        parameters=[ID],
        responses={200: SubscriptionSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        subscription = _subscription(request, pk)
        return with_etag(request, Response(SubscriptionSerializer(subscription).data), subscription.version)

    @extend_schema(
        operation_id="webhook_subscriptions_update",
        summary="Change a webhook subscription",
        description="Change `url`, `events`, `description` or `is_active`. Needs `If-Match` with the ETag you read.",
        request=SubscriptionUpdateSerializer,
        parameters=[ID, IF_MATCH],
        responses={200: SubscriptionSerializer, **error_responses(400, 404, 412, 428)},
    )
    def patch(self, request, pk: int):
        subscription = _subscription(request, pk)  # a missing one is 404 whatever If-Match says (RFC 9110)
        version = expected_version(request)
        serializer = SubscriptionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = webhook_subscription_update(
            subscription_id=subscription.pk, expected_version=version, actor=request_actor(request), **serializer.validated_data
        )
        return with_etag(request, Response(SubscriptionSerializer(subscription).data), subscription.version)

    @extend_schema(
        operation_id="webhook_subscriptions_destroy",
        summary="Delete a webhook subscription",
        description="Nothing more is sent to it; its delivery history goes with it. `If-Match` is checked when sent.",
        parameters=[ID, OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(404, 412)},
    )
    def delete(self, request, pk: int):
        subscription = _subscription(request, pk)
        version = expected_version(request) if request.headers.get("If-Match") else None
        webhook_subscription_delete(subscription_id=subscription.pk, expected_version=version, actor=request_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Webhook deliveries ---------------------------------------------------------------------------


class DeliveryFilter(django_filters.FilterSet):
    # Bounded like the column: a number beyond it is a malformed request (400), not a database error.
    subscription = django_filters.NumberFilter(
        field_name="subscription_id", help_text="Subscription id.", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event_type = django_filters.CharFilter(field_name="event__name", help_text="Event name, e.g. `order.created`.")

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event_type"]


class DeliveriesView(GenericAPIView):
    required_scopes = {"GET": "webhooks:manage"}
    required_permissions = {"GET": "oms.view_webhookdelivery"}
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter

    def get_queryset(self):
        return _visible_deliveries(self.request)

    @extend_schema(
        operation_id="webhook_deliveries_list",
        summary="List webhook deliveries",
        description="Newest first, cursor-paginated: where each event owed to a subscription stands.",
        responses={200: DeliverySerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(DeliverySerializer, page))


class DeliveryDetailView(APIView):
    required_scopes = {"GET": "webhooks:manage"}
    required_permissions = {"GET": "oms.view_webhookdelivery"}

    @extend_schema(
        operation_id="webhook_deliveries_retrieve",
        summary="One webhook delivery with its attempts",
        parameters=[ID],
        responses={200: DeliveryDetailSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        delivery = _visible_deliveries(request).prefetch_related("attempt_log").filter(pk=pk).first()
        if delivery is None:
            raise NotFound(f"No webhook delivery with id {pk}.")
        return Response(DeliveryDetailSerializer(delivery).data)


class DeliveryRedeliverView(APIView):
    required_scopes = {"POST": "webhooks:manage"}
    required_permissions = {"POST": "oms.redeliver_webhookdelivery"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="webhook_deliveries_redeliver",
        summary="Send a webhook again",
        description="Puts the delivery back to pending with a fresh retry schedule and sends it with the same "
        "`webhook-id`, so a receiver that already has it can tell. 409 while an attempt is under way or when the "
        "subscription or integration is switched off.",
        request=None,
        parameters=[ID, IDEMPOTENCY_KEY],
        responses={202: DeliverySerializer, **error_responses(404, 409, 422)},
    )
    @idempotent
    def post(self, request, pk: int):
        if not _visible_deliveries(request).filter(pk=pk).exists():
            raise NotFound(f"No webhook delivery with id {pk}.")
        webhook_delivery_redeliver(delivery_id=pk, actor=request_actor(request))
        delivery = _visible_deliveries(request).get(pk=pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
