from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import CustomerAddress
from orders.models import Order, OrderEvent, OrderStatus

from ..factories import CustomerFactory, ProductFactory
from .conftest import messages_of

PHONE_ORDER = reverse("admin:orders_order_add")


def phone_form(lines, **overrides) -> dict:
    data = {
        "channel": "phone",
        "external_id": "PH-TEST-1",
        "currency": "USD",
        "payment_status": "authorized",
        "shipping_price": "4.95",
        "email": "Grace@Example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "phone": "+14155550123",
        "ship_name": "Grace Hopper",
        "ship_line1": "1 Navy Way",
        "ship_line2": "",
        "ship_city": "Arlington",
        "ship_region": "VA",
        "ship_postal_code": "22202",
        "ship_country": "US",
        "ship_phone": "",
        "note": "",
        "lines-TOTAL_FORMS": str(max(len(lines), 1) + 1),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, (sku, quantity, price) in enumerate(lines):
        data.update({f"lines-{index}-sku": sku, f"lines-{index}-quantity": str(quantity), f"lines-{index}-unit_price": price})
    data.update(overrides)
    return data


def test_customer_service_takes_a_phone_order_through_intake(console, stocked, phone_channel):
    stocked("SKU-A", 5)
    stocked("SKU-B", 5)
    client = console("Customer service")
    form_page = client.get(reverse("admin:orders_order_changelist"))
    assert PHONE_ORDER in form_page.content.decode()
    assert client.get(PHONE_ORDER).status_code == 200

    response = client.post(PHONE_ORDER, phone_form([("SKU-A", 2, "20.00"), ("SKU-B", 1, "20.00")], note="Leave at the back door"))

    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:orders_order_change", args=[order.pk])
    assert (order.channel.code, order.external_id, order.status) == ("phone", "PH-TEST-1", OrderStatus.ALLOCATED)
    assert order.email == "grace@example.com" and order.grand_total == Decimal("64.95")
    assert list(order.lines.values_list("sku", "quantity", "quantity_reserved")) == [("SKU-A", 2, 2), ("SKU-B", 1, 1)]
    assert f"{order.number} recorded. Status: Allocated." in messages_of(response)
    created = OrderEvent.objects.get(order=order, kind="created")
    assert created.actor == client.user
    assert OrderEvent.objects.filter(order=order, kind="note", message="Leave at the back door").exists()


def test_a_doubtful_phone_order_is_recorded_on_hold_like_an_api_order(console, stocked, phone_channel):
    stocked("SKU-A", 5)

    response = console("Customer service").post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")], payment_status="pending"))

    order = Order.objects.get()
    assert order.status == OrderStatus.ON_HOLD
    assert any("put on hold: payment not authorised" in m for m in messages_of(response))


def test_submitting_the_same_phone_order_twice_records_it_once(console, stocked, phone_channel):
    stocked("SKU-A", 5)
    client = console("Customer service")

    client.post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")]))
    second = client.post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")]))

    assert Order.objects.count() == 1
    assert any("already submitted" in m for m in messages_of(second))


@pytest.mark.parametrize(
    "overrides, form_field, line_field, message",
    [
        ({"lines-0-quantity": "0"}, None, "quantity", "Must be a whole number of at least 1."),
        ({"lines-0-unit_price": "-1"}, None, "unit_price", "Must be zero or more."),
        ({"phone": "12"}, "phone", None, "Not a phone number"),
        ({"email": "not-an-email"}, "email", None, "Enter a valid e-mail address."),
        ({"ship_country": ""}, "ship_country", None, "This field is required."),
        ({"currency": "XYZ"}, "currency", None, "is not an ISO 4217 currency code"),
    ],
)
def test_malformed_phone_orders_show_intakes_field_errors_and_record_nothing(console, stocked, phone_channel, overrides, form_field, line_field, message):
    stocked("SKU-A", 5)

    response = console("Customer service").post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")], **overrides))

    assert response.status_code == 200
    assert Order.objects.count() == 0
    if form_field:
        assert any(message in error for error in response.context["form"].errors[form_field])
    else:
        assert any(message in error for error in response.context["formset"].forms[0].errors[line_field])
    assert "The order is malformed; nothing was recorded." in response.content.decode()


def test_a_line_error_lands_on_the_row_the_operator_typed_it_in(console, stocked, phone_channel):
    stocked("SKU-A", 5)
    data = phone_form([("SKU-A", 1, "20.00")])
    # Row 1 left blank, the bad line typed into row 2: intake calls it lines[1].
    data.update({"lines-TOTAL_FORMS": "3", "lines-2-sku": "SKU-A", "lines-2-quantity": "-4", "lines-2-unit_price": "20"})

    response = console("Customer service").post(PHONE_ORDER, data)

    formset = response.context["formset"]
    assert "quantity" in formset.forms[2].errors and not formset.forms[1].errors and not formset.forms[0].errors
    assert Order.objects.count() == 0


def test_a_phone_order_without_lines_is_refused(console, phone_channel):
    response = console("Customer service").post(PHONE_ORDER, phone_form([]))

    assert response.status_code == 200
    assert "Lines: An order needs at least one line." in response.content.decode()
    assert Order.objects.count() == 0


def test_accounting_cannot_see_or_open_phone_order_creation(console, phone_channel):
    client = console("Accounting")

    changelist = client.get(reverse("admin:orders_order_changelist")).content.decode()
    index = client.get(reverse("admin:index")).content.decode()

    assert PHONE_ORDER not in changelist and PHONE_ORDER not in index
    assert client.get(PHONE_ORDER).status_code == 403
    assert client.post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")])).status_code == 403
    assert Order.objects.count() == 0


# --- what the system knows fills the blanks ---------------------------------------------------


def careful_form(email: str, lines, **overrides) -> dict:
    """What a careful operator types for a known customer: the email and each SKU with its
    quantity; names, address and prices left for the system to fill."""
    blanks = {name: "" for name in ("first_name", "last_name", "phone", "ship_name", "ship_line1", "ship_city", "ship_region", "ship_postal_code", "ship_country")}
    return phone_form([(sku, quantity, "") for sku, quantity in lines], email=email, **{**blanks, **overrides})


@pytest.fixture
def grace(db):
    customer = CustomerFactory(email="grace@example.com", first_name="Grace", last_name="Hopper", phone="+14155550123")
    CustomerAddress.objects.create(customer=customer, label="old", name="G. Hopper", line1="9 Old Road", city="Austin", region="TX", postal_code="73301", country="US")
    CustomerAddress.objects.create(
        customer=customer, label="home", name="Grace Hopper", line1="1 Navy Way", city="Arlington", region="VA", postal_code="22202", country="US",
        is_default_shipping=True,
    )
    return customer


def test_a_careful_phone_order_for_a_known_customer_takes_her_default_address_and_catalogue_prices_and_is_not_held(console, stocked, phone_channel, grace):
    stocked("SKU-A", 5)  # the catalogue price is 20.00 USD

    response = console("Customer service").post(PHONE_ORDER, careful_form("grace@example.com", [("SKU-A", 2)]))

    order = Order.objects.get()
    assert order.status == OrderStatus.ALLOCATED and not order.holds.exists()
    assert order.customer == grace
    assert (order.shipping_address["name"], order.shipping_address["line1"], order.shipping_address["city"]) == ("Grace Hopper", "1 Navy Way", "Arlington")
    assert list(order.lines.values_list("unit_price", flat=True)) == [Decimal("20.00")]
    assert f"{order.number} recorded. Status: Allocated." in messages_of(response)


def test_a_new_customers_ship_to_name_comes_from_her_name_so_the_address_is_not_doubted(console, stocked, phone_channel):
    stocked("SKU-A", 5)

    console("Customer service").post(PHONE_ORDER, phone_form([("SKU-A", 1, "")], email="new@example.com", ship_name=""))

    order = Order.objects.get()
    assert order.shipping_address["name"] == "Grace Hopper"
    assert order.status == OrderStatus.ALLOCATED and not order.holds.exists()


def test_fill_in_shows_what_the_system_knows_with_the_catalogue_price_and_records_nothing(console, stocked, phone_channel, grace):
    stocked("SKU-A", 5)

    response = console("Customer service").post(PHONE_ORDER, {**careful_form("grace@example.com", [("SKU-A", 1), ("NOPE-1", 1)]), "_fill": "1"})

    assert response.status_code == 200 and Order.objects.count() == 0
    page = response.content.decode()
    assert 'value="1 Navy Way"' in page and 'value="Grace Hopper"' in page and 'value="+14155550123"' in page
    assert 'name="lines-0-unit_price" value="20.00"' in page
    assert "20.00 USD" in page and "Not in the catalogue" in page
    assert "Please correct the errors" not in page


def test_a_line_whose_catalogue_price_is_in_another_currency_asks_for_the_price_and_records_nothing(console, phone_channel, warehouse):
    ProductFactory(sku="EU-ONLY", price=Decimal("15.00"), currency="EUR")

    response = console("Customer service").post(PHONE_ORDER, phone_form([("EU-ONLY", 1, "")]))

    assert response.status_code == 200 and Order.objects.count() == 0
    assert any("the catalogue has none for this SKU" in error for error in response.context["formset"].forms[0].errors["unit_price"])
    assert "priced in EUR only" in response.content.decode()


def test_taking_a_phone_order_for_a_chosen_customer_opens_the_form_filled_for_her(console, phone_channel, grace):
    page = console("Customer service").get(PHONE_ORDER, {"customer": grace.pk}).content.decode()

    assert 'value="grace@example.com"' in page and 'value="1 Navy Way"' in page and 'value="Grace Hopper"' in page


def test_a_phone_order_for_a_pickup_point_keeps_it_and_the_order_page_says_where_it_goes(console, stocked, phone_channel):
    # Given a customer who wants the parcel at a locker
    stocked("SKU-A", 5)
    client = console("Customer service")

    # When the operator takes the order with the locker's id and name
    client.post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")], ship_pickup_point="US-VA-0007", ship_pickup_point_name="Locker Pentagon City"))

    # Then the order's address names the locker, and its page says the parcel goes there
    order = Order.objects.get()
    assert (order.shipping_address["pickup_point"], order.shipping_address["pickup_point_name"]) == ("US-VA-0007", "Locker Pentagon City")
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "To the pickup point Locker Pentagon City (US-VA-0007)" in page


def test_a_pickup_point_name_without_its_id_is_refused_on_the_phone_form(console, stocked, phone_channel):
    stocked("SKU-A", 5)

    response = console("Customer service").post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")], ship_pickup_point_name="Locker Pentagon City"))

    assert response.status_code == 200 and not Order.objects.exists()
    assert "Give the pickup point&#x27;s id with its name" in response.content.decode()


def test_a_phone_order_for_an_account_that_requires_a_po_reference_asks_for_it(console, stocked, phone_channel):
    stocked("SKU-A", 5)
    CustomerFactory(email="grace@example.com", po_reference_required=True)
    client = console("Customer service")

    refused = client.post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")]))

    assert refused.status_code == 200 and not Order.objects.exists()
    assert "purchase-order reference" in refused.context["form"].errors["po_reference"][0]
    placed = client.post(PHONE_ORDER, phone_form([("SKU-A", 1, "20.00")], po_reference="PO-77"))
    assert placed.status_code == 302 and Order.objects.get().po_reference == "PO-77"


def test_the_console_edits_whether_a_customer_or_group_requires_a_po_reference(console):
    from customers.models import Customer

    customer = CustomerFactory(email="buyer@acme.example", kind=Customer.Kind.BUSINESS)
    client = console("Customer service")

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert 'name="po_reference_required"' in page and "purchase-order reference" in page.lower()
