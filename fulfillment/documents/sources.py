"""Warehouse documents built from the fulfillment models: packing slips from fulfillment orders,
pick lists from pick lists. Reads only, in a constant number of queries whatever the count.

Documents come back in the order the ids were given (the order they were chosen or waved in),
each id once. Ids that name nothing are refused as a whole, naming them, so a wave never prints
with a hole in it.
"""

from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.db.models import Model, Prefetch

from oms.errors import InvalidInput

from ..models import FulfillmentLine, FulfillmentOrder, FulfillmentStatus, PickList, PickListKind, PickListLine
from .data import DocumentAddress, PackingSlipDocument, PackingSlipLine, PickListDocument
from .data import PickListLine as PickListDocumentLine

DEFAULT_RETURNS_INSTRUCTIONS = "Return unused items within 30 days: put this slip in the parcel and drop it off at any post office."

# Statuses in which a parcel has been packed: the slip shows what went into it, not what was asked for.
PACKED_STATUSES = {FulfillmentStatus.PACKED, FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED}


def ids_require(model: type[Model], ids: Sequence[int], *, noun: str, key: str) -> None:
    """Refuse ``ids`` unless every one names a ``model`` row (one query)."""
    unique = list(dict.fromkeys(ids))
    found = set(model.objects.filter(pk__in=unique).values_list("pk", flat=True))
    _refuse_missing(unique, found, noun=noun, key=key)


def _refuse_missing(ids: Iterable[int], found: set[int], *, noun: str, key: str) -> None:
    missing = [pk for pk in ids if pk not in found]
    if missing:
        listed = ", ".join(str(pk) for pk in missing[:20]) + (" …" if len(missing) > 20 else "")
        raise InvalidInput(
            f"There is no {noun} with id {listed}; it may have been merged or deleted. Choose the {noun}s again.",
            fields={key: [f"Unknown id(s): {listed}."]},
        )


def _address(data: dict) -> DocumentAddress:
    data = data if isinstance(data, dict) else {}
    text = {key: str(data.get(key) or "") for key in ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")}
    return DocumentAddress(**text)


def _location_address(location) -> DocumentAddress:
    return DocumentAddress(
        name=location.name, line1=location.line1, line2=location.line2, city=location.city, region=location.region,
        postal_code=location.postal_code, country=str(location.country or ""),
    )


def packing_slip_documents(fulfillment_order_ids: Sequence[int]) -> list[PackingSlipDocument]:
    """A packing slip per fulfillment order: its number, the order's number, date, ship-to snapshot
    and note, the location it ships from, and per line the SKU, name, units ordered and units in
    this parcel (packed units once packed, else the units this fulfillment order ships). Two queries."""
    ids = list(dict.fromkeys(fulfillment_order_ids))
    lines = FulfillmentLine.objects.select_related("product", "order_line").order_by("order_line__line_number", "pk")
    found = {
        fo.pk: fo
        for fo in FulfillmentOrder.objects.filter(pk__in=ids)
        .select_related("order", "location")
        .prefetch_related(Prefetch("lines", queryset=lines))
    }
    _refuse_missing(ids, set(found), noun="fulfillment order", key="fulfillment_order_ids")
    returns = getattr(settings, "OMS_RETURNS_INSTRUCTIONS", "") or DEFAULT_RETURNS_INSTRUCTIONS
    documents = []
    for pk in ids:
        fo = found[pk]
        packed = fo.status in PACKED_STATUSES
        documents.append(PackingSlipDocument(
            fulfillment_order_number=fo.number,
            order_number=fo.order.number or "",
            order_date=fo.order.placed_at,
            ship_to=_address(fo.order.shipping_address),
            ship_from=_location_address(fo.location),
            lines=tuple(
                PackingSlipLine(
                    sku=line.product.sku, name=line.product.name, quantity_ordered=line.order_line.quantity,
                    quantity_shipped=line.quantity_packed if packed else line.quantity,
                )
                for line in fo.lines.all()
            ),
            customer_note=fo.order.note,
            returns_instructions=returns,
        ))
    return documents


def pick_list_documents(pick_list_ids: Sequence[int]) -> list[PickListDocument]:
    """A pick list document per pick list: number, location, kind, when it was built, and its lines
    in the stored path sequence with bin, zone, SKU, name and quantity. On batch and zone lists each
    line names the tote (the fulfillment order it is picked for) and its slot. Two queries."""
    ids = list(dict.fromkeys(pick_list_ids))
    lines = PickListLine.objects.select_related("bin", "product", "fulfillment_line__fulfillment_order").order_by("sequence")
    found = {
        pick_list.pk: pick_list
        for pick_list in PickList.objects.filter(pk__in=ids).select_related("location").prefetch_related(Prefetch("lines", queryset=lines))
    }
    _refuse_missing(ids, set(found), noun="pick list", key="pick_list_ids")
    documents = []
    for pk in ids:
        pick_list = found[pk]
        with_totes = pick_list.kind != PickListKind.SINGLE
        kind = pick_list.get_kind_display() + (f" {pick_list.zone}" if pick_list.zone else "")
        documents.append(PickListDocument(
            location=pick_list.location.name, number=pick_list.number, kind=kind, created=pick_list.created_at,
            lines=tuple(
                PickListDocumentLine(
                    bin_code=line.bin.code if line.bin else "(no bin)", zone=line.bin.zone if line.bin else "",
                    sku=line.product.sku, name=line.product.name, quantity=line.quantity,
                    tote=line.fulfillment_line.fulfillment_order.number if with_totes else "",
                    slot=str(line.slot) if with_totes else "",
                )
                for line in pick_list.lines.all()
            ),
        ))
    return documents


# kind -> (payload key, model, noun, builder): what the by-id job renderers read.
BY_ID_SOURCES: dict[str, tuple[str, type[Model], str, Callable[[Sequence[int]], list]]] = {
    "packing_slips": ("fulfillment_order_ids", FulfillmentOrder, "fulfillment order", packing_slip_documents),
    "pick_lists": ("pick_list_ids", PickList, "pick list", pick_list_documents),
}
