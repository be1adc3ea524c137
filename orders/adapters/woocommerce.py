"""WooCommerce order webhooks (topics ``order.created``, ``order.updated``, ``order.deleted``).

The body is the order as the WooCommerce REST API returns it. A line's ``subtotal`` is its
value before discounts and ``total`` after them, both without tax (``total_tax``); so the unit
price is ``subtotal / quantity`` and the line discount ``subtotal - total``. Shipping is the sum
of the shipping lines' ``total``, their ``total_tax`` joins the order's tax. ``order.deleted``
carries only the order id. WooCommerce draws a new ``X-WC-Webhook-Delivery-ID`` for each
delivery attempt, so a retry is recognised by the order id (nothing is applied twice: intake
returns the recorded order and notes are not repeated) rather than by the receipt.
"""

import re
from decimal import Decimal

from ..models import PaymentStatus
from ..services import AddressData
from .mapping import AmountReader, PlatformLine, PlatformOrder, PlatformRefund, dicts, external_id_of, text, timestamp, whole_number
from .webhooks import DELETE, UPSERT, Adapter

# WooCommerce's order status says both where the payment is and where the order is.
STATUS_PAYMENT = {
    "pending": PaymentStatus.PENDING,  # awaiting payment
    "on-hold": PaymentStatus.PENDING,  # awaiting a bank transfer or cheque
    "failed": PaymentStatus.PENDING,
    "checkout-draft": PaymentStatus.PENDING,
    "processing": PaymentStatus.PAID,
    "completed": PaymentStatus.PAID,
    "refunded": PaymentStatus.REFUNDED,
}


def _address(node) -> AddressData | None:
    if not isinstance(node, dict) or not any(text(node.get(k)) for k in ("address_1", "city", "country")):
        return None
    name = " ".join(p for p in (text(node.get("first_name")), text(node.get("last_name"))) if p) or text(node.get("company"))
    return AddressData(
        name=name,
        line1=text(node.get("address_1")),
        line2=text(node.get("address_2")),
        city=text(node.get("city")),
        region=text(node.get("state")),
        postal_code=text(node.get("postcode")),
        country=text(node.get("country")),
        phone=text(node.get("phone")),
    )


def woocommerce_order(payload: dict) -> PlatformOrder:
    """A WooCommerce order (REST JSON) as a :class:`PlatformOrder`."""
    external_id = external_id_of(payload)
    problems: list[str] = []
    amount = AmountReader(problems)
    billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}

    lines = []
    for index, item in enumerate(dicts(payload.get("line_items")), start=1):
        quantity = whole_number(item.get("quantity"))
        title = text(item.get("name"))
        if quantity is None or quantity < 1:
            problems.append(f"line {index} {title!r}: quantity {item.get('quantity')!r} is not a whole number of at least 1, line left out")
            continue
        subtotal = amount(item.get("subtotal"), f"line {index} subtotal")
        total = amount(item.get("total"), f"line {index} total")
        reference = text(item.get("variation_id")) if whole_number(item.get("variation_id")) else text(item.get("product_id"))
        lines.append(
            PlatformLine(
                sku=text(item.get("sku")), title=title, quantity=quantity, unit_price=subtotal / quantity,
                discount=max(subtotal - total, Decimal(0)), tax=amount(item.get("total_tax"), f"line {index} tax"), reference=reference,
                line_id=text(item.get("id")),
            )
        )

    shipping_price = shipping_tax = Decimal(0)
    for index, shipping_line in enumerate(dicts(payload.get("shipping_lines")), start=1):
        shipping_price += amount(shipping_line.get("total"), f"shipping line {index}")
        shipping_tax += amount(shipping_line.get("total_tax"), f"shipping line {index} tax")

    refunds = [
        # WooCommerce lists refunds with negative totals.
        PlatformRefund(refund_id=text(refund.get("id")), amount=amount(text(refund.get("total")).lstrip("-"), "refund"), note=text(refund.get("reason")))
        for refund in dicts(payload.get("refunds"))
    ]

    status = text(payload.get("status"))
    payment = STATUS_PAYMENT.get(status)
    if payment is None:  # cancelled, trash or a status a plugin added: paid if it says it was
        payment = PaymentStatus.PAID if text(payload.get("date_paid_gmt")) or text(payload.get("date_paid")) else PaymentStatus.PENDING

    remarks = []
    coupons = [f"{text(c.get('code'))} ({text(c.get('discount'))})" for c in dicts(payload.get("coupon_lines"))]
    if coupons:
        remarks.append(f"coupons: {', '.join(coupons)}; total discounts {text(payload.get('discount_total'))}")
    if text(payload.get("customer_note")):
        remarks.append(f"customer note: {text(payload.get('customer_note'))}")
    if status == "failed":
        remarks.append("payment failed in WooCommerce")

    return PlatformOrder(
        platform="WooCommerce",
        external_id=external_id,
        name=f"#{text(payload.get('number')) or external_id}",
        currency=text(payload.get("currency")),
        email=text(billing.get("email")),
        first_name=text(billing.get("first_name")),
        last_name=text(billing.get("last_name")),
        phone=text(billing.get("phone")),
        shipping_address=_address(payload.get("shipping")),
        billing_address=_address(billing),
        lines=lines,
        shipping_price=shipping_price,
        shipping_tax=shipping_tax,
        payment_status=payment,
        payment_label=status,
        cancelled=status in ("cancelled", "trash"),
        refunds=refunds,
        placed_at=timestamp(payload.get("date_created_gmt") or payload.get("date_created"), problems),
        remarks=remarks,
        problems=problems,
    )


def woocommerce_ping(body: bytes) -> bool:
    """WooCommerce checks a new webhook's URL with an unsigned form body ``webhook_id=<id>`` and
    refuses to save the webhook unless it gets a 2xx."""
    return re.fullmatch(rb"webhook_id=\d{1,20}", body) is not None


WOOCOMMERCE = Adapter(
    code="woocommerce",
    label="WooCommerce",
    signature_header="X-WC-Webhook-Signature",
    topic_header="X-WC-Webhook-Topic",
    webhook_id_header="X-WC-Webhook-Delivery-ID",
    actions={"order.created": UPSERT, "order.updated": UPSERT, "order.deleted": DELETE},
    parse=woocommerce_order,
    is_ping=woocommerce_ping,
)
