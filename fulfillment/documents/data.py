"""What a warehouse document shows, as plain data: no models, so anything can print one.

The fulfillment services turn fulfillment orders and pick lists into these; the renderers turn
these into PDF. ``as_dict``/``from_dict`` carry them through a job's JSON payload.
"""

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from oms.addresses import address_lines


@dataclass(frozen=True)
class DocumentAddress:
    name: str
    line1: str
    city: str
    country: str
    line2: str = ""
    postal_code: str = ""
    region: str = ""
    company: str = ""
    phone: str = ""

    def lines(self, *, origin_country: str | None = None) -> list[str]:
        """The address as printed, one line each, in the layout of its country (the country's name
        only when it is abroad from ``origin_country``), then the phone number."""
        return [*address_lines(asdict(self), origin_country=origin_country), *([self.phone] if self.phone else [])]


@dataclass(frozen=True)
class PickListLine:
    """One stop on the walk: take ``quantity`` of ``sku`` from ``bin_code``. A batch pick names
    the ``tote`` (and ``slot`` in it) the items go into, one per fulfillment order."""

    bin_code: str
    zone: str
    sku: str
    name: str
    quantity: int
    tote: str = ""
    slot: str = ""


@dataclass(frozen=True)
class PickListDocument:
    """A pick list. ``lines`` are printed in the order given, which is the walking order: the
    picking service sorts them along the pick path, the document never reorders them."""

    location: str
    number: str
    kind: str
    created: datetime
    lines: tuple[PickListLine, ...]
    title: str = "Pick list"

    @property
    def total_units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_totes(self) -> bool:
        return any(line.tote or line.slot for line in self.lines)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["created"] = self.created.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "PickListDocument":
        values = _known(cls, data)
        values["created"] = _datetime(values["created"])
        values["lines"] = tuple(PickListLine(**_known(PickListLine, line)) for line in values.get("lines", ()))
        return cls(**values)


@dataclass(frozen=True)
class PackingSlipLine:
    sku: str
    name: str
    quantity_ordered: int
    quantity_shipped: int


@dataclass(frozen=True)
class PackingSlipDocument:
    """The slip that travels in the parcel: what was ordered, what is in this box, how to return it."""

    fulfillment_order_number: str
    order_number: str
    ship_to: DocumentAddress
    ship_from: DocumentAddress
    lines: tuple[PackingSlipLine, ...]
    customer_note: str = ""
    returns_instructions: str = ""
    order_date: datetime | None = None
    title: str = "Packing slip"

    @property
    def has_backordered_items(self) -> bool:
        return any(line.quantity_shipped < line.quantity_ordered for line in self.lines)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["order_date"] = self.order_date.isoformat() if self.order_date else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "PackingSlipDocument":
        values = _known(cls, data)
        values["ship_to"] = DocumentAddress(**_known(DocumentAddress, values["ship_to"]))
        values["ship_from"] = DocumentAddress(**_known(DocumentAddress, values["ship_from"]))
        values["lines"] = tuple(PackingSlipLine(**_known(PackingSlipLine, line)) for line in values.get("lines", ()))
        if values.get("order_date"):
            values["order_date"] = _datetime(values["order_date"])
        return cls(**values)


def _known(cls, data: dict) -> dict:
    names = {item.name for item in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def _datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)

