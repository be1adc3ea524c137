"""Order endpoints: thin views over ``orders.services``; every refusal comes out in the one error shape."""

import logging
from collections import defaultdict

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import request_actor
from oms.api.errors import error_body, flatten
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorOrderingFilter
from oms.api.parsers import JSONParser
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, IF_MATCH, error_responses
from oms.api.versioning import etag_for, expected_version, with_etag
from oms.errors import DomainError, InvalidInput
from orders.models import Order
from orders.selectors import order_events, order_id_for_number, order_lines_expected_attach, order_with_details, orders_with_details
from orders.services import (
    IntakeResult,
    order_cancel,
    order_hold_place,
    order_holds_release,
    order_intake,
    order_lines_replace,
    order_start_fulfillment,
    order_update,
    orders_intake_batch,
)

from .filters import OrderFilter
from .serializers import (
    OrderBulkCreateSerializer,
    OrderBulkResponseSerializer,
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderEventSerializer,
    OrderHoldSerializer,
    OrderLinesSerializer,
    OrderReleaseSerializer,
    OrderSerializer,
    OrderUpdateSerializer,
)

logger = logging.getLogger(__name__)

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The order number, e.g. `SO-0000042`.")


def _order_from_intake(result: IntakeResult) -> Order:
    """The new order dressed as :func:`orders_with_details` would load it, from the rows intake
    just wrote: the hot path answers without reading anything back."""
    by_line = defaultdict(list)
    for allocation in result.allocations:
        by_line[allocation.line_id].append(allocation)
    for line in result.lines:
        line.allocation_list = by_line[line.pk]
    order = result.order
    order.line_list = result.lines
    order.active_holds = result.holds
    for line in result.lines:
        line.order = order
    order_lines_expected_attach(result.lines, only_if_short=True)
    return order


def _order_answer(order_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The order as it is now, with its ETag, after a change."""
    order = order_with_details(order_id)
    return Response(represent(OrderDetailSerializer, order), status=status_code, headers={"ETag": etag_for(order.version)})


class OrdersView(GenericAPIView):
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    required_permissions = {"GET": "orders.view_order", "POST": "orders.create_phone_order"}
    parser_classes = [JSONParser]
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    ordering_fields = ["created_at", "updated_at", "placed_at", "grand_total"]

    def get_queryset(self):
        return orders_with_details()

    @extend_schema(
        operation_id="orders_list",
        summary="List orders",
        description="Newest first unless `ordering` says otherwise; cursor-paginated (follow `next`). Filters combine "
        "with AND. Each order as `GET /orders/{number}/` shows it, without `routing` (a few kilobytes per order).",
        responses={200: OrderSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(OrderSerializer, page))

    @extend_schema(
        operation_id="orders_create",
        summary="Record an order",
        description="Validates, records and reserves stock for an order. Doubtful orders (incomplete address, "
        "unpaid, unknown SKU, odd quantity or price, credit limit) are recorded on hold and list their `holds`. "
        "Sending the same `(channel, external_id)` again answers the order already recorded with 200.",
        request=OrderCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OrderDetailSerializer,
            200: OpenApiResponse(OrderDetailSerializer, description="This `(channel, external_id)` was recorded before; nothing new was created."),
            **error_responses(400, 409, 422),
        },
    )
    @idempotent
    def post(self, request):
        data = OrderCreateSerializer.intake_data(validated(OrderCreateSerializer, request.data))
        result = order_intake(data=data, actor=request_actor(request))
        if result.created:
            return Response(represent(OrderDetailSerializer, _order_from_intake(result)), status=status.HTTP_201_CREATED)
        existing = orders_with_details().get(pk=result.order.pk)
        return Response(represent(OrderDetailSerializer, existing), status=status.HTTP_200_OK)


class OrdersBulkView(APIView):
    required_scopes = {"POST": "orders:write"}
    required_permissions = {"POST": "orders.create_phone_order"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_bulk_create",
        summary="Record many orders",
        description="Up to 500 orders in one request, each judged and recorded on its own as `POST /orders/` would "
        "(one refused order never undoes another). The answer is 200 with one result per order, in request order: "
        "`status` is what a single POST would have answered (201 recorded, 200 recorded before, 400 malformed, 409 "
        "refused) with the `order` (as lists show it: without `routing`, which `GET /orders/{number}/` adds) or the "
        "`error`. Only a malformed envelope (no list, more than 500) is refused as a whole.",
        request=OrderBulkCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: OrderBulkResponseSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        bodies = validated(OrderBulkCreateSerializer, request.data)["orders"]
        inputs = []
        for body in bodies:
            try:
                inputs.append(OrderCreateSerializer.intake_data(validated(OrderCreateSerializer, body)))
            except ValidationError as exc:
                inputs.append(InvalidInput("The order is malformed; nothing was recorded.", fields=flatten(exc.detail)))
        on_error = lambda index, exc: logger.error("bulk order %s failed", index, exc_info=exc)  # noqa: E731
        results, existing = [], {}
        for item in orders_intake_batch(orders=inputs, actor=request_actor(request), on_error=on_error):
            result = {"index": item.index, "status": status.HTTP_201_CREATED, "order": None, "error": None}
            if item.error is not None:
                result.update(status=item.error.status_code, error=error_body(item.error.code, item.error.message, item.error.fields)["error"])
            elif item.result.created:
                result["order"] = represent(OrderSerializer, _order_from_intake(item.result))
            else:
                result["status"] = status.HTTP_200_OK
                existing[item.index] = item.result.order.pk
            results.append(result)
        if existing:
            orders = {order.pk: order for order in orders_with_details().filter(pk__in=set(existing.values()))}
            for index, order_id in existing.items():
                results[index]["order"] = represent(OrderSerializer, orders[order_id])
        counts = defaultdict(int)
        for result in results:
            counts[{201: "created", 200: "existing"}.get(result["status"], "failed")] += 1
        return Response({"results": results, "created": counts["created"], "existing": counts["existing"], "failed": counts["failed"]})


class OrderDetailView(APIView):
    required_scopes = {"GET": "orders:read", "PATCH": "orders:write"}
    required_permissions = {"GET": "orders.view_order", "PATCH": "orders.change_order"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_retrieve",
        summary="One order",
        description="With `routing`: the routing engine's decisions (candidates, their score terms, the winner and why). "
        "Carries an `ETag` (the order's `version`); with `If-None-Match` set to it, an unchanged order answers 304.",
        parameters=[NUMBER],
        responses={200: OrderDetailSerializer, 304: OpenApiResponse(description="Unchanged since the ETag in `If-None-Match`."), **error_responses(404)},
    )
    def get(self, request, number: str):
        order = order_with_details(order_id_for_number(number))
        return with_etag(request, Response(represent(OrderDetailSerializer, order)), order.version)

    @extend_schema(
        operation_id="orders_update",
        summary="Change an order's addresses, e-mail or note",
        description="Only the fields sent change; needs `If-Match`. Allowed until the order is in fulfillment "
        "(pending, on hold, backordered, allocated); later 409. A doubtful new shipping address puts the order on an "
        "address hold, a sound one releases it; stock already reserved is not re-routed.",
        parameters=[NUMBER, IF_MATCH],
        request=OrderUpdateSerializer,
        responses={200: OrderDetailSerializer, **error_responses(400, 404, 409, 412, 428)},
    )
    def patch(self, request, number: str):
        order_id = order_id_for_number(number)
        version = expected_version(request)
        changes = OrderUpdateSerializer.changes(validated(OrderUpdateSerializer, request.data))
        order_update(order_id=order_id, expected_version=version, changes=changes, actor=request_actor(request))
        return _order_answer(order_id)


class OrderLinesView(APIView):
    required_scopes = {"PUT": "orders:write"}
    required_permissions = {"PUT": "orders.change_order"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_lines_replace",
        summary="Replace an order's lines",
        description="Needs `If-Match`. Allowed while the order is pending or on hold (409 otherwise). Stock it held is "
        "released; the new lines are checked as at intake (an unknown SKU puts it on a stock hold) and the totals "
        "recomputed. An order on hold stays on hold; a pending one is allocated again.",
        parameters=[NUMBER, IF_MATCH],
        request=OrderLinesSerializer,
        responses={200: OrderDetailSerializer, **error_responses(400, 404, 409, 412, 428)},
    )
    def put(self, request, number: str):
        order_id = order_id_for_number(number)
        version = expected_version(request)
        lines = OrderLinesSerializer.line_data(validated(OrderLinesSerializer, request.data))
        order_lines_replace(order_id=order_id, expected_version=version, lines=lines, actor=request_actor(request))
        return _order_answer(order_id)


class OrderHoldView(APIView):
    required_scopes = {"POST": "orders:write"}
    required_permissions = {"POST": "orders.release_hold"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_hold",
        summary="Put an order on hold",
        description="The order waits for a person until every hold is released; stock it holds stays reserved. An "
        "order already held for this reason, or already in fulfillment, is refused (409).",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=OrderHoldSerializer,
        responses={200: OrderDetailSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(OrderHoldSerializer, request.data)
        order_id = order_id_for_number(number)
        order_hold_place(order_id=order_id, reason=data["reason"], detail=data["detail"], actor=request_actor(request))
        return _order_answer(order_id)


class OrderReleaseView(APIView):
    required_scopes = {"POST": "orders:write"}
    required_permissions = {"POST": "orders.release_hold"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_release",
        summary="Release an order's holds",
        description="Releases the hold for `reason`, or every open hold. When none is left the order is allocated "
        "(or backordered). No such hold, or a cause that persists (an SKU still unknown), is refused (409).",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=OrderReleaseSerializer,
        responses={200: OrderDetailSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(OrderReleaseSerializer, request.data)
        order_id = order_id_for_number(number)
        order_holds_release(order_id=order_id, reason=data["reason"], note=data["note"], actor=request_actor(request))
        return _order_answer(order_id)


class OrderCancelView(APIView):
    required_scopes = {"POST": "orders:write"}
    required_permissions = {"POST": "orders.cancel_order"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_cancel",
        summary="Cancel an order",
        description="Releases its reserved stock. Cancelling a cancelled order answers it unchanged; an order that "
        "has shipped cannot be cancelled (409).",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=OrderCancelSerializer,
        responses={200: OrderDetailSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(OrderCancelSerializer, request.data)
        order_id = order_id_for_number(number)
        order_cancel(order_id=order_id, actor=request_actor(request), reason=data["reason"])
        return _order_answer(order_id)


class OrderStartFulfillmentView(APIView):
    required_scopes = {"POST": "orders:write"}
    required_permissions = {"POST": "orders.transition_order"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_start_fulfillment",
        summary="Send an allocated order to the floor",
        description="The console's \"Start fulfillment\": an allocated order goes into fulfillment, and its locations "
        "may pick it. Any other status (pending, on hold, backordered, already in fulfillment) is refused with 409 "
        "`invalid_transition`. No body.",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=None,
        responses={200: OrderDetailSerializer, **error_responses(404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        order_id = order_id_for_number(number)
        order_start_fulfillment(order_id=order_id, actor=request_actor(request))
        return _order_answer(order_id)


class OrderEventsView(GenericAPIView):
    required_scopes = {"GET": "orders:read"}
    required_permissions = {"GET": "orders.view_orderevent"}
    serializer_class = OrderEventSerializer
    filter_backends = []
    ordering = "id"  # oldest first: a trail reads from the beginning

    @extend_schema(
        operation_id="orders_events_list",
        summary="An order's audit trail",
        description="Every change to the order, oldest first, with who made it; cursor-paginated.",
        parameters=[NUMBER],
        responses={200: OrderEventSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, number: str):
        page = self.paginate_queryset(order_events(order_id_for_number(number)))
        return self.get_paginated_response(represent_many(OrderEventSerializer, page))
