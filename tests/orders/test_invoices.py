"""Invoices of orders on payment terms: one per shipment, for exactly what shipped, adding up to the
order's totals; numbered without gaps per year; payments against them."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from customers.models import Customer, CustomerGroup
from oms.errors import InvalidInput, NotFound
from oms.models import DomainEvent
from orders.models import Invoice, InvoiceLine, InvoiceNumberCounter, InvoiceStatus, Order, OrderEvent
from orders.services import LineData, invoicing, order_intake, order_ship, order_start_fulfillment
from orders.services.invoicing import invoice_payment_record

from ..factories import ChannelFactory, CustomerFactory, CustomerGroupFactory, intake_data, place_order


@pytest.fixture
def today(monkeypatch):
    """``today(date(2026, 1, 31))``: invoices issued from now on carry that date."""

    def set_to(day: date):
        monkeypatch.setattr(invoicing, "invoice_date_today", lambda: day)

    return set_to


@pytest.fixture
def trade(db):
    """A business customer buying on Net 30."""
    group = CustomerGroupFactory(code="trade", payment_terms_days=30)
    return CustomerFactory(email="ap@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme Ltd", vat_number="GB123456789", group=group)


def terms_order(stocked, customer, lines, **overrides) -> Order:
    """An order of ``customer`` (unpaid, on terms) for ``lines`` of LineData, in fulfillment."""
    for item in lines:
        stocked(item.sku, 100, price=item.unit_price)
    ChannelFactory(code="web")
    data = intake_data([], email=customer.email, payment_status="pending", **overrides)
    data.lines = lines
    order = order_intake(data=data, actor="test").order
    assert order.status == "allocated", list(order.holds.values_list("reason", "detail"))
    order_start_fulfillment(order_id=order.pk, actor="test")
    return order


def line(sku, quantity, price, discount="0", tax="0") -> LineData:
    return LineData(sku=sku, quantity=quantity, unit_price=Decimal(price), discount=Decimal(discount), tax=Decimal(tax))


def line_ids(order) -> dict[str, int]:
    return dict(order.lines.values_list("sku", "id"))


def test_partial_shipments_invoice_exactly_what_shipped_and_add_up_to_the_order(stocked, trade, today):
    # Given discounts and taxes that do not divide evenly by the units, shipping with its own tax
    order = terms_order(
        stocked, trade, [line("SKU-A", 3, "10.00", discount="1.00", tax="0.10"), line("SKU-B", 7, "3.33", discount="0.05", tax="2.33")],
        shipping_price=Decimal("9.95"), shipping_tax=Decimal("1.99"),
    )
    ids = line_ids(order)
    today(date(2026, 3, 10))

    # When it ships in three parts
    order_ship(order_id=order.pk, quantities={ids["SKU-A"]: 1, ids["SKU-B"]: 2}, actor="test")
    order_ship(order_id=order.pk, quantities={ids["SKU-B"]: 4}, actor="test")
    order_ship(order_id=order.pk, quantities={ids["SKU-A"]: 2, ids["SKU-B"]: 1}, actor="test")

    # Then three invoices charge exactly the units of each shipment
    invoices = list(Invoice.objects.filter(order=order).order_by("number"))
    assert [inv.number for inv in invoices] == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    shipped = [sorted(inv.lines.values_list("sku", "quantity")) for inv in invoices]
    assert shipped == [[("SKU-A", 1), ("SKU-B", 2)], [("SKU-B", 4)], [("SKU-A", 2), ("SKU-B", 1)]]
    # Discounts and taxes shared by quantity (cumulative rounding), the last invoice taking the rest
    a_lines = list(InvoiceLine.objects.filter(order_line_id=ids["SKU-A"]).order_by("id").values_list("discount", "tax"))
    assert a_lines == [(Decimal("0.33"), Decimal("0.03")), (Decimal("0.67"), Decimal("0.07"))]
    b_lines = list(InvoiceLine.objects.filter(order_line_id=ids["SKU-B"]).order_by("id").values_list("discount", "tax"))
    assert b_lines == [(Decimal("0.01"), Decimal("0.67")), (Decimal("0.03"), Decimal("1.33")), (Decimal("0.01"), Decimal("0.33"))]
    # Shipping and its tax on the first invoice only
    assert [inv.shipping for inv in invoices] == [Decimal("9.95"), 0, 0]
    assert invoices[0].tax_total == Decimal("0.03") + Decimal("0.67") + Decimal("1.99")
    # Together they are the order
    order = Order.objects.get(pk=order.pk)
    assert sum(inv.subtotal for inv in invoices) == order.subtotal
    assert sum(inv.discount_total for inv in invoices) == order.discount_total
    assert sum(inv.tax_total for inv in invoices) == order.tax_total
    assert sum(inv.shipping for inv in invoices) == order.shipping_price
    assert sum(inv.total for inv in invoices) == order.grand_total
    for inv in invoices:
        assert inv.total == inv.subtotal - inv.discount_total + inv.tax_total + inv.shipping
        assert inv.subtotal - inv.discount_total + (inv.tax_total - (Decimal("1.99") if inv.shipping else 0)) == sum(
            inv.lines.values_list("line_total", flat=True)
        )
        assert inv.status == InvoiceStatus.OPEN and inv.amount_paid == 0
        assert (inv.issued_on, inv.due_on, inv.terms) == (date(2026, 3, 10), date(2026, 4, 9), "Net 30")
        assert inv.billing_address["company"] == "Acme Ltd" and inv.billing_address["vat_number"] == "GB123456789"


def test_an_invoice_is_recorded_as_an_event_and_in_the_orders_audit_trail(stocked, trade, today):
    order = terms_order(stocked, trade, [line("SKU-A", 2, "10.00")])
    today(date(2026, 5, 2))

    order_ship(order_id=order.pk, actor="api:wms")

    invoice = Invoice.objects.get(order=order)
    event = DomainEvent.objects.get(name="invoice.issued")
    assert event.stream == f"invoice:{invoice.pk}" and event.sequence == 1
    assert event.payload["number"] == invoice.number and event.payload["order_number"] == order.number
    assert event.payload["total"] == "20.00" and event.payload["due_on"] == "2026-06-01"
    audit = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.INVOICED)
    assert invoice.number in audit.message and audit.actor_label == "api:wms"


@pytest.mark.parametrize(
    "payment_status, terms_days", [("paid", 30), ("pending", 0), ("authorized", 0)], ids=["paid up front", "prepaid group", "prepaid authorised"]
)
def test_paid_and_prepaid_orders_get_no_invoice(stocked, today, payment_status, terms_days):
    group = CustomerGroupFactory(code=f"g-{terms_days}", payment_terms_days=terms_days)
    buyer = CustomerFactory(email="b@example.com", group=group)
    stocked("SKU-A", 10, price=Decimal("10.00"))
    order = place_order([("SKU-A", 2, "10.00")], email=buyer.email, payment_status=payment_status)
    if order.status == "on_hold":  # a prepaid order waits for its payment
        from orders.services import order_payment_update

        order = order_payment_update(order_id=order.pk, payment_status="paid", actor="test")
    order_start_fulfillment(order_id=order.pk, actor="test")

    order_ship(order_id=order.pk, actor="test")

    assert Order.objects.get(pk=order.pk).status == "shipped"
    assert not Invoice.objects.exists() and not DomainEvent.objects.filter(name="invoice.issued").exists()


def test_a_consumer_order_gets_no_invoice(stocked):
    stocked("SKU-A", 10, price=Decimal("10.00"))
    order = place_order([("SKU-A", 1, "10.00")])  # a person with no group, paid
    order_start_fulfillment(order_id=order.pk, actor="test")

    order_ship(order_id=order.pk, actor="test")

    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "basis, days, issued, due",
    [
        ("net", 30, date(2026, 1, 31), date(2026, 3, 2)),
        ("net", 15, date(2026, 12, 20), date(2027, 1, 4)),
        ("end_of_month", 30, date(2026, 1, 31), date(2026, 3, 2)),
        ("end_of_month", 30, date(2026, 1, 1), date(2026, 3, 2)),
        ("end_of_month", 30, date(2026, 2, 10), date(2026, 3, 30)),
        ("end_of_month", 60, date(2028, 2, 29), date(2028, 4, 29)),
        ("end_of_month", 15, date(2026, 12, 5), date(2027, 1, 15)),
    ],
)
def test_due_dates_for_net_and_end_of_month_terms(stocked, today, basis, days, issued, due):
    group = CustomerGroupFactory(code="terms", payment_terms_days=days, payment_terms_basis=basis)
    buyer = CustomerFactory(email="terms@example.com", group=group)
    order = terms_order(stocked, buyer, [line("SKU-A", 1, "10.00")])
    today(issued)

    order_ship(order_id=order.pk, actor="test")

    invoice = Invoice.objects.get(order=order)
    assert (invoice.issued_on, invoice.due_on) == (issued, due)
    assert invoice.terms == (f"Net {days}" if basis == "net" else f"End of month + {days}")


def test_numbers_continue_through_the_year_and_restart_the_next(stocked, trade, today):
    orders = [terms_order(stocked, trade, [line("SKU-A", 1, "10.00")]) for _ in range(4)]

    for order, day in zip(orders, [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]):
        today(day)
        order_ship(order_id=order.pk, actor="test")

    numbers = [Invoice.objects.get(order=order).number for order in orders]
    assert numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2027-000001", "INV-2027-000002"]
    assert dict(InvoiceNumberCounter.objects.values_list("year", "last_number")) == {2026: 2, 2027: 2}


def test_a_rolled_back_shipment_leaves_no_gap_in_the_numbers(stocked, trade, today):
    today(date(2026, 6, 1))
    first, second = (terms_order(stocked, trade, [line("SKU-A", 1, "10.00")]) for _ in range(2))

    with pytest.raises(RuntimeError), transaction.atomic():
        order_ship(order_id=first.pk, actor="test")
        assert Invoice.objects.get(order=first).number == "INV-2026-000001"
        raise RuntimeError("the carrier refused the parcel")
    order_ship(order_id=second.pk, actor="test")

    assert not Invoice.objects.filter(order=first).exists()
    assert Invoice.objects.get(order=second).number == "INV-2026-000001"


def test_payments_settle_an_invoice_part_by_part_and_never_past_its_balance(stocked, trade, today):
    today(date(2026, 6, 1))
    order = terms_order(stocked, trade, [line("SKU-A", 3, "10.00")])
    order_ship(order_id=order.pk, actor="test")
    invoice = Invoice.objects.get(order=order)

    invoice_payment_record(number=invoice.number, amount="12.50", received_on=date(2026, 6, 20), reference="BACS 881", actor="accounts")
    with pytest.raises(InvalidInput) as too_much:
        invoice_payment_record(number=invoice.number, amount="17.51", received_on=date(2026, 6, 21), actor="accounts")
    assert "17.50" in str(too_much.value.fields)
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.OPEN
    invoice_payment_record(number=invoice.number, amount=Decimal("17.50"), received_on=date(2026, 6, 25), actor="accounts")

    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.amount_paid, invoice.status, invoice.balance) == (Decimal("30.00"), InvoiceStatus.PAID, 0)
    assert list(invoice.payments.values_list("amount", "reference")) == [(Decimal("12.50"), "BACS 881"), (Decimal("17.50"), "")]
    assert DomainEvent.objects.filter(name="invoice.paid", payload__number=invoice.number).count() == 1
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.PAYMENT).count() == 2


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.005", "NaN"])
def test_a_bad_payment_is_refused_and_records_nothing(stocked, trade, amount):
    order = terms_order(stocked, trade, [line("SKU-A", 1, "10.00")])
    order_ship(order_id=order.pk, actor="test")
    invoice = Invoice.objects.get(order=order)

    with pytest.raises(InvalidInput):
        invoice_payment_record(number=invoice.number, amount=amount, received_on=date(2026, 6, 1), actor="accounts")
    with pytest.raises(NotFound):
        invoice_payment_record(number="INV-1999-000001", amount="1", received_on=date(2026, 6, 1), actor="accounts")

    assert not invoice.payments.exists() and Invoice.objects.get(pk=invoice.pk).amount_paid == 0


def test_the_groups_terms_read_as_printed():
    assert CustomerGroup(payment_terms_days=0).terms_text() == "Prepaid"
    assert CustomerGroup(payment_terms_days=45, payment_terms_basis="end_of_month").terms_text() == "End of month + 45"
