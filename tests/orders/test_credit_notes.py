"""Credit notes: a succeeded refund of an invoiced order issues credit notes for exactly what it gives
back, numbered without gaps per year; they reduce the invoice's balance and the credit exposure."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.urls import reverse

from customers.models import StoreCreditAccount
from customers.store_credit import store_credit_mismatches
from oms.models import DomainEvent
from orders.models import Channel, ChannelConnection, CreditNote, CreditNoteLine, CreditNoteNumberCounter, Invoice, InvoiceStatus, Order, OrderEvent, OrderLine
from orders.services import order_ship
from orders.services.credit_notes import credit_note_number_take
from orders.services.intake import _credit_position
from orders.services.invoicing import invoice_payment_record
from portal.return_status import refund_views
from returns.models import ReturnPolicy, ReturnReason, ReturnRequest
from returns.api.serializers import RefundSerializer
from returns.services import (
    InspectionData, ReceivedItem, ReturnLineData, refund_retry, return_inspect, return_receive, return_refund, return_request,
)

from ..admin.conftest import console  # noqa: F401  (fixture)
from ..channels.conftest import platform  # noqa: F401  (fixture: a local fake shop)
from ..factories import ChannelFactory, place_order
from .test_invoices import line, line_ids, terms_order, today, trade  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def refunded(order, *units, reason="too_small", amount=None, override_reason="", resolution="refund", client_options=None):
    """Return ``units`` ((line number, quantity), ...) of a shipped ``order``, receive and inspect
    them, and refund the return (to ``resolution``: "refund" or "store_credit"); the refund."""
    rma = return_request(order_id=order.pk, lines=[ReturnLineData(line_number=n, quantity=q, reason=reason, reason_text="") for n, q in units],
                         resolution=resolution, actor="portal")
    skus = dict(order.lines.values_list("line_number", "sku"))
    return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem(skus[n], q) for n, q in units], actor="dock")
    return_inspect(return_id=rma.pk, lines=[InspectionData(line_number=n, condition="new", disposition="restock") for n, _q in units],
                   actor="dock")
    return return_refund(return_id=rma.pk, amount=amount, reason=override_reason, actor="cs", client_options=client_options)


def notes_of(refund) -> list[CreditNote]:
    return list(CreditNote.objects.filter(refund_id=refund.pk).order_by("number"))


def invoice_of(order, index=0) -> Invoice:
    return list(Invoice.objects.filter(order=order).order_by("id"))[index]


@pytest.fixture
def shipped(stocked, trade, today):  # noqa: F811
    """An order of Acme on Net 30, 4 × SKU-A at 25.00 (1.00 discount, 8.00 tax) and 2 × SKU-B at
    10.00, 7.00 shipping with 1.40 tax, shipped whole on 2026-03-10: one invoice of 135.40."""
    today(date(2026, 3, 10))
    order = terms_order(stocked, trade, [line("SKU-A", 4, "25.00", discount="1.00", tax="8.00"), line("SKU-B", 2, "10.00")],
                        shipping_price=D("7.00"), shipping_tax=D("1.40"))
    order_ship(order_id=order.pk, actor="test")
    assert invoice_of(order).total == D("135.40")
    return order


def test_a_refund_of_invoiced_units_issues_a_credit_note_equal_to_it(shipped, today):
    today(date(2026, 3, 20))

    refund = refunded(shipped, (1, 1))

    (note,) = notes_of(refund)
    assert note.number == "CN-2026-000001" and note.issued_on == date(2026, 3, 20)
    assert note.total == refund.amount == D("26.75")  # (100 - 1) / 4 + 8 / 4
    (units,) = note.lines.all()
    assert (units.kind, units.sku, units.quantity, units.unit_price, units.discount, units.tax, units.amount) == (
        "units", "SKU-A", 1, D("25.00"), D("0.25"), D("2.00"), D("26.75"))
    assert note.invoice == invoice_of(shipped) and note.customer_id == shipped.customer_id and note.currency == "USD"
    assert note.reason.startswith(f"Refund #{refund.pk}; return ")
    invoice = invoice_of(shipped)
    assert invoice.amount_credited == D("26.75") and invoice.balance == D("108.65") and invoice.status == InvoiceStatus.OPEN
    event = DomainEvent.objects.get(name="credit_note.issued")
    assert event.stream == f"invoice:{invoice.pk}" and event.payload["number"] == "CN-2026-000001"
    assert event.payload["total"] == "26.75" and event.payload["invoice_balance"] == "108.65"
    assert OrderEvent.objects.filter(order=shipped, kind="credited", message__contains="CN-2026-000001").exists()


def test_repeated_refunds_of_a_line_add_up_to_what_it_charged_and_the_last_one_brings_back_shipping(shipped):
    ReturnPolicy.objects.filter(channel__isnull=True).update(refund_original_shipping=True)

    refunds = [refunded(shipped, (1, 1)), refunded(shipped, (1, 2)), refunded(shipped, (1, 1), (2, 2))]

    notes = [note for refund in refunds for note in notes_of(refund)]
    assert [note.number for note in notes] == ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]
    assert [note.total for note in notes] == [refund.amount for refund in refunds]
    invoice = invoice_of(shipped)
    # Everything came back: the credit notes are the invoice, which is settled by them
    assert sum(note.total for note in notes) == invoice.total == invoice.amount_credited
    assert invoice.balance == 0 and invoice.status == InvoiceStatus.PAID
    shipping = CreditNoteLine.objects.get(kind="shipping")
    assert shipping.credit_note == notes[2] and shipping.amount == D("8.40")
    assert sum(CreditNoteLine.objects.filter(kind="units", sku="SKU-A").values_list("quantity", flat=True)) == 4
    assert DomainEvent.objects.filter(name="invoice.paid", stream=f"invoice:{invoice.pk}").count() == 1


def test_a_restocking_fee_is_a_negative_line_and_the_total_is_the_refund(shipped):
    ReturnReason.objects.filter(code="changed_mind").update(restocking_fee_percent=D("10"), restocking_fee_fixed=D("1.50"), shipping_paid_by="merchant")

    refund = refunded(shipped, (1, 2), reason="changed_mind")

    (note,) = notes_of(refund)
    fee = note.lines.get(kind="restocking_fee")
    assert fee.amount == D("-6.45")  # 10% of 49.50 + 1.50
    assert note.total == refund.amount == D("49.50") + D("4.00") - D("6.45")


def test_an_amount_set_by_hand_is_credited_as_an_adjustment(shipped):
    refund = refunded(shipped, (2, 1), amount="5.00", override_reason="Goodwill: scratched")

    (note,) = notes_of(refund)
    assert note.total == refund.amount == D("5.00")
    assert note.lines.get(kind="adjustment").amount == D("-5.00")
    assert "Goodwill: scratched" in note.reason


def test_a_refund_spanning_two_shipments_credits_each_invoice_its_units(stocked, trade, today):  # noqa: F811
    today(date(2026, 12, 30))
    order = terms_order(stocked, trade, [line("SKU-A", 3, "10.00", tax="0.30")])
    ids = line_ids(order)
    order_ship(order_id=order.pk, quantities={ids["SKU-A"]: 1}, actor="test")
    order_ship(order_id=order.pk, quantities={ids["SKU-A"]: 2}, actor="test")
    today(date(2027, 1, 2))

    refund = refunded(order, (1, 3))

    notes = notes_of(refund)
    assert [(note.number, note.invoice.number, note.total) for note in notes] == [
        ("CN-2027-000001", "INV-2026-000001", D("10.10")), ("CN-2027-000002", "INV-2026-000002", D("20.20"))]
    assert sum(note.total for note in notes) == refund.amount
    assert all(invoice.status == InvoiceStatus.PAID for invoice in Invoice.objects.filter(order=order))


def test_no_credit_note_for_an_order_without_invoices(stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2, "20.00")])
    from orders.services import order_start_fulfillment

    order_start_fulfillment(order_id=order.pk, actor="test")
    order_ship(order_id=order.pk, actor="test")

    refund = refunded(order, (1, 1))

    assert refund.status == "succeeded" and not CreditNote.objects.exists()
    assert not DomainEvent.objects.filter(name="credit_note.issued").exists()


def test_a_credit_on_a_paid_invoice_is_paid_back_and_leaves_no_negative_balance(shipped):
    invoice = invoice_of(shipped)
    invoice_payment_record(number=invoice.number, amount=D("120.00"), received_on=date(2026, 3, 15), actor="accounting")

    refund = refunded(shipped, (1, 1))  # 26.75, of which 15.40 was still owed

    (note,) = notes_of(refund)
    assert note.amount_repaid == D("11.35")
    invoice = invoice_of(shipped)
    assert invoice.balance == 0 and invoice.status == InvoiceStatus.PAID
    assert invoice.amount_paid + invoice.amount_credited - invoice.total == note.amount_repaid


def test_payments_after_a_credit_are_bounded_by_the_new_balance(shipped):
    refunded(shipped, (1, 1))
    invoice = invoice_of(shipped)

    with pytest.raises(Exception, match="108.65"):
        invoice_payment_record(number=invoice.number, amount=D("135.40"), received_on=date(2026, 3, 25), actor="accounting")
    invoice_payment_record(number=invoice.number, amount=D("108.65"), received_on=date(2026, 3, 25), actor="accounting")

    assert invoice_of(shipped).status == InvoiceStatus.PAID


def test_credit_exposure_counts_the_balance_after_credit(shipped, trade):  # noqa: F811
    before = _credit_position(trade, trade.group, with_exposure=True)

    refunded(shipped, (1, 1))

    after = _credit_position(trade, trade.group, with_exposure=True)
    assert before.unpaid_invoices - after.unpaid_invoices == D("26.75")


def test_numbers_are_gapless_per_year_and_a_rolled_back_one_is_given_back(db):
    assert credit_note_number_take(2026) == "CN-2026-000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert credit_note_number_take(2026) == "CN-2026-000002"
        raise RuntimeError("the refund's transaction fails")
    assert credit_note_number_take(2026) == "CN-2026-000002"
    assert credit_note_number_take(2027) == "CN-2027-000001"
    assert dict(CreditNoteNumberCounter.objects.values_list("year", "last_number")) == {2026: 2, 2027: 1}


def test_the_database_refuses_crediting_more_than_invoiced(shipped):
    from django.db import IntegrityError

    invoice = invoice_of(shipped)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(amount_credited=invoice.total + D("0.01"))


def test_a_refund_recorded_twice_issues_its_credit_notes_once(shipped):
    from orders.services.credit_notes import credit_notes_for_refund

    refund = refunded(shipped, (1, 1))

    again = credit_notes_for_refund(order=shipped, refund_id=refund.pk, amount=refund.amount, breakdown=refund.breakdown, reason="", actor="t")

    assert again == [] and CreditNote.objects.count() == 1 and invoice_of(shipped).amount_credited == refund.amount



def test_units_never_invoiced_are_credited_nowhere_and_the_trail_says_so(stocked, trade, today):  # noqa: F811
    from orders.models import PaymentStatus
    from orders.services import order_payment_update

    today(date(2026, 6, 1))
    order = terms_order(stocked, trade, [line("SKU-A", 2, "10.00")])
    ids = line_ids(order)
    order_ship(order_id=order.pk, quantities={ids["SKU-A"]: 1}, actor="test")
    # Paid up front before the rest shipped: the second shipment is not invoiced
    order_payment_update(order_id=order.pk, payment_status=PaymentStatus.PAID, actor="test")
    order_ship(order_id=order.pk, actor="test")
    assert Invoice.objects.filter(order=order).count() == 1

    refund = refunded(order, (1, 2))

    (note,) = notes_of(refund)
    assert refund.amount == D("20.00") and note.total == D("10.00") == invoice_of(order).total
    assert OrderEvent.objects.filter(order=order, kind="credited", message__contains="10.00 USD of it is for what was never invoiced").exists()


def test_an_amount_not_tied_to_units_fills_the_oldest_invoices_and_never_credits_one_beyond_its_total(stocked, trade, today):  # noqa: F811
    from orders.services.credit_notes import credit_notes_for_refund

    today(date(2026, 7, 1))
    order = terms_order(stocked, trade, [line("SKU-A", 1, "10.00"), line("SKU-B", 1, "20.00")])
    ids = line_ids(order)
    order_ship(order_id=order.pk, quantities={ids["SKU-A"]: 1}, actor="test")
    order_ship(order_id=order.pk, quantities={ids["SKU-B"]: 1}, actor="test")

    # An exchange's rest: money back for no units in particular
    notes = credit_notes_for_refund(order=order, refund_id=900, amount=D("25.00"), breakdown={"exchange_rest": "25.00", "lines": []},
                                    reason="exchange", actor="test")

    assert [(note.invoice.number, note.total) for note in notes] == [("INV-2026-000001", D("10.00")), ("INV-2026-000002", D("15.00"))]
    assert {line.kind for note in notes for line in note.lines.all()} == {"adjustment"}
    assert [invoice.balance for invoice in Invoice.objects.filter(order=order).order_by("id")] == [0, D("5.00")]


def test_a_return_label_is_deducted_from_the_credit_note_the_refund_credits_most(stocked, trade, today):  # noqa: F811
    from orders.services.credit_notes import credit_notes_for_refund

    today(date(2026, 7, 1))
    order = terms_order(stocked, trade, [line("SKU-A", 1, "10.00"), line("SKU-B", 1, "20.00")])
    order_ship(order_id=order.pk, actor="test")
    ids = line_ids(order)
    breakdown = {
        "lines": [{"line_id": ids["SKU-A"], "units": 1, "price": "10.00", "tax": "0.00", "restocking_fee": "0.00"},
                  {"line_id": ids["SKU-B"], "units": 1, "price": "20.00", "tax": "0.00", "restocking_fee": "0.00"}],
        "shipping": "0.00", "label_cost": "6.50", "capped_by": "0.00", "amount": "23.50",
    }

    (note,) = credit_notes_for_refund(order=order, refund_id=901, amount=D("23.50"), breakdown=breakdown, reason="", actor="test")

    assert note.total == D("23.50")
    assert list(note.lines.filter(kind="deduction").values_list("description", "amount")) == [("Return label", D("-6.50"))]


def paid_on(order, paid: D | None) -> tuple[Invoice, D]:
    """Record ``paid`` (None: nothing) on the order's invoice; the invoice and what it still asks."""
    invoice = invoice_of(order)
    if paid is not None:
        invoice_payment_record(number=invoice.number, amount=paid, received_on=date(2026, 3, 15), actor="accounting")
    invoice.refresh_from_db()
    return invoice, invoice.balance


def store_credit_of(order) -> D:
    account = StoreCreditAccount.objects.filter(customer_id=order.customer_id, currency=order.currency).first()
    return account.balance if account else D("0")


@pytest.mark.parametrize("paid, owed_less, store_credit, portal_says", [
    # unpaid: the credit note takes it off what is owed, nothing to spend
    (None, D("26.75"), D("0.00"), "off what your invoice asks you to pay"),
    # paid in full: all of it comes back as store credit
    (D("135.40"), D("0.00"), D("26.75"), "as store credit"),
    # 15.40 was left to pay: that part is owed less, the rest was paid
    (D("120.00"), D("15.40"), D("11.35"), "of which 15.40 USD off what your invoice asks you to pay and 11.35 USD as store credit"),
])
def test_a_store_credit_refund_of_an_invoiced_order_makes_the_customer_whole_exactly_once(shipped, today, paid, owed_less, store_credit,
                                                                                         portal_says):
    invoice, owed_before = paid_on(shipped, paid)
    today(date(2026, 3, 20))

    refund = refunded(shipped, (1, 1), resolution="store_credit")

    invoice.refresh_from_db()
    (note,) = notes_of(refund)
    assert refund.status == "succeeded" and refund.amount == note.total == D("26.75")
    assert owed_before - invoice.balance == owed_less
    assert store_credit_of(shipped) == store_credit
    assert (owed_before - invoice.balance) + store_credit_of(shipped) == refund.amount
    assert note.amount_repaid == store_credit
    assert (refund.breakdown["invoice_balance_reduced"], refund.breakdown["store_credit"]) == (str(owed_less), str(store_credit))
    assert store_credit_mismatches() == []
    (shown,) = refund_views(ReturnRequest.objects.get(pk=refund.request_id))  # what the customer reads in the portal
    assert (shown.amount, shown.method) == ("26.75 USD", portal_says)


def test_a_store_credit_refund_credited_once_even_when_sent_again(shipped):
    refund = refunded(shipped, (1, 1), resolution="store_credit")

    from returns.services.refunds import _refund_record

    _refund_record(refund.pk, None, actor="retry")  # a twin record: the first stands

    assert len(notes_of(refund)) == 1 and store_credit_of(shipped) == D("0")
    assert invoice_of(shipped).balance == D("135.40") - D("26.75")


# --- Refunds to the original payment of an invoiced order: paid back only what was paid ---------


def through_shopify(order, platform) -> dict:  # noqa: F811
    """Move ``order`` to a Shopify channel that refunds through the shop, ``platform`` (a local fake
    shop); the refund's client options."""
    channel = ChannelFactory(code="shop-b2b", adapter=Channel.Adapter.SHOPIFY)
    ChannelConnection.objects.create(channel=channel, shopify_shop_domain="acme.myshopify.com", shopify_access_token="shpat_b2b_1",
                                     push_refunds=True)
    Order.objects.filter(pk=order.pk).update(channel=channel, external_id="820982911946154508")
    OrderLine.objects.filter(order=order).update(external_line_id="466157049")
    return {"base_url": platform.url, "sleep": [].append, "jitter": lambda: 0.5}


def sent_amounts(platform) -> list[str]:  # noqa: F811
    return [request["body"]["variables"]["input"]["transactions"][0]["amount"] for request in platform.requests
            if "RefundCreate" in request["body"]["query"]]


@pytest.mark.parametrize("paid, owed_less, paid_back", [
    (None, D("26.75"), D("0.00")),  # unpaid: the credit note settles it, nothing goes to the shop
    (D("135.40"), D("0.00"), D("26.75")),  # paid in full: all of it is paid back
    (D("120.00"), D("15.40"), D("11.35")),  # 15.40 was left to pay: owed less; the 11.35 paid beyond it comes back
])
def test_a_refund_to_the_original_payment_of_an_invoiced_order_pays_back_only_what_was_paid(shipped, today, platform, paid, owed_less,  # noqa: F811
                                                                                             paid_back):
    client = through_shopify(shipped, platform)
    invoice, owed_before = paid_on(shipped, paid)
    today(date(2026, 3, 20))
    if paid_back:
        platform.play("shopify/order_transactions", "shopify/refund_create_ok")

    refund = refunded(shipped, (1, 1), client_options=client)

    invoice.refresh_from_db()
    (note,) = notes_of(refund)
    assert refund.status == "succeeded" and refund.amount == note.total == D("26.75")
    assert owed_before - invoice.balance == owed_less and note.amount_repaid == paid_back
    assert sent_amounts(platform) == ([str(paid_back)] if paid_back else [])  # what the shop was asked to pay back
    assert (owed_before - invoice.balance) + paid_back == refund.amount  # whole, exactly once
    assert (refund.breakdown["invoice_balance_reduced"], refund.breakdown["paid_back"]) == (str(owed_less), str(paid_back))
    if paid_back:
        assert (refund.provider, refund.provider_refund_id) == ("shopify", "gid://shopify/Refund/929361464")
    else:
        assert platform.requests == []
        assert (refund.provider, refund.provider_refund_id) == ("credit_note", "invoices:CN-2026-000001")
    trail = refund.request.events.filter(kind="refund", data__refund_id=refund.pk, data__status="succeeded").get()
    assert f"{owed_less} USD off the invoices" in trail.message if owed_less else "off the invoices" not in trail.message
    assert Order.objects.get(pk=shipped.pk).payment_status == "pending"  # part of the order only
    api = RefundSerializer(refund).data
    assert (api["breakdown"]["paid_back"], api["breakdown"]["invoice_balance_reduced"]) == (str(paid_back), str(owed_less))
    (shown,) = refund_views(ReturnRequest.objects.get(pk=refund.request_id))  # the customer's portal page
    assert shown.method == {D("0.00"): "off what your invoice asks you to pay", D("26.75"): "to your original payment",
                            D("11.35"): "of which 15.40 USD off what your invoice asks you to pay and 11.35 USD to your original payment"}[paid_back]
    assert refund.settled_text() == ", ".join(
        part for part in (f"{owed_less} USD off the invoices" if owed_less else "",
                          f"{paid_back} USD paid back to the original payment" if paid_back else "") if part)


def test_a_refusal_of_the_payout_leaves_no_credit_note_and_the_invoice_as_it_was_and_a_retry_settles_it_once(shipped, platform):  # noqa: F811
    client = through_shopify(shipped, platform)
    invoice = invoice_of(shipped)
    invoice_payment_record(number=invoice.number, amount=D("120.00"), received_on=date(2026, 3, 15), actor="accounting")
    platform.play("shopify/order_transactions", "shopify/refund_create_exceeds_refundable")

    failed = refunded(shipped, (1, 1), client_options=client)

    invoice.refresh_from_db()
    assert failed.status == "failed" and "Shopify refused" in failed.provider_reason
    assert notes_of(failed) == [] and invoice.amount_credited == 0 and invoice.balance == D("15.40")
    assert not CreditNoteNumberCounter.objects.filter(last_number__gt=0).exists()  # no number taken: none to give back
    assert sent_amounts(platform) == ["11.35"]

    platform.play("shopify/order_transactions", "shopify/refund_create_ok")
    retried = refund_retry(refund_id=failed.pk, actor="cs", client_options=client)

    invoice.refresh_from_db()
    (note,) = notes_of(retried)
    assert retried.status == "succeeded" and note.number == "CN-2026-000001" and note.amount_repaid == D("11.35")
    assert invoice.balance == D("0.00") and invoice.status == InvoiceStatus.PAID
    assert sent_amounts(platform) == ["11.35", "11.35"]


@pytest.mark.parametrize("paid, status, paid_back", [
    (None, "voided", D("0.00")),  # nothing was paid, nothing is owed, nothing was paid back: not "refunded"
    (D("100.00"), "refunded", D("100.00")),  # what was paid came back; the rest is owed no more
])
def test_an_invoiced_order_returned_whole_is_refunded_only_when_money_went_back(shipped, paid, status, paid_back):
    ReturnPolicy.objects.filter(channel__isnull=True).update(refund_original_shipping=True)
    invoice = invoice_of(shipped)
    if paid is not None:
        invoice_payment_record(number=invoice.number, amount=paid, received_on=date(2026, 3, 15), actor="accounting")

    refund = refunded(shipped, (1, 4), (2, 2))

    order = Order.objects.get(pk=shipped.pk)
    assert refund.amount == order.grand_total == D("135.40") and refund.status == "succeeded"
    assert D(refund.breakdown["paid_back"]) == paid_back
    assert order.payment_status == status
    assert invoice_of(shipped).balance == 0 and invoice_of(shipped).status == InvoiceStatus.PAID
    assert OrderEvent.objects.filter(order=order, kind="payment", message=f"Payment pending → {status}").exists()


def test_the_console_shows_how_a_refund_of_an_invoiced_order_was_settled(shipped, console):  # noqa: F811
    invoice = invoice_of(shipped)
    invoice_payment_record(number=invoice.number, amount=D("120.00"), received_on=date(2026, 3, 15), actor="accounting")
    refund = refunded(shipped, (1, 1))
    client = console("Customer service")

    rma_page = client.get(reverse("admin:returns_returnrequest_change", args=[refund.request_id]))
    client = console("Accounting", "accountant")
    refund_page = client.get(reverse("admin:returns_refund_change", args=[refund.pk]))

    for page in (rma_page, refund_page):
        assert page.status_code == 200
        assert "15.40 USD off the invoices, 11.35 USD paid back to the original payment" in page.content.decode()
