"""The operations and finance dashboards: which KPIs each shows, how, and the range form.

A dashboard is data: a list of tiles, each naming a KPI of the registry (``reports.kpis``) and
the split its table and chart use. Every figure is the registry's own answer (``Kpi.answer``),
never computed again here, so a tile equals what ``GET /api/v1/reports/kpis/<key>/`` says for
the same range and filters. A tile asks only for the filters its KPI offers and says so when
a chosen filter does not apply to it.

Each KPI answers in a fixed number of queries (aggregates over the rollups, one query for the
labels of a split, one for the drill-down's ids), so a dashboard costs the same number of queries
at any size of history. The page, its PDF (:func:`dashboard_pdf`) and a scheduled report render
the same tiles.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.template.loader import render_to_string
from django.utils import timezone

from inventory.models import Location
from oms.errors import NotFound
from orders.models import Channel

from .charts import chart_svg
from .kpis import REGISTRY, Filters
from .models import StageDay
from .rollups import local_day
from .selectors import DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS


@dataclass(frozen=True)
class Tile:
    key: str  # the KPI
    by: str | None = None  # the split of its table and chart
    chart: str | None = None  # "line", "bar" or "hbar" (reports.charts.KINDS)
    metric: str | None = None  # which figure of a composite value the chart draws ("count", "p90_hours", "rate"...)
    title: str | None = None  # the KPI's title unless given
    from_value: bool = False  # chart the parts of the value itself (holds per reason) rather than the split's rows
    bottleneck: bool = False  # mark the slowest stage of each row (stage times)


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    lead: str
    tiles: tuple[Tile, ...]
    filters: tuple[str, ...] = ("channel", "location")


DASHBOARDS = {
    "operations": Dashboard(
        "operations", "Operations dashboard",
        "Volume, the work waiting now and where it waits longest, promises kept, fill and picking.",
        (
            Tile("orders", by="day", chart="line", title="Orders per day"),
            Tile("units", by="day", chart="line", title="Units ordered per day"),
            Tile("backlog", by="location", chart="bar", metric="count", title="Backlog per stage now, per location"),
            Tile("stage_time", by="location", chart="bar", metric="p90_hours", title="Time in each stage per location (p50 / p90 hours; the chart: p90)",
                 bottleneck=True),
            Tile("holds", chart="hbar", metric="count", from_value=True),
            Tile("on_time_ship", by="day", chart="line"),
            Tile("on_time_delivery", by="day", chart="line"),
            Tile("fill_rate"),
            Tile("backorder_rate"),
            Tile("split_rate"),
            Tile("short_picks", by="location"),
            Tile("pick_productivity", by="location"),
            Tile("inventory_accuracy", by="location", chart="bar", metric="accuracy_rate", title="Inventory accuracy by location"),
            Tile("inventory_accuracy", by="abc_class", title="Inventory accuracy by ABC class"),
            Tile("late_rate", by="country", chart="bar", title="Late shipments by lane (destination country)"),
            Tile("late_shipments"),
        ),
    ),
    "finance": Dashboard(
        "finance", "Finance dashboard",
        "Revenue and order value per currency (never added across currencies), refunds and returns, stock and shipping costs.",
        (
            Tile("revenue", by="day", chart="line", title="Revenue per day"),
            Tile("revenue", by="channel", chart="bar", title="Revenue by channel"),
            Tile("average_order_value", by="day", chart="line", title="Average order value per day"),
            Tile("average_order_value", by="channel", title="Average order value by channel"),
            Tile("refunds", by="day", chart="line", metric="amount", title="Refunds paid per day"),
            Tile("return_rate", by="reason", chart="hbar", metric="rate", title="Return rate and reasons"),
            Tile("restock_share"),
            Tile("stock_value", by="location"),
            Tile("count_corrections", by="location", title="Cycle count corrections at cost"),
            Tile("days_of_supply", title="Days of supply and dead stock"),
            Tile("stock_age", chart="bar", metric="units", from_value=True, title="Aged stock: units on hand by days since arrival"),
            Tile("shipping_cost_per_order", by="channel"),
            Tile("shipping_billed_vs_quoted", by="carrier", chart="bar", metric="difference", title="Shipping billed against quoted, by carrier"),
        ),
    ),
}

PDF_STYLESHEET = Path(__file__).resolve().parent / "templates" / "reports" / "dashboards" / "dashboards.css"
PRESETS = [("", "Dates below"), ("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("month", "This month")]
STAGE_LABELS = {stage.value: stage.label.replace("->", "→") for stage in StageDay.Stage}
UNITS = {"percent": "%", "hours": "h", "days": "days", "per_hour": "per hour", "metres": "m"}


def dashboard_get(name: str) -> Dashboard:
    dashboard = DASHBOARDS.get(name)
    if dashboard is None:
        raise NotFound(f"No dashboard {name!r}; there are {', '.join(DASHBOARDS)}.")
    return dashboard


# --- The range form ------------------------------------------------------------------------------

class DashboardForm(forms.Form):
    """The range and filters, read from GET parameters (so a dashboard's address can be shared)."""

    preset = forms.ChoiceField(label="Range", choices=PRESETS, required=False)

    def __init__(self, data, *, dashboard: Dashboard, today: datetime.date):
        super().__init__(data)
        self.today = today
        self.fields["from"] = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["to"] = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
        if "channel" in dashboard.filters:
            self.fields["channel"] = forms.ModelChoiceField(Channel.objects.order_by("code"), to_field_name="code", required=False,
                                                            empty_label="All channels")
        if "location" in dashboard.filters:
            self.fields["location"] = forms.ModelChoiceField(Location.objects.order_by("code"), to_field_name="code", required=False,
                                                             empty_label="All locations")
        for bound in self.fields.values():
            bound.widget.attrs.setdefault("class", "dashboard-field")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        preset = data.get("preset")
        if preset == "month":
            data["from"], data["to"] = self.today.replace(day=1), self.today
        elif preset:
            data["from"], data["to"] = self.today - datetime.timedelta(days=int(preset) - 1), self.today
        date_to = data.get("to") or self.today
        date_from = data.get("from") or date_to - datetime.timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if date_from > date_to:
            self.add_error("from", "The range must start on or before its end.")
        elif (date_to - date_from).days >= MAX_RANGE_DAYS:
            self.add_error("from", f"The range may span at most {MAX_RANGE_DAYS} days.")
        data["from"], data["to"] = date_from, date_to
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        channel, location = data.get("channel"), data.get("location")
        return Filters(date_from=data["from"], date_to=data["to"], channel_id=channel.pk if channel else None,
                       location_id=location.pk if location else None)

    def query(self) -> dict:
        """The GET parameters of the range and filters as chosen (for links: PDF, presets)."""
        data = self.cleaned_data
        query = {"from": data["from"].isoformat(), "to": data["to"].isoformat()}
        for name in ("channel", "location"):
            if data.get(name):
                query[name] = data[name].code
        return query


def dashboard_form(name: str, params) -> DashboardForm:
    return DashboardForm(params, dashboard=dashboard_get(name), today=local_day(timezone.now()))


# --- Tiles: the registry's answers shaped for a page ---------------------------------------------

@dataclass
class TileView:
    key: str
    title: str
    definition: str
    unit: str
    figures: list[tuple[str | None, str]]
    drilldown: dict | None
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    answer: dict = field(default_factory=dict)
    folded: bool = False  # the table is the chart's text alternative (or long): folded under it


def label_of(key: str) -> str:
    """``order_on_hold`` -> "Order on hold", ``fulfillment:stock`` -> "Fulfillment: stock",
    ``p90_hours`` -> "P90" (the figure says "h" itself)."""
    key = str(key)
    if key in STAGE_LABELS:
        return STAGE_LABELS[key]
    if key.endswith("_hours") and key != "picker_hours":
        key = key[: -len("_hours")]
    text = key.replace("_", " ").replace(":", ": ")
    return text[:1].upper() + text[1:]


def figure_text(value: Any, unit: str) -> str:
    """One figure as the page prints it: ``None`` as a dash, a unit after the number."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    else:
        text = str(value)
    suffix = UNITS.get(unit)
    return f"{text} {suffix}" if suffix and isinstance(value, (int, float)) else text


def _composite_text(value: dict, unit: str) -> str:
    parts = []
    for key, part in value.items():
        if isinstance(part, (list, dict)):
            continue
        parts.append(f"{label_of(key).lower()} {figure_text(part, _part_unit(key, unit))}")
    return " · ".join(parts)


def _part_unit(key: str, unit: str) -> str:
    """The unit of one part of a composite figure, from its name (``rate``, ``*_hours``...)."""
    if key in ("rate", "share") or key.endswith("_rate"):
        return "percent"
    if key.endswith("_hours") and key != "picker_hours":
        return "hours"
    if key.startswith("days_") or key.endswith("_days"):
        return "days"
    if key.endswith("_per_hour"):
        return "per_hour"
    if key.startswith("metres_"):
        return "metres"
    return ""


def figures_of(value: Any, unit: str) -> list[tuple[str | None, str]]:
    """The headline of a KPI's value: (label, text) pairs; money one per currency."""
    if isinstance(value, list):  # per currency
        figures = []
        for item in value:
            inner = item.get("value")
            if isinstance(inner, dict):
                figures.append((item["currency"], _composite_text(inner, unit)))
            else:
                extra = {k: v for k, v in item.items() if k not in ("currency", "value")}
                text = f"{item['currency']} {figure_text(inner, unit)}"
                if extra:
                    text += " (" + _composite_text(extra, "") + ")"
                figures.append((None, text))
        return figures or [(None, "—")]
    if isinstance(value, dict):
        figures = []
        for key, part in value.items():
            if isinstance(part, list):
                continue
            text = _composite_text(part, unit) if isinstance(part, dict) else figure_text(part, _part_unit(key, unit))
            figures.append((label_of(key), text))
        return figures or [(None, "—")]
    return [(None, figure_text(value, unit))]


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _table_and_series(tile: Tile, answer: dict) -> tuple[list[str], list[list[str]], list[str], dict[str, list]]:
    """The split's rows as a table, and the chart's x labels and series (one per currency for money:
    currencies are drawn apart, never on one axis)."""
    unit = answer["unit"]
    if tile.from_value:
        source = [{"label": label_of(key), "value": part} for key, part in (answer["value"] or {}).items()]
    else:
        source = answer.get("rows") or []
    headers, rows, labels, series = [DIMENSION_HEADER.get(tile.by or "", "What")], [], [], {}
    if not source:
        return headers, rows, labels, series
    sample = source[0]["value"]
    if isinstance(sample, list):  # per currency
        currencies = sorted({item["currency"] for row in source for item in row["value"]})
        headers += currencies
        for row in source:
            by_currency = {item["currency"]: item["value"] for item in row["value"]}
            labels.append(str(row["label"]))
            cells = [str(row["label"])]
            for currency in currencies:
                inner = by_currency.get(currency)
                cells.append(_composite_text(inner, unit) if isinstance(inner, dict) else figure_text(inner, unit))
                point = inner.get(tile.metric) if isinstance(inner, dict) else inner
                series.setdefault(currency, []).append(_number(point))
            rows.append(cells)
        return headers, rows, labels, series
    if isinstance(sample, dict) and any(isinstance(part, dict) for part in sample.values()):  # row x stage
        stages = list(dict.fromkeys(key for row in source for key in row["value"]))
        headers += [label_of(stage) for stage in stages]
        labels = [label_of(stage) for stage in stages]
        for row in source:
            cells = [str(row["label"])]
            slowest = _slowest(row["value"]) if tile.bottleneck else None
            for stage in stages:
                part = row["value"].get(stage)
                text = _stage_text(part) if part else "—"
                cells.append(f"{text} ◀ slowest" if stage == slowest else text)
                series.setdefault(str(row["label"]), []).append(_number(part.get(tile.metric)) if part else None)
            rows.append(cells)
        return headers, rows, labels, series
    if isinstance(sample, dict):
        keys = [key for key in sample if not isinstance(sample[key], list)]
        headers += [label_of(key) for key in keys]
        for row in source:
            labels.append(str(row["label"]))
            rows.append([str(row["label"])] + [figure_text(row["value"].get(key), _part_unit(key, unit)) for key in keys])
            series.setdefault(label_of(tile.metric or keys[0]), []).append(_number(row["value"].get(tile.metric or keys[0])))
        return headers, rows, labels, series
    headers.append(answer["title"])
    for row in source:
        labels.append(str(row["label"]))
        rows.append([str(row["label"]), figure_text(row["value"], unit)])
        series.setdefault(answer["title"], []).append(_number(row["value"]))
    return headers, rows, labels, series


def _stage_text(part: dict) -> str:
    if "p50_hours" in part:
        return f"{figure_text(part['p50_hours'], 'hours')} / {figure_text(part['p90_hours'], 'hours')} ({part['count']:,})"
    if "oldest_age_hours" in part:
        return f"{part['count']:,} (oldest {figure_text(part['oldest_age_hours'], 'hours')})"
    return _composite_text(part, "")


def _slowest(stages: dict) -> str | None:
    """The stage with the highest p90 (the bottleneck), carriers' transit left out: it is not the floor's."""
    timed = {stage: part.get("p90_hours") for stage, part in stages.items() if stage != "shipped_delivered" and part.get("p90_hours")}
    return max(timed, key=timed.get) if timed else None


DIMENSION_HEADER = {"day": "Day", "channel": "Channel", "location": "Location", "country": "Destination country", "reason": "Reason",
                    "carrier": "Carrier", "sku": "SKU", "category": "Category", "": "What"}


def tile_view(tile: Tile, filters: Filters, *, nonce: str | None = None, index: int = 0) -> TileView:
    kpi = REGISTRY[tile.key]
    given = filters.given()
    # Only the filters the KPI offers; the others are named on the tile.
    narrowed = replace(filters, **{name: None for name in ("channel_id", "location_id", "carrier", "sku", "category")
                                   if getattr(filters, name) is not None and _filter_name(name) not in kpi.filters})
    answer = kpi.answer(narrowed, tile.by)
    notes = [f"Not filtered by {name}: this KPI covers every {name}." for name in given if name not in kpi.filters]
    if kpi.key in ("backlog", "holds", "stock_value", "stock_age"):
        notes.append("As of now: the date range does not apply.")
    view = TileView(key=tile.key, title=tile.title or kpi.title, definition=kpi.definition, unit=kpi.unit,
                    figures=figures_of(answer["value"], kpi.unit), drilldown=answer.get("drilldown"), notes=notes, answer=answer)
    if tile.by or tile.from_value:
        view.headers, view.rows, labels, series = _table_and_series(tile, answer)
        view.folded = bool(tile.chart) or len(view.rows) > 12
        drawn = any(value is not None for values in series.values() for value in values)
        if tile.chart and view.rows and not drawn:
            view.notes.append("No chart: nothing to draw in the range.")
        if tile.chart and view.rows and drawn:
            unit = UNITS.get(kpi.unit, "") if kpi.unit not in ("mixed",) else ("h" if tile.metric and tile.metric.endswith("_hours") else "")
            if answer["rows" if not tile.from_value else "value"] and isinstance(_first_value(answer, tile), list):
                # money: one chart per currency
                for number, (currency, values) in enumerate(series.items()):
                    view.charts.append(chart_svg(tile.chart, title=f"{view.title} ({currency})", labels=labels, series=[(currency, values)],
                                                 nonce=nonce, chart_id=f"chart-{index}-{number}"))
            else:
                view.charts.append(chart_svg(tile.chart, title=view.title, labels=labels, series=list(series.items()), nonce=nonce,
                                             chart_id=f"chart-{index}-0", unit=unit if kpi.unit != "money" else ""))
    return view


def _first_value(answer: dict, tile: Tile):
    if tile.from_value:
        return None
    rows = answer.get("rows") or []
    return rows[0]["value"] if rows else None


def _filter_name(attribute: str) -> str:
    return {"channel_id": "channel", "location_id": "location"}.get(attribute, attribute)


def dashboard_tiles(name: str, filters: Filters, *, nonce: str | None = None) -> list[TileView]:
    return [tile_view(tile, filters, nonce=nonce, index=index) for index, tile in enumerate(dashboard_get(name).tiles)]


def filters_text(filters: Filters) -> str:
    """The range and filters in words, for the page and the PDF's heading."""
    text = f"{filters.date_from:%d %b %Y} – {filters.date_to:%d %b %Y}"
    if filters.channel_id is not None:
        code = Channel.objects.filter(pk=filters.channel_id).values_list("code", flat=True).first()
        text += f" · channel {code}"
    if filters.location_id is not None:
        code = Location.objects.filter(pk=filters.location_id).values_list("code", flat=True).first()
        text += f" · location {code}"
    return text


def dashboard_html(name: str, filters: Filters) -> str:
    dashboard = dashboard_get(name)
    return render_to_string("reports/dashboards/dashboard_pdf.html", {
        "dashboard": dashboard, "tiles": dashboard_tiles(name, filters), "range_text": filters_text(filters),
        "printed_at": timezone.localtime(),
    })


def dashboard_pdf(name: str, filters: Filters) -> bytes:
    """The dashboard ``name`` ("operations", "finance") for ``filters`` as a PDF (A4, charts
    included): what the page shows, for a scheduled report to mail."""
    from oms.pdf import html_layout, pdf_asset_register

    pdf_asset_register("dashboards.css", PDF_STYLESHEET, "text/css")
    return html_layout(dashboard_html(name, filters)).write_pdf()


def dashboard_query(query: dict, **changes) -> str:
    return urlencode({**query, **changes})
