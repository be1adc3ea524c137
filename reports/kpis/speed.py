"""Speed and bottlenecks: time in each stage (percentiles from the ``StageDay`` histograms), the
backlog waiting in each stage now, and the holds open now."""

from __future__ import annotations

from django.db.models import Count, Min, OuterRef, Subquery, Sum
from django.utils import timezone

from fulfillment.models import FulfillmentHold, FulfillmentOrder, FulfillmentStatus
from fulfillment.models_picking import Package, PickListLine
from orders.models import Order, OrderHold, OrderStatus

from ..models import StageDay
from ..rollups import BUCKETS, OPEN_BUCKET
from .base import Filters, Kpi, drill, fulfillment_orders_link, register
from .names import names

STAGES = [stage.value for stage in StageDay.Stage]


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """Hours: the upper bound of the bucket that holds the ``fraction`` rank (None if no data;
    the last, open bucket answers with its lower bound, i.e. "more than")."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = fraction * total, 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            bound = BUCKETS[bucket] if bucket < OPEN_BUCKET else BUCKETS[-1]
            return round(bound / 3600, 2)
    return None


def _stage_figures(rows) -> dict:
    histogram: dict[int, int] = {}
    count, seconds = 0, 0.0
    for row in rows:
        histogram[row["bucket"]] = histogram.get(row["bucket"], 0) + row["n"]
        count += row["n"]
        seconds += row["secs"] or 0
    return {"count": count, "p50_hours": percentile(histogram, 0.5), "p90_hours": percentile(histogram, 0.9),
            "mean_hours": round(seconds / count / 3600, 2) if count else None}


def stage_time(filters: Filters, by: str | None) -> dict:
    rows = StageDay.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to)
    if filters.location_id is not None:
        rows = rows.filter(location_id=filters.location_id)
    keys = ["stage", "bucket"] + (["location_id"] if by == "location" else [])
    summed = list(rows.values(*keys).annotate(n=Sum("count"), secs=Sum("seconds")).order_by(*keys))
    value = {stage: _stage_figures([row for row in summed if row["stage"] == stage]) for stage in STAGES}
    result = {"value": value}
    if by == "location":
        locations = sorted({row["location_id"] for row in summed})
        labels = names("location", locations)
        result["rows"] = [{"group": location, "label": labels.get(location, location), "value": {
            stage: _stage_figures([row for row in summed if row["stage"] == stage and row["location_id"] == location])
            for stage in STAGES}} for location in locations]
    return result


register(Kpi(
    key="stage_time", title="Time in each stage", group="Speed", unit="hours",
    definition="For the fulfillment orders of the orders placed in the range: hours from captured to allocated, "
               "allocated to picking, picking to packed, packed to shipped and shipped to delivered (p50, p90, mean).",
    dimensions=("location",), filters=("location",), compute=stage_time,
    drilldown=lambda f: fulfillment_orders_link(f),
))


def _hours(since, now) -> float | None:
    return None if since is None else round((now - since).total_seconds() / 3600, 2)


def backlog(filters: Filters, by: str | None) -> dict:
    """What waits now in each stage, with its age; the range does not apply (it is the present)."""
    now = timezone.now()
    result: dict[str, dict] = {}
    orders = Order.objects.filter(status__in=[OrderStatus.PENDING, OrderStatus.ON_HOLD, OrderStatus.BACKORDERED])
    if filters.channel_id is not None:
        orders = orders.filter(channel_id=filters.channel_id)
    if filters.location_id is None:
        for row in orders.values("status").annotate(n=Count("id"), oldest=Min("placed_at")).order_by("status"):
            result[f"order_{row['status']}"] = {"count": row["n"], "oldest_age_hours": _hours(row["oldest"], now)}
    # A fulfillment order waits in "pending" since it was made, in "picking" since its first pick
    # list started, in "packed" since its last parcel closed.
    started = (PickListLine.objects.filter(fulfillment_line__fulfillment_order=OuterRef("pk"), pick_list__started_at__isnull=False)
               .order_by("pick_list__started_at").values("pick_list__started_at")[:1])
    closed = Package.objects.filter(fulfillment_order=OuterRef("pk"), closed_at__isnull=False).order_by("-closed_at").values("closed_at")[:1]
    open_fos = FulfillmentOrder.objects.filter(status__in=[FulfillmentStatus.PENDING, FulfillmentStatus.PICKING, FulfillmentStatus.PACKED])
    if filters.channel_id is not None:
        open_fos = open_fos.filter(order__channel_id=filters.channel_id)
    if filters.location_id is not None:
        open_fos = open_fos.filter(location_id=filters.location_id)
    keys = ["status"] + (["location_id"] if by == "location" else [])
    stamps = open_fos.annotate(started=Subquery(started), closed=Subquery(closed))
    waiting = {}
    for row in stamps.values(*keys).annotate(n=Count("id"), pending_since=Min("created_at"), picking_since=Min("started"),
                                             packed_since=Min("closed")).order_by(*keys):
        oldest = {"pending": row["pending_since"], "picking": row["picking_since"] or row["pending_since"],
                  "packed": row["packed_since"] or row["pending_since"]}[row["status"]]
        figure = {"count": row["n"], "oldest_age_hours": _hours(oldest, now)}
        waiting.setdefault(row.get("location_id"), {})[f"fulfillment_{row['status']}"] = figure
    if by == "location":
        labels = names("location", list(waiting))
        return {"value": result, "rows": [{"group": location, "label": labels.get(location, location), "value": stages}
                                          for location, stages in sorted(waiting.items())]}
    result.update(waiting.get(None, {}))
    return {"value": result}


register(Kpi(
    key="backlog", title="Backlog per stage now", group="Speed", unit="mixed",
    definition="What waits now in each stage (orders pending, on hold, backordered; fulfillment orders to pick, "
               "being picked, packed) and how long the oldest has waited; the date range does not apply.",
    dimensions=("location",), filters=("channel", "location"), compute=backlog,
    drilldown=lambda f: drill("Open fulfillment orders", FulfillmentOrder.objects.filter(
        status__in=[FulfillmentStatus.PENDING, FulfillmentStatus.PICKING, FulfillmentStatus.PACKED],
        **({"location_id": f.location_id} if f.location_id is not None else {}))),
))


def holds(filters: Filters, by: str | None) -> dict:
    now = timezone.now()
    value: dict[str, dict] = {}
    order_holds = OrderHold.objects.filter(released_at__isnull=True)
    if filters.channel_id is not None:
        order_holds = order_holds.filter(order__channel_id=filters.channel_id)
    if filters.location_id is None:
        for row in order_holds.values("reason").annotate(n=Count("id"), oldest=Min("created_at")).order_by("reason"):
            value[f"order:{row['reason']}"] = {"count": row["n"], "oldest_age_hours": _hours(row["oldest"], now)}
    fo_holds = FulfillmentHold.objects.filter(released_at__isnull=True)
    if filters.channel_id is not None:
        fo_holds = fo_holds.filter(fulfillment_order__order__channel_id=filters.channel_id)
    if filters.location_id is not None:
        fo_holds = fo_holds.filter(fulfillment_order__location_id=filters.location_id)
    for row in fo_holds.values("reason").annotate(n=Count("id"), oldest=Min("created_at")).order_by("reason"):
        value[f"fulfillment:{row['reason']}"] = {"count": row["n"], "oldest_age_hours": _hours(row["oldest"], now)}
    return {"value": value}


register(Kpi(
    key="holds", title="Holds open now by reason", group="Speed", unit="mixed",
    definition="Order and fulfillment holds not released yet, per reason, with the age of the oldest; the date range does not apply.",
    dimensions=(), filters=("channel", "location"), compute=holds,
    drilldown=lambda f: drill("Orders with an open hold", Order.objects.filter(
        pk__in=OrderHold.objects.filter(released_at__isnull=True).values("order_id"),
        **({"channel_id": f.channel_id} if f.channel_id is not None else {}))),
))

