"""A business buyer orders in bulk in the portal: rows pasted or uploaded, checked line by line
(catalogue, contract prices, stock), then placed once through intake with a purchase-order
reference and one of the account's ship-to addresses; "Order again" starts from a past order."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from customers.models import CatalogueRule, Customer, CustomerAddress, PriceList, PriceListItem
from inventory.models import Product
from orders.models import Channel, Order, OrderEvent
from portal.bulk_rows import MAX_ROWS, RowsRefused, rows_from_text, rows_from_upload

from ..factories import CustomerFactory, CustomerGroupFactory, place_order
from .returns_support import sign_in_as

pytestmark = pytest.mark.django_db
BULK = "/portal/order-in-bulk/"


# --- reading rows --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["MUG-RED\t12\nCUP\t3", "MUG-RED;12\nCUP;3", "MUG-RED, 12\nCUP,3", "MUG-RED 12\nCUP 3"])
def test_rows_are_read_with_tab_semicolon_comma_or_space_between_sku_and_quantity(text):
    rows = rows_from_text(text)

    assert [(row.sku, row.quantity, row.problem) for row in rows] == [("MUG-RED", 12, ""), ("CUP", 3, "")]


def test_blank_lines_and_a_header_row_are_skipped_and_rows_keep_their_line_numbers():
    rows = rows_from_text("SKU;Quantity\n\nMUG-RED;12\n   \nCUP;3\n")

    assert [(row.number, row.sku, row.quantity) for row in rows] == [(3, "MUG-RED", 12), (5, "CUP", 3)]


@pytest.mark.parametrize(("quantity", "problem"), [
    ("twelve", "is not a quantity"), ("1.5", "is not a quantity"), ("-2", "is not a quantity"), ("0", "at least 1"), ("", "No quantity"),
    ("99999999999999999999", "is not a quantity"), ("١٢", "is not a quantity"),
])
def test_a_quantity_that_is_not_a_whole_number_of_units_is_a_problem_of_its_row(quantity, problem):
    (row,) = rows_from_text(f"MUG-RED;{quantity}")

    assert row.quantity is None and problem in row.problem


def test_a_spreadsheet_whole_number_and_more_columns_than_two():
    first, second = rows_from_text("A\t12.0\nB\t3\tred")

    assert first.quantity == 12 and not first.problem
    assert second.quantity is None and "Only two columns" in second.problem


def test_more_rows_than_one_order_takes_are_refused_as_a_whole():
    with pytest.raises(RowsRefused, match="At most 500 rows"):
        rows_from_text("\n".join(f"SKU-{n},1" for n in range(MAX_ROWS + 1)))


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_upload_is_read_with_numbers_as_quantities_and_its_header_skipped():
    rows = rows_from_upload(xlsx([["SKU", "Qty"], ["MUG-RED", 12], [None, None], ["CUP", 3.0]]), "order.xlsx")

    assert [(row.number, row.sku, row.quantity) for row in rows] == [(2, "MUG-RED", 12), (4, "CUP", 3)]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "a.csv", "empty"), (b"\xff\xfeM\x00U\x00", "a.csv", "not UTF-8"), (b"PK\x03\x04broken", "a.xlsx", "damaged"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "a.xls", "not an Excel workbook we can read"), (b"x" * (1024 * 1024 + 1), "a.csv", "larger than 1 MB"),
])
def test_a_file_that_cannot_be_read_is_refused_with_what_to_do(content, name, message):
    with pytest.raises(RowsRefused) as refused:
        rows_from_upload(content, name)

    assert message.lower() in str(refused.value).lower()


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture
def trade(db):
    return CustomerGroupFactory(code="trade", name="Trade", payment_terms_days=30, credit_currency="USD")


@pytest.fixture
def buyer(client, trade):
    """Acme, a business in the Trade group with two ship-to addresses, signed in to the portal."""
    acme = CustomerFactory(email="buyer@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme", group=trade)
    CustomerAddress.objects.create(customer=acme, label="Head office", name="Ada Buyer", line1="1 Main Street", city="Boston", region="MA",
                                   postal_code="02108", country="US", is_default_shipping=True)
    CustomerAddress.objects.create(customer=acme, label="Store 12", name="Store manager", line1="9 Elm Street", city="Portland", region="ME",
                                   postal_code="04101", country="US")
    sign_in_as(client, acme)
    return acme


@pytest.fixture
def catalogue(trade, stocked):
    """Mugs (contract price with a break at 10), cups (sold in cases of 6, rounded up), plates
    (at least 10 a line, refused below), a teapot (not for the Trade group), one retired SKU."""
    stocked("MUG-RED", 100, name="Red mug")
    stocked("CUP", 100, name="Cup")
    stocked("PLATE", 100, name="Plate")
    stocked("TEAPOT", 100, name="Teapot")
    stocked("OLD", 100, name="Old mug", is_active=False)
    wholesale = PriceList.objects.create(code="trade-usd", name="Trade USD", currency="USD", customer_group=trade)
    PriceListItem.objects.create(price_list=wholesale, sku="MUG-RED", min_quantity=1, price=Decimal("8.00"))
    PriceListItem.objects.create(price_list=wholesale, sku="MUG-RED", min_quantity=10, price=Decimal("7.00"))
    PriceListItem.objects.create(price_list=wholesale, sku="CUP", min_quantity=1, price=Decimal("3.00"))
    PriceListItem.objects.create(price_list=wholesale, sku="PLATE", min_quantity=1, price=Decimal("5.00"))
    CatalogueRule.objects.create(customer_group=trade, sku="CUP", case_pack=6, on_mismatch=CatalogueRule.Mismatch.ROUND_UP)
    CatalogueRule.objects.create(customer_group=trade, sku="PLATE", min_quantity=10, on_mismatch=CatalogueRule.Mismatch.REFUSE)
    CatalogueRule.objects.create(customer_group=trade, sku="TEAPOT", allowed=False)


def checked(client, text):
    response = client.post(BULK, {"rows": text, "action": "check"})
    assert response.status_code == 200
    return response, {line.sku: line for line in response.context["check"].lines}


def test_each_line_shows_its_product_contract_price_and_break_and_the_case_pack_rounding(client, buyer, catalogue):
    response, lines = checked(client, "SKU\tQty\nMUG-RED\t12\nCUP\t7")

    assert response.context["check"].ready
    mug, cup = lines["MUG-RED"], lines["CUP"]
    assert (mug.name, mug.quantity, mug.unit_price, mug.line_total) == ("Red mug", 12, Decimal("7.00"), Decimal("84.00"))
    assert mug.price_source == "Your price list Trade USD, from 10 units"
    assert (cup.quantity, cup.unit_price, cup.line_total) == (12, Decimal("3.00"), Decimal("36.00"))
    page = response.content.decode()
    assert "Rounded up from 7 to 12: sold in cases of 6." in page
    assert "you asked 7" in page
    assert "120.00" in page  # the total before tax and shipping
    assert 'name="action" value="place"' in page


def test_lines_with_problems_block_the_order_and_each_says_what_to_fix(client, buyer, catalogue):
    response, lines = checked(client, "NOPE;1\nTEAPOT;1\nPLATE;3\nOLD;2\nMUG-RED;lots\nMUG-RED;2")

    check = response.context["check"]
    assert not check.ready and check.error_count == 5
    assert lines["NOPE"].errors == ["Unknown SKU: check its spelling against your catalogue."]
    assert lines["TEAPOT"].errors == ["Trade may not buy TEAPOT: remove the line."]
    assert lines["PLATE"].errors == ["PLATE is sold to Trade at least 10: order 10 instead of 3."]
    assert lines["OLD"].errors == ["No longer sold: remove the line."]
    bad_quantity = next(line for line in check.lines if line.rows == [5])
    assert bad_quantity.errors == ["“lots” is not a quantity: write a whole number of units, e.g. 12."]
    assert not lines["MUG-RED"].errors  # row 6 is fine
    page = response.content.decode()
    assert "5 lines need a change before you can order" in page
    assert 'value="place"' not in page
    assert not Order.objects.exists()


def test_a_sku_the_restricted_catalogue_does_not_list_is_an_error(client, buyer, catalogue, trade, stocked):
    stocked("SAUCER", 10)
    trade.catalogue_restricted = True
    trade.save()
    CatalogueRule.objects.create(customer_group=trade, sku="MUG-RED", allowed=True)

    _response, lines = checked(client, "MUG-RED,1\nSAUCER,10")

    assert not lines["MUG-RED"].errors
    assert lines["SAUCER"].errors == ["SAUCER is not in the catalogue of Trade: remove the line."]


def test_rows_of_one_sku_are_merged_into_one_line_and_the_page_says_so(client, buyer, catalogue):
    _response, lines = checked(client, "MUG-RED,4\nCUP,6\nMUG-RED,6")

    mug = lines["MUG-RED"]
    assert (mug.rows, mug.requested, mug.unit_price) == ([1, 3], 10, Decimal("7.00"))
    assert mug.notes == ["Rows 1, 3 name the same SKU: merged into one line of 10."]


def test_a_line_stock_does_not_cover_is_a_warning_that_it_will_be_backordered(client, buyer, catalogue):
    response, lines = checked(client, "MUG-RED,130")

    assert response.context["check"].ready
    assert lines["MUG-RED"].warnings == ["Only 100 in stock now: the other 30 will be backordered."]


def test_a_short_line_names_the_day_an_open_purchase_order_brings_more(client, buyer, catalogue, warehouse):
    import datetime

    from inventory.purchasing import DraftLine, purchase_order_create, purchase_order_send, supplier_create, supplier_product_set

    supplier_create(code="potter", name="Potter", currency="USD", lead_time_days=10, actor="test")
    supplier_product_set(supplier="potter", sku="MUG-RED", unit_cost="2.00", actor="test")
    po = purchase_order_create(supplier="potter", location=warehouse.code, lines=[DraftLine(sku="MUG-RED", quantity=50, expected_date=datetime.date(2031, 3, 14))],
                               actor="buyer")
    purchase_order_send(purchase_order_id=po.pk, actor="buyer", email=False)

    _response, lines = checked(client, "MUG-RED,130")

    assert lines["MUG-RED"].warnings == ["Only 100 in stock now: the other 30 will be backordered. More is expected on March 14, 2031."]


def test_a_sku_without_any_price_for_the_customer_is_an_error(client, buyer, catalogue, stocked):
    stocked("EUR-ONLY", 5, currency="EUR", price=Decimal("4.00"))

    _response, lines = checked(client, "EUR-ONLY,1")

    assert "We have no price for you for this SKU in USD" in lines["EUR-ONLY"].errors[0]


def test_an_uploaded_xlsx_is_checked_and_comes_back_as_text_to_edit(client, buyer, catalogue):
    upload = SimpleUploadedFile("order.xlsx", xlsx([["SKU", "Quantity"], ["MUG-RED", 12], ["CUP", 6]]))

    response = client.post(BULK, {"rows": "", "file": upload, "action": "check"})

    assert response.status_code == 200 and response.context["check"].ready
    assert response.context["rows_form"]["rows"].value() == "MUG-RED, 12\nCUP, 6"


def test_an_uploaded_csv_is_checked(client, buyer, catalogue):
    upload = SimpleUploadedFile("order.csv", "sku;quantity\r\nMUG-RED;2\r\nNOPE;1\r\n".encode())

    _response = client.post(BULK, {"file": upload, "action": "check"})

    lines = {line.sku: line for line in _response.context["check"].lines}
    assert lines["MUG-RED"].quantity == 2 and lines["NOPE"].errors


def test_a_file_that_is_not_csv_or_xlsx_gets_a_form_error_not_a_500(client, buyer, catalogue):
    upload = SimpleUploadedFile("order.xlsx", b"PK\x03\x04\x00\x00garbage")

    response = client.post(BULK, {"file": upload, "action": "check"})

    assert response.status_code == 200
    assert response.context["rows_form"].errors["file"]
    assert response.context["check"] is None


def place_data(response, **overrides):
    form = response.context["place_form"]
    data = {"rows": response.context["rows_form"]["rows"].value(), "action": "place", "token": form["token"].value(),
            "checked": form["checked"].value(), "address": form["address"].value(), "po_reference": ""}
    data.update(overrides)
    return data


def test_placing_records_one_order_through_intake_with_the_reference_and_the_chosen_ship_to(client, buyer, catalogue):
    response, _lines = checked(client, "MUG-RED\t12\nCUP\t7")
    store = CustomerAddress.objects.get(customer=buyer, label="Store 12")

    placed = client.post(BULK, place_data(response, address=store.pk, po_reference="PO-4711"))

    order = Order.objects.get()
    assert placed.status_code == 302 and placed["Location"] == reverse("portal:order", args=[order.number])
    assert order.customer == buyer and order.po_reference == "PO-4711"
    assert order.channel.code == "b2b" and order.channel.kind == Channel.Kind.B2B
    assert order.shipping_address["line1"] == "9 Elm Street" and order.shipping_address["city"] == "Portland"
    assert [(line.sku, line.quantity, line.unit_price, line.price_list_id is not None) for line in order.lines.order_by("line_number")] == [
        ("MUG-RED", 12, Decimal("7.00"), True), ("CUP", 12, Decimal("3.00"), True),
    ]
    assert OrderEvent.objects.filter(order=order, message__startswith="Quantities rounded up").exists()
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.CREATED).get().actor_label == f"portal:{buyer.pk}"
    page = client.get(placed["Location"]).content.decode()
    assert "PO-4711" in page and "Order again" in page


def test_a_second_click_on_place_answers_the_same_order(client, buyer, catalogue):
    response, _lines = checked(client, "MUG-RED,2")
    data = place_data(response)

    first = client.post(BULK, data)
    second = client.post(BULK, data)

    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_rows_changed_after_the_check_are_checked_again_before_anything_is_placed(client, buyer, catalogue):
    response, _lines = checked(client, "MUG-RED,2")

    changed = client.post(BULK, place_data(response, rows="MUG-RED,3"))

    assert changed.status_code == 200 and not Order.objects.exists()
    assert "The lines changed since you checked them" in changed.content.decode()
    again = client.post(BULK, place_data(changed))
    assert again.status_code == 302 and Order.objects.get().lines.get().quantity == 3


def test_a_required_purchase_order_reference_is_asked_for_in_the_portal(client, buyer, catalogue):
    buyer.po_reference_required = True
    buyer.save()
    response, _lines = checked(client, "MUG-RED,2")

    refused = client.post(BULK, place_data(response, po_reference="  "))

    assert refused.status_code == 200 and not Order.objects.exists()
    assert refused.context["place_form"].errors["po_reference"] == ["Your account orders with a purchase-order reference: enter it here."]
    assert client.post(BULK, place_data(response, po_reference="PO-1")).status_code == 302


def test_the_groups_flag_requires_the_reference_too_and_intake_refuses_without_it(client, buyer, catalogue, trade):
    from portal.bulk_order import bulk_order_place
    from portal.bulk_rows import rows_from_text
    from oms.errors import InvalidInput

    trade.po_reference_required = True
    trade.save()
    address = CustomerAddress.objects.filter(customer=buyer).first()

    with pytest.raises(InvalidInput) as refused:
        bulk_order_place(customer=buyer, rows=rows_from_text("MUG-RED,2"), address_id=address.pk, po_reference="", token="a" * 32)

    assert "po_reference" in refused.value.fields and not Order.objects.exists()


def test_another_customers_address_cannot_be_chosen(client, buyer, catalogue):
    stranger = CustomerFactory(email="other@example.com", kind=Customer.Kind.BUSINESS)
    theirs = CustomerAddress.objects.create(customer=stranger, name="X", line1="1 Other Road", city="Boston", region="MA", postal_code="02108", country="US")
    response, _lines = checked(client, "MUG-RED,2")

    refused = client.post(BULK, place_data(response, address=theirs.pk))

    assert refused.status_code == 200 and not Order.objects.exists()
    assert refused.context["place_form"].errors["address"]


@pytest.mark.parametrize("overrides", [{"token": "../../etc"}, {"address": "x"}, {"address": str(2**70)}, {"checked": "z" * 500}, {"po_reference": "P" * 65}])
def test_a_tampered_place_form_gets_form_errors_never_a_500(client, buyer, catalogue, overrides):
    response, _lines = checked(client, "MUG-RED,2")

    refused = client.post(BULK, place_data(response, **overrides))

    assert refused.status_code == 200 and not Order.objects.exists()


def test_a_consumer_does_not_see_the_bulk_page_nor_the_address_book(client, catalogue):
    person = CustomerFactory(email="ada@example.com", kind=Customer.Kind.PERSON)
    sign_in_as(client, person)

    assert client.get(BULK).status_code == 404
    assert client.post(BULK, {"rows": "MUG-RED,1", "action": "check"}).status_code == 404
    assert client.get("/portal/addresses/").status_code == 404
    assert "Order in bulk" not in client.get("/portal/orders/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(BULK)

    assert response.status_code == 302 and response["Location"].startswith("/portal/sign-in/")


# --- order again ---------------------------------------------------------------------------------


def test_order_again_fills_the_page_with_the_past_orders_lines_at_todays_prices(client, buyer, catalogue):
    past = place_order([("MUG-RED", 12, None), ("CUP", 6, None)], email=buyer.email, payment_status="pending")
    Product.objects.filter(sku="CUP").update(is_active=False)

    response = client.get(f"{BULK}?reorder={past.number}")

    assert response.status_code == 200
    assert response.context["rows_form"]["rows"].value() == "MUG-RED, 12\nCUP, 6"
    lines = {line.sku: line for line in response.context["check"].lines}
    assert lines["MUG-RED"].unit_price == Decimal("7.00") and not lines["MUG-RED"].errors
    assert lines["CUP"].errors == ["No longer sold: remove the line."]
    assert re.search(r"The lines of order SO-\d+ at today", response.content.decode())


def test_order_again_for_someone_elses_order_is_a_404(client, buyer, catalogue):
    theirs = place_order([("MUG-RED", 1)], email="other@example.com")

    assert client.get(f"{BULK}?reorder={theirs.number}").status_code == 404


def test_a_german_buyer_gets_the_page_and_the_line_messages_in_german(client, buyer, catalogue):
    buyer.language = "de"
    buyer.save()

    response, lines = checked(client, "NOPE;1\nMUG-RED;2")

    page = response.content.decode()
    assert "Sammelbestellung" in page and "Zeilen prüfen" in page
    assert lines["NOPE"].errors == ["Unbekannte SKU: Prüfen Sie die Schreibweise anhand Ihres Katalogs."]


def test_a_german_buyer_gets_the_catalogues_refusals_and_rounding_in_german(client, buyer, catalogue):
    buyer.language = "de"
    buyer.save()

    response, lines = checked(client, "TEAPOT;1\nPLATE;3\nCUP;7")

    assert lines["TEAPOT"].errors == ["TEAPOT ist für Trade nicht freigegeben: Entfernen Sie die Zeile."]
    assert lines["PLATE"].errors == ["Für Trade gilt bei PLATE: mindestens 10. Bestellen Sie 10 statt 3."]
    page = response.content.decode()
    assert "TEAPOT ist für Trade nicht freigegeben" in page and "Bestellen Sie 10 statt 3" in page
    assert "Von 7 auf 12 aufgerundet: verkauft in Kartons zu 6." in page
    assert "may not buy" not in page and "is sold to" not in page


# --- too many checks ------------------------------------------------------------------------------


def business_buyer(trade, email: str, **client_options) -> tuple[Client, Customer]:
    other = CustomerFactory(email=email, kind=Customer.Kind.BUSINESS, company_name=email, group=trade)
    browser = Client(**client_options)
    sign_in_as(browser, other)
    return browser, other


@override_settings(OMS_PORTAL_BULK_CHECKS_PER_WINDOW=2, OMS_PORTAL_BULK_CHECKS_PER_ADDRESS=50)
def test_an_account_that_checks_too_often_is_refused_with_when_to_try_again_and_keeps_its_lines(client, buyer, catalogue, trade):
    past = place_order([("MUG-RED", 1, None)], email=buyer.email, payment_status="pending")
    text = "MUG-RED;2\nCUP;6"
    answers = [client.post(BULK, {"rows": text, "action": "check"}) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[-1]
    assert refused.context["check"] is None and int(refused["Retry-After"]) > 0
    page = refused.content.decode()
    assert re.search(r"Your lines are kept below: check them again in \d+ minutes?\.", page)
    assert f">{text}</textarea>" in page
    again = client.get(f"{BULK}?reorder={past.number}")  # "Order again" checks too
    assert again.status_code == 429 and again.context["rows_form"]["rows"].value() == "MUG-RED, 1"
    assert client.post(BULK, place_data(answers[0])).status_code == 429 and list(Order.objects.all()) == [past]
    upload = client.post(BULK, {"file": SimpleUploadedFile("order.csv", b"CUP;6\r\n"), "action": "check"})
    assert upload.status_code == 429 and upload.context["rows_form"]["rows"].value() == "CUP, 6"
    other, _customer = business_buyer(trade, "buyer@other.example")
    assert other.post(BULK, {"rows": text, "action": "check"}).status_code == 200


@override_settings(OMS_PORTAL_BULK_CHECKS_PER_WINDOW=50, OMS_PORTAL_BULK_CHECKS_PER_ADDRESS=2)
def test_one_address_that_checks_too_often_is_refused_for_every_account_behind_it(client, buyer, catalogue, trade):
    same_office, _colleague = business_buyer(trade, "colleague@acme.example")
    elsewhere, _far = business_buyer(trade, "buyer@far.example", REMOTE_ADDR="203.0.113.9")

    answers = [browser.post(BULK, {"rows": "MUG-RED;2", "action": "check"}).status_code for browser in (client, same_office, same_office)]

    assert answers == [200, 200, 429]
    assert elsewhere.post(BULK, {"rows": "MUG-RED;2", "action": "check"}).status_code == 200


@override_settings(OMS_PORTAL_BULK_CHECKS_PER_WINDOW=1)
def test_the_refusal_is_in_german_for_a_german_buyer(client, buyer, catalogue):
    buyer.language = "de"
    buyer.save()
    client.post(BULK, {"rows": "MUG-RED;2", "action": "check"})

    refused = client.post(BULK, {"rows": "MUG-RED;2", "action": "check"})

    assert refused.status_code == 429
    assert re.search(r"Ihre Zeilen bleiben unten erhalten: Prüfen Sie sie in \d+ Minuten? erneut\.", refused.content.decode())


def test_checking_costs_the_same_queries_for_two_lines_as_for_twenty(buyer, catalogue, stocked):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.bulk_order import bulk_order_check

    for n in range(20):
        stocked(f"BULK-{n}", 1, price=Decimal("1.00"))

    def queries(count):
        with CaptureQueriesContext(connection) as captured:
            check = bulk_order_check(buyer, rows_from_text("\n".join(f"BULK-{n},{n + 5}" for n in range(count))))
        assert check.ready and all(line.warnings for line in check.lines)  # every line short: the arrivals are read too
        return len(captured)

    assert queries(2) == queries(20)


@pytest.mark.parametrize("data", [
    {"rows": "\x00\x01;\x02", "action": "check"}, {"rows": "a" * 100_001, "action": "check"}, {"rows": '"unclosed;1', "action": "check"},
    {"rows": "MUG-RED;1", "action": "place"}, {"rows": "MUG-RED;1", "action": "??"}, {"file": "not a file", "action": "check"}, {},
    {"rows": ";;;;\n,,,\n\t\t", "action": "check"}, {"rows": "MUG-RED;1e9", "action": "check"}, {"rows": "x" * 80 + ";1", "action": "check"},
])
def test_whatever_is_posted_to_the_bulk_page_gets_an_answer_never_a_500(client, buyer, catalogue, data):
    response = client.post(BULK, data)

    assert response.status_code == 200
    assert not Order.objects.exists()


@pytest.mark.parametrize("query", ["?reorder=" + "9" * 400, "?reorder=%00", "?reorder="])
def test_odd_reorder_numbers_are_refused_or_a_404_never_a_500(client, buyer, query):
    assert client.get(BULK + query).status_code in (200, 400, 404)  # NUL: the middleware's 400
