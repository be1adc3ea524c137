"""The floor's queues on the console's home, per location: fulfillment orders to pick, to pack
and to ship, open pick lists, and fulfillment orders on hold.

One aggregate query over the open fulfillment orders grouped by location (the status index
narrows it to them), plus one over the open pick lists when the pick queue is shown.
"""

from datetime import date

from django.db.models import Count, Min, Q

from oms.work_queues import Link, QueueFigures, QueueRow, WorkQueue

from .models import OPEN_STATUSES, FulfillmentOrder, FulfillmentStatus, PickList, PickListStatus

FLOOR = "fulfillment.confirm_picklist"
VIEW = "fulfillment.view_fulfillmentorder"

QUEUES = (
    WorkQueue("pick", "To pick", act=(FLOOR,), view=VIEW, position=40, age_label="oldest",
              help="Pending fulfillment orders not on hold, per location: build pick lists; then the open pick lists."),
    WorkQueue("pack", "Picking / to pack", act=(FLOOR,), view=VIEW, position=50, age_label="oldest",
              help="Fulfillment orders being picked: pack them once their picks are confirmed."),
    WorkQueue("ship", "To ship", act=(FLOOR, "fulfillment.transition_fulfillmentorder"), view=VIEW, position=60, age_label="oldest",
              help="Packed fulfillment orders: ship them and print the label."),
    WorkQueue("fulfillment_holds", "Fulfillment on hold", act=("fulfillment.transition_fulfillmentorder",), view=VIEW, position=70,
              age_label="oldest", help="Fulfillment orders held (address check, payment, short pick): release or move them."),
)

# Per queue: the fulfillment orders it counts, and the changelist filters that show exactly them.
_MEASURED = {
    "pick": (Q(status=FulfillmentStatus.PENDING, is_held=False), {"status__exact": FulfillmentStatus.PENDING, "held": "no"}),
    "pack": (Q(status=FulfillmentStatus.PICKING), {"status__exact": FulfillmentStatus.PICKING}),
    "ship": (Q(status=FulfillmentStatus.PACKED), {"status__exact": FulfillmentStatus.PACKED}),
    "fulfillment_holds": (Q(is_held=True), {"held": "yes", "status__in": ",".join(OPEN_STATUSES)}),
}


def _fulfillment_orders(filters: dict[str, str]) -> Link:
    return Link("fulfillment.fulfillmentorder", filters, oldest_first="created_at")


def fulfillment_queues_count(keys: frozenset[str], today: date) -> dict[str, QueueFigures]:
    aggregates = {}
    for key in keys:
        condition, _ = _MEASURED[key]
        aggregates[f"{key}_count"] = Count("pk", filter=condition)
        aggregates[f"{key}_oldest"] = Min("created_at", filter=condition)
    per_location = list(
        FulfillmentOrder.objects.filter(status__in=OPEN_STATUSES)
        .values("location_id", "location__code", "location__name")
        .annotate(**aggregates)
        .order_by("location__code")
    )
    result = {}
    for key in keys:
        _, filters = _MEASURED[key]
        rows = tuple(
            QueueRow(
                f"{row['location__code']} · {row['location__name']}", row[f"{key}_count"], row[f"{key}_oldest"],
                _fulfillment_orders({**filters, "location__id__exact": str(row["location_id"])}),
            )
            for row in per_location
            if row[f"{key}_count"]
        )
        oldest = min((row.oldest for row in rows), default=None)
        result[key] = QueueFigures(sum(row.count for row in rows), oldest, _fulfillment_orders(filters), rows)
    if "pick" in keys:
        open_lists = [PickListStatus.OPEN, PickListStatus.IN_PROGRESS]
        lists = PickList.objects.filter(status__in=open_lists).aggregate(count=Count("pk"), oldest=Min("created_at"))
        link = Link("fulfillment.picklist", {"status__in": ",".join(open_lists)}, oldest_first="created_at")
        pick = result["pick"]
        result["pick"] = QueueFigures(pick.count, pick.oldest, pick.link, (*pick.rows, QueueRow("Open pick lists", lists["count"], lists["oldest"], link)))
    return result
