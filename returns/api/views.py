"""Return endpoints: thin views over ``returns.services``; every refusal comes out in the one error shape."""

from collections.abc import Callable

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import request_actor
from oms.api.downloads import FileAnswerNegotiation, file_response
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorOrderingFilter
from oms.api.parsers import JSONParser
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.api.versioning import etag_for, with_etag
from orders.selectors import order_id_for_number

from .. import services
from ..documents import rma_slip_pdf
from ..selectors import refund_of_return, return_events, return_id_for_number, return_with_details, returns_with_details
from .filters import ReturnFilter
from .serializers import (
    ReturnCancelSerializer,
    ReturnCreateSerializer,
    ReturnEventSerializer,
    ReturnExchangeSerializer,
    ReturnInspectSerializer,
    ReturnNoteSerializer,
    ReturnReceiveSerializer,
    ReturnRefundSerializer,
    ReturnRejectSerializer,
    ReturnSerializer,
)

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The RMA number, e.g. `RMA-000123`.")


def _return_answer(return_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The return as it is now, with its ETag, after a change."""
    rma = return_with_details(return_id)
    return Response(represent(ReturnSerializer, rma), status=status_code, headers={"ETag": etag_for(rma.version)})


class ReturnsView(GenericAPIView):
    required_scopes = {"GET": "returns:read", "POST": "returns:write"}
    required_permissions = {"GET": "returns.view_returnrequest", "POST": "returns.add_returnrequest"}
    parser_classes = [JSONParser]
    serializer_class = ReturnSerializer
    filterset_class = ReturnFilter
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    ordering_fields = ["created_at", "updated_at"]

    def get_queryset(self):
        return returns_with_details()

    @extend_schema(
        operation_id="returns_list",
        summary="List returns (RMAs)",
        description="Newest first unless `ordering` says otherwise; cursor-paginated (follow `next`). Filters combine with AND.",
        responses={200: ReturnSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(ReturnSerializer, page))

    @extend_schema(
        operation_id="returns_create",
        summary="Request a return",
        description="Units of a shipped order's lines to send back, each with a reason. Within the channel's return policy "
        "(and with auto-approval on) the return is approved at once; outside it, it is recorded as `requested` with "
        "`needs_attention` saying why, for a person to decide. More units than shipped (counting open returns and units "
        "already returned), unknown lines, or an order that shipped nothing are refused (400/409), nothing recorded.",
        request=ReturnCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ReturnSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(ReturnCreateSerializer, request.data)
        rma = services.return_request(
            order_id=order_id_for_number(data["order"]), lines=ReturnCreateSerializer.line_data(data), resolution=data["resolution"],
            customer_comment=data["customer_comment"], actor=request_actor(request),
        )
        return _return_answer(rma.pk, status_code=status.HTTP_201_CREATED)


class ReturnDetailView(APIView):
    required_scopes = {"GET": "returns:read"}
    required_permissions = {"GET": "returns.view_returnrequest"}

    @extend_schema(
        operation_id="returns_retrieve",
        summary="One return",
        description="Carries an `ETag` (the return's `version`); with `If-None-Match` set to it, an unchanged return answers 304.",
        parameters=[NUMBER],
        responses={200: ReturnSerializer, 304: OpenApiResponse(description="Unchanged since the ETag in `If-None-Match`."), **error_responses(404)},
    )
    def get(self, request, number: str):
        rma = return_with_details(return_id_for_number(number))
        return with_etag(request, Response(represent(ReturnSerializer, rma)), rma.version)


def return_action_view(
    *, operation_id: str, summary: str, description: str, permission: str, serializer, run: Callable[[int, dict, object], object],
) -> type[APIView]:
    """A ``POST /returns/{number}/<action>/`` view: validates ``serializer``, calls ``run(return id,
    data, actor)`` (one service) and answers the return as it is now, with its ETag."""

    @extend_schema(
        operation_id=operation_id, summary=summary, description=description, parameters=[NUMBER, IDEMPOTENCY_KEY], request=serializer,
        responses={200: ReturnSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(serializer, request.data)
        return_id = return_id_for_number(number)
        run(return_id, data, request_actor(request))
        return _return_answer(return_id)

    name = "".join(part.title() for part in operation_id.split("_")) + "View"
    return type(name, (APIView,), {
        "required_scopes": {"POST": "returns:write"}, "required_permissions": {"POST": permission}, "parser_classes": [JSONParser],
        "post": post, "__doc__": summary,
    })


ReturnApproveView = return_action_view(
    operation_id="returns_approve", summary="Approve a requested return", permission="returns.approve_return", serializer=ReturnNoteSerializer,
    description="Also one outside the policy (a person's decision). It may then travel until `expires_at`. Any other status: 409.",
    run=lambda pk, data, actor: services.return_approve(return_id=pk, note=data["note"], actor=actor),
)
ReturnRejectView = return_action_view(
    operation_id="returns_reject", summary="Reject a requested return", permission="returns.approve_return", serializer=ReturnRejectSerializer,
    description="Needs a `reason` (the customer is told). Any status but requested: 409.",
    run=lambda pk, data, actor: services.return_reject(return_id=pk, reason=data["reason"], actor=actor),
)
ReturnReceiveView = return_action_view(
    operation_id="returns_receive", summary="Receive a return's parcel", permission="returns.receive_return", serializer=ReturnReceiveSerializer,
    description="The items scanned at a location fill the return's lines; items it does not name (or more than expected) "
    "are recorded as `unexpected_items`. When everything expected arrived, or `complete` is true (the rest is recorded "
    "as missing), the return is `received`; otherwise it stays `in_transit` for the rest. Before approval, or after "
    "receipt: 409.",
    run=lambda pk, data, actor: services.return_receive(
        return_id=pk, location=data["location"], items=ReturnReceiveSerializer.items_data(data), complete=data["complete"], actor=actor,
    ),
)
ReturnInspectView = return_action_view(
    operation_id="returns_inspect", summary="Record a received return's inspection", permission="returns.inspect_return",
    serializer=ReturnInspectSerializer,
    description="One entry per line with units received: condition and disposition. Each line's units post to the stock "
    "ledger at the receiving location with the RMA number as reference (restock: sellable again; refurbish, quarantine: "
    "quarantined; scrap, return_to_vendor: in and out). The return becomes `inspected`. Not received: 409.",
    run=lambda pk, data, actor: services.return_inspect(return_id=pk, lines=ReturnInspectSerializer.inspection_data(data), actor=actor),
)
ReturnCancelView = return_action_view(
    operation_id="returns_cancel", summary="Cancel a return", permission="returns.cancel_return", serializer=ReturnCancelSerializer,
    description="Before anything of it is received. Cancelling a cancelled return answers it unchanged; one with units "
    "received, or decided (rejected, expired, inspected...): 409.",
    run=lambda pk, data, actor: services.return_cancel(return_id=pk, reason=data["reason"], actor=actor),
)

ReturnRefundView = return_action_view(
    operation_id="returns_refund", summary="Refund a return", permission="returns.refund_return", serializer=ReturnRefundSerializer,
    description="Gives back what the customer paid for the units (accepted at inspection; received before it; requested on "
    "the carrier's first scan): price after its share of discounts, its tax, shipping when the policy refunds it and "
    "everything came back, less restocking fees and a return label the customer pays. Or `amount` set by hand with a "
    "`reason`. Never more than the order may still refund (400 naming the most). The money goes through the order's "
    "payment adapter (Shopify for a connected Shopify channel, store credit for that resolution); a refusal is recorded as "
    "a `failed` refund with the provider's words (retry it). An inspected return becomes `refunded` when its refund "
    "succeeds. Before the parcel is on its way, an exchange, or already refunded: 409.",
    run=lambda pk, data, actor: services.return_refund(return_id=pk, amount=data["amount"], reason=data["reason"], actor=actor),
)

REFUND_ID = OpenApiParameter("refund_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The refund's `id` (`refunds[].id`).")


class ReturnRefundRetryView(APIView):
    """Send a failed refund again."""

    required_scopes = {"POST": "returns:write"}
    required_permissions = {"POST": "returns.refund_return"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="returns_refund_retry", summary="Retry a failed refund",
        description="The same amount and idempotency key go to the provider again (one that took the first attempt answers "
        "with that refund instead of paying twice). Not failed, or the order's other refunds now leave less: 409.",
        parameters=[NUMBER, REFUND_ID, IDEMPOTENCY_KEY], request=None,
        responses={200: ReturnSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str, refund_id: int):
        return_id = return_id_for_number(number)
        services.refund_retry(refund_id=refund_of_return(return_id, refund_id), actor=request_actor(request))
        return _return_answer(return_id)


ReturnExchangeView = return_action_view(
    operation_id="returns_exchange", summary="Place an exchange's replacement order", permission="returns.approve_return",
    serializer=ReturnExchangeSerializer,
    description="Normally automatic (at approval when the policy exchanges in advance, else after inspection); this places it "
    "when that was refused (e.g. the replacement was not sellable) once the cause is fixed, and is safe to repeat: the "
    "order's external id is derived from the RMA number, so one return never gets two replacement orders. An inspected "
    "return becomes `exchanged`. Not an exchange, or not due yet: 409.",
    run=lambda pk, data, actor: services.return_exchange_place(return_id=pk, actor=actor),
)


class ReturnSlipView(APIView):
    required_scopes = {"GET": "returns:read"}
    required_permissions = {"GET": "returns.view_returnrequest"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="returns_slip",
        summary="A return's RMA slip as PDF",
        description="The page that goes into the parcel: the RMA number as barcode and QR code (what the dock scans), "
        "the lines with their reasons, where to send the parcel and by when. Before approval, or once rejected, cancelled "
        "or expired: 409.",
        parameters=[NUMBER],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The slip."), **error_responses(404, 409)},
    )
    def get(self, request, number: str):
        content = rma_slip_pdf(return_id_for_number(number))
        return file_response(content, filename=f"return-slip-{number}.pdf", content_type="application/pdf")


class ReturnEventsView(GenericAPIView):
    required_scopes = {"GET": "returns:read"}
    required_permissions = {"GET": "returns.view_returnevent"}
    serializer_class = ReturnEventSerializer
    filter_backends = []
    ordering = "id"  # oldest first: a trail reads from the beginning

    @extend_schema(
        operation_id="returns_events_list", summary="A return's audit trail",
        description="Every change to the return, oldest first, with who made it; cursor-paginated.",
        parameters=[NUMBER], responses={200: ReturnEventSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, number: str):
        page = self.paginate_queryset(return_events(return_id_for_number(number)))
        return self.get_paginated_response(represent_many(ReturnEventSerializer, page))
