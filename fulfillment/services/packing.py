"""Packing by scan: every unit that goes into a box is scanned and checked against the fulfillment order.

A scan names a product by its GTIN or its SKU. It is refused, changing nothing, when the product
is not on the fulfillment order or when more would be packed than was picked; the message says
what was scanned and what is still expected. Closing a package records its box, weight and
dimensions; when everything picked is packed, the fulfillment order becomes packed.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import Product
from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound

from ..models import FulfillmentLine, FulfillmentOrder, FulfillmentStatus, Package, PackageType, PackedItem, PickList, PickListLine, PickListStatus
from .common import fulfillment_order_lock
from .lifecycle import fulfillment_order_pack


@dataclass(frozen=True)
class ExpectedItem:
    """What is still to be packed of one fulfillment line."""

    line_id: int
    sku: str
    name: str
    gtin: str
    picked: int
    packed: int

    @property
    def remaining(self) -> int:
        return self.picked - self.packed


@dataclass(frozen=True)
class ScanResult:
    package: Package
    sku: str
    quantity: int
    expected: list[ExpectedItem]


def expected_items(fulfillment_order_id: int) -> list[ExpectedItem]:
    """Every line of the fulfillment order with what was picked and packed of it."""
    lines = FulfillmentLine.objects.filter(fulfillment_order_id=fulfillment_order_id).select_related("product").order_by("pk")
    return [
        ExpectedItem(line.pk, line.product.sku, line.product.name, line.product.gtin, line.quantity_picked, line.quantity_packed)
        for line in lines
    ]


def _still_expected(expected: list[ExpectedItem]) -> str:
    waiting = [f"{item.remaining} × {item.sku} ({item.name})" for item in expected if item.remaining > 0]
    return "Still expected: " + ", ".join(waiting) + "." if waiting else "Everything picked is packed already."


def _packable(fulfillment_order: FulfillmentOrder) -> None:
    if fulfillment_order.status != FulfillmentStatus.PICKING:
        raise InvalidTransition(
            f"{fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; only a fulfillment order being picked can be packed."
        )


def pack_scan(*, fulfillment_order_id: int, barcode: str, actor: Actor, quantity: int = 1) -> ScanResult:
    """Pack ``quantity`` units of the product whose GTIN or SKU is ``barcode`` into the open
    package of the fulfillment order (one is opened on the first scan).

    Refused, changing nothing, when the fulfillment order is not being picked, the barcode names
    no product on it, or the units would exceed what was picked and not yet packed.
    """
    barcode = (barcode or "").strip()
    if not barcode:
        raise InvalidInput("Scan a barcode (GTIN) or type a SKU.", fields={"barcode": ["This field is required."]})
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidInput("quantity must be a whole number above zero.", fields={"quantity": ["Must be above zero."]})
    with transaction.atomic():
        _, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _packable(fulfillment_order)
        lines = list(FulfillmentLine.objects.select_for_update(no_key=True, of=("self",)).filter(fulfillment_order=fulfillment_order).select_related("product").order_by("pk"))
        expected = [ExpectedItem(x.pk, x.product.sku, x.product.name, x.product.gtin, x.quantity_picked, x.quantity_packed) for x in lines]
        matches = [line for line in lines if barcode in (line.product.sku, line.product.gtin)]
        if not matches:
            known = Product.objects.filter(sku=barcode).first() or Product.objects.filter(gtin=barcode).first()
            what = f"{barcode} ({known.sku} · {known.name})" if known else f"{barcode}, which no product has as GTIN or SKU"
            raise DomainError(
                f"Scanned {what}: not on {fulfillment_order.number}. {_still_expected(expected)}", code="wrong_item",
                fields={"barcode": ["Not on this fulfillment order."]},
            )
        # The same product on two lines: fill the first that still has room.
        line = next((m for m in matches if m.quantity_picked - m.quantity_packed >= quantity), None)
        if line is None:
            first = matches[0]
            room = sum(m.quantity_picked - m.quantity_packed for m in matches)
            waiting = open_pick_lists(fulfillment_order.pk)
            if not room and waiting:
                raise DomainError(
                    f"The picks of {first.product.sku} for {fulfillment_order.number} are not confirmed yet (pick list "
                    f"{', '.join(waiting)}): confirm them on the pick list, then pack.",
                    code="picks_not_confirmed", fields={"barcode": ["Not picked yet."]},
                )
            raise DomainError(
                f"Scanned {quantity} × {first.product.sku} ({first.product.name}) for {fulfillment_order.number}, but "
                f"{'only ' + str(room) if room else 'no'} picked unit(s) of it are left to pack. {_still_expected(expected)}",
                code="exceeds_picked", fields={"barcode": ["More than was picked."]},
            )
        package = Package.objects.filter(fulfillment_order=fulfillment_order, closed_at__isnull=True).first()
        if package is None:
            package = Package.objects.create(fulfillment_order=fulfillment_order, packed_by_label=actor_fields(actor)["actor_label"])
        item, created = PackedItem.objects.get_or_create(package=package, fulfillment_line=line, defaults={"quantity": quantity})
        if not created:
            PackedItem.objects.filter(pk=item.pk).update(quantity=F("quantity") + quantity)
        line.quantity_packed += quantity
        FulfillmentLine.objects.filter(pk=line.pk).update(quantity_packed=F("quantity_packed") + quantity)
        expected = [
            ExpectedItem(x.line_id, x.sku, x.name, x.gtin, x.picked, x.packed + (quantity if x.line_id == line.pk else 0)) for x in expected
        ]
    return ScanResult(package=package, sku=line.product.sku, quantity=quantity, expected=expected)


def package_close(
    *,
    fulfillment_order_id: int,
    package_type: str,
    weight_grams: int,
    actor: Actor,
    dimensions: tuple[int, int, int] | None = None,
) -> Package:
    """Close the open package of a fulfillment order in the box ``package_type`` (its code), with
    its weight and outer dimensions in millimetres (default: the box's inner dimensions).

    Refused when nothing is in the package, the box is unknown or retired, or the weight is
    above what the box carries. When afterwards every picked unit is packed and no pick is still
    open for the fulfillment order, it becomes packed.
    """
    if not isinstance(weight_grams, int) or isinstance(weight_grams, bool) or weight_grams <= 0:
        raise InvalidInput("weight_grams must be a whole number of grams above zero.", fields={"weight_grams": ["Must be above zero."]})
    if dimensions is not None and (len(dimensions) != 3 or any(not isinstance(d, int) or d <= 0 for d in dimensions)):
        raise InvalidInput("dimensions are length, width and height in millimetres, each above zero.", fields={"dimensions": ["Three sizes above zero."]})
    box = PackageType.objects.filter(code=package_type).first()
    if box is None or not box.is_active:
        choices = ", ".join(PackageType.objects.filter(is_active=True).values_list("code", flat=True)) or "none defined"
        raise InvalidInput(f"No package type {package_type!r} in use (available: {choices}).", fields={"package_type": ["Unknown package type."]})
    if weight_grams > box.max_weight_grams:
        raise DomainError(
            f"{weight_grams:,} g is more than the {box.max_weight_grams:,} g a {box.name} carries; use a stronger box or split the parcel.",
            code="too_heavy", fields={"weight_grams": [f"At most {box.max_weight_grams} for {box.code}."]},
        )
    with transaction.atomic():
        _, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _packable(fulfillment_order)
        package = Package.objects.select_for_update(no_key=True).filter(fulfillment_order=fulfillment_order, closed_at__isnull=True).first()
        if package is None or not package.items.exists():
            raise DomainError(f"{fulfillment_order.number} has no open package with items in it; scan the items first.", code="package_empty")
        package.package_type = box
        package.weight_grams = weight_grams
        package.length_mm, package.width_mm, package.height_mm = dimensions or (box.inner_length_mm, box.inner_width_mm, box.inner_height_mm)
        package.closed_at = timezone.now()
        package.save(update_fields=["package_type", "weight_grams", "length_mm", "width_mm", "height_mm", "closed_at"])
        lines = list(FulfillmentLine.objects.filter(fulfillment_order=fulfillment_order).order_by("pk"))
        if not open_pick_lists(fulfillment_order.pk) and all(line.quantity_packed == line.quantity_picked for line in lines):
            fulfillment_order_pack(
                fulfillment_order_id=fulfillment_order.pk, actor=actor, quantities={line.pk: line.quantity_packed for line in lines}
            )
    return package


def open_pick_lists(fulfillment_order_id: int) -> list[str]:
    """Numbers of the pick lists with picks of the fulfillment order still to confirm."""
    ids = (
        PickListLine.objects.filter(
            fulfillment_line__fulfillment_order_id=fulfillment_order_id, confirmed_at__isnull=True,
            pick_list__status__in=[PickListStatus.OPEN, PickListStatus.IN_PROGRESS],
        ).order_by("pick_list_id").values_list("pick_list_id", flat=True).distinct()
    )
    return [PickList(pk=pk).number for pk in ids]


def fulfillment_order_by_number(number: str) -> FulfillmentOrder:
    found = FulfillmentOrder.objects.filter(number=number).first() if "\x00" not in number else None
    if found is None:
        raise NotFound(f"No fulfillment order {number!r}.")
    return found


@dataclass(frozen=True)
class PackageData:
    package_type: str
    weight_grams: int
    dimensions: tuple[int, int, int] | None = None


def fulfillment_order_pack_scans(
    *, fulfillment_order_id: int, items: list[tuple[str, int]], package: PackageData | None, actor: Actor
) -> list[ExpectedItem]:
    """Scan ``(barcode, quantity)`` items and, when ``package`` is given, close the package, all
    in one transaction: a refused scan or package leaves nothing packed (an external WMS sends
    what one packing station did as one call). Returns what is picked and packed afterwards."""
    if not items and package is None:
        raise InvalidInput("Send scanned items, a package to close, or both.", fields={"items": ["Nothing to do."]})
    with transaction.atomic():
        for barcode, quantity in items:
            pack_scan(fulfillment_order_id=fulfillment_order_id, barcode=barcode, quantity=quantity, actor=actor)
        if package is not None:
            package_close(
                fulfillment_order_id=fulfillment_order_id, package_type=package.package_type, weight_grams=package.weight_grams,
                dimensions=package.dimensions, actor=actor,
            )
    return expected_items(fulfillment_order_id)
