"""Shopify's mandatory compliance webhooks, on a Shopify channel's webhook endpoint (signed with
the channel's webhook secret like its order webhooks):

- ``customers/data_request``: the shop's customer asked the merchant for their data: an export
  request is recorded for the customer (matched by e-mail, else by the orders Shopify names);
- ``customers/redact``: erase the customer's personal data (refused, and recorded so, while the
  customer has open orders or returns);
- ``shop/redact`` (48 hours after the app was uninstalled): erase the customers of this channel
  who have no order on another channel.

Each delivery is recorded once: a repeat of the same webhook id finds its requests and records
nothing more. A customer the OMS does not know is recorded as a refused request."""

from dataclasses import dataclass

from customers.data_requests import customer_data_erasure_request, customer_data_export_request, data_request_refuse_unknown
from customers.models import Customer, DataRequest
from oms.errors import InvalidInput

from ..models import Channel, Order

DATA_REQUEST = "customers/data_request"
CUSTOMER_REDACT = "customers/redact"
SHOP_REDACT = "shop/redact"
TOPICS = (DATA_REQUEST, CUSTOMER_REDACT, SHOP_REDACT)


@dataclass(frozen=True)
class ComplianceResult:
    outcome: str
    duplicate: bool = False


def _customer_of(channel: Channel, payload: dict) -> Customer | None:
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    email = str(customer.get("email") or "").strip().lower()
    if email:
        found = Customer.objects.filter(email=email).first()
        if found is not None:
            return found
    # Shopify names the customer's orders: their customer here, when they were recorded.
    order_ids = payload.get("orders_requested") or payload.get("orders_to_redact") or []
    if not isinstance(order_ids, list):
        raise InvalidInput("orders_requested / orders_to_redact must be a list of order ids.", fields={"orders": ["Expected a list."]})
    external_ids = [str(value) for value in order_ids if isinstance(value, int | str)]
    customer_ids = set(
        Order.objects.filter(channel=channel, external_id__in=external_ids).exclude(customer=None).values_list("customer_id", flat=True)
    )
    return Customer.objects.get(pk=customer_ids.pop()) if len(customer_ids) == 1 else None


def _ask_for(customer: Customer | None, *, kind: str, channel: Channel, reference: str) -> DataRequest:
    actor = f"shopify:{channel.code}"
    if customer is None:
        return data_request_refuse_unknown(
            kind=kind, source=DataRequest.Source.SHOPIFY, actor=actor, reference=reference,
            reason="No customer in the OMS matches the e-mail or the orders Shopify named: the OMS holds no data about them.",
        )
    request_service = customer_data_export_request if kind == DataRequest.Kind.EXPORT else customer_data_erasure_request
    return request_service(customer_id=customer.pk, source=DataRequest.Source.SHOPIFY, actor=actor, reference=reference)


def _said(request: DataRequest) -> str:
    said = f"{request.get_kind_display().lower()} request #{request.pk} {request.get_status_display().lower()}"
    return f"{said}: {request.refusal_reason}" if request.refusal_reason else said


def shop_customers_to_erase(channel: Channel) -> list[int]:
    """Customers with orders on this channel and on no other."""
    here = set(Order.objects.filter(channel=channel).exclude(customer=None).values_list("customer_id", flat=True))
    elsewhere = set(Order.objects.filter(customer_id__in=here).exclude(channel=channel).values_list("customer_id", flat=True))
    return sorted(here - elsewhere)


def shopify_compliance_apply(*, channel: Channel, topic: str, payload: dict, webhook_id: str) -> ComplianceResult:
    """Act on one compliance webhook (see the module's docstring); what it did, in words."""
    if not isinstance(payload, dict):
        raise InvalidInput("The body must be a JSON object.", fields={"body": ["Expected an object."]})
    reference = f"shopify:{webhook_id}"[:120]
    earlier = list(DataRequest.objects.filter(source=DataRequest.Source.SHOPIFY, reference=reference).order_by("pk"))
    if earlier:
        return ComplianceResult("; ".join(_said(request) for request in earlier), duplicate=True)
    if topic == DATA_REQUEST:
        return ComplianceResult(_said(_ask_for(_customer_of(channel, payload), kind=DataRequest.Kind.EXPORT, channel=channel, reference=reference)))
    if topic == CUSTOMER_REDACT:
        return ComplianceResult(_said(_ask_for(_customer_of(channel, payload), kind=DataRequest.Kind.ERASURE, channel=channel, reference=reference)))
    erased = refused = 0
    for customer_id in shop_customers_to_erase(channel):
        request = customer_data_erasure_request(
            customer_id=customer_id, source=DataRequest.Source.SHOPIFY, actor=f"shopify:{channel.code}", reference=reference
        )
        erased += request.status == DataRequest.Status.DONE
        refused += request.status == DataRequest.Status.REFUSED
    return ComplianceResult(f"shop redact: {erased} customers erased, {refused} refused (see Data requests)")
