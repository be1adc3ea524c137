"""Fulfillment-order endpoints: thin views over ``fulfillment.services``; refusals come out in the one error shape."""

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from fulfillment.models import FulfillmentHold, FulfillmentHoldReason, FulfillmentLine, FulfillmentOrder, FulfillmentStatus
from fulfillment.services import (
    fulfillment_order_deliver,
    fulfillment_order_hold_place,
    fulfillment_order_holds_release,
    fulfillment_order_move,
    fulfillment_order_ship,
    fulfillment_order_split,
    fulfillment_orders_merge,
)
from inventory.models import Location
from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorOrderingFilter
from oms.api.parsers import JSONParser
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.api.versioning import etag_for, with_etag
from oms.errors import InvalidInput, NotFound

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The fulfillment order number, e.g. `SO-0000042-1`.")


def fulfillment_orders_with_details():
    """Fulfillment orders with what their representation reads, in a constant number of queries."""
    return FulfillmentOrder.objects.select_related("order", "location", "shipment").prefetch_related(
        Prefetch("lines", queryset=FulfillmentLine.objects.select_related("product", "order_line").order_by("pk")),
        Prefetch("holds", queryset=FulfillmentHold.objects.filter(released_at__isnull=True).order_by("pk"), to_attr="open_holds"),
    )


def _fulfillment_order(number: str) -> FulfillmentOrder:
    found = fulfillment_orders_with_details().filter(number=number).first()
    if found is None:
        raise NotFound(f"No fulfillment order {number!r}.")
    return found


# --- shapes ----------------------------------------------------------------------------------


class FulfillmentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line_number = serializers.IntegerField(source="order_line.line_number", help_text="The order line it ships.")
    sku = serializers.CharField(source="product.sku")
    quantity = serializers.IntegerField()
    quantity_picked = serializers.IntegerField()
    quantity_packed = serializers.IntegerField()
    quantity_shipped = serializers.IntegerField()


class FulfillmentHoldSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    detail = serializers.CharField()
    created_at = serializers.DateTimeField()


class FulfillmentOrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    order = serializers.CharField(source="order.number", help_text="The order's number.")
    location = serializers.CharField(source="location.code", help_text="Code of the location that ships it.")
    status = serializers.ChoiceField(choices=FulfillmentStatus.choices)
    priority = serializers.IntegerField(help_text="Lower is worked first.")
    promised_ship_date = serializers.DateField(allow_null=True)
    promised_delivery_date = serializers.DateField(
        allow_null=True, help_text="The delivery date promised to the customer (from the order); rate shopping books a service that meets it."
    )
    is_held = serializers.BooleanField()
    holds = FulfillmentHoldSerializer(many=True, source="open_holds", help_text="Open holds; it cannot be picked while any is open.")
    tracking_number = serializers.CharField(help_text="The carrier's tracking number once shipped (empty until then).")
    carrier = serializers.CharField(source="carrier_code", help_text="Code of the carrier booked when it shipped; empty without a booking.")
    service = serializers.CharField(source="service_code", help_text="Code of the carrier's service booked; empty without a booking.")
    tracking_url = serializers.CharField(
        source="shipment.tracking_url", allow_null=True,
        help_text="Where the parcel can be followed, given with a manual shipment; empty otherwise, null without a shipment.",
    )
    shipment = serializers.IntegerField(
        source="shipment.id", allow_null=True, help_text="Id of the shipment booked when it shipped (`/shipments/{id}/`); null without one."
    )
    label_url = serializers.SerializerMethodField(help_text="Where the shipment's label is downloaded; null without a shipment.")
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    lines = FulfillmentLineSerializer(many=True)

    def get_label_url(self, fulfillment_order) -> str | None:
        return reverse("api-shipment-label", args=[fulfillment_order.shipment_id]) if fulfillment_order.shipment_id else None


class ShipSerializer(serializers.Serializer):
    carrier = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=30,
        help_text="Carrier code to book with; empty: rate shopping under the shop's policy among the active carriers.",
    )
    service = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=30,
        help_text="Service code of `carrier` (e.g. `ground`); empty with a carrier: its best service under the policy.",
    )
    tracking_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100,
        help_text="The carrier's tracking number of a parcel booked outside the OMS: with `manual_carrier`, a manual shipment is "
        "recorded; alone, the number is kept on the fulfillment order and no shipment is recorded. Not with `carrier`.",
    )
    manual_carrier = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100,
        help_text="Your own carrier's name (e.g. `PostNL`) when no carrier service of the OMS takes the lane: with "
        "`tracking_number`, a manual shipment is recorded (carrier `own-<name>`, never polled for tracking; its label "
        "comes from that carrier). Not with `carrier`.",
    )
    tracking_url = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500,
        help_text="Optional, with `manual_carrier`: an http(s) address where the parcel can be followed.",
    )


class MoveSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="Code of the location to ship from instead.")


class EmptySerializer(serializers.Serializer):
    pass


class SplitLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The fulfillment line's `id`.")
    quantity = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class SplitSerializer(serializers.Serializer):
    lines = SplitLineSerializer(many=True, allow_empty=False, help_text="Units to move to the new fulfillment order.")
    location = serializers.CharField(required=False, allow_blank=True, default="", help_text="Ship them from this location (default: the same).")


class MergeSerializer(serializers.Serializer):
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=2, max_length=100,
        help_text="Pending fulfillment orders of one order at one location; they are folded into the oldest.",
    )


class HoldSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=FulfillmentHoldReason.choices)
    detail = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class FulfillmentOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FulfillmentStatus.choices)
    location = django_filters.CharFilter(field_name="location__code", help_text="Location code, e.g. `chicago`.")
    order = django_filters.CharFilter(field_name="order__number", help_text="The order's number, e.g. `SO-0000042`.")

    class Meta:
        model = FulfillmentOrder
        fields = ["status", "location", "order"]


# --- views -----------------------------------------------------------------------------------


def _answer(fulfillment_order_id: int) -> Response:
    fulfillment_order = fulfillment_orders_with_details().get(pk=fulfillment_order_id)
    return Response(represent(FulfillmentOrderSerializer, fulfillment_order), headers={"ETag": etag_for(fulfillment_order.version)})


class FulfillmentOrdersView(GenericAPIView):
    required_scopes = {"GET": "fulfillment:read"}
    required_permissions = {"GET": "fulfillment.view_fulfillmentorder"}
    serializer_class = FulfillmentOrderSerializer
    filterset_class = FulfillmentOrderFilter
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    ordering_fields = ["created_at", "updated_at", "priority"]

    def get_queryset(self):
        return fulfillment_orders_with_details()

    @extend_schema(
        operation_id="fulfillment_orders_list",
        summary="List fulfillment orders",
        description="Newest first unless `ordering` says otherwise; cursor-paginated (follow `next`). Filters combine with AND.",
        responses={200: FulfillmentOrderSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(FulfillmentOrderSerializer, page))


class FulfillmentOrderDetailView(APIView):
    required_scopes = {"GET": "fulfillment:read"}
    required_permissions = {"GET": "fulfillment.view_fulfillmentorder"}

    @extend_schema(
        operation_id="fulfillment_orders_retrieve",
        summary="One fulfillment order",
        description="Carries an `ETag` (its `version`); with `If-None-Match` set to it, an unchanged one answers 304.",
        parameters=[NUMBER],
        responses={200: FulfillmentOrderSerializer, 304: None, **error_responses(404)},
    )
    def get(self, request, number: str):
        fulfillment_order = _fulfillment_order(number)
        return with_etag(request, Response(represent(FulfillmentOrderSerializer, fulfillment_order)), fulfillment_order.version)


def _id_for(number: str) -> int:
    # A NUL byte is in no stored number, and PostgreSQL refuses it in a query.
    found = FulfillmentOrder.objects.filter(number=number).values_list("pk", flat=True).first() if "\x00" not in number else None
    if found is None:
        raise NotFound(f"No fulfillment order {number!r}.")
    return found


class FulfillmentOrderShipView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    # Floor work, as in the console: the permission that picks and packs also ships.
    required_permissions = {"POST": "fulfillment.confirm_picklist"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_ship",
        summary="Ship a packed fulfillment order",
        description="Ships what was packed from its location; the order becomes partially shipped or shipped. Units not "
        "packed stay reserved on a new pending fulfillment order. When carriers are set up, a shipment is booked first "
        "(the named `carrier` and `service`, or rate shopping) and the answer carries its `tracking_number`; a refused "
        "booking ships nothing (no service for the lane: 409 `no_carrier_service`). With `manual_carrier` and "
        "`tracking_number` (and optionally `tracking_url`), nothing is booked: a manual shipment with your own carrier is "
        "recorded, and tracking events posted for its number are taken like any other. Not packed yet: 409.",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=ShipSerializer,
        responses={200: FulfillmentOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(ShipSerializer, request.data)
        fulfillment_order_id = _id_for(number)
        fulfillment_order_ship(
            fulfillment_order_id=fulfillment_order_id, tracking_number=data["tracking_number"], carrier=data["carrier"], service=data["service"],
            manual_carrier=data["manual_carrier"], tracking_url=data["tracking_url"], actor=request_actor(request),
        )
        return _answer(fulfillment_order_id)


class FulfillmentOrderDeliverView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.transition_fulfillmentorder"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_deliver",
        summary="Record that a shipped fulfillment order was delivered",
        description="When every fulfillment order of the order is delivered (or cancelled), the order is delivered too. "
        "Not shipped yet: 409.",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=EmptySerializer,
        responses={200: FulfillmentOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        fulfillment_order_id = _id_for(number)
        fulfillment_order_deliver(fulfillment_order_id=fulfillment_order_id, actor=request_actor(request))
        return _answer(fulfillment_order_id)


class FulfillmentOrderMoveView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.route_fulfillmentorder"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_move",
        summary="Ship a pending fulfillment order from another location",
        description="Its reservations move with it, all or nothing: a location lacking available stock is refused "
        "(409 `insufficient_stock`) and nothing moves. Only a pending fulfillment order can move (409).",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=MoveSerializer,
        responses={200: FulfillmentOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(MoveSerializer, request.data)
        fulfillment_order_id = _id_for(number)
        fulfillment_order_move(fulfillment_order_id=fulfillment_order_id, to_location_id=_location_id(data["location"]), actor=request_actor(request))
        return _answer(fulfillment_order_id)


def _location_id(code: str) -> int:
    location_id = Location.objects.filter(code=code).values_list("pk", flat=True).first() if "\x00" not in code else None
    if location_id is None:
        raise InvalidInput(f"No location with code {code!r}.", fields={"location": ["Unknown location."]})
    return location_id


class FulfillmentOrderSplitView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.route_fulfillmentorder"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_split",
        summary="Split units off a pending fulfillment order",
        description="The units named go to a new fulfillment order (201, the new one), at `location` if given, with "
        "their reservations. At least one unit stays behind (splitting everything is a move). Not pending, or a "
        "location lacking available stock: 409.",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=SplitSerializer,
        responses={201: FulfillmentOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(SplitSerializer, request.data)
        fulfillment_order_id = _id_for(number)
        lines: dict[int, int] = {}
        for item in data["lines"]:
            lines[item["line"]] = lines.get(item["line"], 0) + item["quantity"]
        to_location_id = _location_id(data["location"]) if data["location"] else None
        new = fulfillment_order_split(fulfillment_order_id=fulfillment_order_id, lines=lines, to_location_id=to_location_id, actor=request_actor(request))
        response = _answer(new.pk)
        response.status_code = 201
        return response


class FulfillmentOrdersMergeView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.route_fulfillmentorder"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_merge",
        summary="Merge pending fulfillment orders",
        description="Pending fulfillment orders of one order at one location become one (the oldest; the others are "
        "cancelled as merged). Different orders or locations, or one not pending: 409.",
        parameters=[IDEMPOTENCY_KEY],
        request=MergeSerializer,
        responses={200: FulfillmentOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        numbers = validated(MergeSerializer, request.data)["numbers"]
        merged = fulfillment_orders_merge(fulfillment_order_ids=[_id_for(number) for number in numbers], actor=request_actor(request))
        return _answer(merged.pk)


class FulfillmentOrderHoldView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.transition_fulfillmentorder"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_hold",
        summary="Hold a fulfillment order",
        description="A held fulfillment order cannot start picking until every hold is released. Already held for "
        "this reason: 409.",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=HoldSerializer,
        responses={200: FulfillmentOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(HoldSerializer, request.data)
        fulfillment_order_id = _id_for(number)
        fulfillment_order_hold_place(fulfillment_order_id=fulfillment_order_id, reason=data["reason"], detail=data["detail"], actor=request_actor(request))
        return _answer(fulfillment_order_id)


class FulfillmentOrderReleaseView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.transition_fulfillmentorder"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_release",
        summary="Release a fulfillment order's holds",
        description="Every open hold is released; the fulfillment order may then be picked. No open hold: 409.",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=ReleaseSerializer,
        responses={200: FulfillmentOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(ReleaseSerializer, request.data)
        fulfillment_order_id = _id_for(number)
        fulfillment_order_holds_release(fulfillment_order_id=fulfillment_order_id, note=data["note"], actor=request_actor(request))
        return _answer(fulfillment_order_id)
