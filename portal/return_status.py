"""A return and its refunds in a customer's words: what its status means for them, its timeline,
its label, its refunds. Nothing internal leaks (no notes for staff, no provider messages)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from oms.money import money_text
from returns.documents import NOT_PRINTABLE
from returns.models import Refund, RefundMethod, RefundStatus, ReturnEvent, ReturnRequest, ReturnStatus
from shipping.models import ShipmentStatus
from shipping.services import MANUAL_LABEL_FORMAT

STATUS_WORDS = {
    ReturnStatus.REQUESTED: _("Requested: we are looking at your request"),
    ReturnStatus.APPROVED: _("Approved: please send the items back"),
    ReturnStatus.REJECTED: _("Not accepted"),
    ReturnStatus.LABEL_ISSUED: _("Label ready: print it and the return slip, then send the parcel"),
    ReturnStatus.IN_TRANSIT: _("On its way back to us"),
    ReturnStatus.RECEIVED: _("Received: we are checking the items"),
    ReturnStatus.INSPECTED: _("Checked: your refund or exchange is being prepared"),
    ReturnStatus.REFUNDED: _("Refunded"),
    ReturnStatus.EXCHANGED: _("Exchanged: your replacement is on its way"),
    ReturnStatus.CLOSED: _("Closed"),
    ReturnStatus.CANCELLED: _("Cancelled"),
    ReturnStatus.EXPIRED: _("Expired: the parcel was not sent in time"),
}
TIMELINE_WORDS = {
    ReturnStatus.APPROVED: _("Return approved"),
    ReturnStatus.REJECTED: _("Return not accepted"),
    ReturnStatus.LABEL_ISSUED: _("Return label ready"),
    ReturnStatus.IN_TRANSIT: _("Parcel on its way back"),
    ReturnStatus.RECEIVED: _("Parcel received"),
    ReturnStatus.INSPECTED: _("Items checked"),
    ReturnStatus.REFUNDED: _("Refunded"),
    ReturnStatus.EXCHANGED: _("Replacement sent"),
    ReturnStatus.CLOSED: _("Return closed"),
    ReturnStatus.CANCELLED: _("Return cancelled"),
    ReturnStatus.EXPIRED: _("Return expired"),
}
REFUND_WORDS = {
    RefundStatus.PENDING: _("Being processed"),
    RefundStatus.SUCCEEDED: _("Refunded"),
    RefundStatus.FAILED: _("Delayed: we are looking into it, nothing is needed from you"),
}
METHOD_WORDS = {RefundMethod.ORIGINAL_PAYMENT: _("to your original payment"), RefundMethod.STORE_CREDIT: _("as store credit")}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str


@dataclass(frozen=True)
class RefundView:
    status: str
    words: str
    amount: str
    method: str
    at: datetime | None


REASON_WORDS = {
    "damaged": _("Arrived damaged"),
    "wrong_item": _("Wrong item sent"),
    "too_small": _("Too small"),
    "too_large": _("Too large"),
    "not_as_described": _("Not as described"),
    "changed_mind": _("Changed my mind"),
    "other": _("Other (please say)"),
}


FINDING_WORDS = {
    "window_after_delivery": _("%(days)s days after delivery, window %(window)s"),
    "window_after_shipment": _("%(days)s days after shipment, window %(window)s"),
    "order_completed": _("order %(order)s is completed (its return window closed)"),
    "not_returnable": _("%(sku)s is not returnable"),
    "final_sale": _("%(sku)s (line %(line)s) was final sale (%(share)s%% off)"),
}


def finding_words(finding) -> str:
    """A policy finding (``returns.services.PolicyFinding``) in the customer's language."""
    words = FINDING_WORDS.get(getattr(finding, "kind", ""))
    return words % finding.values if words is not None else str(finding)


def reason_words(reason) -> str:
    """A reason in the customer's language (the seeded ones; an operator's own as they wrote it)."""
    return REASON_WORDS.get(reason.code, reason.label)


def status_words(rma: ReturnRequest) -> str:
    return STATUS_WORDS.get(rma.status, rma.get_status_display())


def return_timeline(rma: ReturnRequest, events) -> list[TimelineEntry]:
    """Requested, then each status it reached, then each refund's outcome, oldest first."""
    entries = [TimelineEntry(rma.created_at, _("Return requested"))]
    for event in events:
        if event.kind == ReturnEvent.Kind.STATUS and event.to_status in TIMELINE_WORDS:
            entries.append(TimelineEntry(event.created_at, TIMELINE_WORDS[event.to_status]))
    for refund in refund_views(rma):
        if refund.at is not None:
            entries.append(TimelineEntry(refund.at, f"{refund.words}: {refund.amount} {refund.method}"))
    return sorted(entries, key=lambda entry: entry.at)


def _method_words(refund: Refund) -> str:
    """Where the money went. A refund of an invoiced order gives back by owing less what its credit
    notes took off an open invoice balance; only the rest was paid back or became store credit
    (``returns.services.refunds``), and the words say so."""
    settled = refund.breakdown or {}
    owed_less = Decimal(settled.get("invoice_balance_reduced") or 0)
    if not owed_less:
        return METHOD_WORDS.get(refund.method, "")
    rest = Decimal(settled.get("store_credit" if refund.method == RefundMethod.STORE_CREDIT else "paid_back") or 0)
    if not rest:
        return _("off what your invoice asks you to pay")
    values = {"invoice": money_text(owed_less, refund.currency), "credit": money_text(rest, refund.currency)}
    if refund.method == RefundMethod.STORE_CREDIT:
        return _("of which %(invoice)s off what your invoice asks you to pay and %(credit)s as store credit") % values
    return _("of which %(invoice)s off what your invoice asks you to pay and %(credit)s to your original payment") % values


def refund_views(rma: ReturnRequest) -> list[RefundView]:
    # ``refund_list``: prefetched by ``returns_with_details`` (an empty list is an answer too).
    refunds: list[Refund] = rma.refund_list if hasattr(rma, "refund_list") else list(rma.refunds.order_by("id"))
    return [
        RefundView(
            status=refund.status, words=REFUND_WORDS[refund.status], amount=money_text(refund.amount, refund.currency),
            method=_method_words(refund), at=refund.succeeded_at if refund.status == RefundStatus.SUCCEEDED else None,
        )
        for refund in refunds
    ]


def label_downloadable(rma: ReturnRequest) -> bool:
    """A label of ours the customer may print: booked, not voided, for a return still to be sent."""
    shipment = rma.shipment if rma.shipment_id else None
    return (
        shipment is not None and rma.status not in NOT_PRINTABLE and shipment.status != ShipmentStatus.VOIDED
        and shipment.label_format != MANUAL_LABEL_FORMAT
    )


def slip_downloadable(rma: ReturnRequest) -> bool:
    return rma.status not in NOT_PRINTABLE


def label_words(rma: ReturnRequest) -> str:
    shipment = rma.shipment if rma.shipment_id else None
    if shipment is None:
        if rma.status == ReturnStatus.REQUESTED:
            return _("A return label follows once the return is approved.")
        if rma.status == ReturnStatus.APPROVED:
            return _("Your return label is being prepared.")
        return _("No return label.")
    if shipment.status == ShipmentStatus.VOIDED or rma.status in NOT_PRINTABLE:
        return _("The return label was cancelled: do not use it.")
    if shipment.label_format == MANUAL_LABEL_FORMAT:
        return _("The carrier gives you the label (tracking number %(tracking)s).") % {"tracking": shipment.tracking_number}
    return _("Ready to print (tracking number %(tracking)s).") % {"tracking": shipment.tracking_number}
