"""The console's imports, as an accountant and a manager use them: upload, preview, confirm."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import Product, StockLevel, StockMovement
from inventory.services import stock_receive
from reports.imports.models import ImportRecord

from ..factories import LocationFactory, ProductFactory
from .imports_support import csv_file, written

pytestmark = pytest.mark.django_db
PRICES = csv_file("sku,name,price", "MUG-1,Blue mug,12.50", "MUG-2,Red mug,abc")


@pytest.fixture
def console(client):
    def login(role: str):
        user = get_user_model().objects.create_user(username=role.lower().replace(" ", "_"), password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return login


def new_url(kind: str) -> str:
    return reverse("admin:reports_importrecord_new", args=[kind])


def test_the_accountant_previews_a_price_file_sees_the_bad_row_and_column_then_confirms(console):
    # Given the accountant on the product list
    accountant = console("Accounting")
    products_page = accountant.get(reverse("admin:inventory_product_changelist")).content.decode()
    assert new_url("products") in products_page and "Import products and prices" in products_page
    before = written()

    # When they upload the file
    preview = accountant.post(new_url("products"), {"file": SimpleUploadedFile("prices.csv", PRICES), "mode": "valid_rows"})

    # Then the preview shows each row, the bad one with its row number, column and what to fix; nothing is written
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "<td>3</td>" in page and "<strong>price</strong>: &#x27;abc&#x27; is not an amount" in page
    assert "Apply 1 new and 0 changed row(s); the 1 row(s) with errors are left out" in page
    after = written()
    assert after.pop("imports") == before.pop("imports") + 1 and after == before
    assert "style=" not in page and "<script>" not in page
    record = ImportRecord.objects.get()

    # When they confirm
    applied = accountant.post(reverse("admin:reports_importrecord_apply", args=[record.pk]))

    # Then the valid row is applied and the import is listed with its counts
    assert applied.status_code == 200 and "1 created, 0 updated, 0 unchanged, 1 row(s) not applied" in applied.content.decode()
    assert Product.objects.get(sku="MUG-1").name == "Blue mug"
    history = accountant.get(reverse("admin:reports_importrecord_changelist")).content.decode()
    assert "prices.csv" in history and "Applied, some rows refused" in history
    detail = accountant.get(reverse("admin:reports_importrecord_change", args=[record.pk])).content.decode()
    assert "is not an amount" in detail


def test_confirming_twice_applies_once(console):
    accountant = console("Accounting")
    accountant.post(new_url("products"), {"file": SimpleUploadedFile("prices.csv", PRICES), "mode": "valid_rows"})
    record = ImportRecord.objects.get()

    accountant.post(reverse("admin:reports_importrecord_apply", args=[record.pk]))
    second = accountant.post(reverse("admin:reports_importrecord_apply", args=[record.pk]), follow=True)

    assert "already applied" in second.content.decode()
    assert Product.objects.filter(sku="MUG-1").count() == 1


def test_a_file_that_cannot_be_read_is_shown_on_the_form(console):
    page = console("Accounting").post(new_url("products"), {"file": SimpleUploadedFile("prices.csv", "sku;name\r\nÉ;x\r\n".encode("latin-1")), "mode": "valid_rows"})

    assert page.status_code == 200 and "not UTF-8" in page.content.decode()
    assert not ImportRecord.objects.exists()


def test_the_manager_imports_a_stock_count_from_the_stock_list_through_the_ledger(console):
    LocationFactory(code="chicago")
    ProductFactory(sku="SKU-A")
    stock_receive(sku="SKU-A", location="chicago", quantity=10, actor="test")
    manager = console("Operations manager")
    assert new_url("stock_counts") in manager.get(reverse("admin:inventory_stocklevel_changelist")).content.decode()

    manager.post(new_url("stock_counts"), {"file": SimpleUploadedFile("count.csv", csv_file("sku,location,counted", "SKU-A,chicago,8")), "mode": "all_or_nothing"})
    record = ImportRecord.objects.get()
    assert StockLevel.objects.get().on_hand == 10
    manager.post(reverse("admin:reports_importrecord_apply", args=[record.pk]))

    assert StockLevel.objects.get().on_hand == 8
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.reference) == ("count_correction", -2, f"import #{record.pk} count.csv")
    assert movement.actor.username == "operations_manager"


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        ("Accounting", "products", True), ("Accounting", "stock_counts", False), ("Accounting", "customers", False),
        ("Customer service", "customers", True), ("Customer service", "products", False),
        ("Warehouse", "products", False), ("Warehouse", "stock_counts", False),
        ("Operations manager", "stock_counts", True), ("Operations manager", "customers", True),
    ],
)
def test_each_role_may_open_only_the_imports_of_the_jobs_it_does_by_hand(console, role, kind, allowed):
    response = console(role).get(new_url(kind))

    assert response.status_code == (200 if allowed else 403)


def test_the_customer_list_offers_the_import_to_customer_service_and_not_to_accounting(console, client):
    assert new_url("customers") in console("Customer service").get(reverse("admin:customers_customer_changelist")).content.decode()
    client.logout()
    listing = console("Accounting").get(reverse("admin:customers_customer_changelist"))
    assert listing.status_code == 200 and new_url("customers") not in listing.content.decode()


def test_the_imports_page_offers_each_allowed_kind(console):
    page = console("Operations manager").get(reverse("admin:reports_importrecord_changelist")).content.decode()

    assert all(new_url(kind) in page for kind in ("products", "stock_counts", "customers"))



def test_the_price_lists_page_offers_the_contract_price_import_to_the_accountant_only(console):
    accountant = console("Accounting")
    page = accountant.get(reverse("admin:customers_pricelist_changelist"))
    upload = accountant.get(new_url("price_lists"))

    assert "Import contract prices" in page.content.decode()
    assert upload.status_code == 200 and "min_quantity" in upload.content.decode()
    warehouse = console("Warehouse")
    assert warehouse.get(new_url("price_lists")).status_code in (302, 403)
