"""``/api/v1/reports/``: the KPI registry and any KPI as JSON (scope ``reports:read``)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.schema import error_responses

from ..kpis import DIMENSIONS
from ..selectors import kpi_answer, kpis_list


class KpiSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    definition = serializers.CharField(help_text="The one-line definition shown with the figure.")
    unit = serializers.CharField(help_text="count, units, percent, hours, days, money (per currency), per_hour or mixed.")
    group = serializers.CharField(help_text="Volume, Speed, Promises, Fill and splits, Shipping, Returns, Inventory, Pick productivity.")
    dimensions = serializers.ListField(child=serializers.CharField(), help_text="What `by` may split it by.")
    filters = serializers.ListField(child=serializers.CharField(), help_text="The filters it takes (channel, location, carrier, sku, category).")


class KpiListSerializer(serializers.Serializer):
    results = KpiSerializer(many=True)


KpiAnswerSerializer = inline_serializer("KpiAnswer", fields={
    **KpiSerializer().get_fields(),
    "from": serializers.DateField(),
    "to": serializers.DateField(),
    "by": serializers.CharField(allow_null=True),
    "value": serializers.JSONField(help_text="The figure over the whole range: a number, per-currency amounts or named figures (see unit)."),
    "rows": serializers.JSONField(required=False, allow_null=True, help_text="With `by`: one {group, label, value} per group."),
    "drilldown": serializers.JSONField(allow_null=True, help_text="{label, url}: the console list of what lies behind the figure."),
    "filters_applied": serializers.DictField(child=serializers.CharField(), help_text="The filters applied, as given."),
})


def _parameter(name, description, **kwargs):
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, description=description, **kwargs)


ANSWER_PARAMETERS = [
    OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, description="A KPI key from the list."),
    OpenApiParameter("from", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=False,
                     description="First local day (YYYY-MM-DD); default: 29 days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=False, description="Last local day, included; default: today."),
    _parameter("channel", "Channel code."),
    _parameter("location", "Location code."),
    _parameter("carrier", "Carrier code."),
    _parameter("sku", "SKU."),
    _parameter("category", "Product category (as on the products)."),
    _parameter("by", "Split by this dimension (one of the KPI's `dimensions`).", enum=list(DIMENSIONS)),
]


class KpisView(APIView):
    required_scopes = {"GET": "reports:read"}
    required_permissions = {"GET": "reports.view_reports"}

    @extend_schema(
        operation_id="reports_kpis_list", summary="The KPIs",
        description="Every KPI: its key, title, one-line definition, unit, and the dimensions and filters it takes.",
        responses={200: KpiListSerializer, **error_responses()},
    )
    def get(self, request):
        return Response({"results": kpis_list()})


class KpiView(APIView):
    required_scopes = {"GET": "reports:read"}
    required_permissions = {"GET": "reports.view_reports"}

    @extend_schema(
        operation_id="reports_kpi_retrieve", summary="One KPI's figures",
        description="The KPI over a range of local days (the merchant's time zone), filtered and optionally split `by` a "
        "dimension, with a drill-down link to the console list behind it. Figures come from the daily rollups "
        "(refreshed every few minutes), except those about the present (backlog, holds, stock); with a read replica "
        "configured they are read from it, which may be a few seconds behind. A filter or split the KPI "
        "does not offer is a 400 naming the parameter.",
        parameters=ANSWER_PARAMETERS,
        responses={200: KpiAnswerSerializer, **error_responses(400, 404)},
    )
    def get(self, request, key: str):
        answer = kpi_answer(key=key, params=request.query_params)
        return Response(answer)
