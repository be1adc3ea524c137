"""``GET /api/v1/reports/forecasts/{sku}/``: a SKU's latest demand forecast, its recent history and
the accuracy of its past forecasts (scope ``reports:read``)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Location, Product
from oms.api.schema import error_responses
from oms.errors import InvalidInput, NotFound

from ..forecasting.selectors import forecast_for_sku
from ..models_forecasts import DemandClass, Frequency


class PointSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day, or the Monday of the week.")
    mean = serializers.FloatField()
    lo = serializers.FloatField(help_text="Lower bound of the interval at `level` percent.")
    hi = serializers.FloatField(help_text="Upper bound of the interval at `level` percent.")


class HistorySerializer(serializers.Serializer):
    date = serializers.DateField()
    shipped = serializers.FloatField(help_text="Units shipped (the demand, when the period was observed).")
    stockout = serializers.BooleanField(help_text="Out of stock for part of the period: not read as demand.")
    returned = serializers.FloatField(help_text="Units returned (a separate series, not subtracted).")


class PastSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="Last day of history of that run.")
    method = serializers.CharField()
    periods = serializers.IntegerField(help_text="Observed periods compared so far.")
    mase = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(allow_null=True, help_text="Mean of forecast - actual over the scale; positive: over-forecast.")


class ForecastSerializer(serializers.Serializer):
    sku = serializers.CharField()
    location = serializers.CharField(allow_null=True, help_text="Location code; null: all locations together.")
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    as_of = serializers.DateField(allow_null=True, help_text="Last day of history the forecast read; null: no forecast yet.")
    level = serializers.IntegerField(allow_null=True, help_text="Coverage of the interval, percent.")
    demand_class = serializers.ChoiceField(choices=DemandClass.choices, allow_null=True)
    adi = serializers.FloatField(allow_null=True)
    cv2 = serializers.FloatField(allow_null=True)
    method = serializers.CharField(allow_null=True)
    backtest_mase = serializers.FloatField(allow_null=True)
    backtest_bias = serializers.FloatField(allow_null=True)
    backtest_on = serializers.DateField(allow_null=True, help_text="History end of the backtest that chose the method and measured "
                                        "its MASE and bias (the method is chosen again about weekly, and refitted every night).")
    points = PointSerializer(many=True)
    history = HistorySerializer(many=True)
    past = PastSerializer(many=True)
    past_mase = serializers.FloatField(allow_null=True, help_text="Pooled over every compared period of the past forecasts.")
    past_bias = serializers.FloatField(allow_null=True)


def forecast_answer(*, sku: str, frequency: str, location: str | None) -> dict:
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise NotFound(f"No product with SKU {sku!r}.")
    if frequency not in Frequency.values:
        raise InvalidInput(f"{frequency!r} is not a frequency.", fields={"frequency": [f"One of: {', '.join(Frequency.values)}."]})
    place = None
    if location:
        place = Location.objects.filter(code=location).first()
        if place is None:
            raise InvalidInput(f"No location {location!r}.", fields={"location": ["A location code."]})
    view = forecast_for_sku(product_id=product.pk, location_id=place.pk if place else None, frequency=frequency,
                            history_days=91 if frequency == Frequency.DAILY else 7 * 52)
    series = view.series
    history = view.history
    return {
        "sku": product.sku, "location": place.code if place else None, "frequency": frequency,
        "as_of": series.run.as_of if series else None, "level": series.run.level if series else None,
        "demand_class": series.demand_class if series else None, "adi": series.adi if series else None,
        "cv2": series.cv2 if series else None, "method": series.method if series else None,
        "backtest_mase": series.mase if series else None, "backtest_bias": series.bias if series else None,
        "backtest_on": series.selected_on if series else None,
        "points": [{"date": p.date, "mean": p.mean, "lo": p.lo, "hi": p.hi} for p in view.points],
        "history": [{"date": d, "shipped": float(s), "stockout": not bool(o), "returned": float(r)}
                    for d, s, o, r in zip(history.dates(), history.shipped, history.observed, history.returns)][-91:] if history else [],
        "past": [{"as_of": p.as_of, "method": p.method, "periods": p.periods, "mase": p.mase, "bias": p.bias} for p in view.past],
        "past_mase": view.past_mase, "past_bias": view.past_bias,
    }


class ForecastView(APIView):
    required_scopes = {"GET": "reports:read"}
    required_permissions = {"GET": "reports.view_reports"}

    @extend_schema(
        operation_id="reports_forecast_retrieve", summary="A SKU's demand forecast",
        description="The latest stored forecast (made nightly from the stock ledger: units shipped, stockout periods "
        "left out) with its prediction interval, the recent history it was made from (up to 91 periods, stockout "
        "periods flagged, returns apart) and the accuracy of earlier forecasts against what then shipped (MASE, bias). "
        "All fields but `sku`, `frequency`, `points`, `history` and `past` are null when the SKU has no forecast yet.",
        parameters=[
            OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH, description="The SKU."),
            OpenApiParameter("frequency", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, enum=list(Frequency.values),
                             description="`daily` (default) or `weekly`."),
            OpenApiParameter("location", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="A location code; default: all locations together."),
        ],
        responses={200: ForecastSerializer, **error_responses(400, 404)},
    )
    def get(self, request, sku: str):
        return Response(ForecastSerializer(forecast_answer(sku=sku, frequency=request.query_params.get("frequency", "daily"),
                                                           location=request.query_params.get("location"))).data)
