"""The demo's returns: RMAs in every state, each taken there through the returns services.

Requests come for orders that shipped: within the policy they are approved at once; for
completed orders (their return window closed) they wait for a person, who approves some as a
goodwill gesture and rejects others. Approved returns get a label (the demo carriers book it),
travel, are received at the warehouse (some in part, one with a unit missing) and inspected, each
disposition posting to the stock ledger with the RMA as reference. Some are cancelled, and the
returns-expiry job expires those whose parcel never came.

Every step runs at its own time in the past (the services see the demo's clock), so the queue
shows returns of different ages. The plan is fixed and the orders are taken in a stable order, so
the same options give the same returns; once any return exists, nothing is added.
"""

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.test.utils import override_settings
from django.utils import timezone

from inventory.models import Product
from orders.models import Invoice, Order, OrderLine, OrderStatus
from returns.models import Condition, Disposition, Refund, Resolution, ReturnRequest, ReturnStatus
from returns.services import (
    InspectionData,
    ReceivedItem,
    ReturnLineData,
    return_approve,
    return_cancel,
    return_close,
    return_exchange_place,
    return_in_transit,
    return_inspect,
    return_label_issue,
    return_receive,
    return_refund,
    return_reject,
    return_request,
    returns_expire,
)

from .clock import seeding_clock
from .report import SEED, DemoReport

# SKU families that come in sizes: their returns are mostly about the fit.
SIZED = ("TEE", "HOOD", "SOCK", "JKT", "LEGG", "SHRT", "CHNO", "SNKR", "BOOT", "BELT")
FIT_REASONS = ("too_small", "too_large")

COMMENTS = {
    "too_small": ["Runs a size small; I'd like it one size up.", "Too tight across the shoulders.", ""],
    "too_large": ["Much roomier than the size chart says.", "The sleeves are too long.", ""],
    "damaged": ["The box was crushed and the item is cracked.", "Arrived with a tear in the seam; photos attached."],
    "wrong_item": ["I ordered a different colour than the one that came.", "Received another size than the one on my order."],
    "not_as_described": ["The colour is much darker than on the website.", "Smaller than the pictures suggest."],
    "changed_mind": ["Bought two to compare; keeping the other one.", "No longer needed.", ""],
    "other": [""],
}
OTHER_TEXTS = ["Gift duplicate: we received two of these.", "Bought for an event that was cancelled.", "Does not fit in my car as I hoped."]


@dataclass(frozen=True)
class ReturnScenario:
    """One RMA of the demo: the state it ends in, why the customer sends it back, and what the
    warehouse finds (condition and disposition of every line, units accepted; None: all)."""

    target: str
    reason: str
    days_ago: int
    condition: str = Condition.NEW
    disposition: str = Disposition.RESTOCK
    accepted: int | None = None
    resolution: str = Resolution.REFUND
    two_lines: bool = False  # two lines (or two units) so that part can arrive or go missing
    receipt: str = "full"  # "full", "partial" (the rest awaited) or "missing" (the rest never came)
    invoiced: bool = False  # an order of a trade account on payment terms: its refund is credited on the invoice
    note: str = ""  # the person's decision, the inspection note or the cancellation's reason


# In each state, a few: the first of each state is seeded before the second of any, so a small
# demo still shows every state. Inspected returns get their money or replacement at once (the
# policy refunds after inspection), except those whose units were refused: a person decides.
SCENARIOS = [
    ReturnScenario(ReturnStatus.REQUESTED, "changed_mind", 1),
    ReturnScenario(ReturnStatus.REJECTED, "changed_mind", 5, note="Worn and washed, and the return window closed; offered a repair instead."),
    ReturnScenario(ReturnStatus.APPROVED, "too_large", 1),
    ReturnScenario(ReturnStatus.LABEL_ISSUED, "too_small", 3),
    ReturnScenario(ReturnStatus.IN_TRANSIT, "damaged", 5),
    ReturnScenario(ReturnStatus.RECEIVED, "too_large", 7),
    ReturnScenario(ReturnStatus.REFUNDED, "too_small", 9, note="Tags on, unworn."),
    ReturnScenario(ReturnStatus.EXCHANGED, "too_large", 9, resolution=Resolution.EXCHANGE, note="As new; the customer wants the next size down."),
    ReturnScenario(ReturnStatus.INSPECTED, "not_as_described", 8, Condition.OPENED, Disposition.RESTOCK, accepted=0,
                   note="Used for weeks, not faulty: refused; customer service to call the customer."),
    ReturnScenario(ReturnStatus.CLOSED, "damaged", 12, Condition.DAMAGED, Disposition.SCRAP, accepted=0,
                   note="Damage is wear, not transit: refused, scrapped with the customer's consent."),
    ReturnScenario(ReturnStatus.CANCELLED, "changed_mind", 6, note="The customer decided to keep it."),
    ReturnScenario(ReturnStatus.EXPIRED, "too_large", 45),
    ReturnScenario(ReturnStatus.REQUESTED, "other", 2),
    ReturnScenario(ReturnStatus.REJECTED, "other", 4, note="Bought as final sale for the event; not returnable."),
    ReturnScenario(ReturnStatus.APPROVED, "wrong_item", 2),
    ReturnScenario(ReturnStatus.LABEL_ISSUED, "not_as_described", 2),
    ReturnScenario(ReturnStatus.IN_TRANSIT, "too_small", 6, two_lines=True, receipt="partial"),
    ReturnScenario(ReturnStatus.RECEIVED, "other", 8, two_lines=True, receipt="missing"),
    ReturnScenario(ReturnStatus.REFUNDED, "damaged", 10, Condition.DAMAGED, Disposition.QUARANTINE, note="Broken in transit; held for the carrier's claim."),
    ReturnScenario(ReturnStatus.EXCHANGED, "too_small", 12, resolution=Resolution.EXCHANGE, note="Unworn; the next size up goes out."),
    ReturnScenario(ReturnStatus.REFUNDED, "changed_mind", 11, Condition.OPENED, Disposition.REFURBISH, resolution=Resolution.STORE_CREDIT,
                   note="Opened; repack before resale."),
    ReturnScenario(ReturnStatus.INSPECTED, "wrong_item", 7, Condition.DAMAGED, Disposition.SCRAP, accepted=0,
                   note="Not the item we sent; scrapped with the customer's consent, the case goes to customer service."),
    ReturnScenario(ReturnStatus.REFUNDED, "not_as_described", 14, Condition.OPENED, Disposition.RETURN_TO_VENDOR,
                   note="Colour off across the batch: back to the supplier."),
    ReturnScenario(ReturnStatus.CLOSED, "changed_mind", 13, Condition.DAMAGED, Disposition.QUARANTINE, accepted=0,
                   note="Came back broken and worn: refused; held for the customer to collect."),
    ReturnScenario(ReturnStatus.CANCELLED, "too_small", 4, note="Exchanged in the store instead."),
    ReturnScenario(ReturnStatus.EXPIRED, "changed_mind", 50),
    ReturnScenario(ReturnStatus.REFUNDED, "wrong_item", 6, invoiced=True, note="Trade account sent the wrong item: a credit note on the invoice."),
]
# The warehouse each customer's country returns to, and the carrier service of its label
# (a country the demo carriers do not serve sends its parcel without our label).
RETURN_LOCATION = {"US": "nj-edison"}
EU_RETURNS = "nl-venlo"
LABEL_SERVICE = {"US": ("oms-post", "ground"), "NL": ("europarcel", "standard"), "DE": ("europarcel", "standard")}
REQUESTED_BY = "portal:returns"  # the customer, on the shop's returns page
IN_POLICY = (OrderStatus.DELIVERED, OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED)
# Decided by a person: whatever comes for a completed order (its window closed) needs one.
DECIDED = (ReturnStatus.REQUESTED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED)


def returns_seed(report: DemoReport, users: dict) -> None:
    """Seed the demo's RMAs (see the module's docstring); nothing when any return exists."""
    if ReturnRequest.objects.exists():
        return
    rng = random.Random(f"{SEED}-returns")
    now = timezone.now()
    lines = _returnable_lines()
    invoiced = set(Invoice.objects.values_list("order_id", flat=True))
    in_policy = [order for order in lines if order.status in IN_POLICY]
    closed = [order for order in lines if order.status == OrderStatus.COMPLETED]
    awaiting_money = []
    for scenario in SCENARIOS:
        # Within the policy when an order allows (approved at once), else a person decides.
        pools = [closed] if scenario.target in DECIDED else [in_policy, closed]
        order, picked = _order_for(scenario, pools, lines, invoiced)
        if order is None:
            continue
        request = _play(scenario, order, picked, rng=rng, users=users, start=now - timedelta(days=scenario.days_ago, hours=rng.uniform(0, 8)))
        report.created["returns"] += 1
        if scenario.target in (ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED):
            awaiting_money.append(request)
    report.created["returns expired"] += returns_expire(actor="job:returns-expire")
    refunds_and_exchanges_seed(report, awaiting_money)


def refunds_and_exchanges_seed(report: DemoReport, inspected: list[ReturnRequest]) -> None:
    """Money back and replacements for the inspected returns that want them: the policy's timing
    and the exchange subscriber do it when events are handed on at once (the demo's in-process
    tasks); what they left inspected is refunded (to the card or as store credit) or exchanged
    here, through the same services. The demo's shops refund nothing themselves: their
    connections leave "refund through the shop" off, so the built-in adapter records them."""
    for request in inspected:
        request = ReturnRequest.objects.get(pk=request.pk)
        if request.status != ReturnStatus.INSPECTED:
            continue
        with seeding_clock((request.inspected_at or timezone.now()) + timedelta(hours=2)):
            if request.resolution == Resolution.EXCHANGE:
                return_exchange_place(return_id=request.pk, actor="system:demo")
            else:
                return_refund(return_id=request.pk, actor="system:refund-timing")
    report.created["refunds"] = Refund.objects.count()
    report.created["exchange orders"] = ReturnRequest.objects.exclude(exchange_order=None).count()


def _replacement_sku(line: OrderLine) -> str:
    """Another size of the same garment (the next one in the catalogue), or the same SKU."""
    family = line.sku.rsplit("-", 1)[0]
    siblings = list(Product.objects.filter(sku__startswith=f"{family}-", is_active=True).order_by("sku").values_list("sku", flat=True))
    others = [sku for sku in siblings if sku != line.sku and sku.count("-") == line.sku.count("-")]
    return others[0] if others else line.sku


def _returnable_lines() -> dict[Order, list[OrderLine]]:
    """Orders that shipped something, with their lines that shipped, in a stable order."""
    orders = list(Order.objects.filter(status__in=[*IN_POLICY, OrderStatus.COMPLETED]).order_by("external_id", "pk"))
    by_order = {order.pk: [] for order in orders}
    for line in OrderLine.objects.filter(order_id__in=list(by_order), quantity_shipped__gt=0).select_related("product").order_by("order_id", "line_number"):
        by_order[line.order_id].append(line)
    return {order: by_order[order.pk] for order in orders if by_order[order.pk]}


def _fits(scenario: ReturnScenario, order: Order, order_lines: list[OrderLine], invoiced: set[int]) -> list[OrderLine] | None:
    """The lines this scenario returns of ``order``, or None when the order does not fit it."""
    if scenario.invoiced and order.pk not in invoiced:
        return None
    sized = [line for line in order_lines if _sized(line)]
    # Fit is about clothes and shoes; breakage about the hard goods.
    fitting = sized if scenario.reason in FIT_REASONS else [line for line in order_lines if not _sized(line)] if scenario.reason == "damaged" else order_lines
    if not fitting:
        return None
    first = fitting[0]
    if scenario.resolution == Resolution.EXCHANGE and (first.product is None or first.product.currency != order.currency):
        return None  # a replacement is priced in the catalogue's currency
    if scenario.target == ReturnStatus.LABEL_ISSUED and order.shipping_address.get("country") not in LABEL_SERVICE:
        return None
    if scenario.two_lines:
        others = [line for line in order_lines if line.pk != first.pk]
        if others:
            return [first, others[0]]
        return [first] if first.quantity_shipped >= 2 else None
    return [first]


def _order_for(scenario: ReturnScenario, pools: list[list[Order]], lines: dict, invoiced: set[int]) -> tuple[Order | None, list[OrderLine]]:
    """The first order of the first pool that fits; it is taken out of its pool."""
    for pool in pools:
        for order in pool:
            picked = _fits(scenario, order, lines[order], invoiced)
            if picked:
                pool.remove(order)
                return order, picked
    return None, []


def _play(scenario: ReturnScenario, order: Order, picked: list[OrderLine], *, rng: random.Random, users: dict, start: datetime) -> ReturnRequest:
    """Take one return from the customer's request to the scenario's state, a day per step."""
    service, warehouse = users["service"], users["warehouse"]
    country = order.shipping_address.get("country", "")
    location = RETURN_LOCATION.get(country, EU_RETURNS)
    latest = timezone.now() - timedelta(minutes=5)

    def at(step: int):
        return seeding_clock(min(start + timedelta(days=step, minutes=rng.randint(0, 240)), latest))

    if len(picked) == 1 and scenario.two_lines:
        wanted = [ReturnLineData(picked[0].line_number, 2, scenario.reason, _text(scenario.reason, rng))]
    else:
        # A second line comes back for its own reason: the fit when it has a size, else a change of mind.
        reasons = [scenario.reason] + [scenario.reason if scenario.reason not in FIT_REASONS or _sized(line) else "changed_mind" for line in picked[1:]]
        wanted = [ReturnLineData(line.line_number, 1, reason, _text(reason, rng)) for line, reason in zip(picked, reasons)]
    if scenario.resolution == Resolution.EXCHANGE:
        wanted = [replace(item, exchange_sku=_replacement_sku(line)) for item, line in zip(wanted, picked)]
    with at(0):
        request = return_request(order_id=order.pk, lines=wanted, resolution=scenario.resolution,
                                 customer_comment=rng.choice(COMMENTS[scenario.reason]), actor=REQUESTED_BY)
    target = scenario.target
    if target == ReturnStatus.REQUESTED:
        return request
    if target == ReturnStatus.REJECTED:
        with at(1):
            return return_reject(return_id=request.pk, reason=scenario.note, actor=service)
    if request.status == ReturnStatus.REQUESTED:
        with at(1):
            return_approve(return_id=request.pk, note="Goodwill: a regular customer, just past the window.", actor=service)
    if target in (ReturnStatus.APPROVED, ReturnStatus.EXPIRED):
        return request
    if target == ReturnStatus.CANCELLED:
        with at(2):
            return return_cancel(return_id=request.pk, reason=scenario.note, actor=service)
    if country in LABEL_SERVICE:
        carrier, service_code = LABEL_SERVICE[country]
        with at(1), override_settings(OMS_LABELS_RENDER_ON_BOOKING=False):  # rendered when first printed
            return_label_issue(return_id=request.pk, carrier_code=carrier, service_code=service_code, location=location, actor=service)
    if target == ReturnStatus.LABEL_ISSUED:
        return request
    with at(2):
        # The carrier's first scan (or, without our label, the customer saying it is on its way).
        return_in_transit(return_id=request.pk, actor=f"carrier:{LABEL_SERVICE[country][0]}" if country in LABEL_SERVICE else service)
    items = [ReceivedItem(line.order_line.sku, line.quantity) for line in request.lines.select_related("order_line").order_by("pk")]
    if scenario.receipt in ("partial", "missing"):
        first = items[0]
        items = [ReceivedItem(first.sku, 1)]
    if target == ReturnStatus.IN_TRANSIT and scenario.receipt == "full":
        return request
    with at(4):
        return_receive(return_id=request.pk, location=location, items=items, complete=scenario.receipt == "missing", actor=warehouse)
    if target in (ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED):
        return request
    received = request.lines.select_related("order_line").filter(quantity_received__gt=0).order_by("pk")
    with at(5):
        return_inspect(return_id=request.pk, actor=warehouse, lines=[
            InspectionData(line.order_line.line_number, scenario.condition, scenario.disposition, scenario.accepted, scenario.note)
            for line in received
        ])
    if target == ReturnStatus.CLOSED:
        with at(6):
            return_close(return_id=request.pk, note="Nothing to refund: the units were not accepted.", actor=service)
    return request


def _sized(line: OrderLine) -> bool:
    return line.sku.split("-")[0] in SIZED


def _text(reason: str, rng: random.Random) -> str:
    return rng.choice(OTHER_TEXTS) if reason == "other" else ""
