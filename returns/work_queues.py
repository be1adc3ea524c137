"""Returns' queues on the console's home: requests that need a person's decision, approved
parcels that are about to expire unsent, and received parcels waiting for inspection.

One aggregate query over the returns in those statuses (the status index narrows it to them),
plus one grouped by location when the inspection queue is shown, whatever the number of returns.
"""

from datetime import date, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from oms.work_queues import Link, QueueFigures, QueueRow, WorkQueue

from .models import EXPIRABLE, ReturnRequest, ReturnStatus

# An approved return whose parcel has not shipped is overdue this long before it expires.
OVERDUE_WARNING = timedelta(days=3)
VIEW = "returns.view_returnrequest"

QUEUES = (
    WorkQueue("returns_decide", "Returns needing a decision", act=("returns.approve_return",), view=VIEW, position=100,
              age_label="oldest request", help="Requested outside the policy (late, final sale, unexpected items...): approve or reject each."),
    WorkQueue("returns_overdue", "Return parcels overdue", act=("returns.approve_return",), view=VIEW, position=105,
              age_label="approved", help="Approved returns whose parcel has not shipped and that expire within 3 days: remind the customer or cancel."),
    WorkQueue("returns_inspect", "Received, awaiting inspection", act=("returns.inspect_return",), view=VIEW, position=110,
              age_label="oldest receipt", help="Parcels received in full: inspect their units so they go back to stock and the refund can follow."),
)


def _returns(filters: dict[str, str], oldest_first: str = "created_at") -> Link:
    return Link("returns.returnrequest", filters, oldest_first=oldest_first)


def return_queues_count(keys: frozenset[str], today: date) -> dict[str, QueueFigures]:
    now = timezone.now()
    soon = now + OVERDUE_WARNING
    measured = {
        "returns_decide": (Q(status=ReturnStatus.REQUESTED) & ~Q(needs_attention=""), "created_at"),
        "returns_overdue": (Q(status__in=EXPIRABLE, expires_at__lt=soon), "approved_at"),
        "overdue_past": (Q(status__in=EXPIRABLE, expires_at__lt=now), "approved_at"),
        "returns_inspect": (Q(status=ReturnStatus.RECEIVED), "received_at"),
    }
    wanted = set(keys) | ({"overdue_past"} if "returns_overdue" in keys else set())
    aggregates = {}
    for name in wanted:
        condition, oldest = measured[name]
        aggregates[f"{name}_count"] = Count("pk", filter=condition)
        aggregates[f"{name}_oldest"] = Min(oldest, filter=condition)
    statuses = [ReturnStatus.REQUESTED, *EXPIRABLE, ReturnStatus.RECEIVED]
    figures = ReturnRequest.objects.filter(status__in=statuses).aggregate(**aggregates)
    result = {}
    if "returns_decide" in keys:
        result["returns_decide"] = QueueFigures(
            figures["returns_decide_count"], figures["returns_decide_oldest"], _returns({"status__exact": ReturnStatus.REQUESTED, "attention": "yes"}),
        )
    if "returns_overdue" in keys:
        expirable = ",".join(EXPIRABLE)
        link = _returns({"status__in": expirable, "expires_at__lt": soon.isoformat(timespec="seconds")}, "approved_at")
        rows = ()
        if figures["overdue_past_count"]:
            past = _returns({"status__in": expirable, "expires_at__lt": now.isoformat(timespec="seconds")}, "approved_at")
            rows = (QueueRow("Past the deadline (expiring now)", figures["overdue_past_count"], figures["overdue_past_oldest"], past),)
        result["returns_overdue"] = QueueFigures(figures["returns_overdue_count"], figures["returns_overdue_oldest"], link, rows)
    if "returns_inspect" in keys:
        per_location = (
            ReturnRequest.objects.filter(status=ReturnStatus.RECEIVED).values("location_id", "location__code", "location__name")
            .annotate(count=Count("pk"), oldest=Min("received_at")).order_by("location__code")
        )
        rows = tuple(
            QueueRow(f"{row['location__code']} · {row['location__name']}", row["count"], row["oldest"],
                     _returns({"status__exact": ReturnStatus.RECEIVED, "location__id__exact": str(row["location_id"])}, "received_at"))
            for row in per_location if row["location_id"]
        )
        result["returns_inspect"] = QueueFigures(
            figures["returns_inspect_count"], figures["returns_inspect_oldest"], _returns({"status__exact": ReturnStatus.RECEIVED}, "received_at"), rows,
        )
    return result
