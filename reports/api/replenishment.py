"""The replenishment suggestions over the API (scopes ``purchasing:read`` / ``purchasing:write``):

- ``GET /api/v1/replenishment/suggestions/``: the latest run's lines (filters).
- ``POST /api/v1/replenishment/runs/``: compute a new run now.
- ``POST /api/v1/replenishment/suggestions/accept/``: lines -> draft POs and transfers.
- ``POST /api/v1/replenishment/suggestions/dismiss/``: set lines aside.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import request_actor
from oms.api.fields import MAX_INTEGER
from oms.api.idempotency import idempotent
from oms.api.parsers import JSONParser
from oms.api.representation import validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses

from ..models_replenishment import SuggestionLine
from ..replenishment.selectors import suggestions_filter
from ..replenishment.suggestions import MAX_IDS, replenishment_run, suggestions_accept, suggestions_dismiss

LIST_LIMIT = 500


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.IntegerField(source="run_id")
    sku = serializers.CharField(source="product.sku")
    location = serializers.CharField(source="location.code")
    from_location = serializers.CharField(source="from_location.code", allow_null=True, default=None, help_text="Transfers: the source.")
    supplier = serializers.CharField(source="supplier.code", allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=SuggestionLine.Kind.choices)
    status = serializers.ChoiceField(choices=SuggestionLine.Status.choices)
    abc_class = serializers.CharField()
    quantity = serializers.IntegerField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    incoming = serializers.IntegerField(help_text="Sent purchase orders and transfers on the way.")
    open_purchase_orders = serializers.IntegerField(help_text="Draft purchase orders, not yet incoming.")
    backorders = serializers.IntegerField()
    position = serializers.IntegerField()
    transfers_in = serializers.IntegerField()
    forecast_horizon = serializers.FloatField()
    forecast_error = serializers.FloatField()
    lead_time_days = serializers.FloatField()
    lead_time_spread_days = serializers.FloatField()
    review_period_days = serializers.FloatField()
    fill_rate = serializers.FloatField(help_text="The fill rate planned for this SKU x location: with class planning above or below the class's target.")
    target_fill_rate = serializers.FloatField(allow_null=True, help_text="The ABC class's target fill rate (null on lines of runs before it was recorded).")
    demand_pattern = serializers.CharField(help_text="smooth, erratic, intermittent or lumpy, from the demand history; blank without one.")
    safety_stock = serializers.FloatField()
    reorder_point = serializers.IntegerField()
    order_up_to = serializers.IntegerField()
    raw_quantity = serializers.IntegerField()
    rounding = serializers.ListField(child=serializers.CharField(), source="rounding_steps")
    explanation = serializers.CharField()
    purchase_order = serializers.CharField(source="purchase_order.number", allow_null=True, default=None)
    transfer = serializers.CharField(source="transfer.number", allow_null=True, default=None)


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    duration_seconds = serializers.FloatField(allow_null=True)
    line_count = serializers.IntegerField()
    buy_count = serializers.IntegerField()
    transfer_count = serializers.IntegerField()
    write_safety_stock = serializers.BooleanField()
    safety_stock_written = serializers.IntegerField()
    planning = serializers.CharField(help_text="class: each ABC class planned as a whole; sku: each SKU x location alone.")


class RunCreateSerializer(serializers.Serializer):
    write_safety_stock = serializers.BooleanField(required=False, allow_null=True, default=None,
                                                  help_text="Write the computed safety stock to the stock levels; default: the setting.")


class LineIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_INTEGER), allow_empty=False, max_length=MAX_IDS)


class AcceptResultSerializer(serializers.Serializer):
    accepted = serializers.ListField(child=serializers.IntegerField())
    already_accepted = serializers.ListField(child=serializers.IntegerField())
    purchase_orders = serializers.ListField(child=serializers.CharField(), help_text="Numbers of the draft POs made.")
    transfers = serializers.ListField(child=serializers.CharField(), help_text="Numbers of the transfers made.")
    below_minimum = serializers.DictField(
        child=serializers.CharField(), help_text="Draft POs below their supplier's minimum order, by number: what is missing (not rounded up).",
    )


class DismissResultSerializer(serializers.Serializer):
    dismissed = serializers.ListField(child=serializers.IntegerField())


FILTERS = ("location", "supplier", "abc_class", "kind", "status", "run")


class SuggestionsView(APIView):
    required_scopes = {"GET": "purchasing:read"}
    required_permissions = {"GET": "reports.view_suggestionline"}

    @extend_schema(
        operation_id="replenishment_suggestions_list", summary="List replenishment suggestions",
        description=f"The lines of the latest run (or of `run`), each with every figure that explains it. At most {LIST_LIMIT} lines.",
        parameters=[
            OpenApiParameter("location", OpenApiTypes.STR, OpenApiParameter.QUERY, description="A location code."),
            OpenApiParameter("supplier", OpenApiTypes.STR, OpenApiParameter.QUERY, description="A supplier code."),
            OpenApiParameter("abc_class", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["A", "B", "C"]),
            OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=SuggestionLine.Kind.values),
            OpenApiParameter("status", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=SuggestionLine.Status.values),
            OpenApiParameter("run", {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}, OpenApiParameter.QUERY,
                             description="A run id; default: the latest."),
        ],
        responses={200: SuggestionSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        wanted = {name: request.query_params.get(name) for name in FILTERS if request.query_params.get(name)}
        lines = list(suggestions_filter(**wanted)[:LIST_LIMIT])
        return Response(SuggestionSerializer(lines, many=True).data)


class RunsView(APIView):
    required_scopes = {"POST": "purchasing:write"}
    required_permissions = {"POST": "reports.add_replenishmentrun"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="replenishment_runs_create", summary="Compute the replenishment suggestions now",
        description="What the nightly job does: every active SKU x warehouse that can ship, from the latest forecast.",
        request=RunCreateSerializer, parameters=[IDEMPOTENCY_KEY], responses={201: RunSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(RunCreateSerializer, request.data if request.data else {})
        run = replenishment_run(actor=request_actor(request), write_safety_stock=data.get("write_safety_stock"))
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class AcceptView(APIView):
    required_scopes = {"POST": "purchasing:write"}
    required_permissions = {"POST": "reports.change_suggestionline"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="replenishment_suggestions_accept", summary="Accept replenishment suggestions",
        description="Buy lines become draft purchase orders (one per supplier x location), transfer lines stock transfers; all or "
        "nothing. Accepting an accepted line changes nothing (listed in `already_accepted`); a dismissed line is refused (409); "
        "unknown ids: 404 naming them.",
        request=LineIdsSerializer, parameters=[IDEMPOTENCY_KEY], responses={200: AcceptResultSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(LineIdsSerializer, request.data)
        return Response(AcceptResultSerializer(suggestions_accept(line_ids=data["ids"], actor=request_actor(request))).data)


class DismissView(APIView):
    required_scopes = {"POST": "purchasing:write"}
    required_permissions = {"POST": "reports.change_suggestionline"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="replenishment_suggestions_dismiss", summary="Dismiss replenishment suggestions",
        description="Open lines are set aside (dismissing twice changes nothing); accepted lines are refused (409).",
        request=LineIdsSerializer, parameters=[IDEMPOTENCY_KEY], responses={200: DismissResultSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(LineIdsSerializer, request.data)
        return Response({"dismissed": suggestions_dismiss(line_ids=data["ids"], actor=request_actor(request))})


