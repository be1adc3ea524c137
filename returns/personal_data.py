"""The returns app's part of a customer's data: return requests (RMAs) of the customer's orders,
their lines, comments and audit trail, refunds, and the return labels' shipments.

Erasure keeps quantities, SKUs, amounts and dates; it blanks the customer's comment and cleans
the customer's strings out of notes and the audit trail. Open returns hold an erasure back."""

from django.db.models import Q

from oms.personal_data import ERASED, ErasureContext, PersonalDataPart, rows_of, rows_scrub
from shipping.personal_data import shipments_erase, shipments_export

from .models import FINAL_STATUSES, Refund, ReturnEvent, ReturnLine, ReturnRequest


def _returns(customer_id: int):
    return ReturnRequest.objects.filter(order__customer_id=customer_id)


def _refunds(customer_id: int):
    # A refund belongs to a return, or straight to an order (a cancellation's money back).
    return Refund.objects.filter(Q(order__customer_id=customer_id) | Q(request__order__customer_id=customer_id))


def _shipment_ids(customer_id: int) -> list[int]:
    return list(_returns(customer_id).exclude(shipment=None).values_list("shipment_id", flat=True).distinct())


def returns_export(customer_id: int) -> dict:
    of_customer = Q(request__order__customer_id=customer_id)
    return {
        "return_requests": rows_of(_returns(customer_id), exclude=["version"]),
        "return_lines": rows_of(ReturnLine.objects.filter(of_customer)),
        "return_events": rows_of(ReturnEvent.objects.filter(of_customer)),
        "refunds": rows_of(_refunds(customer_id), exclude=["idempotency_key"]),
        **{f"return_{name}": rows for name, rows in shipments_export(_shipment_ids(customer_id)).items()},
    }


def returns_erasure_blockers(customer_id: int) -> list[str]:
    open_numbers = list(_returns(customer_id).exclude(status__in=FINAL_STATUSES).order_by("pk").values_list("number", flat=True)[:10])
    if not open_numbers:
        return []
    return [f"The customer has open returns ({', '.join(str(n) for n in open_numbers)}): erase once they are refunded, exchanged or closed."]


def returns_erase(context: ErasureContext) -> dict[str, int]:
    of_customer = Q(request__order__customer_id=context.customer_id)
    comments = _returns(context.customer_id).exclude(customer_comment="").update(customer_comment=ERASED)
    return {
        "return_comments": comments,
        "return_requests": rows_scrub(_returns(context.customer_id), context.values, skip=["number"]),
        "return_lines": rows_scrub(ReturnLine.objects.filter(of_customer), context.values),
        "return_events": rows_scrub(ReturnEvent.objects.filter(of_customer), context.values),
        "refunds": rows_scrub(_refunds(context.customer_id), context.values, skip=["idempotency_key"]),
        **{f"return_{name}": count for name, count in
           shipments_erase(_shipment_ids(context.customer_id), context, customer_end="origin").items()},
    }


def returns_active_since(customer_ids: list[int], since) -> set[int]:
    recent = ReturnRequest.objects.filter(order__customer_id__in=customer_ids, created_at__gte=since)
    return set(recent.values_list("order__customer_id", flat=True))


PART = PersonalDataPart(
    name="returns",
    models=("returns.ReturnRequest", "returns.ReturnLine", "returns.ReturnEvent", "returns.Refund"),
    export=returns_export,
    erase=returns_erase,
    erasure_blockers=returns_erasure_blockers,
    active_since=returns_active_since,
    fields={"returns.ReturnRequest": ("customer_comment",)},
)
