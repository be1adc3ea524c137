"""The replenishment suggestions in the console: the list explains each line, the manager runs,
accepts and dismisses; the warehouse may not."""

import pytest

from inventory.models import Location, Product, Transfer
from inventory.models_purchasing import PurchaseOrder
from inventory.purchasing import supplier_create, supplier_product_set
from inventory.services import stock_receive
from reports.models_replenishment import ReplenishmentRun, SuggestionLine
from reports.replenishment.suggestions import replenishment_run

from ..factories import LocationFactory, ProductFactory
from ..reports.replenishment_support import forecast_store
from .conftest import messages_of

LIST = "/admin/reports/suggestionline/"


@pytest.fixture
def suggested(warehouse):
    east = LocationFactory(code="east", name="East DC")
    ProductFactory(sku="KET-1", abc_class="A")
    ProductFactory(sku="MUG-1", abc_class="C")
    supplier_create(code="acme", name="Acme", currency="USD", lead_time_days=10, actor="test")
    supplier_product_set(supplier="acme", sku="KET-1", unit_cost="5.00", pack_size=6, is_preferred=True, actor="test")
    supplier_product_set(supplier="acme", sku="MUG-1", unit_cost="2.00", is_preferred=True, actor="test")
    kettle, mug = Product.objects.get(sku="KET-1"), Product.objects.get(sku="MUG-1")
    forecast_store({(kettle, warehouse): 2.0, (mug, warehouse): 1.0, (kettle, east): 0.0, (mug, east): 0.0})
    stock_receive(sku="MUG-1", location="east", quantity=60, actor="test")  # the mug is moved, the kettle bought
    return replenishment_run(actor="test")


def action(client, name, lines):
    return client.post(LIST, {"action": name, "_selected_action": [line.pk for line in lines]}, follow=True)


def test_the_list_explains_each_line(console, suggested):
    response = console("Operations manager").get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Replenishment suggestions" in page or "replenishment suggestion" in page.lower()
    assert "reorder point" in page and "order-up-to" in page and "Run now" in page
    kettle = suggested.lines.get(product__sku="KET-1")
    assert f"class A target 98%: this SKU planned at {kettle.fill_rate:.0%}" in page  # the class's target beside the SKU's planned fill
    filtered = console("Operations manager", "m2").get(LIST, {"kind__exact": "transfer"})
    assert filtered.context["cl"].result_count == 1


def test_the_manager_creates_purchase_orders_transfers_and_dismisses(console, suggested):
    client = console("Operations manager")
    buy = SuggestionLine.objects.get(kind="buy", product__sku="KET-1")
    move = SuggestionLine.objects.get(kind="transfer")

    response = action(client, "create_purchase_orders", [buy])
    (po,) = PurchaseOrder.objects.all()
    assert any(po.number in message for message in messages_of(response))
    buy.refresh_from_db()
    assert (buy.status, buy.purchase_order_id) == ("accepted", po.pk)

    action(client, "create_transfers", [move])
    (transfer,) = Transfer.objects.all()
    assert (transfer.source.code, transfer.destination.code) == ("east", "chicago")


def test_the_manager_dismisses_open_lines_but_not_accepted_ones(console, suggested):
    client = console("Operations manager")
    buy = SuggestionLine.objects.get(kind="buy", product__sku="KET-1")
    move = SuggestionLine.objects.get(kind="transfer")
    action(client, "create_purchase_orders", [buy])

    action(client, "dismiss_lines", [move])
    move.refresh_from_db()
    assert move.status == "dismissed" and not Transfer.objects.exists()

    refused = action(client, "dismiss_lines", [buy])
    assert any("cannot be dismissed" in message for message in messages_of(refused))
    buy.refresh_from_db()
    assert buy.status == "accepted"


def test_run_now_with_the_safety_stock(console, suggested):
    client = console("Operations manager")
    response = client.post(LIST + "run/", {"write_safety_stock": "1"}, follow=True)
    assert response.status_code == 200
    run = ReplenishmentRun.objects.order_by("-pk").first()
    assert run.pk != suggested.pk and run.write_safety_stock is True
    assert client.get(LIST + "run/").status_code == 405


def test_the_warehouse_is_refused(console, suggested):
    client = console("Warehouse")
    line = SuggestionLine.objects.get(kind="buy", product__sku="KET-1")
    assert client.get(LIST).status_code == 403
    assert client.post(LIST + "run/").status_code == 403
    assert action(client, "create_purchase_orders", [line]).status_code == 403
    assert not PurchaseOrder.objects.exists() and ReplenishmentRun.objects.count() == 1
    assert Location.objects.filter(code="east").exists()


def test_the_list_opens_on_the_latest_run_and_an_earlier_one_can_be_picked(console, suggested):
    # Given two runs, each with its own lines
    earlier = suggested
    latest = replenishment_run(actor="test")
    client = console("Operations manager")
    # When the manager opens the list, then only the latest run's lines are there
    opened = client.get(LIST)
    shown = {line.run_id for line in opened.context["cl"].result_list}
    assert shown == {latest.pk} and opened.context["cl"].result_count == latest.line_count
    page = opened.content.decode()
    assert f"?run={earlier.pk}" in page and "(latest)" in page and "All runs" in page
    # When they pick the earlier run, then its lines show
    picked = client.get(LIST, {"run": earlier.pk})
    assert {line.run_id for line in picked.context["cl"].result_list} == {earlier.pk}
    assert client.get(LIST, {"run": "all"}).context["cl"].result_count == earlier.line_count + latest.line_count
    assert client.get(LIST, {"run": "nope"}).status_code == 200


def test_a_buy_below_the_suppliers_minimum_is_flagged_on_the_list_and_on_accepting(console, suggested):
    from inventory.models import Supplier

    # Given acme's minimum order of 1000 units, far above what is suggested
    Supplier.objects.filter(code="acme").update(minimum_order_units=1000)
    buy = SuggestionLine.objects.get(kind="buy", product__sku="KET-1")
    client = console("Operations manager")
    # Then the list says so on the buy line, with what is missing
    page = client.get(LIST).content.decode()
    assert f"Below the supplier&#x27;s minimum of 1000 units (this order: {buy.quantity} units" in page
    assert f"add {1000 - buy.quantity} more units or leave it for the next review" in page
    # When the manager accepts it anyway, then the draft keeps the suggested quantity and the message warns
    response = action(client, "create_purchase_orders", [buy])
    po = PurchaseOrder.objects.get()
    assert po.lines.get().quantity_ordered == buy.quantity
    assert any(po.number in message and "It stays a draft" in message for message in messages_of(response))
