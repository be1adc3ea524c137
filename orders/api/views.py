"""Order endpoints: thin views over ``orders.services``; every refusal comes out in the one error shape."""

from collections import defaultdict

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.errors import NotFound
from orders.models import Allocation, Order, OrderHold, OrderLine
from orders.services import IntakeResult, order_cancel, order_intake

from .filters import OrderFilter
from .serializers import OrderCancelSerializer, OrderCreateSerializer, OrderSerializer

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The order number, e.g. `SO-0000042`.")


def orders_with_details() -> QuerySet[Order]:
    """Orders with everything :class:`OrderSerializer` reads, in a fixed number of queries per page."""
    allocations = Prefetch("allocations", queryset=Allocation.objects.select_related("location").order_by("id"), to_attr="allocation_list")
    return Order.objects.select_related("channel").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("line_number").prefetch_related(allocations), to_attr="line_list"),
        Prefetch("holds", queryset=OrderHold.objects.filter(released_at__isnull=True).order_by("id"), to_attr="active_holds"),
    )


def _order_id(number: str) -> int:
    # A NUL byte cannot be in any stored number, and PostgreSQL refuses it in a query.
    order_id = Order.objects.filter(number=number).values_list("pk", flat=True).first() if "\x00" not in number else None
    if order_id is None:
        raise NotFound(f"No order with number {number!r}.")
    return order_id


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
    return order


class OrdersView(GenericAPIView):
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    parser_classes = [JSONParser]
    serializer_class = OrderSerializer
    filterset_class = OrderFilter

    def get_queryset(self):
        return orders_with_details()

    @extend_schema(
        operation_id="orders_list",
        summary="List orders",
        description="Newest first, cursor-paginated (follow `next`).",
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
            201: OrderSerializer,
            200: OpenApiResponse(OrderSerializer, description="This `(channel, external_id)` was recorded before; nothing new was created."),
            **error_responses(400, 409, 422),
        },
    )
    @idempotent
    def post(self, request):
        data = OrderCreateSerializer.intake_data(validated(OrderCreateSerializer, request.data))
        result = order_intake(data=data, actor=request_actor(request))
        if result.created:
            return Response(represent(OrderSerializer, _order_from_intake(result)), status=status.HTTP_201_CREATED)
        existing = orders_with_details().get(pk=result.order.pk)
        return Response(represent(OrderSerializer, existing), status=status.HTTP_200_OK)


class OrderDetailView(APIView):
    required_scopes = {"GET": "orders:read"}

    @extend_schema(operation_id="orders_retrieve", summary="One order", parameters=[NUMBER], responses={200: OrderSerializer, **error_responses(404)})
    def get(self, request, number: str):
        return Response(represent(OrderSerializer, orders_with_details().get(pk=_order_id(number))))


class OrderCancelView(APIView):
    required_scopes = {"POST": "orders:write"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_cancel",
        summary="Cancel an order",
        description="Releases its reserved stock. Cancelling a cancelled order answers it unchanged; an order that "
        "has shipped cannot be cancelled (409).",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=OrderCancelSerializer,
        responses={200: OrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_id = _order_id(number)
        order_cancel(order_id=order_id, actor=request_actor(request), reason=serializer.validated_data["reason"])
        return Response(represent(OrderSerializer, orders_with_details().get(pk=order_id)))
