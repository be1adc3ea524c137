"""A customer's data rights: the registry covers every model linked to a customer, an export
holds everything in a ZIP of JSON and CSV, and an erasure leaves no personal string anywhere in
the database while amounts stay (PostgreSQL: every text and JSON column is searched)."""

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from customers.data_requests import customer_data_erasure_request, customer_data_export_request
from customers.models import Customer, CustomerAddress, DataRequest, StoreCreditEntry
from customers.services import customer_address_create
from customers.store_credit import store_credit_grant
from fulfillment.models import FulfillmentOrder
from fulfillment.services import fulfillment_order_deliver
from oms.models import DomainEvent
from oms.personal_data import personal_data_covered_models
from orders.models import Order, OrderEvent, OrderLine
from orders.services import order_cancel, order_note_add, order_start_fulfillment
from portal.preferences import notification_preferences_set
from returns.services import return_cancel, return_request
from shipping.demo import demo_shipping_seed
from shipping.selectors import rate_card_forget

from .admin.conftest import ship_with_a_scan
from .factories import address, place_order
from .returns.conftest import line

pytestmark = pytest.mark.django_db

NAME = ("Wilhelmina", "Quackenbush")
EMAIL = "wilhelmina.quackenbush@example.org"
PHONE = "+14155550199"
LINE1 = "77 Zeppelin Crescent"
CITY = "Quibbleton"
PERSONAL = [NAME[0], NAME[1], EMAIL, PHONE, PHONE[2:], LINE1, CITY]

# Models linked to a customer through one of these subjects (besides the customer itself).
SUBJECTS = {"customers.customer", "orders.order", "returns.returnrequest"}


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def customer_linked_models() -> set[str]:
    """Every concrete model with a key to a customer, to an order or a return, or to a model
    with a key to a customer (a price list's items, a store credit account's entries)."""
    direct = set()
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model._meta.label_lower == "customers.customer":
                direct.add(model._meta.label_lower)
    linked = set(direct)
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model._meta.label_lower in SUBJECTS | direct:
                linked.add(model._meta.label_lower)
    return linked


def test_every_model_linked_to_a_customer_is_covered_by_a_registered_part():
    missing = customer_linked_models() - personal_data_covered_models()

    assert missing == set(), f"models holding a customer's data that no personal-data part covers: {sorted(missing)}"
    # The walk finds the links it must (a test that found nothing would prove nothing).
    assert {"orders.order", "orders.orderevent", "returns.refund", "portal.notification", "customers.storecreditentry"} <= customer_linked_models()


def test_a_new_model_with_a_customer_link_fails_the_completeness_check(monkeypatch):
    class Wishlist(models.Model):
        customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE)

        class Meta:
            app_label = "customers"

    try:
        assert "customers.wishlist" in customer_linked_models() - personal_data_covered_models()
    finally:
        apps.all_models["customers"].pop("wishlist", None)
        apps.clear_cache()


@pytest.fixture
def rich_customer(stocked, django_capture_on_commit_callbacks):
    """A customer with everything the OMS can hold about one: profile, address book, an order
    delivered through fulfillment and a carrier (address snapshots, shipment, tracking), a note,
    a cancelled return with a comment, store credit, preferences and the notifications sent."""
    stocked("SKU-A", 10)
    rate_card_forget()
    demo_shipping_seed()
    ship_to = address(name=" ".join(NAME), line1=LINE1, city=CITY, phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order([("SKU-A", 2)], email=EMAIL, first_name=NAME[0], last_name=NAME[1], phone=PHONE,
                            shipping_address=ship_to, billing_address=ship_to, note=f"Ring {NAME[1]} at {LINE1}")
    customer = Customer.objects.get(email=EMAIL)
    customer_address_create(customer_id=customer.pk, actor="cs", name=" ".join(NAME), line1=LINE1, city=CITY, country="US", phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    fulfillment_order = FulfillmentOrder.objects.get(order=order)
    ship_with_a_scan(fulfillment_order, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        fulfillment_order_deliver(fulfillment_order_id=fulfillment_order.pk, actor="carrier")
        order_note_add(order_id=order.pk, text=f"{NAME[0]} called from {PHONE} about the parcel", actor="cs")
        rma = return_request(order_id=order.pk, lines=[line(1, 1)], customer_comment=f"Too small for {NAME[0]}", actor="portal")
        return_cancel(return_id=rma.pk, actor="cs")
        store_credit_grant(customer_id=customer.pk, currency="USD", amount="5.00", note=f"Goodwill for {NAME[0]} {NAME[1]}", actor="cs")
        notification_preferences_set(customer_id=customer.pk, choices={("shipped", "sms"): True}, actor="portal:customer")
    return Customer.objects.get(pk=customer.pk)


def test_an_export_request_builds_a_zip_of_json_and_csv_with_every_part(rich_customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = customer_data_export_request(customer_id=rich_customer.pk, source=DataRequest.Source.ADMIN, actor="cs")

    request = DataRequest.objects.get(pk=request.pk)
    assert request.status == DataRequest.Status.DONE and request.finished_at and request.file.name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(request.file.read())) as archive:
        data = json.loads(archive.read("data.json"))
        names = set(archive.namelist())
        orders_csv = archive.read("orders/orders.csv").decode()
    assert data["customers"]["customer"][0]["email"] == EMAIL
    assert data["customers"]["addresses"][0]["line1"] == LINE1
    assert data["orders"]["orders"][0]["shipping_address"]["line1"] == LINE1
    assert any(PHONE in event["message"] for event in data["orders"]["order_events"])
    assert data["returns"]["return_requests"][0]["customer_comment"] == f"Too small for {NAME[0]}"
    assert data["fulfillment"]["shipments"][0]["destination"]["city"] == CITY
    assert data["customers"]["store_credit_entries"][0]["amount"] == "5.000"
    assert data["portal"]["notification_preferences"][0]["medium"] == "sms"
    assert {"customers/customer.csv", "orders/order_lines.csv", "returns/return_requests.csv", "fulfillment/shipments.csv"} <= names
    assert EMAIL in orders_csv
    assert request.outcome["orders"]["orders"] == 1
    assert DomainEvent.objects.filter(name="customer.data_exported", payload__request_id=request.pk).count() == 1


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb') ORDER BY table_name, column_name"
        )
        return cursor.fetchall()


def where_found(values: list[str]) -> dict[str, list[str]]:
    """``{value: ["table.column", ...]}`` for each value found in any text or JSON column."""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table, column in text_columns():
            for value in values:
                cursor.execute(f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1', [f"%{value}%"])
                if cursor.fetchone():
                    found.setdefault(value, []).append(f"{table}.{column}")
    return found


def money(customer: Customer) -> list:
    orders = Order.objects.filter(customer=customer).order_by("pk")
    return [
        list(orders.values_list("subtotal", "tax_total", "shipping_price", "grand_total", "currency", "status", "placed_at")),
        list(OrderLine.objects.filter(order__customer=customer).order_by("pk").values_list("sku", "quantity", "unit_price", "quantity_shipped")),
        list(StoreCreditEntry.objects.filter(account__customer=customer).order_by("pk").values_list("amount", "balance_after")),
    ]


@pytest.mark.postgres
def test_erasure_leaves_no_personal_string_anywhere_and_keeps_the_amounts(rich_customer):
    before = money(rich_customer)
    assert set(where_found(PERSONAL)) == set(PERSONAL), "the set-up must have put every value somewhere to search for"

    request = customer_data_erasure_request(customer_id=rich_customer.pk, source=DataRequest.Source.ADMIN, actor="cs")

    assert DataRequest.objects.get(pk=request.pk).status == DataRequest.Status.DONE, request.refusal_reason
    assert where_found(PERSONAL) == {}
    assert money(rich_customer) == before
    customer = Customer.objects.get(pk=rich_customer.pk)
    assert customer.email == f"erased-{customer.pk}@invalid" and customer.erased_at is not None
    assert Order.objects.get(customer=customer).shipping_address["country"] == "US"
    trail = list(OrderEvent.objects.filter(order__customer=customer, kind=OrderEvent.Kind.NOTE).values_list("message", "actor_label"))
    assert ("[erased]", "cs") in trail and ("Customer's personal data erased on request; amounts and lines kept.", "cs") in trail
    assert request.outcome["orders"]["orders"] == 1 and request.outcome["customers"]["addresses"] == 1
    assert DomainEvent.objects.filter(name="customer.erased", payload__request_id=request.pk).count() == 1


def test_erasure_is_refused_with_the_reason_while_an_order_is_open_and_nothing_changes(stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], email=EMAIL, first_name=NAME[0], last_name=NAME[1])
    customer = Customer.objects.get(email=EMAIL)

    request = customer_data_erasure_request(customer_id=customer.pk, source=DataRequest.Source.ADMIN, actor="cs")

    request = DataRequest.objects.get(pk=request.pk)
    assert request.status == DataRequest.Status.REFUSED and request.finished_at
    assert "open orders" in request.refusal_reason and order.number in request.refusal_reason
    assert Customer.objects.get(pk=customer.pk).email == EMAIL and Order.objects.get(pk=order.pk).email == EMAIL
    assert not DomainEvent.objects.filter(name="customer.erased").exists()


def test_a_second_erasure_is_refused_as_already_done(db):
    customer = Customer.objects.create(email=EMAIL, first_name=NAME[0])
    first = customer_data_erasure_request(customer_id=customer.pk, source=DataRequest.Source.ADMIN, actor="cs")
    second = customer_data_erasure_request(customer_id=customer.pk, source=DataRequest.Source.ADMIN, actor="cs")

    assert first.status == DataRequest.Status.DONE
    assert second.status == DataRequest.Status.REFUSED and "already erased" in second.refusal_reason
    assert DataRequest.objects.filter(customer=customer).count() == 2


def test_erasure_deletes_the_customer_s_earlier_export_files(db, django_capture_on_commit_callbacks):
    customer = Customer.objects.create(email=EMAIL, first_name=NAME[0])
    with django_capture_on_commit_callbacks(execute=True):
        export = customer_data_export_request(customer_id=customer.pk, source=DataRequest.Source.PORTAL, actor=f"portal:{customer.pk}")
    stored = DataRequest.objects.get(pk=export.pk).file
    assert stored.storage.exists(stored.name)

    with django_capture_on_commit_callbacks(execute=True):
        customer_data_erasure_request(customer_id=customer.pk, source=DataRequest.Source.ADMIN, actor="cs")

    assert not stored.storage.exists(stored.name) and DataRequest.objects.get(pk=export.pk).file.name == ""


def test_erasure_keeps_a_customer_s_addresses_rows_and_blanks_them(db):
    customer = Customer.objects.create(email=EMAIL, first_name=NAME[0], phone=PHONE, created_at=timezone.now())
    CustomerAddress.objects.create(customer=customer, name=" ".join(NAME), line1=LINE1, city=CITY, country="US")

    customer_data_erasure_request(customer_id=customer.pk, source=DataRequest.Source.ADMIN, actor="cs")

    kept = CustomerAddress.objects.get(customer=customer)
    assert (kept.name, kept.line1, kept.city, str(kept.country)) == ("[erased]", "[erased]", "[erased]", "US")
    assert str(Customer.objects.get(pk=customer.pk).phone or "") == ""


def test_erasure_leaves_another_customer_of_the_same_town_and_first_name_alone(stocked):
    stocked("SKU-A", 5)
    gone = place_order([("SKU-A", 1)], email=EMAIL, first_name=NAME[0], last_name=NAME[1],
                       shipping_address=address(name=" ".join(NAME), line1=LINE1, city=CITY))
    neighbour = place_order([("SKU-A", 1)], email="neighbour@example.org", first_name=NAME[0], last_name="Smith",
                            shipping_address=address(name=f"{NAME[0]} Smith", line1="3 Other Road", city=CITY))
    for order in (gone, neighbour):
        order_cancel(order_id=order.pk, reason="test", actor="test")
    theirs = Order.objects.filter(pk=neighbour.pk).values("email", "shipping_address").get()
    # An event about the neighbour that shares a town and a first name with the erased customer:
    # neither singles the erased customer out, so it must not be touched.
    about_them = DomainEvent.objects.create(
        name="order.address_changed", payload={"order_id": neighbour.pk, "city": CITY, "name": f"{NAME[0]} Smith"}
    )

    customer_data_erasure_request(customer_id=gone.customer_id, source=DataRequest.Source.ADMIN, actor="cs")

    assert Order.objects.filter(pk=neighbour.pk).values("email", "shipping_address").get() == theirs
    assert DomainEvent.objects.get(pk=about_them.pk).payload == {"order_id": neighbour.pk, "city": CITY, "name": f"{NAME[0]} Smith"}
    assert Order.objects.get(pk=gone.pk).shipping_address["city"] == "[erased]"
