"""Cycle count endpoints: thin views over ``inventory.counts`` (writes) and
``inventory.selectors_counts`` (reads). Counting is blind: a line's expected quantity is in the
answer only for callers who may approve counts (``counts:approve`` / ``inventory.approve_cyclecount``)
and only once the line is counted."""

from collections.abc import Callable

from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import counts
from inventory.models_counts import CycleCount, CycleCountStatus
from inventory.selectors_counts import cycle_count_with_lines, cycle_counts_listing
from oms.api.authentication import ApiClient, request_actor
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorPagination
from oms.api.parsers import JSONParser
from oms.api.representation import validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses

from .counts_serializers import (
    CountCancelSerializer,
    CountSubmitSerializer,
    CycleCountDetailSerializer,
    CycleCountSerializer,
    LinesChoiceSerializer,
    ScanSerializer,
)

COUNT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The count's `id`.")
APPROVE = "inventory.approve_cyclecount"


def is_approver(request) -> bool:
    """Whether the caller may see expected quantities of counted lines (and approve them)."""
    user = request.user
    if isinstance(user, ApiClient):
        return user.key.has_scope("counts:approve")
    return bool(user and user.is_authenticated and user.has_perm(APPROVE))


def _answer(request, count_id: int) -> Response:
    count = cycle_count_with_lines(count_id)
    return Response(CycleCountDetailSerializer(count, context={"approver": is_approver(request)}).data)


class CycleCountFilter(filters.FilterSet):
    location = filters.CharFilter(field_name="location__code", help_text="A location's code.")
    scheduled_for = filters.DateFilter(help_text="The counting day, YYYY-MM-DD.")
    status = filters.ChoiceFilter(choices=CycleCountStatus.choices)

    class Meta:
        model = CycleCount
        fields = ["location", "scheduled_for", "status"]


class CountPagination(CursorPagination):
    ordering = ("-scheduled_for", "-id")


class CycleCountsView(GenericAPIView):
    required_scopes = {"GET": "counts:read"}
    required_permissions = {"GET": "inventory.view_cyclecount"}
    serializer_class = CycleCountSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CycleCountFilter
    pagination_class = CountPagination

    def get_queryset(self):
        return cycle_counts_listing()

    @extend_schema(
        operation_id="cycle_counts_list", summary="List cycle counts",
        description="Newest counting day first; cursor-paginated (follow `next`). Filter by `location`, `scheduled_for`, `status`.",
        responses={200: CycleCountSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CycleCountSerializer(page, many=True).data)


class CycleCountDetailView(APIView):
    required_scopes = {"GET": "counts:read"}
    required_permissions = {"GET": "inventory.view_cyclecount"}

    @extend_schema(
        operation_id="cycle_counts_retrieve", summary="One cycle count with its lines",
        description="Lines in pick-path order. Blind: `expected`, `variance`, `correction` and a recounted line's first "
        "count are null unless the line is counted (awaiting approval or posted) and the caller may approve counts.",
        parameters=[COUNT_ID], responses={200: CycleCountDetailSerializer, **error_responses(404)},
    )
    def get(self, request, id: int):
        return _answer(request, id)


def count_action_view(
    *, operation_id: str, summary: str, description: str, scope: str, permission: str, serializer, run: Callable[[int, dict, object], object],
) -> type[APIView]:
    """A ``POST /cycle-counts/{id}/<action>/`` view: validates ``serializer``, calls ``run(count id,
    data, actor)`` (one service) and answers the count as it is now."""

    @extend_schema(
        operation_id=operation_id, summary=summary, description=description, parameters=[COUNT_ID, IDEMPOTENCY_KEY], request=serializer,
        responses={200: CycleCountDetailSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, id: int):
        data = validated(serializer, request.data)
        run(id, data, request_actor(request))
        return _answer(request, id)

    name = "".join(part.title() for part in operation_id.split("_")) + "View"
    return type(name, (APIView,), {
        "required_scopes": {"POST": scope}, "required_permissions": {"POST": permission}, "parser_classes": [JSONParser],
        "post": post, "__doc__": summary,
    })


CycleCountScanView = count_action_view(
    operation_id="cycle_counts_scan", summary="Scan one unit", scope="counts:write", permission="inventory.count_cyclecount",
    serializer=ScanSerializer,
    description="One unit of the product with this GTIN (or SKU) counted: its line's `scanned` rises by one. The line's "
    "first scan takes its snapshot. A product not to be counted on this count (not on it, or already counted): 409 "
    "`not_on_count`. A finished count: 409.",
    run=lambda pk, data, actor: counts.cycle_count_scan(count_id=pk, barcode=data["barcode"], actor=actor),
)
CycleCountSubmitView = count_action_view(
    operation_id="cycle_counts_submit", summary="Enter counted quantities", scope="counts:write", permission="inventory.count_cyclecount",
    serializer=CountSubmitSerializer,
    description="Units counted per line (blind). Within tolerance the correction posts to the ledger at once; beyond it, "
    "the line goes to a recount (`recount`), and a recount beyond it waits for a manager (`awaiting_approval`). Lines "
    "unknown, given twice or not to be counted now: 400 naming each, nothing recorded. A count below what is reserved "
    "plus quarantined: 409 `count_not_postable`.",
    run=lambda pk, data, actor: counts.cycle_count_submit(
        count_id=pk, entries=[counts.LineCount(entry["line"], entry["quantity"]) for entry in data["lines"]],
        counted_at=data["counted_at"], actor=actor,
    ),
)
CycleCountApproveView = count_action_view(
    operation_id="cycle_counts_approve", summary="Approve recounted variances", scope="counts:approve", permission=APPROVE,
    serializer=LinesChoiceSerializer,
    description="Posts each line's correction (counted less expected, on top of on hand now) to the ledger as a "
    "`count_correction` referenced by the count's number. `lines` omitted: every line awaiting approval. Nothing awaiting: 409.",
    run=lambda pk, data, actor: counts.cycle_count_approve(count_id=pk, line_ids=data["lines"], actor=actor),
)
CycleCountRecountView = count_action_view(
    operation_id="cycle_counts_recount", summary="Ask for another count", scope="counts:approve", permission=APPROVE,
    serializer=LinesChoiceSerializer,
    description="Lines awaiting approval go back to be counted blind once more, from a fresh snapshot. Nothing awaiting: 409.",
    run=lambda pk, data, actor: counts.cycle_count_recount(count_id=pk, line_ids=data["lines"], actor=actor),
)
CycleCountCancelView = count_action_view(
    operation_id="cycle_counts_cancel", summary="Cancel a count", scope="counts:approve", permission=APPROVE,
    serializer=CountCancelSerializer,
    description="Lines not yet posted are cancelled (posted ones stay). A finished count: 409.",
    run=lambda pk, data, actor: counts.cycle_count_cancel(count_id=pk, reason=data["reason"], actor=actor),
)
