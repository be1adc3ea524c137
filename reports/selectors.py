"""Reads for reports: the KPI registry and one KPI's answer for a range and filters.

Every query parameter is checked here, so the API and the console answer a bad one with a 400
that names it (``oms.errors.InvalidInput``), never a 500.

A KPI, its drill-down included, is read from the read replica when one is configured
(``oms.db.reading_from_replica``): it may be a few seconds behind the primary, which a figure over
days of rollups (themselves refreshed every few minutes) does not notice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.utils import timezone

from inventory.models import Location, Product
from oms.db import reading_from_replica
from oms.errors import InvalidInput, NotFound
from orders.models import Channel
from shipping.models import Carrier

from .kpis import DIMENSIONS, FILTERS, REGISTRY, Filters, Kpi
from .rollups import local_day

MAX_RANGE_DAYS = 3660
DEFAULT_RANGE_DAYS = 30


def kpis_list() -> list[dict]:
    return [kpi.describe() for kpi in REGISTRY.values()]


def kpi_get(key: str) -> Kpi:
    kpi = REGISTRY.get(key)
    if kpi is None:
        raise NotFound(f"No KPI {key!r}. GET /api/v1/reports/kpis/ lists them.")
    return kpi


def _date(params: Mapping, name: str) -> datetime.date | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD.", fields={name: [f"Not a date as YYYY-MM-DD: {raw[:40]!r}."]}) from None


def kpi_filters(kpi: Kpi, params: Mapping) -> tuple[Filters, str | None]:
    """The range, filters and split a request asks for, checked against what ``kpi`` offers."""
    today = local_day(timezone.now())
    date_to = _date(params, "to") or today
    date_from = _date(params, "from") or date_to - datetime.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if date_from > date_to:
        raise InvalidInput("from must be on or before to.", fields={"from": ["After to."]})
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidInput(f"The range may span at most {MAX_RANGE_DAYS} days.", fields={"from": ["Range too long."]})
    values: dict = {}
    for name in FILTERS:
        raw = params.get(name)
        if raw in (None, ""):
            continue
        if name not in kpi.filters:
            offered = ", ".join(kpi.filters) or "none"
            raise InvalidInput(f"{kpi.key} cannot be filtered by {name} (its filters: {offered}).",
                               fields={name: [f"Not a filter of {kpi.key}."]})
        values[name] = _resolve(name, raw)
    by = params.get("by") or None
    if by is not None and by not in kpi.dimensions:
        offered = ", ".join(kpi.dimensions) or "none"
        known = "" if by in DIMENSIONS else " It is not a dimension at all."
        raise InvalidInput(f"{kpi.key} cannot be split by {by[:40]!r} (its dimensions: {offered}).{known}",
                           fields={"by": [f"Not a dimension of {kpi.key}."]})
    filters = Filters(date_from=date_from, date_to=date_to, channel_id=values.get("channel"), location_id=values.get("location"),
                      carrier=values.get("carrier"), sku=values.get("sku"), category=values.get("category"))
    return filters, by


def _resolve(name: str, raw: str):
    """A filter's code as the rollups store it: channel and location codes become ids."""
    if len(raw) > 64:
        raise InvalidInput(f"{name} is too long.", fields={name: ["At most 64 characters."]})
    if name == "channel":
        found = Channel.objects.filter(code=raw).values_list("pk", flat=True).first()
    elif name == "location":
        found = Location.objects.filter(code=raw).values_list("pk", flat=True).first()
    elif name == "carrier":
        found = raw if Carrier.objects.filter(code=raw).exists() else None
    elif name == "category":
        found = raw if Product.objects.filter(category=raw).exists() else None
    else:
        found = raw
    if found is None:
        what = "products in the category" if name == "category" else f"{name} with code"
        raise InvalidInput(f"No {what} {raw!r}.", fields={name: [f"Unknown {name} code." if name != "category" else "No product has this category."]})
    return found


@reading_from_replica()
def kpi_answer(*, key: str, params: Mapping) -> dict:
    kpi = kpi_get(key)
    filters, by = kpi_filters(kpi, params)
    answer = kpi.answer(filters, by)
    answer["filters_applied"] = {name: params.get(name) for name in FILTERS if params.get(name)}
    return answer
