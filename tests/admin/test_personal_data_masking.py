"""Personal data in the console: the warehouse sees a customer's name and address only on what it
is shipping (masked everywhere else, not searchable, left out of exports); customer service,
accounting and the manager see everything; the documents the dock prints keep the address; a
supplier's contact is in the personal-data registry, masked, and forgotten on request."""

import subprocess

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from inventory.models import PurchaseOrder, Supplier
from inventory.models_purchasing import PurchaseOrderEvent
from inventory.purchasing import DraftLine, purchase_order_create, supplier_create, supplier_product_set
from oms.masking import masked_text, masked_value
from oms.models import DomainEvent
from oms.personal_data import personal_data_covered_models, personal_data_fields, personal_data_parts
from orders.models import Order
from reports.export_files import csv_pieces
from reports.exports import export_rows
from shipping.models import Shipment
from shipping.services import tracking_events_record

from ..factories import ProductFactory
from ..fulfillment.fulfillment_support import carriers  # noqa: F401
from .floor_support import fo_page, floor_url, fresh_fo, in_fulfillment, packed, pending, picking, receive, shelves  # noqa: F401

pytestmark = pytest.mark.django_db

STREET, NAME, EMAIL = "12 Main Street", "Ada Lovelace", "buyer@example.com"


def order_page(client, order) -> str:
    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def shipment_page(client, shipment) -> str:
    response = client.get(reverse("admin:shipping_shipment_change", args=[shipment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def order_list(client, **query) -> str:
    response = client.get(reverse("admin:orders_order_changelist"), query)
    assert response.status_code == 200
    return response.content.decode()


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def shows_the_customer(page: str) -> bool:
    return STREET in page and NAME in page


def test_the_masked_forms_keep_a_hint_and_an_address_keeps_only_its_country():
    assert masked_text("Ada Lovelace") == "A••• L•••"
    assert masked_text("buyer@example.com") == "b•••@example.com"
    assert masked_value({"name": "Ada Lovelace", "line1": STREET, "city": "Boston", "country": "US"}) == {
        "name": "A••• L•••", "line1": "1••• M••• S•••", "city": "B•••", "country": "US",
    }


def test_the_warehouse_sees_the_address_while_it_ships_the_order_and_then_no_more(console, carriers, packed, tmp_path):  # noqa: F811
    fo = packed()
    warehouse = console("Warehouse")

    # Packed, not shipped: the floor's work in hand.
    assert shows_the_customer(order_page(warehouse, fo.order))

    assert warehouse.post(floor_url(fo, "ship")).status_code == 302
    shipment = Shipment.objects.get(pk=fresh_fo(fo).shipment_id)

    # Shipped: the order is masked; the parcel, still at the dock (no scan, no manifest), is not.
    page = order_page(warehouse, fo.order)
    assert not shows_the_customer(page) and EMAIL not in page
    assert "A••• L•••" in page and "1••• M••• S•••" in page
    assert STREET in shipment_page(warehouse, shipment)

    tracking_events_record(carrier_code=shipment.carrier.code, actor="test", events=[{
        "event_id": "scan-1", "tracking_number": shipment.tracking_number, "code": "in_transit", "status_text": "Departed",
        "location": "Chicago IL", "occurred_at": timezone.now().isoformat(),
    }])
    # Handed to the carrier: masked on the shipment too.
    assert STREET not in shipment_page(warehouse, shipment)

    # What the dock prints for the parcel keeps the address it needs.
    slip = warehouse.get(reverse("admin:fulfillment_fulfillmentorder_packing_slip", args=[fo.pk]))
    assert slip["Content-Type"] == "application/pdf"
    assert STREET in pdf_text(slip.content, tmp_path)


def test_the_order_list_is_masked_for_the_warehouse_and_not_for_customer_service(console, pending):
    order = pending([("MUG", 1)]).order
    Order.objects.filter(pk=order.pk).update(status="cancelled")  # not in the floor's hands any more
    order = Order.objects.get(pk=order.pk)
    # The fulfillment order is still pending: the list rule is per order, so cancel its work.
    order.fulfillment_orders.update(status="cancelled")

    listing = order_list(console("Warehouse"))
    assert order.number in listing and EMAIL not in listing and NAME not in listing
    assert "b•••@example.com" in listing and "A••• L•••" in listing

    listing = order_list(console("Customer service"))
    assert EMAIL in listing and NAME in listing


def test_the_warehouse_cannot_find_an_order_by_the_customers_email_and_customer_service_can(console, pending):
    order = pending([("MUG", 1)]).order

    warehouse = console("Warehouse")
    assert order.number not in order_list(warehouse, q=EMAIL)
    assert order.number in order_list(warehouse, q=order.number)
    assert order.number in order_list(console("Customer service"), q=EMAIL)


@pytest.mark.parametrize("role", ["Customer service", "Operations manager", "Accounting"])
def test_roles_that_need_personal_data_see_it_on_a_shipped_order(console, carriers, packed, role):  # noqa: F811
    fo = packed()
    assert console("Warehouse").post(floor_url(fo, "ship")).status_code == 302

    page = order_page(console(role), fo.order)

    assert shows_the_customer(page) and EMAIL in page


def test_the_warehouse_has_no_customer_records(console, pending):
    customer = pending([("MUG", 1)]).order.customer

    warehouse = console("Warehouse")

    assert warehouse.get(reverse("admin:customers_customer_changelist")).status_code == 403
    assert warehouse.get(reverse("admin:customers_customer_change", args=[customer.pk])).status_code == 403


def export_csv(user) -> str:
    resource, rows = export_rows(kind="orders", selection={"filters": {}}, user=user)
    return b"".join(csv_pieces(resource, rows)).decode("utf-8-sig")


def test_an_export_leaves_the_personal_columns_out_for_a_role_without_the_permission(console, pending):
    order = pending([("MUG", 1)]).order
    # Accounting less the kernel's permissions: may export, may not see personal data.
    without = console("Accounting", "exporter", without="oms").user
    accounting = console("Accounting").user

    masked, full = export_csv(without), export_csv(accounting)

    assert order.number in masked and "customer_email" not in masked and EMAIL not in masked
    assert "customer_email" in full.splitlines()[0] and EMAIL in full


# --- suppliers' contacts ----------------------------------------------------------------------


@pytest.fixture
def acme(warehouse):
    ProductFactory(sku="SKU-A", name="Kettle")
    supplier_create(code="acme", name="Acme Ltd", contact_name="Grace Hopper", email="grace@acme.example", phone="+44 20 7946 0958",
                    line1="1 Harbour Road", city="Leeds", currency="EUR", actor="test")
    supplier_product_set(supplier="acme", sku="SKU-A", unit_cost="4.00", actor="test")
    return Supplier.objects.get(code="acme")


def test_every_field_the_registry_names_is_a_field_of_its_model():
    from django.apps import apps

    for label, names in personal_data_fields().items():
        model = apps.get_model(label)
        assert {field.name for field in model._meta.concrete_fields} >= names, label


def test_a_suppliers_contact_is_in_the_registry_but_not_in_a_customers_export(acme):
    assert personal_data_fields()["inventory.supplier"] == {"contact_name", "email", "phone"}
    assert "inventory" not in [part.name for part in personal_data_parts()]
    assert "inventory.supplier" not in personal_data_covered_models()


def test_a_suppliers_contact_is_masked_for_the_warehouse_and_not_for_the_manager(console, acme):
    url = reverse("admin:inventory_supplier_change", args=[acme.pk])
    listing_url = reverse("admin:inventory_supplier_changelist")

    warehouse = console("Warehouse")
    page, listing = warehouse.get(url).content.decode(), warehouse.get(listing_url).content.decode()
    assert "Grace Hopper" not in page and "grace@acme.example" not in page and "7946" not in page
    assert "G••• H•••" in page and "g•••@acme.example" in listing and "Acme Ltd" in listing and "1 Harbour Road" in page
    assert "Acme Ltd" not in warehouse.get(listing_url, {"q": "grace@acme.example"}).content.decode()

    manager = console("Operations manager")
    assert "Grace Hopper" in manager.get(url).content.decode()
    assert "Acme Ltd" in manager.get(listing_url, {"q": "grace@acme.example"}).content.decode()


def test_forgetting_a_suppliers_contact_blanks_it_everywhere_and_records_it(console, acme):
    po = purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="SKU-A", quantity=3)], notes="Call Grace Hopper first", actor="t")
    PurchaseOrderEvent.objects.create(purchase_order=po, kind="emailed", message="E-mailed to grace@acme.example.", actor_label="t")
    manager = console("Operations manager")
    changelist = reverse("admin:inventory_supplier_changelist")

    confirm = manager.post(changelist, {"action": "forget_contact", "_selected_action": [acme.pk]})
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert Supplier.objects.get(pk=acme.pk).contact_name == "Grace Hopper"

    done = manager.post(changelist, {"action": "forget_contact", "_selected_action": [acme.pk], "apply": "1"}, follow=True)

    supplier = Supplier.objects.get(pk=acme.pk)
    assert "Contact forgotten for acme" in done.content.decode()
    assert (supplier.contact_name, supplier.email, supplier.phone) == ("", "", "")
    assert (supplier.name, supplier.line1, supplier.version) == ("Acme Ltd", "1 Harbour Road", acme.version + 1)
    assert "Grace Hopper" not in PurchaseOrder.objects.get(pk=po.pk).notes
    assert not PurchaseOrderEvent.objects.filter(message__contains="grace@acme.example").exists()
    event = DomainEvent.objects.get(name="supplier.contact_forgotten")
    assert event.payload["supplier"] == "acme" and event.payload["by"] == "operations_manager"
    assert "grace" not in str(event.payload).lower()
    assert LogEntry.objects.filter(object_id=str(acme.pk), change_message__contains="Forgot the contact").exists()

    again = manager.post(changelist, {"action": "forget_contact", "_selected_action": [acme.pk], "apply": "1"}, follow=True)
    assert "no contact on record" in again.content.decode()


def test_the_warehouse_may_not_forget_a_suppliers_contact(console, acme):
    response = console("Warehouse").post(
        reverse("admin:inventory_supplier_changelist"), {"action": "forget_contact", "_selected_action": [acme.pk], "apply": "1"}
    )

    assert response.status_code in (200, 302)
    assert Supplier.objects.get(pk=acme.pk).contact_name == "Grace Hopper"
