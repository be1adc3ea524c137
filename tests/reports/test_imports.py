"""Accountant imports: dry runs write nothing, bad rows are named by row and column, the two
modes, re-imports that change nothing, stock counts through the ledger, never half a row."""

from decimal import Decimal

import pytest

from customers.models import Customer, CustomerAddress
from inventory.models import Product, StockLevel, StockMovement
from inventory.services import stock_receive
from reports.imports import kinds
from reports.imports.models import ImportRecord
from reports.imports.services import import_apply, import_check, import_preview, import_run

from ..factories import CustomerFactory, CustomerGroupFactory, LocationFactory, ProductFactory
from ..inventory.invariants import stock_invariant_violations
from .imports_support import csv_file, errors_of, written

pytestmark = pytest.mark.django_db

PRODUCTS = csv_file(
    "sku,name,price,cost,currency,weight_grams",
    "MUG-1,Blue mug,12.50,4.10,USD,350",
    "MUG-2,Red mug,abc,4.10,USD,350",
    "MUG-3,,9.00,,USD,",
    "SKU-OLD,Renamed,25.00,,,",
)


def run(kind, content, *, mode="valid_rows", dry_run=False, name="file.csv", actor="accountant"):
    return import_run(kind=kind, mode=mode, content=content, file_name=name, dry_run=dry_run, actor=actor)


@pytest.fixture
def old_product(db):
    return ProductFactory(sku="SKU-OLD", name="Old name", price=Decimal("20.00"))


@pytest.fixture
def counted_stock(db):
    """SKU-A: 10 on hand at chicago; SKU-B: 4 at chicago and 2 at boston."""
    LocationFactory(code="chicago")
    LocationFactory(code="boston")
    ProductFactory(sku="SKU-A")
    ProductFactory(sku="SKU-B")
    stock_receive(sku="SKU-A", location="chicago", quantity=10, actor="test")
    stock_receive(sku="SKU-B", location="chicago", quantity=4, actor="test")
    stock_receive(sku="SKU-B", location="boston", quantity=2, actor="test")


def on_hand(sku, location):
    return StockLevel.objects.get(product__sku=sku, location__code=location).on_hand


# --- dry run -----------------------------------------------------------------------------------


def test_a_dry_run_of_each_kind_writes_nothing_at_all_and_says_what_each_row_would_do(old_product, counted_stock):
    # Given files of each kind with new, changed and bad rows
    CustomerFactory(email="known@example.com", first_name="Known")
    stock = csv_file("sku,location,counted", "SKU-A,chicago,7", "SKU-B,boston,2", "NOPE,chicago,1")
    customers = csv_file("email,first_name,phone,address_line1,address_city,address_country",
                         "new@example.com,Nia,+14155550123,1 Main St,Springfield,US", "KNOWN@example.com,Kim,,,,")
    before = written()

    # When each is checked without applying
    reports = [run("products", PRODUCTS, dry_run=True), run("stock_counts", stock, dry_run=True), run("customers", customers, dry_run=True)]

    # Then no table moved: no product, ledger row, counter, customer, address, audit row, event or import record
    assert written() == before
    products, counts, people = (report.as_dict() for report in reports)
    assert [row["action"] for row in products["rows"]] == ["create", None, None, "update"]
    assert products["rows"][3]["changes"] == {"name": ["Old name", "Renamed"], "price": ["20.00", "25.00"]}
    assert [row["changes"] for row in counts["rows"][:2]] == [{"on_hand": [10, 7]}, {}]
    assert [row["action"] for row in counts["rows"]] == ["update", "unchanged", None]
    assert [row["action"] for row in people["rows"]] == ["create", "update"]
    assert all(report.dry_run and report.record_id is None for report in reports)


def test_the_console_preview_keeps_only_its_own_record_and_writes_nothing_else(old_product):
    before = written()

    record, report = import_preview(kind="products", mode="valid_rows", content=PRODUCTS, file_name="prices.csv", actor="accountant")

    after = written()
    assert after.pop("imports") == before.pop("imports") + 1 and after == before
    assert record.status == ImportRecord.Status.PREVIEWED and bytes(record.content) == PRODUCTS
    assert Product.objects.get(sku="SKU-OLD").name == "Old name"


# --- bad rows by row and column ------------------------------------------------------------------


def test_bad_rows_are_reported_with_their_row_number_and_column_and_say_what_to_fix(old_product):
    report = run("products", PRODUCTS, dry_run=True).as_dict()

    assert errors_of(report) == [(3, "price"), (4, "name")]
    messages = {(row["row"], error["column"]): error["message"] for row in report["rows"] for error in row["errors"]}
    assert "'abc' is not an amount" in messages[(3, "price")] and "e.g. 19.90" in messages[(3, "price")]
    assert "Required for a new product" in messages[(4, "name")]
    assert report["summary"] | {} == report["summary"] and report["summary"]["invalid"] == 2 and report["summary"]["valid"] == 2


def test_each_cell_is_checked_for_what_its_column_holds(old_product):
    content = csv_file(
        "sku,name,price,currency,gtin,weight_grams,is_active",
        "A-1,A,19.999,USD,12AB,-5,maybe",
        "SKU-OLD,,10,EUR,,,",
        "A-2,B,1e30,USD,,99999999999999999999999,yes",
        "A-1,C,1,USD,,,",
    )

    report = run("products", content, dry_run=True)

    assert errors_of(report) == [
        (2, "price"), (2, "gtin"), (2, "weight_grams"), (2, "is_active"),
        (3, "currency"),
        (4, "price"), (4, "weight_grams"),
        (5, "sku"),
    ]
    row5 = report.rows[3].errors[0][1]
    assert "also on row 2" in row5


# --- the two modes --------------------------------------------------------------------------------


def test_valid_rows_mode_applies_the_good_rows_through_the_services_and_reports_the_rest(old_product):
    report = run("products", PRODUCTS)

    assert [row.outcome for row in report.rows] == ["created", "not_applied", "not_applied", "updated"]
    mug = Product.objects.get(sku="MUG-1")
    assert (mug.name, mug.price, mug.cost, mug.weight_grams) == ("Blue mug", Decimal("12.50"), Decimal("4.10"), 350)
    old = Product.objects.get(sku="SKU-OLD")
    assert (old.name, old.price, old.version) == ("Renamed", Decimal("25.00"), 2)
    assert not Product.objects.filter(sku__in=["MUG-2", "MUG-3"]).exists()
    record = ImportRecord.objects.get(pk=report.record_id)
    assert (record.status, record.rows_total, record.rows_valid, record.rows_invalid, record.rows_created, record.rows_updated) == (
        ImportRecord.Status.PARTLY_APPLIED, 4, 2, 2, 1, 1)
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, "price"), (4, "name")]
    assert record.actor_label == "accountant" and record.file_name == "file.csv" and bytes(record.content) == b""


def test_a_products_category_is_set_changed_and_checked_by_the_import(old_product):
    content = csv_file("sku,category", "SKU-OLD,Kitchen", "SKU-OLD2,", f"SKU-OLD3,{'x' * 121}")
    ProductFactory(sku="SKU-OLD2", category="Garden")
    ProductFactory(sku="SKU-OLD3")

    report = run("products", content)

    # An empty cell leaves the category as it is; a category over 120 characters is refused
    assert [row.outcome for row in report.rows] == ["updated", "unchanged", "not_applied"]
    assert dict(Product.objects.filter(sku__in=["SKU-OLD", "SKU-OLD2"]).values_list("sku", "category")) == {
        "SKU-OLD": "Kitchen", "SKU-OLD2": "Garden"}
    assert [(e["row"], e["column"]) for e in ImportRecord.objects.get(pk=report.record_id).errors] == [(4, "category")]


def test_all_or_nothing_mode_writes_nothing_when_one_row_is_bad(old_product):
    before = written()

    report = run("products", PRODUCTS, mode="all_or_nothing")

    after = written()
    assert after.pop("imports") == before.pop("imports") + 1 and after == before
    assert report.status == ImportRecord.Status.REFUSED and {row.outcome for row in report.rows} == {"not_applied"}
    assert "Nothing was written" in report.message


def test_all_or_nothing_mode_applies_every_row_when_all_are_good(old_product):
    good = csv_file("sku,name,price", "MUG-1,Blue mug,12.50", "SKU-OLD,Renamed,25.00")

    report = run("products", good, mode="all_or_nothing")

    assert report.status == ImportRecord.Status.APPLIED
    assert Product.objects.get(sku="MUG-1").price == Decimal("12.50") and Product.objects.get(sku="SKU-OLD").name == "Renamed"


def test_all_or_nothing_rolls_back_the_rows_already_applied_when_a_service_refuses_a_later_one(old_product, monkeypatch):
    # Given a service that refuses the second row when it is applied (something changed since the check)
    good = csv_file("sku,name,price", "MUG-1,Blue mug,12.50", "SKU-OLD,Renamed,25.00")
    apply = kinds.ProductsImport.apply

    def refuse_the_old_one(self, row, *, actor, reference):
        if row.key == "SKU-OLD":
            raise kinds.RowRefused([("price", "Changed meanwhile.")])
        return apply(self, row, actor=actor, reference=reference)

    monkeypatch.setattr(kinds.ProductsImport, "apply", refuse_the_old_one)
    before = written()

    report = run("products", good, mode="all_or_nothing")

    after = written()
    assert after.pop("imports") == before.pop("imports") + 1 and after == before
    assert [row.outcome for row in report.rows] == ["not_applied", "failed"]
    assert errors_of(report) == [(3, "price")]


# --- idempotent -----------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(old_product, counted_stock):
    CustomerGroupFactory(code="wholesale")
    products = csv_file("sku,name,price,cost", "MUG-1,Blue mug,12.50,4.10", "SKU-OLD,Renamed,25.00,")
    stock = csv_file("sku,location,counted", "SKU-A,chicago,7", "SKU-B,boston,5")
    customers = csv_file("email,first_name,last_name,phone,group,address_line1,address_city,address_postal_code,address_country",
                         "ana@example.com,Ana,Ortiz,+14155550123,wholesale,1 Main St,Springfield,62701,US")
    for kind, content in (("products", products), ("stock_counts", stock), ("customers", customers)):
        run(kind, content)
    once = written()

    again = [run(kind, content) for kind, content in (("products", products), ("stock_counts", stock), ("customers", customers))]

    twice = written()
    assert twice.pop("imports") == once.pop("imports") + 3 and twice == once
    assert {row.outcome for report in again for row in report.rows} == {"unchanged"}
    assert Customer.objects.filter(email="ana@example.com").count() == 1 and CustomerAddress.objects.count() == 1


# --- stock counts through the ledger ---------------------------------------------------------------


def test_stock_counts_post_count_corrections_on_the_ledger_with_the_count_as_reason(counted_stock):
    content = csv_file("sku,location,counted", "SKU-A,chicago,7", "SKU-B,boston,5", "SKU-B,chicago,4")
    movements_before = StockMovement.objects.count()

    report = run("stock_counts", content, name="count-2026.csv")

    assert [row.outcome for row in report.rows] == ["updated", "updated", "unchanged"]
    assert (on_hand("SKU-A", "chicago"), on_hand("SKU-B", "boston"), on_hand("SKU-B", "chicago")) == (7, 5, 4)
    booked = list(StockMovement.objects.order_by("id")[movements_before:])
    assert [(m.kind, m.product.sku, m.location.code, m.on_hand_delta, m.reason) for m in booked] == [
        ("count_correction", "SKU-A", "chicago", -3, "Stock count: 7"),
        ("count_correction", "SKU-B", "boston", 3, "Stock count: 5"),
    ]
    assert {m.reference for m in booked} == {f"import #{report.record_id} count-2026.csv"}
    assert {m.actor_label for m in booked} == {"accountant"}
    assert stock_invariant_violations() == []


def test_a_count_of_an_unknown_sku_or_location_a_negative_or_a_huge_count_is_a_row_error(counted_stock):
    content = csv_file(
        "sku,location,counted", "NOPE,chicago,1", "SKU-A,mars,1", "SKU-A,chicago,-2", "SKU-B,chicago,999999999999", "SKU-B,boston,",
        "SKU-A,boston,2.5", "SKU-A,chicago,3",
    )
    before = written()

    report = run("stock_counts", content)

    assert errors_of(report) == [(2, "sku"), (3, "location"), (4, "counted"), (5, "counted"), (6, "counted"), (7, "counted"), (8, "sku")]
    messages = [message for row in report.rows for _, message in row.errors]
    assert "No product with SKU 'NOPE'" in messages[0] and "No location with code 'mars'" in messages[1]
    assert "negative" in messages[2] and "too large" in messages[3] and "Required" in messages[4] and "whole number" in messages[5]
    assert "also on row 4" in messages[6]
    after = written()
    assert after.pop("imports") == before.pop("imports") + 1 and after == before


def test_a_count_below_what_is_reserved_is_refused_on_its_row(counted_stock, web_channel):
    from ..factories import place_order

    place_order([("SKU-A", 6)])
    assert StockLevel.objects.get(product__sku="SKU-A", location__code="chicago").reserved == 6

    report = run("stock_counts", csv_file("sku,location,counted", "SKU-A,chicago,5"))

    assert errors_of(report) == [(2, "counted")] and "reserved for orders" in report.rows[0].errors[0][1]
    assert on_hand("SKU-A", "chicago") == 10
    assert stock_invariant_violations() == []


# --- customers --------------------------------------------------------------------------------------


def test_customers_are_created_and_updated_by_email_with_phone_group_and_address(db):
    CustomerGroupFactory(code="wholesale")
    CustomerFactory(email="known@example.com", first_name="Old", phone="")
    content = csv_file(
        "email,kind,first_name,last_name,company_name,phone,group,address_line1,address_city,address_country",
        "new@example.com,business,Nia,Lee,Lee Ltd,+442079460000,wholesale,10 Downing St,London,GB",
        "KNOWN@Example.com,,Kim,,,+14155550123,,,,",
    )

    report = run("customers", content)

    assert [row.outcome for row in report.rows] == ["created", "updated"]
    new = Customer.objects.get(email="new@example.com")
    assert (new.kind, new.company_name, str(new.phone), new.group.code) == ("business", "Lee Ltd", "+442079460000", "wholesale")
    (address,) = new.addresses.all()
    assert (address.line1, address.city, address.country.code, address.name, address.is_default_shipping) == ("10 Downing St", "London", "GB", "Nia Lee", True)
    known = Customer.objects.get(email="known@example.com")
    assert (known.first_name, str(known.phone), known.version) == ("Kim", "+14155550123", 2)


def test_customer_rows_with_a_bad_phone_group_email_or_address_are_refused_whole(db):
    content = csv_file(
        "email,first_name,phone,group,address_line1,address_city,address_country",
        "a@example.com,Ann,555-1234,,,,",
        "b@example.com,Ben,,nosuchgroup,,,",
        "not-an-email,Cy,,,,,",
        "d@example.com,Di,,,1 Main St,,ZZ",
    )

    report = run("customers", content)

    assert errors_of(report) == [(2, "phone"), (3, "group"), (4, "email"), (5, "address_city"), (5, "address_country")]
    assert "E.164" in report.rows[0].errors[0][1]
    assert not Customer.objects.exists() and not CustomerAddress.objects.exists()


def test_a_previewed_import_is_applied_once_on_confirmation(old_product):
    record, _ = import_preview(kind="products", mode="valid_rows", content=PRODUCTS, file_name="prices.csv", actor="accountant")

    report = import_apply(record_id=record.pk, actor="accountant")

    assert report.status == ImportRecord.Status.PARTLY_APPLIED and Product.objects.filter(sku="MUG-1").exists()
    from oms.errors import InvalidInput

    with pytest.raises(InvalidInput, match="already applied"):
        import_apply(record_id=record.pk, actor="accountant")


def test_a_header_without_a_required_column_names_it(db):
    from oms.errors import InvalidInput

    with pytest.raises(InvalidInput, match="lacks the column\\(s\\) location, counted"):
        import_check(kind="stock_counts", mode="valid_rows", content=csv_file("sku,qty", "A,1"), file_name="c.csv")


@pytest.mark.parametrize("kind", ["products", "stock_counts", "customers"])
def test_checking_a_file_costs_the_same_queries_for_ten_rows_as_for_two_hundred(counted_stock, kind, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    CustomerGroupFactory(code="wholesale")
    line = {
        "products": ("sku,name,price", lambda n: f"P-{n},Name {n},{n}.50"),
        "stock_counts": ("sku,location,counted", lambda n: f"SKU-{'A' if n % 2 else 'B'},{'chicago' if n % 3 else 'boston'}{n},{n}"),
        "customers": ("email,first_name,group,address_line1,address_city,address_country", lambda n: f"c{n}@example.com,C{n},wholesale,{n} Main St,Springfield,US"),
    }[kind]
    counts = []
    for rows in (10, 200):
        content = csv_file(line[0], *(line[1](n) for n in range(rows)))
        with CaptureQueriesContext(connection) as queries:
            import_check(kind=kind, mode="valid_rows", content=content, file_name="f.csv")
        counts.append(len(queries))

    assert counts[0] == counts[1] and counts[0] <= 4


def test_customers_are_matched_by_external_id_first_and_it_is_recorded_on_those_matched_by_email(db):
    # Given a customer known by its accounting number and one known only by e-mail
    CustomerFactory(email="ann@example.com", external_id="C-1", first_name="Ann")
    CustomerFactory(email="ben@example.com", first_name="Ben")
    content = csv_file(
        "external_id,email,first_name",
        "C-1,ANN@example.com,Annie",  # matched by number
        "C-2,ben@example.com,Benjamin",  # matched by e-mail; gets the number
        "C-1,other@example.com,Olga",  # the number of another customer: refused
        "C-3,cy@example.com,Cy",  # new
    )

    report = run("customers", content)

    assert [row.outcome for row in report.rows] == ["updated", "updated", "not_applied", "created"]
    assert errors_of(report) == [(4, "external_id")]
    assert Customer.objects.get(external_id="C-1").first_name == "Annie"
    assert Customer.objects.get(email="ben@example.com").external_id == "C-2"
    assert Customer.objects.get(external_id="C-3").email == "cy@example.com"
    assert not Customer.objects.filter(email="other@example.com").exists()


def test_an_external_id_on_file_with_another_email_is_refused_on_the_email(db):
    CustomerFactory(email="ann@example.com", external_id="C-1")

    report = run("customers", csv_file("external_id,email,first_name", "C-1,new-address@example.com,Ann"))

    assert errors_of(report) == [(2, "email")] and "does not change e-mail addresses" in report.rows[0].errors[0][1]
