"""The demand forecasts in the console: ``/admin/reports/forecasts/`` (the runs, and a SKU to look
up) and ``/admin/reports/forecasts/<product id>/``, one SKU's page: its recent demand, the latest
forecast with its interval, and how its past forecasts fared, as an SVG chart with the same
figures in tables. A product's own page links to it (``oms.admin_list_tools.ObjectTool``).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from inventory.models import Location, Product
from oms.admin_list_tools import ObjectTool, object_tool_register
from oms.admin_pages import ConsolePage, console_page_register

from .charts import chart_svg
from .forecasting.selectors import forecast_for_sku
from .models_forecasts import ForecastRun, Frequency

PERMISSION = "reports.view_reports"


class SkuForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(f"No product with SKU {sku!r}.")
        return product


class SeriesForm(forms.Form):
    frequency = forms.ChoiceField(label="By", choices=Frequency.choices, required=False)
    location = forms.ModelChoiceField(label="Location", queryset=Location.objects.order_by("code"), required=False,
                                      empty_label="All locations", to_field_name="code")


def _nonce(request):
    return str(request.csp_nonce) if hasattr(request, "csp_nonce") else None


def _forecasts_index(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = SkuForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return HttpResponseRedirect(reverse("admin:reports_forecast_sku", args=[form.cleaned_data["sku"].pk]))
    context = {**admin.site.each_context(request), "title": "Demand forecasts", "form": form, "opts": ForecastRun._meta,
               "runs": ForecastRun.objects.all()[:20]}
    return TemplateResponse(request, "admin/reports/forecasts/index.html", context, status=400 if form.is_bound else 200)


def _f(value, digits=2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _forecast_sku(request, product_id: int):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise Http404("No such product.")
    form = SeriesForm(request.GET)
    valid = form.is_valid()
    frequency = (form.cleaned_data.get("frequency") if valid else "") or Frequency.DAILY
    location = form.cleaned_data.get("location") if valid else None
    view = forecast_for_sku(product_id=product.pk, location_id=location.pk if location else None, frequency=frequency,
                            history_days=91 if frequency == Frequency.DAILY else 7 * 52)
    history = view.history
    tail = 13 if frequency == Frequency.WEEKLY else 56
    labels, sold, stockout, mean, lo, hi = [], [], [], [], [], []
    if history is not None:
        for day, value, seen in list(zip(history.dates(), history.shipped, history.observed))[-tail:]:
            labels.append(day.isoformat())
            sold.append(float(value) if seen else None)
            stockout.append(float(value) if not seen else None)
            mean.append(None)
            lo.append(None)
            hi.append(None)
    for point in view.points:
        labels.append(point.date.isoformat())
        sold.append(None)
        stockout.append(None)
        mean.append(round(point.mean, 2))
        lo.append(round(point.lo, 2))
        hi.append(round(point.hi, 2))
    where = location.name if location else "all locations"
    title = f"{product.sku}: {frequency} demand, {where}"
    chart = chart_svg(
        "line", title=title, labels=labels, nonce=_nonce(request), chart_id="forecast", unit="units",
        series=[("Shipped", sold), ("Shipped on stockout days (not used as demand)", stockout), ("Forecast", mean),
                (f"Lower bound ({view.series.run.level if view.series else 80} %)", lo),
                (f"Upper bound ({view.series.run.level if view.series else 80} %)", hi)],
        description="Shipped units per period, then the forecast and its interval; the figures are in the tables below.",
    ) if labels else ""
    accuracy_chart = chart_svg(
        "bar", title=f"{product.sku}: accuracy of past forecasts (MASE, lower is better)",
        labels=[p.as_of.isoformat() for p in view.past], series=[("MASE", [round(p.mase, 3) for p in view.past])],
        nonce=_nonce(request), chart_id="accuracy", description="MASE of each earlier run's forecast so far; the table below has them with bias.",
    ) if view.past else ""
    context = {
        **admin.site.each_context(request), "title": f"Demand forecast: {product.sku}", "product": product, "form": form, "view": view,
        "opts": ForecastRun._meta, "chart": chart, "accuracy_chart": accuracy_chart, "frequency": frequency, "where": where,
        "series": view.series, "points": [(p.date, _f(p.mean), _f(p.lo), _f(p.hi)) for p in view.points],
        "past": [(p.as_of, p.method, p.periods, _f(p.mase), _f(p.bias)) for p in view.past],
        "past_mase": _f(view.past_mase), "past_bias": _f(view.past_bias),
        "product_url": reverse("admin:inventory_product_change", args=[product.pk]),
        "stockouts": int((~history.observed).sum()) if history is not None else 0,
        "returns": float(history.returns.sum()) if history is not None else 0.0,
    }
    return TemplateResponse(request, "admin/reports/forecasts/sku.html", context, status=200 if valid else 400)


def forecasts_register() -> None:
    console_page_register(ConsolePage("reports_forecasts", "reports/forecasts/", "Demand forecasts", "reports", PERMISSION, _forecasts_index))
    console_page_register(ConsolePage("reports_forecast_sku", "reports/forecasts/<int:product_id>/", "Demand forecast of a SKU", "reports",
                                      PERMISSION, _forecast_sku, listed=False))
    object_tool_register("inventory.product", ObjectTool("Demand forecast", "admin:reports_forecast_sku", PERMISSION))
