"""Shopify order webhooks (topics ``orders/create``, ``orders/updated``, ``orders/cancelled``).

Amounts come from the ``*_set.shop_money`` objects where present: they are in the shop's
currency, which is the order's ``currency``; ``presentment_money`` is what the buyer saw and
is ignored. Line discounts are the sum of the line's ``discount_allocations`` (order-level
discount codes are allocated to lines by Shopify), line tax the sum of its ``tax_lines``;
shipping is the sum of the shipping lines after their discounts, and their tax joins the
order's tax. With ``taxes_included`` the prices contain the tax, so it is taken out of them.
"""

from decimal import Decimal

from ..models import PaymentStatus
from ..services import AddressData
from .mapping import AmountReader, PlatformLine, PlatformOrder, PlatformRefund, dicts, external_id_of, text, timestamp, whole_number
from .webhooks import CANCEL, UPSERT, Adapter

FINANCIAL_STATUS = {
    "pending": PaymentStatus.PENDING,
    "authorized": PaymentStatus.AUTHORIZED,
    "partially_paid": PaymentStatus.PENDING,
    "paid": PaymentStatus.PAID,
    "partially_refunded": PaymentStatus.PAID,
    "refunded": PaymentStatus.REFUNDED,
    "voided": PaymentStatus.VOIDED,
}


def _shop_money(node: dict, name: str):
    """``node[name + "_set"].shop_money.amount``, else the plain ``node[name]``."""
    money_set = node.get(f"{name}_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict) and "amount" in money_set["shop_money"]:
        return money_set["shop_money"]["amount"]
    return node.get(name)


def _address(node) -> AddressData | None:
    if not isinstance(node, dict) or not any(text(node.get(k)) for k in ("address1", "city", "country_code", "country")):
        return None
    name = text(node.get("name")) or " ".join(p for p in (text(node.get("first_name")), text(node.get("last_name"))) if p)
    return AddressData(
        name=name,
        line1=text(node.get("address1")),
        line2=text(node.get("address2")),
        city=text(node.get("city")),
        region=text(node.get("province_code")) or text(node.get("province")),
        postal_code=text(node.get("zip")),
        country=text(node.get("country_code")) or text(node.get("country")),
        phone=text(node.get("phone")),
    )


# Shopify's words for its verdict: the REST order risks' recommendation and the GraphQL risk level.
SHOPIFY_RISK = {"accept": "low", "investigate": "medium", "cancel": "high", "low": "low", "medium": "medium", "high": "high"}


def shopify_risk(payload: dict) -> str:
    """The highest risk Shopify reports in the payload (low, medium, high), or '' when it reports none.

    Reads the order risks (``risks[].recommendation``) and the GraphQL-shaped ``risk`` object
    (``recommendation``, ``assessments[].riskLevel``) when the payload carries them."""
    risk = payload.get("risk") if isinstance(payload.get("risk"), dict) else {}
    words = [text(r.get("recommendation")) for r in dicts(payload.get("risks"))]
    words += [text(risk.get("recommendation"))] + [text(a.get("riskLevel")) for a in dicts(risk.get("assessments"))]
    levels = [SHOPIFY_RISK[w.lower()] for w in words if w.lower() in SHOPIFY_RISK]
    return max(levels, key=("low", "medium", "high").index, default="")


def shopify_order(payload: dict) -> PlatformOrder:
    """A Shopify order (REST JSON) as a :class:`PlatformOrder`."""
    external_id = external_id_of(payload)
    problems: list[str] = []
    amount = AmountReader(problems)
    taxes_included = payload.get("taxes_included") is True
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}

    lines = []
    for index, item in enumerate(dicts(payload.get("line_items")), start=1):
        quantity = whole_number(item.get("quantity"))
        title = " / ".join(p for p in (text(item.get("title")), text(item.get("variant_title"))) if p) or text(item.get("name"))
        if quantity is None or quantity < 1:
            problems.append(f"line {index} {title!r}: quantity {item.get('quantity')!r} is not a whole number of at least 1, line left out")
            continue
        price = amount(_shop_money(item, "price"), f"line {index} price")
        allocations = dicts(item.get("discount_allocations"))
        if allocations:
            discount = sum((amount(_shop_money(a, "amount"), f"line {index} discount") for a in allocations), Decimal(0))
        else:
            discount = amount(_shop_money(item, "total_discount"), f"line {index} discount")
        tax = sum((amount(_shop_money(t, "price"), f"line {index} tax") for t in dicts(item.get("tax_lines"))), Decimal(0))
        if taxes_included and tax:
            price -= tax / quantity
        reference = text(item.get("variant_id")) or text(item.get("product_id")) or text(item.get("id"))
        lines.append(PlatformLine(sku=text(item.get("sku")), title=title, quantity=quantity, unit_price=price, discount=discount, tax=tax, reference=reference,
                                   line_id=text(item.get("id"))))

    shipping_price = shipping_tax = Decimal(0)
    for index, shipping_line in enumerate(dicts(payload.get("shipping_lines")), start=1):
        discounted = _shop_money(shipping_line, "discounted_price")
        shipping_price += amount(discounted if discounted not in (None, "") else _shop_money(shipping_line, "price"), f"shipping line {index}")
        shipping_tax += sum((amount(_shop_money(t, "price"), f"shipping line {index} tax") for t in dicts(shipping_line.get("tax_lines"))), Decimal(0))
    if taxes_included:
        shipping_price = max(shipping_price - shipping_tax, Decimal(0))

    refunds = []
    for refund in dicts(payload.get("refunds")):
        transactions = [t for t in dicts(refund.get("transactions")) if t.get("kind") == "refund" and t.get("status", "success") == "success"]
        items = []
        for refund_item in dicts(refund.get("refund_line_items")):
            line_item = refund_item.get("line_item") if isinstance(refund_item.get("line_item"), dict) else {}
            items.append((text(line_item.get("sku")) or text(line_item.get("title")) or text(refund_item.get("line_item_id")), whole_number(refund_item.get("quantity")) or 0))
        refunds.append(
            PlatformRefund(
                refund_id=text(refund.get("id")),
                amount=sum((amount(_shop_money(t, "amount"), "refund") for t in transactions), Decimal(0)),
                note=text(refund.get("note")),
                items=items,
            )
        )

    remarks = []
    codes = [f"{text(code.get('code'))} ({text(code.get('amount'))})" for code in dicts(payload.get("discount_codes"))]
    if codes:
        remarks.append(f"discount codes: {', '.join(codes)}; total discounts {text(payload.get('total_discounts'))}")
    if text(payload.get("note")):
        remarks.append(f"customer note: {text(payload.get('note'))}")
    financial = text(payload.get("financial_status"))
    if financial == "partially_paid":
        remarks.append("partially paid in Shopify")

    return PlatformOrder(
        platform="Shopify",
        external_id=external_id,
        name=text(payload.get("name")),
        currency=text(payload.get("currency")),
        email=text(payload.get("email")) or text(payload.get("contact_email")) or text(customer.get("email")),
        first_name=text(customer.get("first_name")),
        last_name=text(customer.get("last_name")),
        phone=text(customer.get("phone")) or text(payload.get("phone")),
        shipping_address=_address(payload.get("shipping_address")),
        billing_address=_address(payload.get("billing_address")),
        lines=lines,
        shipping_price=shipping_price,
        shipping_tax=shipping_tax,
        payment_status=FINANCIAL_STATUS.get(financial, PaymentStatus.PENDING),
        payment_label=financial,
        cancelled=bool(payload.get("cancelled_at")),
        cancel_reason=text(payload.get("cancel_reason")),
        refunds=refunds,
        placed_at=timestamp(payload.get("created_at"), problems),
        risk=shopify_risk(payload),
        remarks=remarks,
        problems=problems,
    )


SHOPIFY = Adapter(
    code="shopify",
    label="Shopify",
    signature_header="X-Shopify-Hmac-Sha256",
    topic_header="X-Shopify-Topic",
    webhook_id_header="X-Shopify-Webhook-Id",
    actions={"orders/create": UPSERT, "orders/updated": UPSERT, "orders/cancelled": CANCEL},
    parse=shopify_order,
)
