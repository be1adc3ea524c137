"""The orders app's part of a customer's data: orders with their address snapshots, lines, holds,
audit trail and notes, and what the sales channels were told about them.

Erasure keeps every amount, quantity, SKU, date and status (the books need them for the legal
retention period) and the ship-to country (tax reports); it blanks e-mails, addresses, notes and
coordinates, and cleans the customer's strings out of the audit trail's free text.

Invoices keep their numbers, dates and amounts (the books need them); erasure blanks the buyer's
billing snapshot (keeping its country) and payment references, and waits while invoices are unpaid.
Credit notes likewise keep numbers and amounts; their reasons are cleaned of the customer's strings.
"""

from django.db.models import Q

from oms.personal_data import ERASED, ErasureContext, PersonalDataPart, address_anonymised, rows_mentioning, rows_of, rows_scrub

from .models import (
    ChannelFulfillmentSync, ChannelWebhookReceipt, CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoicePayment, InvoiceStatus, Order, OrderEvent, OrderHold, OrderLine, OrderStatus, PlatformCancellation,
    ScreeningBlock,
)
from .services.audit import order_event, order_touch

CLOSED_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)

MODELS = (
    "orders.Order", "orders.OrderLine", "orders.OrderHold", "orders.OrderEvent", "orders.ChannelWebhookReceipt",
    "orders.ChannelFulfillmentSync", "orders.PlatformCancellation", "orders.ScreeningBlock",
    "orders.Invoice", "orders.InvoiceLine", "orders.InvoicePayment", "orders.CreditNote", "orders.CreditNoteLine",
)


def _orders(customer_id: int):
    return Order.objects.filter(customer_id=customer_id)


def orders_export(customer_id: int) -> dict:
    of_customer = Q(order__customer_id=customer_id)
    return {
        "orders": rows_of(_orders(customer_id), exclude=["routing", "version"]),
        "order_lines": rows_of(OrderLine.objects.filter(of_customer)),
        "order_holds": rows_of(OrderHold.objects.filter(of_customer)),
        "order_events": rows_of(OrderEvent.objects.filter(of_customer)),
        "channel_fulfillment_syncs": rows_of(ChannelFulfillmentSync.objects.filter(of_customer)),
        "platform_cancellations": rows_of(PlatformCancellation.objects.filter(of_customer)),
        "invoices": rows_of(Invoice.objects.filter(customer_id=customer_id)),
        "invoice_lines": rows_of(InvoiceLine.objects.filter(invoice__customer_id=customer_id)),
        "invoice_payments": rows_of(InvoicePayment.objects.filter(invoice__customer_id=customer_id)),
        "credit_notes": rows_of(CreditNote.objects.filter(customer_id=customer_id)),
        "credit_note_lines": rows_of(CreditNoteLine.objects.filter(credit_note__customer_id=customer_id)),
    }


def _address_strings(address) -> list[str]:
    if not isinstance(address, dict):
        return []
    return [value for key, value in address.items() if isinstance(value, str) and key not in ("country", "country_code")]


def orders_values(customer_id: int) -> list[str]:
    values: list[str] = []
    for email, shipping, billing in _orders(customer_id).values_list("email", "shipping_address", "billing_address"):
        values += [email] + _address_strings(shipping) + _address_strings(billing)
    return values


def orders_identifiers(customer_id: int) -> list[str]:
    values: list[str] = []
    for email, shipping, billing in _orders(customer_id).values_list("email", "shipping_address", "billing_address"):
        values.append(email)
        for address in (shipping, billing):
            if isinstance(address, dict):
                name = address.get("name")
                values += [name if isinstance(name, str) and " " in name else "", address.get("line1"), address.get("phone")]
    return [value for value in values if isinstance(value, str)]


def _unpaid_invoices(customer_id: int) -> list[str]:
    unpaid = list(Invoice.objects.filter(customer_id=customer_id).exclude(status=InvoiceStatus.PAID).order_by("pk").values_list("number", flat=True)[:11])
    if not unpaid:
        return []
    shown = ", ".join(unpaid[:10]) + (", ..." if len(unpaid) > 10 else "")
    return [f"The customer has unpaid invoices ({shown}): erase once they are paid."]


def orders_erasure_blockers(customer_id: int) -> list[str]:
    open_numbers = list(_orders(customer_id).exclude(status__in=CLOSED_STATUSES).order_by("pk").values_list("number", flat=True)[:11])
    reasons = []
    if open_numbers:
        shown = ", ".join(str(number) for number in open_numbers[:10]) + (", ..." if len(open_numbers) > 10 else "")
        reasons.append(
            f"The customer has open orders ({shown}): erase once they are delivered, completed or cancelled."
        )
    return reasons + _unpaid_invoices(customer_id)


def orders_erase(context: ErasureContext) -> dict[str, int]:
    # Locked in primary-key order, like every service that takes several orders.
    orders = list(_orders(context.customer_id).select_for_update(no_key=True).order_by("pk"))
    for order in orders:
        order_touch(
            order, email=context.email if order.email else "", shipping_address=address_anonymised(order.shipping_address),
            billing_address=address_anonymised(order.billing_address), note=ERASED if order.note else "",
            destination_latitude=None, destination_longitude=None,
        )
    invoices = Invoice.objects.filter(customer_id=context.customer_id).select_for_update(no_key=True).order_by("pk")
    for invoice in invoices:
        Invoice.objects.filter(pk=invoice.pk).update(billing_address=address_anonymised(invoice.billing_address))
    of_customer = Q(order__customer_id=context.customer_id)
    notes = OrderEvent.objects.filter(of_customer, kind=OrderEvent.Kind.NOTE).exclude(message="").update(message=ERASED)
    # Each order's trail says what happened to it, and who asked (amounts and lines are unchanged).
    OrderEvent.objects.bulk_create([
        order_event(order, OrderEvent.Kind.NOTE, "Customer's personal data erased on request; amounts and lines kept.", actor=context.actor)
        for order in orders
    ])
    return {
        "orders": len(orders),
        "order_texts": rows_scrub(_orders(context.customer_id), context.values, skip=["number", "external_id"]),
        "order_events": rows_scrub(OrderEvent.objects.filter(of_customer), context.values) + notes,
        "order_holds": rows_scrub(OrderHold.objects.filter(of_customer), context.values),
        "order_lines": rows_scrub(OrderLine.objects.filter(of_customer), context.values, skip=["sku"]),
        "channel_fulfillment_syncs": rows_scrub(ChannelFulfillmentSync.objects.filter(of_customer), context.values),
        "platform_cancellations": rows_scrub(PlatformCancellation.objects.filter(of_customer), context.values),
        "channel_webhook_receipts": rows_scrub(ChannelWebhookReceipt.objects.filter(of_customer), context.values, skip=["webhook_id"]),
        # A blocked e-mail or phone of this customer: the block goes with the data it held.
        "invoices": rows_scrub(Invoice.objects.filter(customer_id=context.customer_id), context.values, skip=["number"]),
        "invoice_lines": rows_scrub(InvoiceLine.objects.filter(invoice__customer_id=context.customer_id), context.values, skip=["sku"]),
        "invoice_payments": rows_scrub(InvoicePayment.objects.filter(invoice__customer_id=context.customer_id), context.values),
        "credit_notes": rows_scrub(CreditNote.objects.filter(customer_id=context.customer_id), context.values, skip=["number"]),
        "screening_blocks": rows_scrub(rows_mentioning(ScreeningBlock, context.identifiers, ["value", "note"]), context.values),
    }


def orders_active_since(customer_ids: list[int], since) -> set[int]:
    # Placed, not updated: housekeeping (completion after the return window) touches old orders.
    recent = Order.objects.filter(customer_id__in=customer_ids, placed_at__gte=since)
    return set(recent.values_list("customer_id", flat=True))


PART = PersonalDataPart(
    name="orders",
    models=MODELS,
    export=orders_export,
    erase=orders_erase,
    values=orders_values,
    identifiers=orders_identifiers,
    erasure_blockers=orders_erasure_blockers,
    active_since=orders_active_since,
    # The ship-to country stays visible (``ship_country``): it is no one's address.
    fields={"orders.Order": ("email", "shipping_address", "billing_address"), "orders.Invoice": ("billing_address",)},
)
