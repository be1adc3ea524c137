"""Suppliers and purchase orders: the lifecycle, and what each step does to stock and the ledger."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum
from django.utils import timezone

from inventory.models import PurchaseOrder, PurchaseOrderEvent, StockLevel, StockMovement, SupplierProduct
from inventory.models_purchasing import PurchaseOrderStatus as S
from inventory.purchasing import (
    DraftLine,
    LineEdit,
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_create,
    purchase_order_lines_set,
    purchase_order_receive,
    purchase_order_receive_codes,
    purchase_order_send,
    purchase_orders_draft,
    supplier_create,
    supplier_product_set,
    supplier_update,
)
from inventory.selectors import ledger_mismatches, stock_for_sku
from inventory.selectors_purchasing import expected_dates_for, incoming_arrivals
from oms.errors import DomainError, InvalidInput, InvalidTransition, PreconditionFailed
from oms.models import DomainEvent
from orders.models import OrderStatus

from ..factories import LocationFactory, ProductFactory, place_order


@pytest.fixture
def catalogue(warehouse):
    ProductFactory(sku="SKU-A", gtin="04006381333931", name="Kettle")
    ProductFactory(sku="SKU-B", name="Mug")
    supplier_create(code="acme", name="Acme Ltd", email="orders@acme.example", currency="EUR", lead_time_days=10, actor="test")
    supplier_create(code="globex", name="Globex", currency="USD", lead_time_days=3, actor="test")
    supplier_product_set(supplier="acme", sku="SKU-A", unit_cost="4.125", supplier_sku="AC-1", is_preferred=True, actor="test")
    supplier_product_set(supplier="acme", sku="SKU-B", unit_cost="1.50", supplier_sku="AC-2", lead_time_days=20, actor="test")
    supplier_product_set(supplier="globex", sku="SKU-A", unit_cost="5.00", actor="test")
    return warehouse


def level(sku="SKU-A", location="chicago") -> dict:
    row = StockLevel.objects.filter(product__sku=sku, location__code=location).first()
    return {"on_hand": row.on_hand, "incoming": row.incoming} if row else {"on_hand": 0, "incoming": 0}


def drafted(quantity_a=10, quantity_b=None, **kwargs):
    lines = [DraftLine(sku="SKU-A", quantity=quantity_a)] + ([DraftLine(sku="SKU-B", quantity=quantity_b)] if quantity_b else [])
    return purchase_order_create(supplier="acme", location="chicago", lines=lines, actor="buyer", **kwargs)


def sent(quantity_a=10, quantity_b=None):
    po = drafted(quantity_a, quantity_b)
    purchase_order_send(purchase_order_id=po.pk, actor="buyer", email=False)
    return PurchaseOrder.objects.get(pk=po.pk)


def status_of(po) -> str:
    return PurchaseOrder.objects.get(pk=po.pk).status


# --- suppliers ----------------------------------------------------------------------------


def test_a_product_has_at_most_one_preferred_supplier(catalogue):
    supplier_product_set(supplier="globex", sku="SKU-A", unit_cost="4.90", is_preferred=True, actor="test")

    preferred = SupplierProduct.objects.filter(product__sku="SKU-A", is_preferred=True)
    assert [p.supplier.code for p in preferred] == ["globex"]
    assert SupplierProduct.objects.get(supplier__code="globex", product__sku="SKU-A").unit_cost == Decimal("4.90")


def test_the_database_refuses_a_second_preferred_supplier(catalogue):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierProduct.objects.filter(supplier__code="globex").update(is_preferred=True)


def test_supplier_costs_are_rounded_to_the_supplier_currency(catalogue):
    assert SupplierProduct.objects.get(supplier__code="acme", product__sku="SKU-A").unit_cost == Decimal("4.13")


def test_a_malformed_supplier_is_refused_naming_the_fields(db):
    with pytest.raises(InvalidInput) as refused:
        supplier_create(code="bad one", name="", currency="EURO", email="not-an-address", actor="test")
    assert {"code", "name", "currency", "email"} <= set(refused.value.fields)


def test_a_supplier_update_checks_the_version(catalogue):
    supplier_update(code="acme", expected_version=1, changes={"lead_time_days": 12}, actor="test")

    with pytest.raises(PreconditionFailed):
        supplier_update(code="acme", expected_version=1, changes={"lead_time_days": 14}, actor="test")


# --- drafting and sending ------------------------------------------------------------------


def test_a_draft_takes_the_supplier_cost_sku_and_lead_time_and_moves_no_stock(catalogue):
    po = drafted(10, 4)

    today = timezone.localdate()
    assert po.number == f"PO-{po.pk:06d}" and po.status == S.DRAFT and po.currency == "EUR"
    lines = {line.product.sku: line for line in po.lines.all()}
    assert (lines["SKU-A"].supplier_sku, lines["SKU-A"].unit_cost, lines["SKU-A"].expected_date) == ("AC-1", Decimal("4.13"), today + datetime.timedelta(days=10))
    assert lines["SKU-B"].expected_date == today + datetime.timedelta(days=20)  # the product's own lead time
    assert po.expected_date == today + datetime.timedelta(days=20)
    assert level() == {"on_hand": 0, "incoming": 0}
    assert DomainEvent.objects.filter(name="purchase_order.created", stream=f"purchase_order:{po.pk}").count() == 1


def test_a_line_without_a_supplier_cost_is_refused_naming_it(catalogue):
    ProductFactory(sku="SKU-C")

    with pytest.raises(InvalidInput) as refused:
        purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="SKU-C", quantity=1), DraftLine(sku="NOPE", quantity=1)], actor="t")

    assert "has no cost for SKU-C" in refused.value.fields["lines[0].unit_cost"][0]
    assert refused.value.fields["lines[1].sku"] == ["Unknown SKU 'NOPE'."]
    assert not PurchaseOrder.objects.exists()


def test_sending_puts_the_quantities_on_incoming_through_the_ledger(catalogue):
    po = sent(10, 4)

    assert po.status == S.SENT and po.sent_at is not None
    assert level("SKU-A") == {"on_hand": 0, "incoming": 10}
    assert level("SKU-B") == {"on_hand": 0, "incoming": 4}
    movements = StockMovement.objects.filter(reference=po.number)
    assert {(m.kind, m.incoming_delta) for m in movements} == {("purchase_order", 10), ("purchase_order", 4)}
    assert ledger_mismatches() == []
    assert [e.to_status for e in PurchaseOrderEvent.objects.filter(purchase_order=po, kind="status")] == ["sent"]
    assert PurchaseOrderEvent.objects.get(purchase_order=po, kind="status").actor_label == "buyer"


def test_sending_twice_is_refused_and_changes_nothing(catalogue):
    po = sent()

    with pytest.raises(InvalidTransition, match="is sent; it cannot be sent"):
        purchase_order_send(purchase_order_id=po.pk, actor="buyer")
    assert level() == {"on_hand": 0, "incoming": 10}


def test_sending_emails_the_pdf_to_the_supplier_after_commit(catalogue, django_capture_on_commit_callbacks):
    po = drafted()
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_send(purchase_order_id=po.pk, actor="buyer")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["orders@acme.example"] and po.number in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == f"{po.number}.pdf" and mimetype == "application/pdf" and content.startswith(b"%PDF")
    assert PurchaseOrder.objects.get(pk=po.pk).emailed_at is not None

    from inventory.purchasing import purchase_order_email_send

    assert purchase_order_email_send(purchase_order_id=po.pk) is False  # a retried task sends nothing more
    assert len(mail.outbox) == 1


# --- receiving ---------------------------------------------------------------------------


def test_a_partial_receipt_moves_units_from_incoming_to_on_hand(catalogue):
    po = sent(10, 4)

    received = purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 6)], actor="dock")

    assert [(r.sku, r.quantity, r.over) for r in received] == [("SKU-A", 6, 0)]
    assert level("SKU-A") == {"on_hand": 6, "incoming": 4}
    assert status_of(po) == S.PARTIALLY_RECEIVED
    receipt = StockMovement.objects.get(reference=po.number, kind=StockMovement.Kind.RECEIPT)
    assert (receipt.on_hand_delta, receipt.incoming_delta, receipt.actor_label) == (6, -6, "dock")
    assert ledger_mismatches() == []


def test_receiving_everything_marks_the_order_received(catalogue):
    po = sent(10, 4)
    purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 6)], actor="dock")

    purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 4), (2, 4)], actor="dock")

    po = PurchaseOrder.objects.get(pk=po.pk)
    assert po.status == S.RECEIVED and po.received_at is not None
    assert level("SKU-A") == {"on_hand": 10, "incoming": 0} and level("SKU-B") == {"on_hand": 4, "incoming": 0}
    names = list(DomainEvent.objects.filter(stream=f"purchase_order:{po.pk}").order_by("sequence").values_list("name", flat=True))
    assert names == [
        "purchase_order.created", "purchase_order.sent", "purchase_order.items_received", "purchase_order.partially_received",
        "purchase_order.items_received", "purchase_order.received",
    ]


def test_an_over_receipt_is_received_and_recorded_and_incoming_never_goes_negative(catalogue):
    po = sent(10)

    received = purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 12)], actor="dock")

    assert received[0].over == 2
    assert level() == {"on_hand": 12, "incoming": 0}
    line = po.lines.get()
    assert (line.quantity_received, line.quantity_over, line.quantity_open) == (12, 2, 0)
    assert status_of(po) == S.RECEIVED
    assert "2 over" in PurchaseOrderEvent.objects.get(purchase_order=po, kind="received").message
    assert ledger_mismatches() == []


def test_an_under_receipt_closed_gives_up_the_rest_and_releases_incoming(catalogue):
    po = sent(10, 4)
    purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 7)], actor="dock")

    purchase_order_close(purchase_order_id=po.pk, actor="buyer", reason="supplier out of stock")

    po = PurchaseOrder.objects.get(pk=po.pk)
    assert po.status == S.CLOSED
    assert level("SKU-A") == {"on_hand": 7, "incoming": 0} and level("SKU-B") == {"on_hand": 0, "incoming": 0}
    assert {line.product.sku: line.quantity_short for line in po.lines.all()} == {"SKU-A": 3, "SKU-B": 4}
    closing = PurchaseOrderEvent.objects.get(purchase_order=po, to_status="closed")
    assert "gave up 3 × SKU-A, 4 × SKU-B" in closing.message and "supplier out of stock" in closing.message
    with pytest.raises(InvalidTransition):
        purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 1)], actor="dock")
    assert ledger_mismatches() == []


def test_cancelling_a_sent_order_releases_its_incoming(catalogue):
    po = sent(10)

    purchase_order_cancel(purchase_order_id=po.pk, actor="buyer")

    assert status_of(po) == S.CANCELLED
    assert level() == {"on_hand": 0, "incoming": 0}
    assert StockMovement.objects.filter(reference=po.number).aggregate(total=Sum("incoming_delta"))["total"] == 0


def test_cancelling_a_draft_touches_no_stock_and_a_received_order_cannot_be_cancelled(catalogue):
    draft = drafted()
    purchase_order_cancel(purchase_order_id=draft.pk, actor="buyer")
    assert status_of(draft) == S.CANCELLED and not StockMovement.objects.filter(reference=draft.number).exists()

    po = sent(5)
    purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 2)], actor="dock")
    with pytest.raises(InvalidTransition, match="partially received; it cannot be cancelled"):
        purchase_order_cancel(purchase_order_id=po.pk, actor="buyer")
    assert level() == {"on_hand": 2, "incoming": 3}


def test_a_draft_cannot_be_closed_or_received(catalogue):
    po = drafted()
    with pytest.raises(InvalidTransition, match="Send it first"):
        purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 1)], actor="dock")
    with pytest.raises(InvalidTransition):
        purchase_order_close(purchase_order_id=po.pk, actor="buyer")


@pytest.mark.parametrize("quantities, field", [([(1, 0)], "lines[0].quantity"), ([(1, -3)], "lines[0].quantity"), ([(9, 1)], "lines")])
def test_bad_receipt_lines_are_refused_and_nothing_is_received(catalogue, quantities, field):
    po = sent()

    with pytest.raises(InvalidInput) as refused:
        purchase_order_receive(purchase_order_id=po.pk, quantities=quantities, actor="dock")

    assert field in refused.value.fields
    assert level() == {"on_hand": 0, "incoming": 10}


def test_scanned_codes_count_units_per_line_and_unknown_codes_are_named(catalogue):
    po = sent(10, 4)

    assert purchase_order_receive_codes(purchase_order_id=po.pk, codes=["04006381333931", "SKU-A", "AC-2", " "]) == [(1, 2), (2, 1)]
    with pytest.raises(InvalidInput, match="Not on this purchase order: 999"):
        purchase_order_receive_codes(purchase_order_id=po.pk, codes=["SKU-A", "999"])


def test_a_receipt_serves_a_waiting_backorder(catalogue, web_channel, django_capture_on_commit_callbacks):
    order = place_order([("SKU-A", 3)])
    assert order.status == OrderStatus.BACKORDERED
    po = sent(10)

    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 5)], actor="dock")

    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 3


# --- drafting for replenishment ------------------------------------------------------------


def test_purchase_orders_draft_groups_lines_per_supplier_and_location(catalogue):
    LocationFactory(code="ny", name="New York")

    drafted_pos = purchase_orders_draft(
        lines=[("SKU-A", "chicago", 5, None), ("SKU-B", "chicago", 2, None), ("SKU-A", "ny", 3, "globex"), ("SKU-A", "chicago", 1, None)],
        actor="replenishment",
    )

    summary = sorted((po.supplier.code, po.location.code, sorted((l.product.sku, l.quantity_ordered, l.unit_cost) for l in po.lines.all())) for po in drafted_pos)
    assert summary == [
        ("acme", "chicago", [("SKU-A", 6, Decimal("4.13")), ("SKU-B", 2, Decimal("1.50"))]),
        ("globex", "ny", [("SKU-A", 3, Decimal("5.00"))]),
    ]
    globex = next(po for po in drafted_pos if po.supplier.code == "globex")
    assert globex.expected_date == timezone.localdate() + datetime.timedelta(days=3)
    assert all(po.status == S.DRAFT for po in drafted_pos)


def test_purchase_orders_draft_refuses_a_sku_without_supplier_and_drafts_nothing(catalogue):
    ProductFactory(sku="SKU-LONELY")

    with pytest.raises(DomainError) as refused:
        purchase_orders_draft(lines=[("SKU-A", "chicago", 5, None), ("SKU-LONELY", "chicago", 1, None)], actor="replenishment")

    assert refused.value.code == "no_supplier"
    assert "SKU-LONELY has no supplier" in refused.value.message
    assert not PurchaseOrder.objects.exists()


# --- available-to-promise with dates -------------------------------------------------------


def test_open_po_quantities_are_incoming_with_their_dates(catalogue):
    po = sent(10)
    purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 4)], actor="dock")
    later = purchase_order_create(
        supplier="globex", location="chicago", lines=[DraftLine(sku="SKU-A", quantity=5, expected_date=timezone.localdate() + datetime.timedelta(days=30))], actor="t"
    )
    purchase_order_send(purchase_order_id=later.pk, actor="t", email=False)
    drafted(99)  # a draft promises nothing

    product = StockLevel.objects.get(product__sku="SKU-A").product
    arrivals = incoming_arrivals([product.pk])[product.pk]
    today = timezone.localdate()
    assert [(a.date, a.quantity, a.location, a.purchase_order) for a in arrivals] == [
        (today + datetime.timedelta(days=10), 6, "chicago", po.number),
        (today + datetime.timedelta(days=30), 5, "chicago", later.number),
    ]
    assert expected_dates_for([(product.pk, 6)]) == {product.pk: today + datetime.timedelta(days=10)}
    assert expected_dates_for([(product.pk, 7)]) == {product.pk: today + datetime.timedelta(days=30)}
    assert expected_dates_for([(product.pk, 12)]) == {product.pk: None}  # open POs do not cover it
    assert [(a.date, a.quantity) for a in stock_for_sku(product).arrivals] == [(a.date, a.quantity) for a in arrivals]


# --- editing a draft's lines ----------------------------------------------------------------------


def test_a_drafts_lines_are_changed_added_and_removed_each_with_an_audit_row(catalogue):
    # Given a draft with a kettle line (4.13 EUR) and a mug line
    po = drafted(10, 5)
    later = timezone.localdate() + datetime.timedelta(days=30)
    # When the buyer changes the kettle's quantity and cost, drops the mug and adds a second kettle delivery
    purchase_order_lines_set(purchase_order_id=po.pk, actor="buyer", lines=[
        LineEdit(line_number=1, sku="SKU-A", quantity=12, unit_cost="3.999"),
        LineEdit(sku="SKU-A", quantity=6, expected_date=later, currency="eur"),
    ])
    # Then the lines are as asked, costs rounded to the euro cent, and each change has its audit row
    lines = {line.line_number: line for line in PurchaseOrder.objects.get(pk=po.pk).lines.all()}
    assert sorted(lines) == [1, 3]  # line 2 (the mug) removed; the new line takes a fresh number
    assert (lines[1].quantity_ordered, lines[1].unit_cost) == (12, Decimal("4.00"))
    assert (lines[3].quantity_ordered, lines[3].unit_cost, lines[3].expected_date) == (6, Decimal("4.13"), later)
    changes = list(PurchaseOrderEvent.objects.filter(purchase_order=po, kind="changed").order_by("pk").values_list("message", "actor_label"))
    assert changes == [
        ("Line 2 (SKU-B) removed.", "buyer"),
        ("Line 1 (SKU-A): quantity 10 → 12, unit cost 4.13 EUR → 4.00 EUR.", "buyer"),
        ("Line 3 (SKU-A) added: 6 × 4.13 EUR.", "buyer"),
    ]
    assert PurchaseOrder.objects.get(pk=po.pk).expected_date == later  # follows the latest line
    assert level()["incoming"] == 0  # a draft holds no stock


@pytest.mark.parametrize("edit, field, words", [
    (LineEdit(line_number=1, sku="SKU-A", quantity=0), "lines[0].quantity", "above zero"),
    (LineEdit(line_number=1, sku="SKU-C", quantity=1), "lines[0].sku", "does not sell SKU-C"),
    (LineEdit(line_number=1, sku="NOPE", quantity=1), "lines[0].sku", "Unknown SKU"),
    (LineEdit(line_number=1, sku="SKU-A", quantity=1, unit_cost="2", currency="USD"), "lines[0].currency", "give the cost in EUR"),
    (LineEdit(line_number=9, sku="SKU-A", quantity=1), "lines[0].line_number", "has no line 9"),
    (LineEdit(line_number=1, sku="SKU-A", quantity=1, unit_cost="-1"), "lines[0].unit_cost", "zero or more"),
])
def test_a_bad_line_edit_is_refused_naming_it_and_nothing_changes(catalogue, edit, field, words):
    ProductFactory(sku="SKU-C")  # sold by nobody
    po = drafted(10)
    with pytest.raises(InvalidInput) as refused:
        purchase_order_lines_set(purchase_order_id=po.pk, lines=[edit], actor="buyer")
    assert field in refused.value.fields and words in " ".join(refused.value.fields[field])
    assert list(PurchaseOrder.objects.get(pk=po.pk).lines.values_list("quantity_ordered", flat=True)) == [10]
    assert not PurchaseOrderEvent.objects.filter(purchase_order=po, kind="changed").exists()


def test_a_sent_purchase_orders_lines_are_read_only(catalogue):
    po = sent(10)
    with pytest.raises(InvalidInput) as refused:
        purchase_order_lines_set(purchase_order_id=po.pk, lines=[LineEdit(line_number=1, sku="SKU-A", quantity=20)], actor="buyer")
    assert refused.value.code == "purchase_order_not_draft" and "cannot change" in refused.value.message
    assert PurchaseOrder.objects.get(pk=po.pk).lines.get().quantity_ordered == 10
    with pytest.raises(InvalidInput, match="cancel the purchase order instead"):
        purchase_order_lines_set(purchase_order_id=drafted(3).pk, lines=[], actor="buyer")


# --- the supplier's minimum order ----------------------------------------------------------------


def test_a_draft_below_the_suppliers_minimum_is_flagged_not_rounded_up_and_sending_it_needs_a_confirmation(catalogue):
    # Given acme sells only orders of at least 100 units and 300.00 EUR
    supplier_update(code="acme", expected_version=None, changes={"minimum_order_units": 100, "minimum_order_value": Decimal("300")}, actor="t")
    # When suggestions are accepted as a draft of 40 kettles (4.13 EUR each)
    (po,) = purchase_orders_draft(lines=[("SKU-A", "chicago", 40, None)], actor="buyer")
    # Then the draft keeps its 40 units and says what is missing, in its timeline too
    assert po.lines.get().quantity_ordered == 40
    note = ("Below the supplier's minimum of 100 units / 300.00 EUR (this order: 40 units / 165.20 EUR): "
            "add 60 more units and 134.80 EUR more or leave it for the next review.")
    assert note in PurchaseOrderEvent.objects.get(purchase_order=po, kind="created").message
    # When it is sent as it is, then it is refused saying so, and nothing is incoming
    with pytest.raises(DomainError) as refused:
        purchase_order_send(purchase_order_id=po.pk, actor="buyer", email=False)
    assert refused.value.code == "below_supplier_minimum" and note in refused.value.message and "confirm" in refused.value.message
    assert level()["incoming"] == 0
    # When the buyer confirms, then it goes, and the timeline records the confirmation
    purchase_order_send(purchase_order_id=po.pk, actor="buyer", email=False, allow_below_minimum=True)
    assert level()["incoming"] == 40
    assert "below the supplier's minimum (confirmed)" in PurchaseOrderEvent.objects.get(purchase_order=po, to_status="sent").message


def test_a_draft_that_meets_the_minimum_is_sent_without_confirmation(catalogue):
    supplier_update(code="acme", expected_version=None, changes={"minimum_order_units": 100}, actor="t")
    (po,) = purchase_orders_draft(lines=[("SKU-A", "chicago", 60, None), ("SKU-B", "chicago", 40, None)], actor="buyer")
    assert "minimum" not in PurchaseOrderEvent.objects.get(purchase_order=po, kind="created").message
    purchase_order_send(purchase_order_id=po.pk, actor="buyer", email=False)
    assert PurchaseOrder.objects.get(pk=po.pk).status == S.SENT
