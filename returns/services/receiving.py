"""The parcel's way back: return label, first scan, receipt at the dock, inspection."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from fulfillment.models import FulfillmentLine
from inventory.models import Location
from inventory.services import ReturnedUnits, location_get, stock_return_dispose
from oms.actors import Actor
from oms.errors import DomainError, InvalidInput, InvalidTransition
from oms.money import money_text
from orders.services import order_lines_returned
from shipping.models import ShipmentDirection, ShipmentStatus
from shipping.services import return_shipment_create, shipment_void

from ..models import RECEIVABLE, Condition, Disposition, ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest, ReturnStatus, ShippingPaidBy
from ..selectors import return_lines_of, return_policy_for
from .audit import ITEMS_RECEIVED_EVENT, return_event, return_publish, return_touch, return_transition
from .requests import MAX_TEXT, _locked, _whole_above_zero

logger = logging.getLogger(__name__)

# Inventory's name for where each disposition's units go.
LEDGER_DISPOSITION = {
    Disposition.RESTOCK: "restock",
    Disposition.REFURBISH: "quarantine",
    Disposition.QUARANTINE: "quarantine",
    Disposition.SCRAP: "scrap",
    Disposition.RETURN_TO_VENDOR: "return_to_vendor",
}


def _location_address(location: Location) -> dict:
    return {
        "name": location.name, "line1": location.line1, "line2": location.line2, "city": location.city, "region": location.region,
        "postal_code": location.postal_code, "country": str(location.country),
    }


def _parcels_for(lines: list[ReturnLine]) -> list[dict]:
    grams = sum((line.order_line.product.weight_grams if line.order_line.product else 0) * line.quantity for line in lines)
    return [{"weight_kg": str(max(grams, 100) / 1000)}]


def _outbound_shipment_of(order_id: int, lines: list[ReturnLine]) -> int | None:
    """The outbound shipment the returned units left in: of the order's fulfillment orders
    shipped with a shipment (not voided), the one that shipped most of the returned lines' units
    (the first such on a tie); None when the order shipped without one (e.g. a manual shipment)."""
    returned = {line.order_line_id: line.quantity for line in lines}
    carried: dict[int, int] = {}
    shipped = (
        FulfillmentLine.objects.filter(
            fulfillment_order__order_id=order_id, fulfillment_order__shipment__isnull=False, quantity_shipped__gt=0,
            fulfillment_order__shipment__direction=ShipmentDirection.OUTBOUND,
        )
        .exclude(fulfillment_order__shipment__status=ShipmentStatus.VOIDED)
        .order_by("fulfillment_order__shipment_id")
        .values_list("fulfillment_order__shipment_id", "order_line_id", "quantity_shipped")
    )
    for shipment_id, order_line_id, quantity in shipped:
        carried[shipment_id] = carried.get(shipment_id, 0) + min(quantity, returned.get(order_line_id, 0))
    if not carried:
        return None
    return max(carried, key=lambda shipment_id: (carried[shipment_id], -shipment_id))


def _label_payer(request: ReturnRequest, lines: list[ReturnLine]) -> str:
    """Who pays the label, from the policy's terms for the lines' reasons: the merchant when any
    reason says so (a damaged item in the parcel is the merchant's doing), else the customer."""
    policy = ReturnPolicy.objects.filter(pk=request.policy_id).first() or return_policy_for(request.order.channel_id)
    payers = {policy.terms_for(line.reason)["shipping_paid_by"] for line in lines}
    return ShippingPaidBy.MERCHANT if ShippingPaidBy.MERCHANT in payers else ShippingPaidBy.CUSTOMER


def return_label_issue(
    *, return_id: int, carrier_code: str, service_code: str, location: str, parcels: list[dict] | None = None, actor: Actor,
) -> ReturnRequest:
    """Book a return label for an approved return: from the order's shipping address to
    ``location`` (where it will be received), parcels from the lines' weights unless given, as
    the return of the outbound shipment the units left in (when the order shipped with one).
    Who pays it (the reasons' terms) and its quoted price are recorded on the return, for the
    refund to deduct when the customer pays.

    Guarantees: refused before booking unless approved; the carrier is called outside any
    transaction (shipping's ``return_shipment_create``, which refuses what it cannot book, with
    what to fix); if the return changed meanwhile (cancelled) the label just booked is voided and
    the call refused. Records ``return.label_issued`` with the shipment's tracking number.
    """
    request = ReturnRequest.objects.select_related("order").filter(pk=return_id).first()
    if request is None:
        from oms.errors import NotFound

        raise NotFound(f"No return with id {return_id}.", code="unknown_return")
    if request.status != ReturnStatus.APPROVED:
        raise InvalidTransition(
            f"Return {request.number} is {request.get_status_display().lower()}; only an approved return gets a label.",
            fields={"status": [f"Currently {request.status}."]},
        )
    place = location_get(location)
    lines = return_lines_of(request.pk)
    shipment = return_shipment_create(
        carrier_code=carrier_code, service_code=service_code, origin=dict(request.order.shipping_address or {}),
        destination=_location_address(place), parcels=parcels or _parcels_for(lines), reference=request.number,
        actor=actor, return_of_id=_outbound_shipment_of(request.order_id, lines),
    )
    paid_by = _label_payer(request, lines)
    try:
        with transaction.atomic():
            request = _locked(return_id)
            return_transition(
                request, "issue_label", actor=actor,
                message=f"Return label {shipment.tracking_number} ({carrier_code} {service_code}) to {place.code}, "
                f"{money_text(shipment.price, shipment.currency)} paid by the {paid_by}",
                values={"shipment_id": shipment.pk, "label_paid_by": paid_by, "label_cost": shipment.price, "label_currency": shipment.currency},
                event_data={"tracking_number": shipment.tracking_number, "shipment_id": shipment.pk, "return_of_id": shipment.return_of_id,
                            "label_paid_by": paid_by, "label_cost": str(shipment.price), "label_currency": shipment.currency},
            )
    except DomainError:
        logger.warning("Return label %s booked for %s, which changed meanwhile: voiding it.", shipment.tracking_number, request.number)
        shipment_void(shipment_id=shipment.pk, actor=actor)
        raise
    return request


def return_in_transit(*, return_id: int, actor: Actor) -> ReturnRequest:
    """The parcel is on its way (the carrier's first scan, or a person saying so). A return
    already in transit or further along is returned unchanged (scans repeat)."""
    with transaction.atomic():
        request = _locked(return_id)
        if request.status in (ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED):
            return_transition(request, "ship", actor=actor, message="Parcel on its way")
    return request


def on_return_shipment_moving(event) -> None:
    """Subscriber of ``shipment.in_transit``: a return label's first scan moves its return on."""
    payload = event.payload
    if payload.get("direction") != "return":
        return
    return_id = ReturnRequest.objects.filter(shipment_id=payload.get("shipment_id")).values_list("pk", flat=True).first()
    if return_id is not None:
        return_in_transit(return_id=return_id, actor=f"carrier:{payload.get('carrier', '')}"[:120])


@dataclass(frozen=True)
class ReceivedItem:
    """Plain-data: ``quantity`` units of ``sku`` found in the parcel (a scan)."""

    sku: str
    quantity: int = 1
    note: str = ""


def _items_check(items) -> None:
    if not items:
        raise InvalidInput("Scan at least one item.", fields={"items": ["Add at least one item."]})
    problems = {}
    for index, item in enumerate(items):
        if not isinstance(item.sku, str) or not item.sku.strip():
            problems[f"items[{index}].sku"] = ["The SKU scanned is required."]
        if not _whole_above_zero(item.quantity):
            problems[f"items[{index}].quantity"] = [f"A whole number above zero, not {item.quantity!r}."]
        if len(item.note or "") > MAX_TEXT:
            problems[f"items[{index}].note"] = [f"At most {MAX_TEXT} characters."]
    if problems:
        raise InvalidInput("The receipt is malformed; nothing was recorded.", fields=problems)


def return_receive(*, return_id: int, location: str, items: list[ReceivedItem], complete: bool = False, actor: Actor) -> ReturnRequest:
    """Receive a return's parcel at ``location``: scanned items fill its lines up to what each
    still expects; what the return does not name, or more than it expects, is recorded as
    unexpected (never counted as returned). The order's lines count the units as returned.

    When every line has all its units, or ``complete`` says nothing more will come (the units
    still expected are recorded as missing), the return is ``received`` and ready to inspect;
    otherwise it stays open for the rest (``in_transit``). All or nothing; refused before
    approval, after receipt, or at another location than the first part.
    """
    _items_check(items)
    place = location_get(location)
    with transaction.atomic():
        request = _locked(return_id)
        if request.status not in RECEIVABLE:
            hint = " Approve it first." if request.status == ReturnStatus.REQUESTED else ""
            raise InvalidTransition(
                f"Return {request.number} is {request.get_status_display().lower()}; it cannot be received.{hint}",
                fields={"status": [f"Currently {request.status}."]},
            )
        if request.location_id is not None and request.location_id != place.pk:
            raise DomainError(
                f"Return {request.number} was partly received at another location; receive the rest there.", code="other_location",
                fields={"location": ["Receive where the first part was received."]},
            )
        lines = return_lines_of(request.pk)
        expected = {}
        for line in lines:
            expected.setdefault(line.order_line.sku, []).append(line)
        received: dict[int, int] = {}
        unexpected = []
        for item in items:
            left = item.quantity
            for line in expected.get(item.sku.strip(), []):
                take = min(left, line.quantity_outstanding - received.get(line.pk, 0))
                if take > 0:
                    received[line.pk] = received.get(line.pk, 0) + take
                    left -= take
            if left:
                unexpected.append({"sku": item.sku.strip(), "quantity": left, "note": (item.note or "").strip()})
        for line in lines:
            line.quantity_received += received.get(line.pk, 0)
        now = timezone.now()
        trail = []
        if received:
            ReturnLine.objects.bulk_update([line for line in lines if line.pk in received], ["quantity_received"])
            order_lines_returned(
                order_id=request.order_id, quantities={line.order_line_id: received[line.pk] for line in lines if line.pk in received},
                reference=request.number, actor=actor,
            )
            text = ", ".join(f"{line.order_line.sku} × {received[line.pk]}" for line in lines if line.pk in received)
            trail.append(return_event(request, ReturnEvent.Kind.RECEIVED, f"Received at {place.code}: {text}", actor=actor,
                                      data={"location": place.code, "lines": {str(pk): q for pk, q in received.items()}}))
        values = {"location_id": place.pk}
        if unexpected:
            values["unexpected_items"] = [*request.unexpected_items, *unexpected]
            text = ", ".join(f"{item['sku']} × {item['quantity']}" for item in unexpected)
            values["needs_attention"] = "; ".join(filter(None, [request.needs_attention, f"unexpected items: {text}"]))[:500]
            trail.append(return_event(request, ReturnEvent.Kind.UNEXPECTED, f"Not on the return: {text}", actor=actor, data={"items": unexpected}))
        missing = {}
        if complete or all(line.quantity_outstanding == 0 for line in lines):
            missing = {line.pk: line.quantity_outstanding for line in lines if line.quantity_outstanding}
            for line in lines:
                line.quantity_missing += missing.get(line.pk, 0)
            if missing:
                ReturnLine.objects.bulk_update([line for line in lines if line.pk in missing], ["quantity_missing"])
                text = ", ".join(f"{line.order_line.sku} × {missing[line.pk]}" for line in lines if line.pk in missing)
                trail.append(return_event(request, ReturnEvent.Kind.MISSING, f"Not in the parcel: {text}", actor=actor,
                                          data={"lines": {str(pk): q for pk, q in missing.items()}}))
        ReturnEvent.objects.bulk_create(trail)
        items_payload = {
            "location": place.code, "received": {line.order_line.sku: received[line.pk] for line in lines if line.pk in received},
            "unexpected": unexpected, "missing": {line.order_line.sku: missing[line.pk] for line in lines if line.pk in missing},
        }
        if not any(line.quantity_received for line in lines):
            # Only unexpected items, and nothing of the return itself: noted, still awaited.
            if complete:
                raise DomainError(
                    f"Nothing of return {request.number} was in the parcel; record what arrived, or cancel the return.", code="nothing_received",
                )
            return_touch(request, **values)
            return_publish(request, ITEMS_RECEIVED_EVENT, **items_payload)
            return request
        if missing or all(line.quantity_outstanding == 0 for line in lines):
            return_transition(request, "receive", actor=actor, values={**values, "received_at": now}, event_data=items_payload)
        else:
            if request.status != ReturnStatus.IN_TRANSIT:
                return_transition(request, "ship", actor=actor, message="Partly received; the rest is awaited", values=values)
            else:
                return_touch(request, **values)
            return_publish(request, ITEMS_RECEIVED_EVENT, **items_payload)
    return request


@dataclass(frozen=True)
class InspectionData:
    """Plain-data: what inspection found of one line (the order's ``line_number``) and where its
    received units go; ``quantity_accepted`` (default: all received) are the units refunded."""

    line_number: int
    condition: str
    disposition: str
    quantity_accepted: int | None = None
    note: str = ""


def return_inspect(*, return_id: int, lines: list[InspectionData], actor: Actor) -> ReturnRequest:
    """Record the inspection of a received return, one entry per line with units received, and
    post every line's units to the stock ledger at the receiving location with the RMA number as
    reference (restock: sellable, serving waiting backorders; refurbish and quarantine:
    quarantined; scrap and return to vendor: in and out again). All or nothing: malformed or
    missing entries are refused with what to fix. The return becomes ``inspected``.
    """
    problems: dict[str, list[str]] = {}
    seen = set()
    for index, entry in enumerate(lines or []):
        where = f"lines[{index}]"
        if entry.condition not in Condition.values:
            problems[f"{where}.condition"] = [f"One of: {', '.join(Condition.values)}."]
        if entry.disposition not in Disposition.values:
            problems[f"{where}.disposition"] = [f"One of: {', '.join(Disposition.values)}."]
        if entry.quantity_accepted is not None and (
            not isinstance(entry.quantity_accepted, int) or isinstance(entry.quantity_accepted, bool) or entry.quantity_accepted < 0
        ):
            problems[f"{where}.quantity_accepted"] = ["A whole number, 0 or more."]
        if entry.line_number in seen:
            problems[f"{where}.line_number"] = [f"Line {entry.line_number} is inspected twice."]
        if len(entry.note or "") > MAX_TEXT:
            problems[f"{where}.note"] = [f"At most {MAX_TEXT} characters."]
        seen.add(entry.line_number)
    if not lines:
        problems["lines"] = ["Inspect every line with units received."]
    if problems:
        raise InvalidInput("The inspection is malformed; nothing was recorded.", fields=problems)
    with transaction.atomic():
        request = _locked(return_id)
        if request.status != ReturnStatus.RECEIVED:
            raise InvalidTransition(
                f"Return {request.number} is {request.get_status_display().lower()}; only a received return can be inspected.",
                fields={"status": [f"Currently {request.status}."]},
            )
        by_number = {line.order_line.line_number: line for line in return_lines_of(request.pk)}
        entries = {entry.line_number: entry for entry in lines}
        unknown = sorted(set(entries) - set(by_number))
        if unknown:
            problems["lines"] = [f"Return {request.number} has no line {number}." for number in unknown]
        for number, line in by_number.items():
            entry = entries.get(number)
            if entry is None and line.quantity_received:
                problems.setdefault("lines", []).append(f"Line {number} ({line.order_line.sku}): {line.quantity_received} received, not inspected.")
            elif entry is not None and entry.quantity_accepted is not None and entry.quantity_accepted > line.quantity_received:
                problems.setdefault("lines", []).append(
                    f"Line {number} ({line.order_line.sku}): {entry.quantity_accepted} accepted but only {line.quantity_received} received."
                )
        if problems:
            raise InvalidInput("The inspection does not match the return; nothing was recorded.", fields=problems)
        inspected = []
        for number, entry in entries.items():
            line = by_number[number]
            line.condition, line.disposition, line.inspection_note = entry.condition, entry.disposition, (entry.note or "").strip()
            line.quantity_accepted = line.quantity_received if entry.quantity_accepted is None else entry.quantity_accepted
            inspected.append(line)
        ReturnLine.objects.bulk_update(inspected, ["condition", "disposition", "inspection_note", "quantity_accepted"])
        stock_return_dispose(
            location=Location.objects.filter(pk=request.location_id).values_list("code", flat=True).get(),
            items=[
                ReturnedUnits(line.order_line.sku, line.quantity_received, LEDGER_DISPOSITION[line.disposition], line.inspection_note)
                for line in inspected if line.quantity_received
            ],
            reference=request.number, actor=actor,
        )
        summary = "; ".join(
            f"{line.order_line.sku} × {line.quantity_received}: {line.get_condition_display().lower()}, {line.get_disposition_display().lower()}"
            for line in inspected
        )
        ReturnEvent.objects.bulk_create([
            return_event(request, ReturnEvent.Kind.INSPECTED, summary, actor=actor, data={
                str(line.order_line.line_number): {"condition": line.condition, "disposition": line.disposition, "accepted": line.quantity_accepted}
                for line in inspected
            })
        ])
        return_transition(
            request, "inspect", actor=actor, values={"inspected_at": timezone.now()},
            event_data={"lines": [{"sku": line.order_line.sku, "received": line.quantity_received, "accepted": line.quantity_accepted,
                                   "condition": line.condition, "disposition": line.disposition} for line in inspected]},
        )
    return request
