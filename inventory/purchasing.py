"""Suppliers and purchase orders: every change to them, and what a PO does to stock.

A PO is drafted, sent, received (in one or several deliveries, more or fewer units than ordered)
and closed, or cancelled before anything arrives. Each service runs in one transaction, locks the
PO row first and then its stock rows in primary-key order, and posts every stock change to the
ledger:

- sending puts each line's quantity on ``incoming`` at the destination (``purchase_order`` rows);
- a receipt moves what arrived from ``incoming`` to ``on_hand`` (``receipt`` rows): units beyond
  the open quantity are received and recorded as over, ``incoming`` only falls by what was open;
- closing or cancelling takes what is still open off ``incoming``.

Receipts announce stock as any receipt does, so waiting backorders are served. Every change is in
the PO's audit trail with its actor and recorded as a ``purchase_order.*`` domain event.
"""

import datetime
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from oms.actors import Actor, actor_fields
from oms.db import row_update, rows_insert, rows_select
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from oms.events import event_record
from oms.money import MAX_AMOUNT, parse_amount, quantize
from oms.personal_data import quoted_strings_scrub, rows_scrub
from oms.versions import ExpectedVersion, version_check

from .models import Location, Product, StockMovement
from .models_purchasing import (
    PO_RECEIVABLE,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Supplier,
    SupplierProduct,
    po_number_for,
)
from .personal_data import SUPPLIER_CONTACT_FIELDS
from .selectors_purchasing import purchase_order_shortfall
from .services import _announce_available, _fields_apply, _model_validate, _positive, _post, location_get, product_get, stock_levels_lock

# The public events of a PO (webhooks, the events feed), on the stream ``purchase_order:<id>``.
STATUS_EVENTS = {status: f"purchase_order.{status}" for status in PurchaseOrderStatus.values}
CREATED_EVENT = "purchase_order.created"
ITEMS_RECEIVED_EVENT = "purchase_order.items_received"
EVENT_NAMES = (CREATED_EVENT, *(name for status, name in STATUS_EVENTS.items() if status != PurchaseOrderStatus.DRAFT), ITEMS_RECEIVED_EVENT)

_VERBS = {"send": "sent", "receive_part": "received", "receive_all": "received", "close": "closed", "cancel": "cancelled"}


# --- suppliers -------------------------------------------------------------------------------

SUPPLIER_UPDATABLE = (
    "name", "contact_name", "email", "phone", "line1", "line2", "city", "region", "postal_code", "country", "currency",
    "lead_time_days", "lead_time_spread_days", "minimum_order_value", "minimum_order_units", "pack_size", "is_active",
)


def supplier_get(code: str) -> Supplier:
    supplier = Supplier.objects.filter(code=code).first() if isinstance(code, str) and "\x00" not in code else None
    if supplier is None:
        raise NotFound(f"No supplier with code {code!r}.", code="unknown_supplier", fields={"supplier": [f"Unknown supplier {code!r}."]})
    return supplier


def _supplier_validate(supplier: Supplier) -> None:
    supplier.currency = (supplier.currency or "").strip().upper()
    supplier.country = (str(supplier.country or "")).strip().upper()
    _model_validate(supplier, what="supplier")
    problems = {}
    if supplier.pack_size is not None and supplier.pack_size < 1:
        problems["pack_size"] = ["Must be at least 1."]
    if supplier.minimum_order_value is not None and supplier.minimum_order_value < 0:
        problems["minimum_order_value"] = ["Cannot be negative."]
    if supplier.lead_time_spread_days is not None and supplier.lead_time_spread_days < 0:
        problems["lead_time_spread_days"] = ["Cannot be negative."]
    if problems:
        raise InvalidInput("The supplier is malformed; nothing was recorded.", fields=problems)


def supplier_create(*, code: str, name: str, actor: Actor, **fields) -> Supplier:
    """Create a supplier (``fields``: any of ``SUPPLIER_UPDATABLE``). The model's rules (e-mail,
    ISO currency, country) are checked before anything is written; a code in use is refused
    (``duplicate_supplier``), even when two requests race for it."""
    unknown = sorted(set(fields) - set(SUPPLIER_UPDATABLE))
    if unknown:
        raise InvalidInput("These supplier fields do not exist.", fields={name: ["Unknown field."] for name in unknown})
    supplier = Supplier(code=(code or "").strip(), name=(name or "").strip(), **fields)
    _supplier_validate(supplier)
    duplicate = DomainError(f"A supplier with code {supplier.code!r} already exists.", code="duplicate_supplier", fields={"code": ["Already exists."]})
    if Supplier.objects.filter(code=supplier.code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            supplier.save()
    except IntegrityError:
        raise duplicate from None
    return supplier


def supplier_update(*, code: str, expected_version: ExpectedVersion, changes: dict, actor: Actor) -> Supplier:
    """Change a supplier's fields if it is still at ``expected_version`` (None: any): locked while
    compared, checked before saved, the version raised only by a real change."""
    unknown = sorted(set(changes) - set(SUPPLIER_UPDATABLE))
    if unknown:
        raise InvalidInput("These supplier fields cannot be changed.", fields={name: ["Cannot be changed."] for name in unknown})
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update(no_key=True).filter(code=code).first()
        if supplier is None:
            raise NotFound(f"No supplier with code {code!r}.", code="unknown_supplier")
        version_check(expected_version, supplier.version, what=f"Supplier {code}")
        changed = _fields_apply(supplier, changes)
        if not changed:
            return supplier
        _supplier_validate(supplier)
        supplier.version += 1
        supplier.updated_at = timezone.now()
        supplier.save(update_fields=[*changed, "version", "updated_at"])
    return supplier


def supplier_contact_forget(*, code: str, actor: Actor) -> Supplier:
    """Forget a supplier's contact person on their request: the contact name, e-mail and phone are
    blanked, and cleaned out of the supplier's purchase orders (notes, trail), the events and the
    admin's history; the supplier, its address and its orders stay. Recorded as the event
    ``supplier.contact_forgotten`` (who, when; not what was forgotten). Refused
    (``no_contact``) when there is no contact on record."""
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update(no_key=True).filter(code=code).first()
        if supplier is None:
            raise NotFound(f"No supplier with code {code!r}.", code="unknown_supplier")
        values = [str(getattr(supplier, name)) for name in SUPPLIER_CONTACT_FIELDS if getattr(supplier, name)]
        if not values:
            raise DomainError(f"Supplier {supplier.code} has no contact on record; nothing to forget.", code="no_contact")
        # A name alone might be someone else's too: it finds rows only with a surname beside it.
        identifiers = [value for value in values if value != supplier.contact_name or " " in value.strip()]
        orders = PurchaseOrder.objects.filter(supplier=supplier)
        counts = {
            "purchase_orders": rows_scrub(orders, tuple(values), skip=["number"]),
            "purchase_order_events": rows_scrub(PurchaseOrderEvent.objects.filter(purchase_order__in=orders), tuple(values)),
            **quoted_strings_scrub(values=values, identifiers=identifiers, actor=actor),
        }
        for name in SUPPLIER_CONTACT_FIELDS:
            setattr(supplier, name, "")
        supplier.version += 1
        supplier.updated_at = timezone.now()
        supplier.save(update_fields=[*SUPPLIER_CONTACT_FIELDS, "version", "updated_at"])
        event_record(
            "supplier.contact_forgotten",
            {"supplier": supplier.code, "by": actor_fields(actor)["actor_label"], "fields": list(SUPPLIER_CONTACT_FIELDS), "cleaned": counts},
            stream=f"supplier:{supplier.pk}",
        )
    return supplier


def _cost(value, field: str = "unit_cost") -> Decimal:
    try:
        amount = parse_amount(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a number, e.g. 12.50.", fields={field: ["Must be a number."]}) from None
    if amount < 0 or amount >= MAX_AMOUNT:
        raise InvalidInput(f"{field} must be zero or more (and plausible).", fields={field: ["Must be zero or more."]})
    return amount


def supplier_product_set(
    *,
    supplier: str,
    sku: str,
    unit_cost,
    actor: Actor,
    supplier_sku: str = "",
    pack_size: int | None = None,
    minimum_quantity: int = 1,
    lead_time_days: int | None = None,
    is_preferred: bool = False,
) -> SupplierProduct:
    """Say how ``supplier`` sells ``sku`` (created, or replaced when it already does).

    Guarantees: marking it preferred takes the mark from the product's other supplier in the same
    transaction (the product's supplier rows are locked, so two concurrent calls cannot leave two
    preferred); the cost is a Decimal in the supplier's currency, rounded to its minor unit.
    """
    source = supplier_get(supplier)
    product = product_get(sku)
    cost = quantize(_cost(unit_cost), source.currency)
    problems = {}
    if pack_size is not None and (not isinstance(pack_size, int) or pack_size < 1):
        problems["pack_size"] = ["Must be a whole number of at least 1 (or empty for the supplier's)."]
    if not isinstance(minimum_quantity, int) or minimum_quantity < 1:
        problems["minimum_quantity"] = ["Must be a whole number of at least 1."]
    if lead_time_days is not None and (not isinstance(lead_time_days, int) or not 0 <= lead_time_days <= 32767):
        problems["lead_time_days"] = ["Must be a whole number of days (or empty for the supplier's)."]
    if len(supplier_sku or "") > 64:
        problems["supplier_sku"] = ["At most 64 characters."]
    if problems:
        raise InvalidInput("The supplier product is malformed; nothing was recorded.", fields=problems)
    with transaction.atomic():
        # Every supplier row of this product, locked in primary-key order: serialises the preferred mark.
        rows = list(SupplierProduct.objects.select_for_update(no_key=True).filter(product=product).order_by("pk"))
        if is_preferred:
            others = [row.pk for row in rows if row.is_preferred and row.supplier_id != source.pk]
            SupplierProduct.objects.filter(pk__in=others).update(is_preferred=False, updated_at=timezone.now())
        row = next((row for row in rows if row.supplier_id == source.pk), None) or SupplierProduct(supplier=source, product=product)
        row.supplier_sku, row.unit_cost, row.pack_size = (supplier_sku or "").strip(), cost, pack_size
        row.minimum_quantity, row.lead_time_days, row.is_preferred = minimum_quantity, lead_time_days, is_preferred
        row.updated_at = timezone.now()
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise DomainError(
                f"{sku}: another request changed its suppliers at the same time; try again.", code="conflict"
            ) from None
    row.supplier, row.product = source, product
    return row


# --- the PO's trail, events and status -------------------------------------------------------


def purchase_order_lock(purchase_order_id: int) -> PurchaseOrder:
    """The PO row, locked FOR NO KEY UPDATE for the rest of the transaction (always the first lock)."""
    found = rows_select(PurchaseOrder, "id", [purchase_order_id], lock=True)
    if not found:
        raise NotFound(f"No purchase order with id {purchase_order_id}.", code="unknown_purchase_order")
    return found[0]


def purchase_order_id_for_number(number: str) -> int:
    found = PurchaseOrder.objects.filter(number=number).values_list("pk", flat=True).first() if "\x00" not in number else None
    if found is None:
        raise NotFound(f"No purchase order with number {number!r}.", code="unknown_purchase_order")
    return found


def _trail(po: PurchaseOrder, kind: str, message: str, *, actor: Actor, data: dict | None = None, **fields) -> None:
    rows_insert([PurchaseOrderEvent(purchase_order=po, kind=kind, message=message[:500], data=data or {}, **fields, **actor_fields(actor))])


def _publish(po: PurchaseOrder, name: str, **extra) -> None:
    payload = {
        "purchase_order_id": po.pk, "number": po.number, "supplier": po.supplier.code, "location": po.location.code,
        "status": po.status, "version": po.version, **extra,
    }
    event_record(name, payload, stream=f"purchase_order:{po.pk}")


def _touch(po: PurchaseOrder, **values) -> None:
    """Save ``values`` on a locked PO and count one more version (its ETag)."""
    po.version += 1
    po.updated_at = timezone.now()
    for name, value in values.items():
        if getattr(po, name) != value:  # the FSM field is set by its transition already
            setattr(po, name, value)
    row_update(PurchaseOrder, po.pk, version=po.version, updated_at=po.updated_at, **values)


def _transition(po: PurchaseOrder, name: str, *, actor: Actor, message: str = "", data: dict | None = None, values: dict | None = None) -> None:
    """Run FSM transition ``name`` on a locked PO, save it, trail it and announce ``purchase_order.<status>``."""
    method = getattr(po, name)
    if not can_proceed(method):
        raise InvalidTransition(
            f"Purchase order {po.number} is {po.get_status_display().lower()}; it cannot be {_VERBS.get(name, name)}.",
            fields={"status": [f"Currently {po.status}."]},
        )
    before = po.status
    method()
    _touch(po, status=po.status, **(values or {}))
    _publish(po, STATUS_EVENTS[po.status], previous_status=before, **(data or {}))
    _trail(
        po, PurchaseOrderEvent.Kind.STATUS,
        message or f"{PurchaseOrderStatus(before).label} → {PurchaseOrderStatus(po.status).label}",
        actor=actor, from_status=before, to_status=po.status, data=data,
    )


def _locked_with_lines(purchase_order_id: int) -> tuple[PurchaseOrder, list[PurchaseOrderLine]]:
    po = purchase_order_lock(purchase_order_id)
    po.supplier = Supplier.objects.get(pk=po.supplier_id)
    po.location = Location.objects.get(pk=po.location_id)
    lines = list(PurchaseOrderLine.objects.filter(purchase_order_id=po.pk).select_related("product").order_by("pk"))
    return po, lines


def _incoming_shift(po: PurchaseOrder, shifts: list[tuple[PurchaseOrderLine, int]], *, reason: str, actor: Actor) -> None:
    """Add each ``(line, units)`` to ``incoming`` at the PO's destination, on the ledger."""
    shifts = [(line, units) for line, units in shifts if units]
    if not shifts:
        return
    levels = stock_levels_lock((line.product_id, po.location_id) for line, _ in shifts)
    for line, units in shifts:
        level = levels[(line.product_id, po.location_id)]
        level.product, level.location = line.product, po.location
        _post(level, kind=StockMovement.Kind.PURCHASE_ORDER, actor=actor, reference=po.number, reason=f"{reason} (line {line.line_number})", incoming=units)


# --- drafting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    """One line asked for: ``unit_cost`` / ``supplier_sku`` None take the supplier's for the product."""

    sku: str
    quantity: int
    unit_cost: object = None
    supplier_sku: str | None = None
    expected_date: datetime.date | None = None


def _draft_lines(supplier: Supplier, lines: Sequence[DraftLine], *, today: datetime.date) -> list[PurchaseOrderLine]:
    """Unsaved PO lines for ``lines``, checked all together; unknown SKUs and missing costs are named."""
    if not lines:
        raise InvalidInput("A purchase order needs at least one line.", fields={"lines": ["Add at least one line."]})
    problems: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        try:
            _positive(line.quantity, f"lines[{index}].quantity")
        except InvalidInput as exc:
            problems.update(exc.fields)
    skus = sorted({line.sku for line in lines if isinstance(line.sku, str)})
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    offers = {o.product_id: o for o in SupplierProduct.objects.filter(supplier=supplier, product__in=products.values())}
    built = []
    for index, line in enumerate(lines):
        product = products.get(line.sku)
        if product is None:
            problems[f"lines[{index}].sku"] = [f"Unknown SKU {line.sku!r}."]
            continue
        offer = offers.get(product.pk)
        if line.unit_cost is None and offer is None:
            problems[f"lines[{index}].unit_cost"] = [f"{supplier.code} has no cost for {product.sku}: give unit_cost, or add the product to the supplier."]
            continue
        try:
            cost = quantize(_cost(offer.unit_cost if line.unit_cost is None else line.unit_cost, f"lines[{index}].unit_cost"), supplier.currency)
        except InvalidInput as exc:
            problems.update(exc.fields)
            continue
        lead = offer.lead_time_days if offer is not None and offer.lead_time_days is not None else supplier.lead_time_days
        built.append(
            PurchaseOrderLine(
                line_number=index + 1, product=product, quantity_ordered=line.quantity, unit_cost=cost,
                supplier_sku=(line.supplier_sku if line.supplier_sku is not None else (offer.supplier_sku if offer else ""))[:64],
                expected_date=line.expected_date or today + datetime.timedelta(days=lead),
            )
        )
    if problems:
        raise InvalidInput("The purchase order's lines are malformed; nothing was recorded.", fields=problems)
    return built


def purchase_order_create(
    *,
    supplier: str,
    location: str,
    lines: Sequence[DraftLine],
    actor: Actor,
    expected_date: datetime.date | None = None,
    notes: str = "",
) -> PurchaseOrder:
    """Draft a PO for ``supplier`` delivered to ``location``, in the supplier's currency.

    Lines without a cost take the supplier's cost for the product (none: refused, naming the line);
    without a date they are expected after the product's lead time (the supplier's unless the
    product overrides it); the PO's expected date is the latest line's unless given. A draft holds
    no stock: nothing is ``incoming`` until it is sent.
    """
    source = supplier_get(supplier)
    if not source.is_active:
        raise DomainError(f"Supplier {source.code} is inactive; activate it before ordering.", code="inactive_supplier", fields={"supplier": ["Inactive."]})
    destination = location_get(location)
    if not destination.is_active:
        raise DomainError(f"Location {destination.code} is inactive; goods cannot be delivered there.", code="inactive_location",
                          fields={"location": ["Inactive."]})
    built = _draft_lines(source, lines, today=timezone.localdate())
    with transaction.atomic():
        po = _po_insert(source, destination, built, expected_date=expected_date, notes=notes, actor=actor)
    return po


def _po_insert(supplier: Supplier, location: Location, lines: list[PurchaseOrderLine], *, expected_date, notes: str, actor: Actor) -> PurchaseOrder:
    po = PurchaseOrder.objects.create(
        supplier=supplier, location=location, currency=supplier.currency, notes=notes or "",
        expected_date=expected_date or max((line.expected_date for line in lines if line.expected_date), default=None),
        created_by=actor if not isinstance(actor, str | type(None)) else None,
    )
    po.number = po_number_for(po.pk)
    row_update(PurchaseOrder, po.pk, number=po.number)
    for line in lines:
        line.purchase_order = po
    PurchaseOrderLine.objects.bulk_create(lines)
    _publish(po, CREATED_EVENT, lines=len(lines))
    # Below the supplier's minimum the draft is only flagged (here, on its page, in the suggestions
    # list): rounding it up is the buyer's call, and sending it asks for their confirmation.
    shortfall = purchase_order_shortfall(po, lines)
    _trail(po, PurchaseOrderEvent.Kind.CREATED, f"Drafted with {len(lines)} line(s) for {location.code}." + (f" {shortfall.note}" if shortfall else ""),
           actor=actor, to_status=po.status, data={"below_minimum": shortfall.note} if shortfall else None)
    return po


def purchase_orders_draft(*, lines: Sequence[tuple[str, str, int, str | None]], actor: Actor) -> list[PurchaseOrder]:
    """Draft POs for ``(sku, location code, quantity, supplier code or None)`` lines: one PO per
    (supplier, location), each line at the supplier's cost and SKU, expected after its lead time.

    A line without a supplier goes to the product's preferred supplier (or its only one). A SKU
    without any supplier, an unknown or inactive supplier, or a supplier that does not sell the SKU
    is refused with every such line named; nothing is drafted then. One transaction.
    """
    if not lines:
        raise InvalidInput("Nothing to order.", fields={"lines": ["Add at least one line."]})
    skus = sorted({sku for sku, _, _, _ in lines})
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    offers = defaultdict(list)
    for offer in SupplierProduct.objects.filter(product__in=products.values()).select_related("supplier").order_by("pk"):
        offers[offer.product_id].append(offer)
    locations = {loc.code: loc for loc in Location.objects.filter(code__in={code for _, code, _, _ in lines})}
    problems: dict[str, list[str]] = {}
    grouped: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    suppliers: dict[int, Supplier] = {}
    for index, (sku, location, quantity, supplier) in enumerate(lines):
        where = f"lines[{index}]"
        product = products.get(sku)
        if product is None:
            problems[f"{where}.sku"] = [f"Unknown SKU {sku!r}."]
            continue
        if location not in locations or not locations[location].is_active:
            problems[f"{where}.location"] = [f"Unknown location {location!r}." if location not in locations else f"Location {location} is inactive."]
            continue
        try:
            _positive(quantity, f"{where}.quantity")
        except InvalidInput as exc:
            problems.update(exc.fields)
            continue
        choices = offers.get(product.pk, [])
        if supplier is None:
            chosen = next((o for o in choices if o.is_preferred), None) or (choices[0] if len(choices) == 1 else None)
            if chosen is None:
                problems[f"{where}.supplier"] = [
                    f"{sku} has no supplier: add one (Suppliers) before ordering it." if not choices
                    else f"{sku} has {len(choices)} suppliers and none is preferred: name one or mark one preferred."
                ]
                continue
        else:
            chosen = next((o for o in choices if o.supplier.code == supplier), None)
            if chosen is None:
                problems[f"{where}.supplier"] = [f"Supplier {supplier!r} does not sell {sku} (or does not exist)."]
                continue
        if not chosen.supplier.is_active:
            problems[f"{where}.supplier"] = [f"Supplier {chosen.supplier.code} is inactive."]
            continue
        suppliers[chosen.supplier_id] = chosen.supplier
        grouped[(chosen.supplier_id, locations[location].pk)][sku] += quantity
    if problems:
        raise DomainError(
            "Some lines cannot be ordered; nothing was drafted. " + " ".join(m for messages in problems.values() for m in messages),
            code="no_supplier" if any("no supplier" in m for ms in problems.values() for m in ms) else "invalid",
            fields=problems,
        )
    by_location = {loc.pk: loc for loc in locations.values()}
    today = timezone.localdate()
    drafted = []
    with transaction.atomic():
        for (supplier_id, location_id), quantities in sorted(grouped.items()):
            supplier = suppliers[supplier_id]
            built = _draft_lines(supplier, [DraftLine(sku=sku, quantity=q) for sku, q in sorted(quantities.items())], today=today)
            drafted.append(_po_insert(supplier, by_location[location_id], built, expected_date=None, notes="", actor=actor))
    return drafted


# --- editing a draft's lines ------------------------------------------------------------------


@dataclass(frozen=True)
class LineEdit:
    """One line of a draft as it should be. ``line_number`` None adds a line; ``unit_cost`` and
    ``expected_date`` None keep an existing line's (a new line takes the supplier's cost and its
    lead time); ``currency``, when given, must be the supplier's (the PO's)."""

    sku: str
    quantity: int
    line_number: int | None = None
    unit_cost: object = None
    expected_date: datetime.date | None = None
    currency: str | None = None


def _line_summary(line: PurchaseOrderLine, currency: str) -> dict:
    return {
        "sku": line.product.sku, "quantity": line.quantity_ordered, "unit_cost": f"{quantize(line.unit_cost, currency)} {currency}",
        "expected_date": line.expected_date.isoformat() if line.expected_date else None,
    }


def _edits_check(po: PurchaseOrder, current: dict[int, PurchaseOrderLine], edits: Sequence[LineEdit]) -> dict[int, SupplierProduct]:
    """Every problem with ``edits`` at once (``lines[i].field``), or the supplier's offers by product id."""
    if not edits:
        raise InvalidInput(
            f"{po.number} would have no lines left; keep at least one, or cancel the purchase order instead.",
            fields={"lines": ["Keep at least one line."]},
        )
    problems: dict[str, list[str]] = {}
    seen: set[int] = set()
    today = timezone.localdate()
    for index, edit in enumerate(edits):
        where = f"lines[{index}]"
        try:
            _positive(edit.quantity, f"{where}.quantity")
        except InvalidInput as exc:
            problems.update(exc.fields)
        if edit.line_number is not None:
            if edit.line_number not in current:
                problems[f"{where}.line_number"] = [f"{po.number} has no line {edit.line_number}; leave it empty to add a line."]
            elif edit.line_number in seen:
                problems[f"{where}.line_number"] = [f"Line {edit.line_number} is given twice."]
            seen.add(edit.line_number)
        if edit.currency is not None and str(edit.currency).strip().upper() != po.currency:
            problems[f"{where}.currency"] = [f"{po.number} is in {po.currency}, the currency of {po.supplier.code}; give the cost in {po.currency}."]
        if edit.expected_date is not None and edit.expected_date < today:
            problems[f"{where}.expected_date"] = [f"{edit.expected_date.isoformat()} is in the past."]
        if edit.unit_cost is not None:
            try:
                _cost(edit.unit_cost, f"{where}.unit_cost")
            except InvalidInput as exc:
                problems.update(exc.fields)
    skus = {edit.sku for edit in edits if isinstance(edit.sku, str)}
    products = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
    offers = {offer.product_id: offer for offer in SupplierProduct.objects.filter(supplier_id=po.supplier_id, product__in=products.values())}
    for index, edit in enumerate(edits):
        product = products.get(edit.sku)
        if product is None:
            problems[f"lines[{index}].sku"] = [f"Unknown SKU {edit.sku!r}."]
        elif product.pk not in offers:
            problems[f"lines[{index}].sku"] = [
                f"{po.supplier.code} does not sell {product.sku}: add it to the supplier's products first, or order it on another supplier's PO."
            ]
    if problems:
        raise InvalidInput(
            f"The lines of {po.number} were not changed: " + " ".join(m for messages in problems.values() for m in messages), fields=problems,
        )
    return offers


def purchase_order_lines_read_only_reason(po: PurchaseOrder) -> str:
    """Why a PO that is no longer a draft keeps its lines (the refusal, and the console page's note)."""
    return (f"{po.number} is {po.get_status_display().lower()}: its lines are what the supplier was sent and cannot change. "
            "Cancel it and draft a new one, or receive what arrives.")


def purchase_order_lines_set(
    *, purchase_order_id: int, lines: Sequence[LineEdit], actor: Actor, expected_version: ExpectedVersion = None
) -> PurchaseOrder:
    """Make a draft's lines ``lines``: listed lines change, unlisted ones are removed, lines without
    a number are added.

    Guarantees: only a draft changes (a sent PO's lines are what the supplier has: refused,
    ``purchase_order_not_draft``); every line is checked before anything is written (a positive
    quantity, a SKU this supplier sells, a cost in the supplier's currency rounded to its minor
    unit, a date not in the past) and every problem is named; each added, changed or removed line
    leaves one audit row with the old and new figures. The PO's expected date follows its latest
    line unless it was set by hand. One transaction, the PO locked first.
    """
    with transaction.atomic():
        po, current_lines = _locked_with_lines(purchase_order_id)
        version_check(expected_version, po.version, what=f"Purchase order {po.number}")
        if po.status != PurchaseOrderStatus.DRAFT:
            raise InvalidInput(
                purchase_order_lines_read_only_reason(po), code="purchase_order_not_draft",
                fields={"lines": ["Read-only once the purchase order is sent."]},
            )
        current = {line.line_number: line for line in current_lines}
        offers = _edits_check(po, current, lines)
        derived_date = po.expected_date == max((line.expected_date for line in current_lines if line.expected_date), default=None)
        today, next_number = timezone.localdate(), max(current, default=0) + 1
        kept = {edit.line_number for edit in lines if edit.line_number is not None}
        changes: list[tuple[str, dict]] = []
        for number in sorted(set(current) - kept):
            line = current[number]
            changes.append((f"Line {number} ({line.product.sku}) removed.", {"line_number": number, "before": _line_summary(line, po.currency)}))
            line.delete()
        products = {product.sku: product for product in Product.objects.filter(sku__in={edit.sku for edit in lines})}
        final: list[PurchaseOrderLine] = []
        for edit in lines:
            product, offer = products[edit.sku], offers[products[edit.sku].pk]
            if edit.line_number is None:
                lead = offer.lead_time_days if offer.lead_time_days is not None else po.supplier.lead_time_days
                line = PurchaseOrderLine(
                    purchase_order=po, line_number=next_number, product=product, quantity_ordered=edit.quantity, supplier_sku=offer.supplier_sku[:64],
                    unit_cost=quantize(_cost(offer.unit_cost if edit.unit_cost is None else edit.unit_cost), po.currency),
                    expected_date=edit.expected_date or today + datetime.timedelta(days=lead),
                )
                line.save()
                next_number += 1
                changes.append((f"Line {line.line_number} ({product.sku}) added: {line.quantity_ordered} × {line.unit_cost} {po.currency}.",
                                {"line_number": line.line_number, "after": _line_summary(line, po.currency)}))
                final.append(line)
                continue
            line = current[edit.line_number]
            before = _line_summary(line, po.currency)
            if line.product_id != product.pk:
                line.product, line.supplier_sku = product, offer.supplier_sku[:64]
            line.quantity_ordered = edit.quantity
            if edit.unit_cost is not None:
                line.unit_cost = quantize(_cost(edit.unit_cost), po.currency)
            if edit.expected_date is not None:
                line.expected_date = edit.expected_date
            after = _line_summary(line, po.currency)
            if after != before:
                line.save(update_fields=["product", "supplier_sku", "quantity_ordered", "unit_cost", "expected_date"])
                what = ", ".join(f"{name.replace('_', ' ')} {before[name]} → {after[name]}" for name in after if after[name] != before[name])
                changes.append((f"Line {line.line_number} ({product.sku}): {what}.", {"line_number": line.line_number, "before": before, "after": after}))
            final.append(line)
        if not changes:
            return po
        values = {}
        if derived_date:
            values["expected_date"] = max((line.expected_date for line in final if line.expected_date), default=None)
        _touch(po, **values)
        for message, data in changes:
            _trail(po, PurchaseOrderEvent.Kind.CHANGED, message, actor=actor, data=data)
    return po


# --- sending, receiving, closing -------------------------------------------------------------


def purchase_order_send(
    *, purchase_order_id: int, actor: Actor, expected_version: ExpectedVersion = None, email: bool = True, allow_below_minimum: bool = False,
) -> PurchaseOrder:
    """Send a draft: its quantities become ``incoming`` at the destination (one ledger row per
    line, the PO as reference) and, after commit, the PDF is e-mailed to the supplier (when it
    has an address and ``email``). A draft below the supplier's minimum order is refused
    (``below_supplier_minimum``, saying what is missing) unless ``allow_below_minimum`` confirms
    it; then the timeline says it went below the minimum."""
    with transaction.atomic():
        po, lines = _locked_with_lines(purchase_order_id)
        version_check(expected_version, po.version, what=f"Purchase order {po.number}")
        if po.status == PurchaseOrderStatus.DRAFT and not lines:
            raise DomainError(f"{po.number} has no lines; add what to order before sending it.", code="empty_purchase_order")
        shortfall = purchase_order_shortfall(po, lines) if po.status == PurchaseOrderStatus.DRAFT else None
        if shortfall and not allow_below_minimum:
            raise DomainError(
                f"{po.number} was not sent. {shortfall.note} To send it as it is, confirm sending below the minimum.",
                code="below_supplier_minimum", fields={"allow_below_minimum": ["Confirm to send below the supplier's minimum."]},
            )
        message = f"Draft → Sent, below the supplier's minimum (confirmed). {shortfall.note}" if shortfall else ""
        _transition(po, "send", actor=actor, message=message, values={"sent_at": timezone.now()})
        _incoming_shift(po, [(line, line.quantity_ordered) for line in lines], reason="ordered", actor=actor)
        if email and po.supplier.email:
            transaction.on_commit(functools.partial(_email_enqueue, po.pk), robust=True)
    return po


def _email_enqueue(purchase_order_id: int) -> None:
    from .tasks import purchase_order_email

    purchase_order_email.delay(purchase_order_id)


@dataclass(frozen=True)
class ReceiptLine:
    """What arrived of one PO line: units counted, and how many of them were beyond what was open."""

    line_number: int
    sku: str
    quantity: int
    over: int


def purchase_order_receive(
    *, purchase_order_id: int, quantities: Sequence[tuple[int, int]], actor: Actor, note: str = ""
) -> list[ReceiptLine]:
    """Book a delivery against a sent PO: ``(line number, units)`` pairs, all or nothing.

    Guarantees: the PO and then its stock rows are locked (primary-key order) before the open
    quantities are read, so two receipts on the same line never count the same open units twice;
    on hand rises by what arrived and incoming falls by what was open (never below zero); units
    beyond the open quantity are received and recorded as over. The PO becomes partially received,
    or received when nothing is open any more; waiting backorders are served as after any receipt.
    """
    if not quantities:
        raise InvalidInput("A receipt needs at least one line.", fields={"lines": ["Add at least one line with a quantity."]})
    wanted: dict[int, int] = defaultdict(int)
    problems: dict[str, list[str]] = {}
    for index, (line_number, quantity) in enumerate(quantities):
        try:
            wanted[line_number] += _positive(quantity, f"lines[{index}].quantity")
        except InvalidInput as exc:
            problems.update(exc.fields)
    if problems:
        raise InvalidInput("Some quantities are malformed; nothing was received.", fields=problems)
    with transaction.atomic():
        po, lines = _locked_with_lines(purchase_order_id)
        if po.status not in PO_RECEIVABLE:
            hint = " Send it first." if po.status == PurchaseOrderStatus.DRAFT else ""
            raise InvalidTransition(
                f"Purchase order {po.number} is {po.get_status_display().lower()}; goods cannot be received against it.{hint}",
                fields={"status": [f"Currently {po.status}."]},
            )
        by_number = {line.line_number: line for line in lines}
        unknown = sorted(set(wanted) - set(by_number), key=str)
        if unknown:
            raise InvalidInput(
                f"{po.number} has no line {', '.join(map(str, unknown))}; nothing was received.",
                fields={"lines": [f"No line {number}." for number in unknown]},
            )
        levels = stock_levels_lock((by_number[number].product_id, po.location_id) for number in wanted)
        received = []
        for number in sorted(wanted):
            line, units = by_number[number], wanted[number]
            taken = min(units, line.quantity_open)
            over = units - taken
            level = levels[(line.product_id, po.location_id)]
            level.product, level.location = line.product, po.location
            reason = f"line {number}" + (f": {over} over the order" if over else "")
            _post(level, kind=StockMovement.Kind.RECEIPT, actor=actor, reference=po.number, reason=reason, on_hand=units, incoming=-taken)
            line.quantity_received += units
            row_update(PurchaseOrderLine, line.pk, quantity_received=line.quantity_received)
            received.append(ReceiptLine(line_number=number, sku=line.product.sku, quantity=units, over=over))
        details = [{"line_number": r.line_number, "sku": r.sku, "quantity": r.quantity, "over": r.over} for r in received]
        summary = ", ".join(f"{r.quantity} × {r.sku}" + (f" ({r.over} over)" if r.over else "") for r in received)
        _touch(po)
        _publish(po, ITEMS_RECEIVED_EVENT, lines=details)
        _trail(po, PurchaseOrderEvent.Kind.RECEIVED, f"Received {summary}." + (f" {note}" if note else ""), actor=actor, data={"lines": details})
        if all(line.quantity_open == 0 for line in lines):
            _transition(po, "receive_all", actor=actor, values={"received_at": timezone.now()})
        elif po.status != PurchaseOrderStatus.PARTIALLY_RECEIVED:
            _transition(po, "receive_part", actor=actor)
        _announce_available(line.product_id for line in lines if line.line_number in wanted)
    return received


def purchase_order_receive_codes(*, purchase_order_id: int, codes: Sequence[str]) -> list[tuple[int, int]]:
    """Scanned codes (GTIN, SKU or supplier SKU) as ``(line number, units)``, one unit per scan.

    A code matching no line of the PO is refused, naming it (the dock must not book what was not
    ordered against this PO)."""
    lines = list(PurchaseOrderLine.objects.filter(purchase_order_id=purchase_order_id).select_related("product").order_by("line_number"))
    by_code: dict[str, int] = {}
    for line in lines:
        for code in (line.product.gtin, line.product.sku, line.supplier_sku):
            if code:
                by_code.setdefault(code, line.line_number)
    counted: dict[int, int] = defaultdict(int)
    unknown = []
    for code in codes:
        code = code.strip()
        if not code:
            continue
        if code in by_code:
            counted[by_code[code]] += 1
        else:
            unknown.append(code)
    if unknown:
        raise InvalidInput(
            f"Not on this purchase order: {', '.join(sorted(set(unknown)))}. Set those items aside; nothing was received.",
            fields={"codes": [f"{code!r} matches no line." for code in sorted(set(unknown))]},
        )
    return sorted(counted.items())


def purchase_order_close(*, purchase_order_id: int, actor: Actor, reason: str = "", expected_version: ExpectedVersion = None) -> PurchaseOrder:
    """Close a (partially) received PO: what is still open is given up (recorded per line as
    released and taken off ``incoming`` on the ledger); no more goods are received against it."""
    with transaction.atomic():
        po, lines = _locked_with_lines(purchase_order_id)
        version_check(expected_version, po.version, what=f"Purchase order {po.number}")
        released = _release(po, lines, why="closed", actor=actor)
        _transition(po, "close", actor=actor, message=_release_message("Closed", released, reason), data={"released": released, "reason": reason},
                    values={"closed_at": timezone.now()})
    return po


def purchase_order_cancel(*, purchase_order_id: int, actor: Actor, reason: str = "", expected_version: ExpectedVersion = None) -> PurchaseOrder:
    """Cancel a draft or a sent PO before anything arrived; a sent one's ``incoming`` is released."""
    with transaction.atomic():
        po, lines = _locked_with_lines(purchase_order_id)
        version_check(expected_version, po.version, what=f"Purchase order {po.number}")
        released = _release(po, lines, why="cancelled", actor=actor) if po.status == PurchaseOrderStatus.SENT else []
        _transition(po, "cancel", actor=actor, message=_release_message("Cancelled", released, reason), data={"released": released, "reason": reason},
                    values={"closed_at": timezone.now()})
    return po


def _release(po: PurchaseOrder, lines: list[PurchaseOrderLine], *, why: str, actor: Actor) -> list[dict]:
    """Give up each open line's units: recorded on the line, taken off ``incoming``. Refuses (via the
    FSM) before touching anything when the PO may not go that way."""
    target = "close" if why == "closed" else "cancel"
    if not can_proceed(getattr(po, target)):
        raise InvalidTransition(
            f"Purchase order {po.number} is {po.get_status_display().lower()}; it cannot be {why}.",
            fields={"status": [f"Currently {po.status}."]},
        )
    open_lines = [(line, line.quantity_open) for line in lines if line.quantity_open]
    _incoming_shift(po, [(line, -units) for line, units in open_lines], reason=f"purchase order {why}", actor=actor)
    for line, units in open_lines:
        line.quantity_released += units
        row_update(PurchaseOrderLine, line.pk, quantity_released=line.quantity_released)
    return [{"line_number": line.line_number, "sku": line.product.sku, "quantity": units} for line, units in open_lines]


def _release_message(verb: str, released: list[dict], reason: str) -> str:
    given_up = "; gave up " + ", ".join(f"{r['quantity']} × {r['sku']}" for r in released) if released else ""
    return f"{verb}{given_up}." + (f" {reason}" if reason else "")


# --- e-mail to the supplier ------------------------------------------------------------------


def purchase_order_email_send(*, purchase_order_id: int, actor: Actor = "job:purchase-order-email") -> bool:
    """E-mail a sent PO's PDF to its supplier, once: a second call (a retried task) finds it sent
    and does nothing. Returns whether a message went out. The PO stays locked while the message is
    handed to the e-mail backend, so two workers never both send it."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    from .documents_purchasing import purchase_order_pdf

    with transaction.atomic():
        po, _ = _locked_with_lines(purchase_order_id)
        if po.emailed_at is not None or po.status in (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.CANCELLED) or not po.supplier.email:
            return False
        pdf = purchase_order_pdf(po.pk)
        message = EmailMessage(
            subject=f"Purchase order {po.number}",
            body=(
                f"Hello {po.supplier.contact_name or po.supplier.name},\n\nplease find our purchase order {po.number} attached "
                f"(delivery to {po.location.name}" + (f", expected by {po.expected_date:%Y-%m-%d}" if po.expected_date else "")
                + ").\nPlease quote the number on the delivery note.\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[po.supplier.email],
        )
        message.attach(f"{po.number}.pdf", pdf, "application/pdf")
        message.send()
        sent_at = timezone.now()
        row_update(PurchaseOrder, po.pk, emailed_at=sent_at)
        _trail(po, PurchaseOrderEvent.Kind.EMAILED, f"E-mailed to {po.supplier.email}.", actor=actor)
    return True

