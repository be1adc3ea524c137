"""Building pick lists and confirming picks.

Locks are taken as every fulfillment service takes them: the orders (by id), then their
fulfillment orders (by id), then the pick list, then stock rows (through the inventory and
order services), so these services never deadlock with the lifecycle ones.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fulfillment.picking import BinAddress, PathRule, WarehouseLayout, WaveCandidate, WaveRules, path_length, pick_path, waves_group
from inventory.models import Bin, Location, Product, StockLevel, StockMovement
from inventory.services import location_get, stock_adjust, stock_levels_lock
from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from orders.models import Order
from orders.services.allocation import order_reallocate
from orders.services.audit import order_lock
from orders.services.reservations import order_reservation_release

from ..models import (
    FulfillmentHold,
    FulfillmentHoldReason,
    FulfillmentLine,
    FulfillmentOrder,
    FulfillmentStatus,
    PickList,
    PickListKind,
    PickListLine,
    PickListStatus,
    ShortPickReason,
)
from ..events import FULFILLMENT_SHORT_PICKED, fulfillment_event_publish
from .common import fulfillment_note, fulfillment_order_touch
from .creation import fulfillment_orders_create
from .lifecycle import _cancel_locked, fulfillment_order_hold_place, fulfillment_order_picking_start

MAX_ORDERS_PER_BUILD = 500


@dataclass(frozen=True)
class _Task:
    """One fulfillment line still to pick, with where its product sits."""

    line: FulfillmentLine
    quantity: int
    bin: Bin | None


def _locked(fulfillment_order_ids: Sequence[int]) -> tuple[dict[int, Order], list[FulfillmentOrder]]:
    """Lock the orders of these fulfillment orders (by id), then the fulfillment orders (by id)."""
    order_ids = sorted(set(FulfillmentOrder.objects.filter(pk__in=fulfillment_order_ids).values_list("order_id", flat=True)))
    orders = {order_id: order_lock(order_id) for order_id in order_ids}
    rows = list(FulfillmentOrder.objects.select_for_update(no_key=True).filter(pk__in=fulfillment_order_ids).order_by("pk"))
    return orders, rows


def _layout(location: Location) -> tuple[WarehouseLayout, dict[int, BinAddress]]:
    bins = Bin.objects.filter(location=location).values_list("pk", "zone", "aisle", "shelf", "position", "pick_sequence")
    addresses = {pk: BinAddress(key=pk, zone=z, aisle=a, shelf=s, position=p, pick_sequence=seq) for pk, z, a, s, p, seq in bins}
    return WarehouseLayout(addresses.values()), addresses


def _ordered(tasks: list[tuple[_Task, int]], layout: WarehouseLayout, addresses: dict[int, BinAddress], rule: PathRule):
    """``(task, slot)`` pairs along the pick path (lines at one bin together, by slot), and the metres walked."""
    stops = pick_path([addresses[task.bin.pk] for task, _ in tasks if task.bin is not None], layout, rule)
    rank = {address.key: index for index, address in enumerate(stops)}
    ordered = sorted(
        tasks, key=lambda item: (item[0].bin is None, rank.get(item[0].bin.pk, 0) if item[0].bin else 0, item[1], item[0].line.pk)
    )
    return ordered, path_length(stops, layout)


def pick_list_build(
    *,
    location: str,
    fulfillment_order_ids: Sequence[int],
    kind: str,
    actor: Actor,
    rules: WaveRules | None = None,
    path_rule: PathRule = PathRule.SHORTEST,
) -> list[PickList]:
    """Pick lists for pending fulfillment orders of one location; the orders move to picking.

    ``single``: one list per fulfillment order. ``batch``: the orders are grouped into waves by
    ``rules`` and each wave is one walk, every order in its own slot. ``zone``: waves as for batch,
    then one list per zone of each wave; an order keeps its slot in every zone, so its totes
    come together at packing. Lines are grouped by bin and sorted along the pick path; lines whose
    product has no bin at the location come last.

    All or nothing: every fulfillment order must be at that location, pending and not on hold,
    or nothing is built and the refusal names each one that is not.
    """
    if kind not in PickListKind.values:
        raise InvalidInput(f"{kind!r} is not a kind of pick list.", fields={"kind": [f"One of: {', '.join(PickListKind.values)}."]})
    ids = list(dict.fromkeys(fulfillment_order_ids))
    if not ids:
        raise InvalidInput("Name at least one fulfillment order.", fields={"fulfillment_orders": ["At least one is required."]})
    if len(ids) > MAX_ORDERS_PER_BUILD:
        raise InvalidInput(f"At most {MAX_ORDERS_PER_BUILD} fulfillment orders per build.", fields={"fulfillment_orders": ["Too many."]})
    rules = rules or WaveRules()
    site = location_get(location)
    creator = actor_fields(actor)
    with transaction.atomic():
        orders, fulfillment_orders = _locked(ids)
        missing = sorted(set(ids) - {fo.pk for fo in fulfillment_orders})
        if missing:
            raise NotFound(f"No fulfillment order with id {', '.join(map(str, missing))}.", fields={"fulfillment_orders": ["Unknown id."]})
        problems = []
        for fo in fulfillment_orders:
            if fo.location_id != site.pk:
                problems.append(f"{fo.number} ships from another location")
            elif fo.status != FulfillmentStatus.PENDING:
                problems.append(f"{fo.number} is {fo.get_status_display().lower()}, not pending")
            elif fo.is_held:
                problems.append(f"{fo.number} is on hold")
        if problems:
            raise DomainError(f"No pick list was built: {'; '.join(problems)}.", code="not_pickable")
        for fo in fulfillment_orders:
            fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor=actor)

        lines = list(FulfillmentLine.objects.filter(fulfillment_order_id__in=ids).select_related("product").order_by("pk"))
        bins = dict(
            StockLevel.objects.filter(location=site, product_id__in={line.product_id for line in lines}, bin__isnull=False)
            .values_list("product_id", "bin")
        )
        bin_rows = Bin.objects.in_bulk(set(bins.values()))
        tasks_of: dict[int, list[_Task]] = defaultdict(list)
        for line in lines:
            if line.quantity > line.quantity_picked:
                tasks_of[line.fulfillment_order_id].append(_Task(line, line.quantity - line.quantity_picked, bin_rows.get(bins.get(line.product_id))))
        layout, addresses = _layout(site)

        if kind == PickListKind.SINGLE:
            groups = [[fo.pk] for fo in fulfillment_orders]
        else:
            candidates = [
                WaveCandidate(
                    key=fo.pk, units=sum(task.quantity for task in tasks_of[fo.pk]),
                    zones=frozenset(task.bin.zone for task in tasks_of[fo.pk] if task.bin), priority=fo.priority, promised=fo.promised_ship_date,
                )
                for fo in fulfillment_orders
            ]
            groups = [[candidate.key for candidate in wave.orders] for wave in waves_group(candidates, rules)]

        built: list[tuple[PickList, list[tuple[_Task, int]]]] = []
        for group in groups:
            slotted = [(task, slot) for slot, fo_id in enumerate(group, start=1) for task in tasks_of[fo_id]]
            if kind == PickListKind.ZONE:
                by_zone: dict[str, list] = defaultdict(list)
                for task, slot in slotted:
                    by_zone[task.bin.zone if task.bin else ""].append((task, slot))
                parts = sorted(by_zone.items(), key=lambda item: (item[0] == "", layout.zone_rank(item[0])))
            else:
                parts = [("", slotted)]
            for zone, part in parts:
                if not part:
                    continue
                ordered, metres = _ordered(part, layout, addresses, path_rule)
                pick_list = PickList(
                    location=site, kind=kind, zone=zone, walking_distance_m=round(metres, 1),
                    created_by=creator["actor"], created_by_label=creator["actor_label"],
                )
                built.append((pick_list, ordered))
        PickList.objects.bulk_create([pick_list for pick_list, _ in built])
        PickListLine.objects.bulk_create(
            PickListLine(
                pick_list=pick_list, fulfillment_line=task.line, product_id=task.line.product_id, bin=task.bin,
                quantity=task.quantity, slot=slot, sequence=sequence,
            )
            for pick_list, ordered in built
            for sequence, (task, slot) in enumerate(ordered, start=1)
        )
        lists_of: dict[int, list[str]] = defaultdict(list)
        for pick_list, ordered in built:
            for fo_id in dict.fromkeys(task.line.fulfillment_order_id for task, _ in ordered):
                lists_of[fo_id].append(pick_list.number)
        by_order: dict[int, list[FulfillmentOrder]] = defaultdict(list)
        for fo in fulfillment_orders:
            by_order[fo.order_id].append(fo)
        for order_id, fos in by_order.items():
            fulfillment_note(
                orders[order_id],
                "Picking: " + "; ".join(f"{fo.number} on {', '.join(lists_of[fo.pk]) or 'no list (nothing to pick)'}" for fo in fos),
                actor=actor, pick_lists={fo.number: lists_of[fo.pk] for fo in fos},
            )
    return [pick_list for pick_list, _ in built]


# --- confirming picks -------------------------------------------------------------------------


@dataclass(frozen=True)
class PickConfirmation:
    """Units picked for one line; a short pick may say why (``short_reason``, one of
    :class:`ShortPickReason`, and the picker's ``short_note``; ``other`` needs the note)."""

    line_id: int
    quantity_picked: int
    short_reason: str = ""
    short_note: str = ""


def pick_confirm(*, pick_list_line_id: int, quantity_picked: int, actor: Actor, short_reason: str = "", short_note: str = "") -> PickListLine:
    """Confirm one line of a pick list: ``quantity_picked`` units went into the slot.

    See :func:`pick_list_confirm`, which this is for a single line.
    """
    pick_list_id = PickListLine.objects.filter(pk=pick_list_line_id).values_list("pick_list_id", flat=True).first()
    if pick_list_id is None:
        raise NotFound(f"No pick list line #{pick_list_line_id}.")
    (line,) = pick_list_confirm(
        pick_list_id=pick_list_id, confirmations=[PickConfirmation(pick_list_line_id, quantity_picked, short_reason, short_note)], actor=actor
    )
    return line


def pick_scan_check(*, pick_list_line_id: int, bin_code: str, barcode: str | None = None) -> PickListLine:
    """The task, once what was scanned is its bin (and, unless ``barcode`` is None, its item:
    GTIN or SKU); reads only. Refused with ``wrong_bin`` or ``wrong_item`` saying what was
    scanned and what the task expects; a task without a known bin takes any bin (or none)."""
    line = PickListLine.objects.select_related("bin", "product", "pick_list").filter(pk=pick_list_line_id).first()
    if line is None:
        raise NotFound(f"No pick list line #{pick_list_line_id}.")
    bin_code = (bin_code or "").strip()
    task = f"task {line.sequence} of {line.pick_list.number}"
    if line.bin is not None and bin_code.upper() != line.bin.code.upper():
        scanned = f"bin {bin_code}" if bin_code else "no bin"
        raise DomainError(
            f"Scanned {scanned}, but {task} is at bin {line.bin.code}: go to {line.bin.code} and scan its label.",
            code="wrong_bin", fields={"bin_code": [f"Expected {line.bin.code}."]},
        )
    if barcode is None:
        return line
    barcode, product = barcode.strip(), line.product
    if not barcode or barcode not in {product.sku, product.gtin} - {""}:
        known = (Product.objects.filter(sku=barcode).first() or Product.objects.filter(gtin=barcode).first()) if barcode else None
        scanned = f"{barcode} ({known.sku} · {known.name})" if known else (f"{barcode}, which no product has as GTIN or SKU" if barcode else "no item")
        expected = f"{product.sku} · {product.name}" + (f" (GTIN {product.gtin})" if product.gtin else "")
        raise DomainError(f"Scanned {scanned}, but {task} is {expected}.", code="wrong_item", fields={"barcode": [f"Expected {product.sku}."]})
    return line


def pick_scan_confirm(*, pick_list_line_id: int, bin_code: str, barcode: str, quantity: int, actor: Actor) -> PickListLine:
    """Confirm a task the way a scanner does: the bin's code, then the item's GTIN or SKU.

    Refused, changing nothing, when the bin or the item is not the task's (see
    :func:`pick_scan_check`) or when ``quantity`` is not the task's (fewer is a short pick, which
    says why: :func:`pick_confirm` with ``short_reason``). Otherwise the task is confirmed as by
    :func:`pick_list_confirm`.
    """
    line = pick_scan_check(pick_list_line_id=pick_list_line_id, bin_code=bin_code, barcode=barcode or "")
    if quantity != line.quantity:
        raise InvalidInput(
            f"Task {line.sequence} of {line.pick_list.number} asks for {line.quantity} × {line.product.sku}; {quantity} were counted. "
            "When fewer are there, confirm a short pick and say why.",
            fields={"quantity": [f"{line.quantity}, or a short pick."]},
        )
    return pick_confirm(pick_list_line_id=line.pk, quantity_picked=quantity, actor=actor)


def pick_list_confirm(*, pick_list_id: int, confirmations: Sequence[PickConfirmation], actor: Actor) -> list[PickListLine]:
    """Confirm lines of a pick list in one transaction, all or nothing; returns them.

    Each picked unit counts on its fulfillment line. A short pick (fewer than asked) means the
    units are not on the shelf, and in the same transaction:

    - the order's reservation of the missing units is released and the units are written off at
      the location as a count correction on the ledger;
    - the fulfillment line drops to what is still reserved for it there, so the fulfillment
      order packs and ships what was found; one left with nothing at all is cancelled;
    - the missing units go back to the order and are re-routed (:func:`order_reallocate`) to
      another location that has them, where they join a pending fulfillment order or start a
      new one; what no other location has waits for stock like a backorder;
    - a fulfillment order that still ships something is put on a ``short_pick`` hold saying
      what was missing and where it went (it does not stop packing or shipping; shipping
      releases it), and the order's audit trail records the whole story.

    A short line keeps the reason its confirmation gave (``short_reason``, ``short_note``), and
    the write-off, the hold and the audit trail say it. Confirming a line again with the same
    quantity changes nothing; with another it is refused.
    The first confirmation starts the list; the last one finishes it.
    """
    if not confirmations:
        raise InvalidInput("Confirm at least one line.", fields={"lines": ["At least one is required."]})
    wanted: dict[int, int] = {}
    reasons: dict[int, tuple[str, str]] = {}
    for confirmation in confirmations:
        quantity = confirmation.quantity_picked
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise InvalidInput("quantity_picked must be a whole number, zero or more.", fields={"quantity_picked": ["Zero or more."]})
        if confirmation.line_id in wanted:
            raise InvalidInput(f"Line {confirmation.line_id} is confirmed twice in one call.", fields={"lines": ["Each line once."]})
        wanted[confirmation.line_id] = quantity
        reasons[confirmation.line_id] = _short_reason_checked(confirmation)
    fo_ids = sorted(set(
        PickListLine.objects.filter(pick_list_id=pick_list_id, pk__in=wanted).values_list("fulfillment_line__fulfillment_order_id", flat=True)
    ))
    with transaction.atomic():
        orders, fulfillment_orders = _locked(fo_ids)
        pick_list = PickList.objects.select_for_update(no_key=True).filter(pk=pick_list_id).first()
        if pick_list is None:
            raise NotFound(f"No pick list #{pick_list_id}.")
        lines = {
            line.pk: line
            for line in PickListLine.objects.select_for_update(no_key=True, of=("self",))
            .filter(pick_list=pick_list, pk__in=wanted).select_related("product", "bin", "fulfillment_line").order_by("pk")
        }
        unknown = sorted(set(wanted) - set(lines))
        if unknown:
            raise InvalidInput(
                f"Line(s) {', '.join(map(str, unknown))} are not on pick list {pick_list.number}.", fields={"lines": ["Not on this pick list."]}
            )
        by_id = {fo.pk: fo for fo in fulfillment_orders}
        changed = []
        for line_id, quantity in wanted.items():
            line = lines[line_id]
            if line.is_confirmed:
                if line.quantity_picked != quantity:
                    raise DomainError(
                        f"Line {line.sequence} ({line.product.sku}) of {pick_list.number} was already confirmed with {line.quantity_picked} "
                        f"picked; it cannot be changed to {quantity}.", code="already_confirmed",
                    )
                continue
            if quantity > line.quantity:
                raise InvalidInput(
                    f"Line {line.sequence} ({line.product.sku}) asks for {line.quantity}; {quantity} cannot be picked for it.",
                    fields={"quantity_picked": [f"At most {line.quantity}."]},
                )
            line.quantity_picked, line.short, line.confirmed_at = quantity, quantity < line.quantity, timezone.now()
            # A reason belongs to a short pick only; a full pick keeps none.
            line.short_reason, line.short_note = reasons[line_id] if line.short else ("", "")
            changed.append(line)
        if not changed:
            return [lines[line_id] for line_id in wanted]
        if pick_list.status not in (PickListStatus.OPEN, PickListStatus.IN_PROGRESS):
            raise InvalidTransition(f"Pick list {pick_list.number} is {pick_list.get_status_display().lower()}; nothing more can be confirmed on it.")
        if pick_list.status == PickListStatus.OPEN:
            pick_list.start()
        shorts = [line for line in changed if line.short]
        if shorts:
            # Every stock row of the short products, in primary-key order, before any of them
            # changes: releasing, writing off and re-routing then take no lock out of order.
            stock_levels_lock([(line.product_id, by_id[line.fulfillment_line.fulfillment_order_id].location_id) for line in shorts], create=False)
        PickListLine.objects.bulk_update(changed, ["quantity_picked", "short", "short_reason", "short_note", "confirmed_at"])
        for line in changed:
            if line.quantity_picked:
                FulfillmentLine.objects.filter(pk=line.fulfillment_line_id).update(quantity_picked=F("quantity_picked") + line.quantity_picked)
        if shorts:
            _shorts_resolve(pick_list, shorts, by_id, orders, actor=actor)
        if not PickListLine.objects.filter(pick_list=pick_list, confirmed_at__isnull=True).exists():
            pick_list.finish()
        pick_list.save(update_fields=["status", "started_at", "finished_at"])
    return [lines[line_id] for line_id in wanted]


def _short_reason_checked(confirmation: PickConfirmation) -> tuple[str, str]:
    """The confirmation's short-pick reason and note, checked: a known reason, a note of at most
    255 characters, and a note with ``other``."""
    reason, note = (confirmation.short_reason or "").strip(), (confirmation.short_note or "").strip()
    if reason and reason not in ShortPickReason.values:
        raise InvalidInput(
            f"{reason!r} is not a short-pick reason.", fields={"short_reason": [f"One of: {', '.join(ShortPickReason.values)}."]}
        )
    if len(note) > 255:
        raise InvalidInput("A short-pick note is at most 255 characters.", fields={"short_note": ["At most 255 characters."]})
    if reason == ShortPickReason.OTHER and not note:
        raise InvalidInput("Say what happened when the reason is \"other\".", fields={"short_note": ["Required with the reason other."]})
    return reason, note


def _shorts_resolve(
    pick_list: PickList, shorts: list[PickListLine], fulfillment_orders: dict[int, FulfillmentOrder], orders: dict[int, Order], *, actor: Actor
) -> None:
    """Write off what short lines did not find, shrink their fulfillment lines, re-route the
    missing units per order, then hold (or cancel, when nothing is left) each fulfillment order."""
    found: dict[int, list[dict]] = defaultdict(list)  # fulfillment order id -> what was missing
    avoid: dict[int, set[int]] = defaultdict(set)  # order id -> locations that came up short
    for line in shorts:
        fo = fulfillment_orders[line.fulfillment_line.fulfillment_order_id]
        found[fo.pk].append(_short_write_off(pick_list, line, fo, orders[fo.order_id], actor=actor))
        avoid[fo.order_id].add(fo.location_id)
    for order_id in sorted(avoid):
        rerouted = order_reallocate(order_id=order_id, actor=actor, trigger="short pick", avoid_location_ids=avoid[order_id])
        created = fulfillment_orders_create(order_id=order_id, actor=actor)
        went = rerouted.summary() or "nothing left to re-route"
        if created:
            went += f" (on {', '.join(fo.number for fo in created)})"
        for fo_id, missing in sorted(found.items()):
            fo = fulfillment_orders[fo_id]
            if fo.order_id != order_id:
                continue
            order = order_lock(order_id)  # the services above counted new versions of the order
            detail = f"{'; '.join(item['text'] for item in missing)}. Re-routed: {went}"
            left = FulfillmentLine.objects.filter(fulfillment_order=fo, quantity__gt=0).exists()
            fulfillment_event_publish(
                fo, FULFILLMENT_SHORT_PICKED, pick_list=pick_list.number, cancelled=not left,
                missing=[{key: value for key, value in item.items() if key != "text"} for item in missing],
            )
            if not left:
                _cancel_locked(order, fo, actor=actor, reason=f"short pick on {pick_list.number}: nothing found to ship from here")
                fulfillment_note(order, f"{fo.number} cancelled, nothing left to ship: {detail}", actor=actor, short_pick=fo.number, cancelled=True)
            elif FulfillmentHold.objects.filter(fulfillment_order=fo, reason=FulfillmentHoldReason.SHORT_PICK, released_at__isnull=True).exists():
                fulfillment_note(order, f"{fo.number}: {detail}", actor=actor, short_pick=fo.number)
            else:
                fulfillment_order_hold_place(fulfillment_order_id=fo.pk, reason=FulfillmentHoldReason.SHORT_PICK, actor=actor, detail=detail)


def _short_write_off(pick_list: PickList, line: PickListLine, fo: FulfillmentOrder, order: Order, *, actor: Actor) -> dict:
    """Release and write off the units one short line did not find, and take them off its
    fulfillment line; returns what happened (``text`` for the hold and the audit trail)."""
    missing = line.quantity - line.quantity_picked
    sku, where = line.product.sku, (f"bin {line.bin.code}" if line.bin else "its place (no bin known)")
    why = f" ({line.short_reason_text})" if line.short_reason_text else ""
    reason = f"Short pick on {pick_list.number}: {missing} × {sku} not found in {where}{why}"
    order_reservation_release(
        order_id=order.pk, line_id=line.fulfillment_line.order_line_id, location_id=fo.location_id, quantity=missing, actor=actor, reason=reason
    )
    # Releasing the order's own reservation first leaves at least the missing units unpromised,
    # so the write-off can never take on hand below what other orders hold.
    site = Location.objects.only("code").get(pk=fo.location_id)
    stock_adjust(
        sku=sku, location=site.code, quantity=-missing, reason=reason, reference=fo.number, actor=actor,
        kind=StockMovement.Kind.COUNT_CORRECTION,
    )
    # The fulfillment order now ships what is still reserved for it here: what was picked.
    FulfillmentLine.objects.filter(pk=line.fulfillment_line_id).update(quantity=F("quantity") - missing)
    fulfillment_order_touch(fo)
    return {
        "text": f"{missing} × {sku} missing in {where}{why} ({pick_list.number}, line {line.sequence}), written off; {line.quantity_picked} picked",
        "sku": sku, "missing": missing, "picked": line.quantity_picked, "short_reason": line.short_reason, "short_note": line.short_note,
    }
