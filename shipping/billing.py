"""Carrier bills: what a carrier invoiced for each shipment, set against the quote it was bought
at. The lines come from the carrier's invoice file (the accountants' import, ``carrier_charges``)
or from an integration; the quoted-against-billed KPI reads them."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from oms.actors import Actor, actor_fields
from oms.errors import InvalidInput
from oms.money import MAX_AMOUNT, quantize

from .models import CarrierCharge, Shipment


@dataclass(frozen=True)
class ChargeLine:
    tracking_number: str
    invoice: str
    amount: Decimal
    currency: str


def charge_problem(line: ChargeLine, shipment: Shipment | None, recorded: CarrierCharge | None) -> tuple[str, str] | None:
    """What is wrong with ``line`` as (field, message), or None; ``recorded`` is the line of the
    same shipment and invoice already on file."""
    if shipment is None:
        return "tracking_number", f"No shipment has tracking number {line.tracking_number[:40]!r}; check the number on the invoice."
    if not line.invoice or len(line.invoice) > 64:
        return "invoice", "The carrier's invoice number is required (at most 64 characters)."
    if abs(line.amount) >= MAX_AMOUNT:
        return "amount", f"Must be below {MAX_AMOUNT} either way."
    if line.currency != shipment.currency:
        return "currency", (f"{shipment.tracking_number} was bought in {shipment.currency}; the bill must be in the same currency "
                            f"(this line says {line.currency[:10]!r}).")
    if recorded is not None and recorded.amount != line.amount:
        billed = quantize(recorded.amount, recorded.currency)
        return "amount", (f"Invoice {line.invoice} already billed {billed} {recorded.currency} for {shipment.tracking_number}; "
                          "a correction comes on another invoice (a credit is a negative amount).")
    return None


def carrier_charges_record(*, lines: Sequence[ChargeLine], actor: Actor) -> list[str]:
    """Record the carrier's charges, all or none: one outcome per line, "created" or "unchanged"
    (the same shipment, invoice and amount again). A line naming an unknown shipment, another
    currency than the shipment's, or a different amount for an invoice already recorded refuses
    the whole call with the line and what to fix."""
    numbers = {line.tracking_number for line in lines}
    with transaction.atomic():
        shipments = {s.tracking_number: s for s in Shipment.objects.select_for_update().filter(tracking_number__in=numbers).order_by("pk")}
        recorded = {(c.shipment_id, c.invoice): c for c in CarrierCharge.objects.filter(shipment__tracking_number__in=numbers)}
        problems, outcomes, new = {}, [], []
        seen: dict[tuple[int, str], Decimal] = {}
        for index, line in enumerate(lines):
            shipment = shipments.get(line.tracking_number)
            on_file = recorded.get((shipment.pk, line.invoice)) if shipment else None
            problem = charge_problem(line, shipment, on_file)
            key = (shipment.pk, line.invoice) if shipment else None
            if problem is None and key in seen and seen[key] != line.amount:
                problem = ("amount", f"Invoice {line.invoice} bills {line.tracking_number} twice with different amounts.")
            if problem is not None:
                problems[f"lines[{index}].{problem[0]}"] = [problem[1]]
                continue
            if on_file is not None or key in seen:
                outcomes.append("unchanged")
                continue
            seen[key] = line.amount
            new.append(CarrierCharge(shipment=shipment, invoice=line.invoice, amount=line.amount, currency=line.currency,
                                     recorded_by=actor_fields(actor)["actor_label"]))
            outcomes.append("created")
        if problems:
            raise InvalidInput("No carrier charge was recorded: fix the lines named.", fields=problems)
        CarrierCharge.objects.bulk_create(new)
    return outcomes
