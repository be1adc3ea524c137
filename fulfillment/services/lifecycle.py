"""A fulfillment order's lifecycle: picking, packing, shipping, delivery, cancellation and holds.

Shipping and delivery drive the order: a shipped fulfillment order ships its units on the order
(which becomes partially shipped or shipped); when all of an order's fulfillment orders are
delivered, so is the order.
"""

import dataclasses
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from oms.money import money_text, quantize
from orders.models import Order, OrderStatus
from orders.services import order_cancel, order_deliver, order_ship
from orders.services.audit import order_lock
from shipping.carriers import carrier_tracking_url
from shipping.models import Carrier, Shipment
from shipping.rating import quote
from shipping.selectors import rate_card
from shipping.services import shipment_address_parse, shipment_create, shipment_manual_create, shipment_parcels_parse, shipment_void
from shipping.shopping import rate_shop

from ..events import FULFILLMENT_CANCELLED, FULFILLMENT_CREATED, FULFILLMENT_DELIVERED, FULFILLMENT_SHIPPED, fulfillment_event_publish
from ..models import FulfillmentHold, FulfillmentHoldReason, FulfillmentLine, FulfillmentOrder, FulfillmentStatus, Package
from .common import fulfillment_note, fulfillment_order_lock, fulfillment_order_new, fulfillment_order_touch, fulfillment_orders_lock

logger = logging.getLogger(__name__)

_VERBS = {"start_picking": "start picking", "pack": "be packed", "ship": "ship", "deliver": "be delivered", "cancel": "be cancelled"}
# What the order's timeline says when a fulfillment order leaves without a shipment of ours.
NO_BOOKING = "shipped without a carrier booking"


def _refuse_unless_allowed(fulfillment_order: FulfillmentOrder, name: str) -> None:
    if not can_proceed(getattr(fulfillment_order, name), check_conditions=False):
        raise InvalidTransition(
            f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; it cannot {_VERBS[name]}.",
            fields={"status": [f"Currently {fulfillment_order.status}."]},
        )


def _transition(fulfillment_order: FulfillmentOrder, name: str) -> str:
    """Run a transition on a locked fulfillment order (not saved yet); returns the status it left."""
    method = getattr(fulfillment_order, name)
    _refuse_unless_allowed(fulfillment_order, name)
    if not can_proceed(method):
        raise DomainError(
            f"Fulfillment order {fulfillment_order.number} is on hold ({_open_hold_names(fulfillment_order)}); release its holds first.",
            code="fulfillment_held",
        )
    before = fulfillment_order.status
    method()
    return before


def _open_hold_names(fulfillment_order: FulfillmentOrder) -> str:
    holds = fulfillment_order.holds.filter(released_at__isnull=True)
    return ", ".join(hold.get_reason_display().lower() for hold in holds) or "held"


def fulfillment_order_picking_start(*, fulfillment_order_id: int, actor: Actor) -> FulfillmentOrder:
    """A pending, unheld fulfillment order goes to picking (refused with ``fulfillment_held`` while held)."""
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        if order.status not in (OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED):
            raise InvalidTransition(f"Order {order.number} is {order.get_status_display().lower()}; its fulfillment orders cannot be picked.")
        _transition(fulfillment_order, "start_picking")
        fulfillment_order_touch(fulfillment_order, "status")
    return fulfillment_order


def fulfillment_order_pack(*, fulfillment_order_id: int, actor: Actor, quantities: dict[int, int] | None = None) -> FulfillmentOrder:
    """A fulfillment order in picking is packed: ``quantities`` maps its line ids to the units
    packed (default: every unit). Units packed count as picked; a line may be packed short, and
    shipping then leaves the rest in a new fulfillment order."""
    with transaction.atomic():
        _, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _transition(fulfillment_order, "pack")
        lines = list(fulfillment_order.lines.order_by("pk"))
        unknown = set(quantities or {}) - {line.pk for line in lines}
        if unknown:
            raise InvalidInput(f"Lines {sorted(unknown)} are not on {fulfillment_order.number}.", fields={"quantities": ["Unknown line."]})
        for line in lines:
            packed = line.quantity if quantities is None else quantities.get(line.pk, 0)
            if not 0 <= packed <= line.quantity:
                raise InvalidInput(f"Line {line.pk}: between 0 and {line.quantity} units can be packed.", fields={"quantities": ["Out of range."]})
            line.quantity_packed = packed
            line.quantity_picked = max(line.quantity_picked, packed)
        if not any(line.quantity_packed for line in lines):
            raise DomainError(f"Nothing packed for {fulfillment_order.number}; pack at least one unit or hold it.", code="nothing_packed")
        FulfillmentLine.objects.bulk_update(lines, ["quantity_picked", "quantity_packed"])
        fulfillment_order_touch(fulfillment_order, "status")
    return fulfillment_order


def fulfillment_order_ship(
    *, fulfillment_order_id: int, actor: Actor, tracking_number: str = "", carrier: str = "", service: str = "",
    manual_carrier: str = "", tracking_url: str = "",
) -> FulfillmentOrder:
    """A packed fulfillment order ships what was packed, from its location.

    With a carrier to book (``carrier`` and ``service`` named, or rate shopping among the active
    carriers under the order's channel policy, else ``settings.OMS_SHIPPING_POLICY``, to deliver by
    the order's ``promised_delivery_date``), the shipment is booked first,
    outside any transaction (a carrier's API may be slow); the fulfillment order then ships in
    one transaction recording the shipment, carrier, service and tracking number. A refused
    booking ships nothing and the error says why; a booking whose fulfillment order can no longer
    ship (shipped meanwhile) is voided again. With ``manual_carrier`` (the name of the
    merchant's own carrier) and its ``tracking_number`` (optionally a ``tracking_url``), nothing
    is booked: a manual shipment is recorded in the shipping app
    (:func:`shipping.services.shipment_manual_create`) in the same transaction as the shipping,
    so its tracking events, late flags and manifests work as for a booked one. With no active
    carrier at all, or a ``tracking_number`` alone (a label made elsewhere), it ships without a
    shipment record, as the order's timeline says.

    The units leave stock through ``order_ship`` (the order becomes partially shipped or
    shipped). Units not packed stay reserved and go to a new pending fulfillment order at the
    same location, so nothing the customer ordered is forgotten. All or nothing.
    """
    carrier, service, tracking_number = (carrier or "").strip(), (service or "").strip(), (tracking_number or "").strip()
    manual_carrier, tracking_url = (manual_carrier or "").strip(), (tracking_url or "").strip()
    if manual_carrier or tracking_url:
        if carrier or service:
            raise InvalidInput(
                "Name an integrated carrier to book, or your own carrier (manual_carrier) with its tracking number, not both.",
                fields={"manual_carrier": ["Leave empty when naming a carrier to book."]},
            )
        if not manual_carrier:
            raise InvalidInput("A tracking URL goes with a manual shipment: name its carrier too.", fields={"manual_carrier": ["Required with tracking_url."]})
        if not tracking_number:
            raise InvalidInput(
                f"Give the tracking number {manual_carrier} issued for the parcel.", fields={"tracking_number": ["Required with manual_carrier."]}
            )
        return _ship(fulfillment_order_id, actor=actor, tracking_number=tracking_number, shipment=None, why="", manual=(manual_carrier, tracking_url))
    if tracking_number and (carrier or service):
        raise InvalidInput(
            "Give a tracking number (a label made elsewhere) or a carrier and service to book, not both.",
            fields={"tracking_number": ["Leave empty when naming a carrier."]},
        )
    if service and not carrier:
        raise InvalidInput(f"Name the carrier of service {service!r} too.", fields={"carrier": ["Required with service."]})
    shipment, why = None, ""
    if not tracking_number and (carrier or Carrier.objects.filter(active=True).exclude(adapter=Carrier.Adapter.MANUAL).exists()):
        shipment, why = _shipment_book(fulfillment_order_id, carrier=carrier, service=service, actor=actor)
    try:
        return _ship(fulfillment_order_id, actor=actor, tracking_number=tracking_number, shipment=shipment, why=why)
    except BaseException:
        if shipment is not None:
            _shipment_void_after_failure(shipment, actor=actor)
        raise


def _ship(
    fulfillment_order_id: int, *, actor: Actor, tracking_number: str, shipment: Shipment | None, why: str, manual: tuple[str, str] | None = None
) -> FulfillmentOrder:
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _transition(fulfillment_order, "ship")
        if manual is not None:
            shipment = _manual_shipment_record(
                fulfillment_order, order, carrier_name=manual[0], tracking_url=manual[1], tracking_number=tracking_number, actor=actor
            )
        lines = list(fulfillment_order.lines.order_by("pk"))
        quantities = {line.order_line_id: line.quantity_packed for line in lines if line.quantity_packed}
        order = order_ship(order_id=order.pk, actor=actor, quantities=quantities, reference=fulfillment_order.number, location_id=fulfillment_order.location_id)
        remainder = [(line.order_line_id, line.product_id, line.quantity - line.quantity_packed) for line in lines if line.quantity > line.quantity_packed]
        for line in lines:
            line.quantity_shipped = line.quantity_packed
            line.quantity_picked = min(line.quantity_picked, line.quantity_packed)  # picked, not packed: back to the shelf
            line.quantity = line.quantity_packed
        FulfillmentLine.objects.bulk_update(lines, ["quantity", "quantity_picked", "quantity_shipped"])
        # A line that shipped nothing goes, unless a pick or a package records it (it stays at 0).
        FulfillmentLine.objects.filter(
            pk__in=[line.pk for line in lines if line.quantity == 0], pick_lines__isnull=True, packed_items__isnull=True
        ).delete()
        if shipment is not None:
            fulfillment_order.shipment = shipment
            fulfillment_order.carrier_code, fulfillment_order.service_code = shipment.carrier.code, shipment.service.code
            tracking_number = shipment.tracking_number
        fulfillment_order.tracking_number = tracking_number[:100]
        # A short-pick hold has nothing left to stop once what was found has shipped.
        fulfillment_order.is_held = _holds_release(fulfillment_order, [FulfillmentHoldReason.SHORT_PICK], note="shipped with the units picked")
        fulfillment_order_touch(fulfillment_order, "status", "shipped_at", "tracking_number", "shipment", "carrier_code", "service_code", "is_held")
        fulfillment_event_publish(
            fulfillment_order, FULFILLMENT_SHIPPED, tracking_number=fulfillment_order.tracking_number,
            carrier=fulfillment_order.carrier_code, service=fulfillment_order.service_code,
            # What a channel's order is told (orders' channel fulfillment sync): who carries the
            # parcel, where to follow it, and exactly which order lines it holds.
            carrier_name=shipment.carrier.name if shipment is not None else "",
            tracking_url=_tracking_url(shipment),
            lines=[{"order_line_id": line_id, "quantity": quantity} for line_id, quantity in quantities.items()],
        )
        message = f"Fulfillment order {fulfillment_order.number} shipped"
        if shipment is not None and manual is not None:
            message += f" with {shipment.carrier.name} (booked outside the OMS), tracking {shipment.tracking_number}"
        elif shipment is not None:
            message += (
                f" with {shipment.carrier.name} {shipment.service.name}, tracking {shipment.tracking_number} "
                f"({shipment.price} {shipment.currency}, promised {shipment.promised_delivery_date:%Y-%m-%d}; {why})"
            )
        elif tracking_number:
            message += f", tracking {tracking_number} ({NO_BOOKING}: label made elsewhere)"
        else:
            message += f" ({NO_BOOKING})"
        if remainder:
            rest = fulfillment_order_new(order, location_id=fulfillment_order.location_id, lines=remainder)
            fulfillment_event_publish(rest, FULFILLMENT_CREATED, remainder_of=fulfillment_order.number)
            message += f"; units not packed go on {rest.number}"
        fulfillment_note(
            order, message, actor=actor, shipped=fulfillment_order.number, quantities={str(k): v for k, v in quantities.items()},
            shipment_id=shipment.pk if shipment else None, tracking_number=fulfillment_order.tracking_number,
        )
    return fulfillment_order


def _tracking_url(shipment: Shipment | None) -> str:
    """Where the customer follows the parcel: the URL given with a manual shipment, else the carrier's page."""
    if shipment is None:
        return ""
    return shipment.tracking_url or carrier_tracking_url(shipment.carrier.adapter, shipment.tracking_number)


def _manual_shipment_record(
    fulfillment_order: FulfillmentOrder, order: Order, *, carrier_name: str, tracking_number: str, tracking_url: str, actor: Actor
) -> Shipment:
    """Record the manual shipment of a (locked) fulfillment order that is shipping; a refusal
    names the fulfillment order and rolls the shipping back."""
    fulfillment_order.order = order
    origin, destination = _route(fulfillment_order)
    try:
        return shipment_manual_create(
            carrier_name=carrier_name, tracking_number=tracking_number, tracking_url=tracking_url, origin=origin, destination=destination,
            parcels=fulfillment_order_parcels(fulfillment_order), reference=fulfillment_order.number, currency=order.currency, actor=actor,
        )
    except DomainError as error:
        error.message = f"{fulfillment_order.number} was not shipped: {error.message}"
        error.args = (error.message,)
        raise


# --- carrier booking -----------------------------------------------------------------------------


def fulfillment_order_parcels(fulfillment_order: FulfillmentOrder) -> list[dict]:
    """The parcels a carrier carries for a fulfillment order, as ``shipping`` takes them.

    Its closed packages, each with its weight and its measured dimensions (else its box's inner
    dimensions; else none). Without a closed package (packed without scanning), one parcel
    weighing what its packed units weigh by their products' weights."""
    packages = list(
        Package.objects.filter(fulfillment_order=fulfillment_order, closed_at__isnull=False).select_related("package_type").order_by("pk")
    )
    if not packages:
        lines = fulfillment_order.lines.select_related("product")
        grams = sum(line.quantity_packed * line.product.weight_grams for line in lines)
        if grams <= 0:
            raise InvalidInput(
                f"{fulfillment_order.number} has no weighed package and its products have no weight, so no carrier can be booked: "
                "close its packages with their weight (or give the products a weight), or ship it with a tracking number.",
                fields={"packages": ["No weight known."]},
            )
        return [{"weight_kg": str(Decimal(grams) / 1000)}]
    parcels = []
    for package in packages:
        sides = (package.length_mm, package.width_mm, package.height_mm)
        box = package.package_type
        if not all(sides) and box is not None:
            sides = (box.inner_length_mm, box.inner_width_mm, box.inner_height_mm)
        parcel = {"weight_kg": str(Decimal(package.weight_grams or 0) / 1000)}
        if all(sides):
            parcel.update(length_cm=str(Decimal(sides[0]) / 10), width_cm=str(Decimal(sides[1]) / 10), height_cm=str(Decimal(sides[2]) / 10))
        parcels.append(parcel)
    return parcels


def fulfillment_order_goods_value(fulfillment_order: FulfillmentOrder) -> Decimal:
    """What the goods packed on a fulfillment order were sold for, in the order's currency: per
    line, unit price × units packed less that share of the line's discount (tax and shipping
    left out, as customs and a carrier's cover count the goods)."""
    total = Decimal(0)
    for line in fulfillment_order.lines.select_related("order_line"):
        ordered = line.order_line
        if line.quantity_packed and ordered.quantity:
            total += line.quantity_packed * ordered.unit_price - ordered.discount * line.quantity_packed / ordered.quantity
    return quantize(max(total, Decimal(0)), fulfillment_order.order.currency)


def _route(fulfillment_order: FulfillmentOrder) -> tuple[dict, dict]:
    """Origin (the location) and destination (the order's shipping address) as ``shipping`` takes them."""
    location = fulfillment_order.location
    origin = {"name": location.name, "city": location.city, "postal_code": location.postal_code, "country": str(location.country or "")}
    return origin, dict(fulfillment_order.order.shipping_address or {})


def _service_choose(
    fulfillment_order: FulfillmentOrder, *, parcels: list[dict], origin: dict, destination: dict, carrier: str, insured_value: Decimal
) -> tuple[str, str, str]:
    """Rate shopping under the order's channel policy (``Channel.shipping_policy``: its own, else
    ``OMS_SHIPPING_POLICY``), to deliver by the date promised to the customer when there is one
    (among ``carrier``'s services when named), each priced with the cover of ``insured_value``
    (0: nothing insured): ``(carrier, service, why)``, ``why`` naming the policy's source and the
    promise; refused with ``no_carrier_service`` when nothing can carry it."""
    order = fulfillment_order.order
    policy, source = order.channel.shipping_policy(), order.channel.shipping_policy_source
    if carrier:
        policy = dataclasses.replace(policy, allowed=frozenset({carrier}))
    deliver_by = order.promised_delivery_date
    quotes = quote(
        rate_card(),
        parcels=shipment_parcels_parse(parcels, insured_value),
        origin=shipment_address_parse(origin, f"location {fulfillment_order.location.code}")[1],
        destination=shipment_address_parse(destination, f"shipping address of order {fulfillment_order.order.number}")[1],
        ship_at=timezone.now(),
    )
    choice = rate_shop(quotes, policy, deliver_by=deliver_by)
    if choice.chosen is None:
        reasons = "; ".join(f"{key}: {why}" for key, why in choice.excluded[:5]) or "no active service"
        to = " ".join(str(part) for part in (destination.get("country") or "?", destination.get("postal_code") or "") if part)
        raise DomainError(
            f"{fulfillment_order.number} was not shipped: no carrier service can take it from {origin['country']} to {to} ({reasons}).",
            code="no_carrier_service",
        )
    promise = f"delivery promised by {deliver_by:%Y-%m-%d}" if deliver_by else "no delivery date promised"
    why = f"{source} policy {policy.goal}, {promise}: {choice.reason}"
    return choice.chosen.carrier, choice.chosen.service, why


def _shipment_book(fulfillment_order_id: int, *, carrier: str, service: str, actor: Actor) -> tuple[Shipment, str]:
    """Book the shipment of a packed fulfillment order with the carrier; nothing is locked meanwhile."""
    fulfillment_order = FulfillmentOrder.objects.select_related("order__channel", "location").filter(pk=fulfillment_order_id).first()
    if fulfillment_order is None:
        raise NotFound(f"No fulfillment order #{fulfillment_order_id}.")
    _refuse_unless_allowed(fulfillment_order, "ship")  # before the carrier is asked for anything
    parcels = fulfillment_order_parcels(fulfillment_order)
    origin, destination = _route(fulfillment_order)
    order = fulfillment_order.order
    value = fulfillment_order_goods_value(fulfillment_order)
    insure = order.channel.insure_shipments and value > 0
    if service:
        why = f"{carrier}:{service} as asked"
    else:
        carrier, service, why = _service_choose(
            fulfillment_order, parcels=parcels, origin=origin, destination=destination, carrier=carrier, insured_value=value if insure else Decimal(0),
        )
    if value:
        # A carrier's cover is a share of the value in its own currency; goods sold in another are declared only.
        carrier_currency = Carrier.objects.filter(code=carrier).values_list("currency", flat=True).first()
        insure = insure and carrier_currency == order.currency
        cover = "insured" if insure else "not insured" if not order.channel.insure_shipments else f"not insured: {carrier} insures in {carrier_currency}"
        why += f"; goods declared at {money_text(value, order.currency)}, {cover}"
    try:
        shipment = shipment_create(
            carrier_code=carrier, service_code=service, origin=origin, destination=destination, parcels=parcels,
            reference=fulfillment_order.number, declared_value=value, declared_currency=order.currency, insure=insure, actor=actor,
        )
    except DomainError as error:
        # Same code and status for the caller; the message says what was not done.
        error.message = f"{fulfillment_order.number} was not shipped: booking {carrier}:{service} failed: {error.message}"
        error.args = (error.message,)
        raise
    return Shipment.objects.select_related("carrier", "service").get(pk=shipment.pk), why


def _shipment_void_after_failure(shipment: Shipment, *, actor: Actor) -> None:
    """The fulfillment order did not ship: its booking must not be used. A void the carrier
    refuses is logged (the shipment stays in the shipments list, with its reference)."""
    try:
        shipment_void(shipment_id=shipment.pk, actor=actor)
    except Exception:
        logger.exception("could not void shipment %s of %s after the fulfillment order failed to ship", shipment.tracking_number, shipment.reference)


def fulfillment_order_deliver(*, fulfillment_order_id: int, actor: Actor, already_delivered_ok: bool = False) -> FulfillmentOrder:
    """A shipped fulfillment order arrived. When none of the order's fulfillment orders is still
    on its way (all delivered or cancelled) and the order is shipped, the order is delivered too.
    ``already_delivered_ok``: a delivered one is left as it is instead of refused (carrier events
    may come twice)."""
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        if already_delivered_ok and fulfillment_order.status == FulfillmentStatus.DELIVERED:
            return fulfillment_order
        _transition(fulfillment_order, "deliver")
        fulfillment_order_touch(fulfillment_order, "status", "delivered_at")
        fulfillment_event_publish(fulfillment_order, FULFILLMENT_DELIVERED)
        fulfillment_note(order, f"Fulfillment order {fulfillment_order.number} delivered", actor=actor, delivered=fulfillment_order.number)
        waiting = FulfillmentOrder.objects.filter(order=order).exclude(status__in=[FulfillmentStatus.DELIVERED, FulfillmentStatus.CANCELLED])
        if order.status == OrderStatus.SHIPPED and not waiting.exists():
            order_deliver(order_id=order.pk, actor=actor)
    return fulfillment_order


# --- carrier events (subscribers of shipping's ``shipment.*`` events) ----------------------------


def _fulfillment_order_of_shipment(payload: dict) -> int | None:
    """The fulfillment order a shipment event is about: by the shipment it shipped with, else by
    the shipment's reference (a fulfillment order number); None for a shipment of someone else."""
    found = FulfillmentOrder.objects.filter(shipment_id=payload.get("shipment_id")).values_list("pk", flat=True).first()
    if found is None and payload.get("reference"):
        found = FulfillmentOrder.objects.filter(number=payload["reference"]).values_list("pk", flat=True).first()
    return found


def _carrier_actor(payload: dict) -> str:
    return f"carrier:{payload.get('carrier') or 'unknown'}"


def fulfillment_order_carrier_note(*, fulfillment_order_id: int, message: str, actor: Actor, **data) -> FulfillmentOrder:
    """A note about a fulfillment order's parcel in its order's timeline (what the carrier said)."""
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        fulfillment_note(order, f"{fulfillment_order.number}: {message}", actor=actor, carrier_news=fulfillment_order.number, **data)
    return fulfillment_order


def on_shipment_delivered(event) -> None:
    """Subscriber of ``shipment.delivered``: the fulfillment order is delivered (and its order,
    when it was the last one on its way). Safe to run twice; a fulfillment order that cannot be
    delivered (not shipped) gets a note instead."""
    fulfillment_order_id = _fulfillment_order_of_shipment(event.payload)
    if fulfillment_order_id is None:
        return
    try:
        fulfillment_order_deliver(fulfillment_order_id=fulfillment_order_id, actor=_carrier_actor(event.payload), already_delivered_ok=True)
    except InvalidTransition as refused:
        fulfillment_order_carrier_note(
            fulfillment_order_id=fulfillment_order_id, actor=_carrier_actor(event.payload),
            message=f"the carrier reports shipment {event.payload.get('tracking_number')} delivered, but {refused.message}",
            tracking_number=event.payload.get("tracking_number"),
        )


_TROUBLE = {
    "shipment.exception": "delivery exception",
    "shipment.returned_to_sender": "returned to sender",
    "shipment.late": "shipment late",
}


def on_shipment_trouble(event) -> None:
    """Subscriber of ``shipment.exception``, ``.returned_to_sender`` and ``.late``: a note in the
    order's timeline for customer service. No hold: holds stop picking, and a shipped fulfillment
    order has nothing left to pick."""
    fulfillment_order_id = _fulfillment_order_of_shipment(event.payload)
    if fulfillment_order_id is None:
        return
    payload = event.payload
    detail = payload.get("detail") or payload.get("status_text") or ""
    where = f" at {payload['location']}" if payload.get("location") else ""
    fulfillment_order_carrier_note(
        fulfillment_order_id=fulfillment_order_id, actor=_carrier_actor(payload),
        message=f"{_TROUBLE[event.name]}, tracking {payload.get('tracking_number')}{where}" + (f": {detail}" if detail else ""),
        event=event.name, tracking_number=payload.get("tracking_number"), reason=payload.get("reason", ""),
    )


def _holds_release(fulfillment_order: FulfillmentOrder, reasons: list[str] | None, *, note: str) -> bool:
    """Release the open holds of a locked fulfillment order for ``reasons`` (None: all of them);
    returns whether any hold is still open."""
    holds = FulfillmentHold.objects.filter(fulfillment_order=fulfillment_order, released_at__isnull=True)
    if reasons is not None:
        holds.filter(reason__in=reasons).update(released_at=timezone.now(), release_note=note)
    else:
        holds.update(released_at=timezone.now(), release_note=note)
    return holds.exists()


def _cancel_locked(order: Order, fulfillment_order: FulfillmentOrder, *, actor: Actor, reason: str) -> None:
    _transition(fulfillment_order, "cancel")
    fulfillment_order.cancel_reason = reason[:255]
    fulfillment_order_touch(fulfillment_order, "status", "cancelled_at", "cancel_reason")
    _holds_release(fulfillment_order, None, note="fulfillment order cancelled")
    fulfillment_event_publish(fulfillment_order, FULFILLMENT_CANCELLED, reason=reason)


def fulfillment_order_cancel(*, fulfillment_order_id: int, actor: Actor, reason: str = "", cancel_order: bool = False) -> FulfillmentOrder:
    """Cancel an open fulfillment order.

    Its units are reserved for its order, so it is cancelled with the order: when the order is
    cancelled already, this just cancels it. Otherwise it is refused (code ``order_still_open``:
    move or split it to another location instead), unless ``cancel_order`` is given and it is the
    order's last open fulfillment order: then the order is cancelled too (its stock goes back)
    and every open fulfillment order of it with it, in one transaction.
    """
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        if fulfillment_order.status == FulfillmentStatus.CANCELLED:
            return fulfillment_order
        if order.status != OrderStatus.CANCELLED:
            others = FulfillmentOrder.objects.filter(order=order, status__in=[FulfillmentStatus.PENDING, FulfillmentStatus.PICKING, FulfillmentStatus.PACKED]).exclude(pk=fulfillment_order.pk)
            if others.exists() or not cancel_order:
                raise DomainError(
                    f"{fulfillment_order.number} holds stock for order {order.number}, which is still open. Move or split it to another "
                    f"location, or cancel the order{' (it has other open fulfillment orders)' if others.exists() else ''}.",
                    code="order_still_open",
                )
            if not can_proceed(fulfillment_order.cancel):  # refuse a shipped one before touching the order
                raise InvalidTransition(f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; it cannot be cancelled.")
            order = order_cancel(order_id=order.pk, actor=actor, reason=reason or f"fulfillment order {fulfillment_order.number} cancelled")
        _cancel_locked(order, fulfillment_order, actor=actor, reason=reason or "order cancelled")
        fulfillment_note(order, f"Fulfillment order {fulfillment_order.number} cancelled", actor=actor, cancelled=fulfillment_order.number, reason=reason)
    return fulfillment_order


def fulfillment_orders_cancel_for_order(*, order_id: int, actor: Actor, reason: str = "order cancelled") -> list[FulfillmentOrder]:
    """Cancel every open fulfillment order of a cancelled order; safe to run twice."""
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status != OrderStatus.CANCELLED:
            return []
        cancelled = []
        for fulfillment_order in fulfillment_orders_lock(order):
            if fulfillment_order.is_open:
                _cancel_locked(order, fulfillment_order, actor=actor, reason=reason)
                cancelled.append(fulfillment_order)
        if cancelled:
            fulfillment_note(order, f"Fulfillment orders cancelled with the order: {', '.join(fo.number for fo in cancelled)}", actor=actor,
                             cancelled=[fo.number for fo in cancelled])
    return cancelled


def on_order_cancelled(event) -> None:
    """Subscriber of ``order.cancelled``."""
    fulfillment_orders_cancel_for_order(order_id=event.payload["order_id"], actor="job:fulfillment")


# --- holds ---------------------------------------------------------------------------------------


def fulfillment_order_hold_place(*, fulfillment_order_id: int, reason: str, actor: Actor, detail: str = "") -> FulfillmentHold:
    """Hold an open fulfillment order for ``reason``: it cannot start picking until every hold is released."""
    if reason not in FulfillmentHoldReason.values:
        raise InvalidInput(f"{reason!r} is not a hold reason.", fields={"reason": [f"One of: {', '.join(FulfillmentHoldReason.values)}."]})
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        if not fulfillment_order.is_open:
            raise InvalidTransition(f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; it cannot be held.")
        if fulfillment_order.holds.filter(reason=reason, released_at__isnull=True).exists():
            raise DomainError(f"{fulfillment_order.number} is already on hold for {FulfillmentHoldReason(reason).label.lower()}.", code="already_held")
        hold = FulfillmentHold.objects.create(
            fulfillment_order=fulfillment_order, reason=reason, detail=detail[:500], created_by_label=actor_fields(actor)["actor_label"]
        )
        fulfillment_order.is_held = True
        fulfillment_order_touch(fulfillment_order, "is_held")
        fulfillment_note(order, f"{fulfillment_order.number} on hold: {hold.get_reason_display()}" + (f": {detail}" if detail else ""), actor=actor,
                         hold_placed=fulfillment_order.number, reason=reason)
    return hold


def fulfillment_order_hold_release(*, hold_id: int, actor: Actor, note: str = "") -> FulfillmentOrder:
    """Release one hold; the fulfillment order may be picked once none is left open."""
    fulfillment_order_id = FulfillmentHold.objects.filter(pk=hold_id).values_list("fulfillment_order_id", flat=True).first()
    if fulfillment_order_id is None:
        raise NotFound(f"No fulfillment hold #{hold_id}.")
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        hold = FulfillmentHold.objects.get(pk=hold_id)
        if not hold.is_active:
            raise DomainError(f"This {hold.get_reason_display().lower()} hold was already released.", code="already_released")
        hold.released_at, hold.release_note = timezone.now(), note[:500]
        hold.released_by = actor_fields(actor)["actor"]
        hold.save(update_fields=["released_at", "release_note", "released_by"])
        fulfillment_order.is_held = fulfillment_order.holds.filter(released_at__isnull=True).exists()
        fulfillment_order_touch(fulfillment_order, "is_held")
        fulfillment_note(order, f"{fulfillment_order.number}: {hold.get_reason_display()} hold released" + (f": {note}" if note else ""), actor=actor,
                         hold_released=fulfillment_order.number, reason=hold.reason)
    return fulfillment_order


def fulfillment_order_holds_release(*, fulfillment_order_id: int, actor: Actor, note: str = "") -> FulfillmentOrder:
    """Release every open hold of a fulfillment order (the operator's 'release' button)."""
    hold_ids = list(FulfillmentHold.objects.filter(fulfillment_order_id=fulfillment_order_id, released_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    if not hold_ids:
        raise DomainError("This fulfillment order has no open hold.", code="no_hold")
    with transaction.atomic():
        for hold_id in hold_ids:
            fulfillment_order = fulfillment_order_hold_release(hold_id=hold_id, actor=actor, note=note)
    return fulfillment_order
