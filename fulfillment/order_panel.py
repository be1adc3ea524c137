"""The order page's "Fulfillment" panel: the order's fulfillment orders (location, status, lines,
holds, pick lists, the next step with a link for a role that may take it) and their shipments
(carrier, service, tracking number with the carrier's page, latest tracking event, label).

Registered with ``orders.admin_panels`` from ``FulfillmentConfig.ready()``: the orders app, below
this one, shows the panel without importing fulfillment. A fixed number of queries per order.
"""

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import F, Prefetch
from django.http import HttpRequest
from django.urls import reverse

from orders.admin_panels import OrderPagePanel
from orders.models import Order
from shipping.models import ShipmentStatus
from shipping.selectors import shipments_with_latest_event

from .models import FulfillmentHold, FulfillmentOrder, FulfillmentStatus, PickList, PickListStatus

OPEN_PICK_LISTS = (PickListStatus.OPEN, PickListStatus.IN_PROGRESS)


@dataclass(frozen=True)
class NextStep:
    text: str
    url: str = ""  # empty: the step is someone else's, or there is no page for it


def _next_step(fulfillment_order: FulfillmentOrder, open_pick_lists: list, user) -> NextStep:
    """What happens next to this fulfillment order, linked to where it is done when the user may do it."""
    may_pick = user.has_perm("fulfillment.confirm_picklist")
    may_move = user.has_perm("fulfillment.transition_fulfillmentorder")
    page = reverse("admin:fulfillment_fulfillmentorder_change", args=[fulfillment_order.pk])
    status = fulfillment_order.status
    if fulfillment_order.is_held and status in (FulfillmentStatus.PENDING, FulfillmentStatus.PICKING, FulfillmentStatus.PACKED):
        return NextStep("On hold: release the hold to go on", page if may_move else "")
    if status in (FulfillmentStatus.PENDING, FulfillmentStatus.PICKING) and open_pick_lists:
        pick_list = open_pick_lists[0]
        url = reverse("admin:fulfillment_picklist_change", args=[pick_list.pk]) if user.has_perm("fulfillment.view_picklist") else ""
        return NextStep(f"Pick on {pick_list.number}", url if may_pick else "")
    if status == FulfillmentStatus.PENDING:
        # Its own page has the "Create pick list" button (a wave of many orders is built from the list).
        return NextStep("Create its pick list", page if may_pick else "")
    if status == FulfillmentStatus.PICKING:
        packing = f"{reverse('admin:fulfillment_packing')}?{urlencode({'number': fulfillment_order.number})}"
        return NextStep("Pack", packing if may_pick else "")
    if status == FulfillmentStatus.PACKED:
        return NextStep("Ship", page if may_move else "")
    if status == FulfillmentStatus.SHIPPED:
        return NextStep("With the carrier")
    return NextStep("Nothing: done" if status == FulfillmentStatus.DELIVERED else "Nothing: cancelled")


def order_fulfillment_panel(request: HttpRequest, order: Order) -> OrderPagePanel | None:
    """The panel, or None for a user who may not see fulfillment orders or an order that has none."""
    user = request.user
    if not user.has_perm("fulfillment.view_fulfillmentorder"):
        return None
    fulfillment_orders = list(
        FulfillmentOrder.objects.filter(order=order).select_related("location").prefetch_related(
            "lines__product", "lines__order_line",
            Prefetch("holds", queryset=FulfillmentHold.objects.filter(released_at__isnull=True).order_by("pk"), to_attr="active_holds"),
        ).order_by("sequence", "pk")
    )
    if not fulfillment_orders:
        return None
    pick_lists = defaultdict(list)
    listed = (
        PickList.objects.filter(lines__fulfillment_line__fulfillment_order__in=fulfillment_orders)
        .annotate(fulfillment_order_id=F("lines__fulfillment_line__fulfillment_order_id"))
        .only("pk", "status").distinct().order_by("pk")
    )
    for pick_list in listed:
        pick_lists[pick_list.fulfillment_order_id].append(pick_list)
    may_see_shipments = user.has_perm("shipping.view_shipment")
    shipments = {
        shipment.pk: shipment
        for shipment in shipments_with_latest_event([fo.shipment_id for fo in fulfillment_orders if fo.shipment_id])
    } if may_see_shipments else {}
    rows = []
    for fulfillment_order in fulfillment_orders:
        lists = pick_lists[fulfillment_order.pk]
        open_lists = [pick_list for pick_list in lists if pick_list.status in OPEN_PICK_LISTS]
        shipment = shipments.get(fulfillment_order.shipment_id)
        rows.append({
            "fulfillment_order": fulfillment_order,
            "url": reverse("admin:fulfillment_fulfillmentorder_change", args=[fulfillment_order.pk]),
            "lines": list(fulfillment_order.lines.all()),
            "holds": fulfillment_order.active_holds,
            "pick_lists": lists if user.has_perm("fulfillment.view_picklist") else [],
            "next": _next_step(fulfillment_order, open_lists, user),
            "shipment": shipment,
            "shipment_url": reverse("admin:shipping_shipment_change", args=[shipment.pk]) if shipment else "",
            # The label view lets whoever sees shipments download one; a voided label must not be used.
            "label_url": reverse("admin:shipping_shipment_label", args=[shipment.pk])
            if shipment and shipment.status != ShipmentStatus.VOIDED else "",
        })
    return OrderPagePanel(
        title="Fulfillment", template="admin/fulfillment/order_panel.html",
        context={"fulfillment_rows": rows, "may_see_shipments": may_see_shipments},
    )

