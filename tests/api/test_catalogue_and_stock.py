from decimal import Decimal

import pytest

from inventory.models import Location, Product, StockLevel, StockMovement
from inventory.services import stock_transfer_create, stock_transfer_dispatch

from ..factories import LocationFactory, ProductFactory, place_order
from .support import error_of

pytestmark = pytest.mark.django_db


# --- products --------------------------------------------------------------------------------


def test_when_a_product_is_posted_with_only_sku_name_and_price_then_it_is_created_with_defaults(api):
    response = api.post("/api/v1/products/", {"sku": "MUG-1", "name": "Mug", "price": "12.5"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "sku": "MUG-1",
        "name": "Mug",
        "gtin": "",
        "price": "12.50",
        "cost": None,
        "currency": "USD",
        "weight_grams": 0,
        "dimensions": {"length_mm": 0, "width_mm": 0, "height_mm": 0},
        "is_active": True,
        "is_returnable": True,
        "category": "",
        "low_stock_threshold": 0,
        "category": "",
        "version": 1,
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    assert Product.objects.get(sku="MUG-1").price == Decimal("12.5")


def test_when_a_product_is_posted_with_every_field_then_each_is_stored(api):
    response = api.post(
        "/api/v1/products/",
        {
            "sku": "LAMP-1", "name": "Lamp", "price": "4500", "currency": "jpy", "cost": "2000", "gtin": "04006381333931",
            "weight_grams": 1200, "dimensions": {"length_mm": 300, "width_mm": 200, "height_mm": 450}, "is_active": False,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["price"], body["cost"], body["currency"]) == ("4500", "2000", "JPY")
    product = Product.objects.get(sku="LAMP-1")
    assert (product.gtin, product.weight_grams, product.length_mm, product.width_mm, product.height_mm) == ("04006381333931", 1200, 300, 200, 450)
    assert product.is_active is False


def test_given_a_product_when_the_same_sku_is_posted_then_409_names_the_sku(api):
    ProductFactory(sku="MUG-1")

    response = api.post("/api/v1/products/", {"sku": "MUG-1", "name": "Another mug", "price": "3"}, format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate_sku"
    assert "sku" in error["fields"]
    assert Product.objects.get(sku="MUG-1").name != "Another mug"


BAD_PRODUCTS = [
    ("no sku", {"name": "Mug", "price": "1"}, "sku"),
    ("no name", {"sku": "M", "price": "1"}, "name"),
    ("no price", {"sku": "M", "name": "Mug"}, "price"),
    ("blank sku", {"sku": " ", "name": "Mug", "price": "1"}, "sku"),
    ("long sku", {"sku": "M" * 65, "name": "Mug", "price": "1"}, "sku"),
    ("price is text", {"sku": "M", "name": "Mug", "price": "cheap"}, "price"),
    ("negative price", {"sku": "M", "name": "Mug", "price": "-1"}, "price"),
    ("price too large", {"sku": "M", "name": "Mug", "price": "1e20"}, "price"),
    ("negative cost", {"sku": "M", "name": "Mug", "price": "1", "cost": "-1"}, "cost"),
    ("unknown currency", {"sku": "M", "name": "Mug", "price": "1", "currency": "ABC"}, "currency"),
    ("gtin with letters", {"sku": "M", "name": "Mug", "price": "1", "gtin": "ABC123"}, "gtin"),
    ("negative weight", {"sku": "M", "name": "Mug", "price": "1", "weight_grams": -5}, "weight_grams"),
    ("weight beyond storage", {"sku": "M", "name": "Mug", "price": "1", "weight_grams": 10**10}, "weight_grams"),
    ("dimensions are text", {"sku": "M", "name": "Mug", "price": "1", "dimensions": "10x10x10"}, "dimensions"),
    ("negative length", {"sku": "M", "name": "Mug", "price": "1", "dimensions": {"length_mm": -1}}, "dimensions.length_mm"),
    ("active is text", {"sku": "M", "name": "Mug", "price": "1", "is_active": "perhaps"}, "is_active"),
]


@pytest.mark.parametrize("payload, field", [case[1:] for case in BAD_PRODUCTS], ids=[case[0] for case in BAD_PRODUCTS])
def test_when_a_malformed_product_is_posted_then_400_names_the_field_and_nothing_is_created(api, payload, field):
    response = api.post("/api/v1/products/", payload, format="json")

    assert response.status_code == 400, response.json()
    assert error_of(response)["code"] == "invalid"
    assert field in error_of(response)["fields"], response.json()
    assert not Product.objects.exists()


def test_given_a_product_when_fetched_by_sku_then_it_is_answered(api):
    ProductFactory(sku="MUG-1", name="Mug", price=Decimal("9.990"))

    response = api.get("/api/v1/products/MUG-1/")

    assert response.status_code == 200
    assert (response.json()["sku"], response.json()["name"], response.json()["price"]) == ("MUG-1", "Mug", "9.99")


def test_when_an_unknown_sku_is_fetched_then_404_in_the_error_shape(api):
    response = api.get("/api/v1/products/NOPE/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_sku"
    assert "NOPE" in error_of(response)["message"]


# --- locations -------------------------------------------------------------------------------


def test_given_locations_when_listed_then_each_has_its_code_address_and_coordinates(api):
    LocationFactory(code="chicago", name="Chicago DC", city="Chicago", region="IL", postal_code="60601", priority=10)
    LocationFactory(
        code="lyon-store", name="Lyon store", kind=Location.Kind.STORE, country="FR", city="Lyon",
        latitude=None, longitude=None, can_ship=False, can_pick_up=True, priority=50,
    )

    response = api.get("/api/v1/locations/")

    assert response.status_code == 200
    chicago, lyon = response.json()
    assert chicago["code"] == "chicago"
    assert chicago["kind"] == "warehouse"
    assert chicago["address"] == {"line1": "", "line2": "", "city": "Chicago", "region": "IL", "postal_code": "60601", "country": "US"}
    assert chicago["coordinates"] == {"latitude": 41.85, "longitude": -87.65}
    assert chicago["can_ship"] is True
    assert lyon["code"] == "lyon-store"
    assert lyon["address"]["country"] == "FR"
    assert lyon["coordinates"] is None
    assert (lyon["can_ship"], lyon["can_pick_up"]) == (False, True)


# --- stock movements -------------------------------------------------------------------------


def test_when_a_receipt_is_posted_then_on_hand_rises_and_the_movement_is_answered(api, warehouse):
    ProductFactory(sku="MUG-1")

    response = api.post(
        "/api/v1/stock/movements/",
        {"sku": "MUG-1", "location": "chicago", "quantity": 12, "type": "receipt", "reference": "PO-77"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["type"], body["sku"], body["location"], body["quantity"], body["reference"]) == ("receipt", "MUG-1", "chicago", 12, "PO-77")
    assert body["actor"].startswith("api:")
    assert StockLevel.objects.get(product__sku="MUG-1", location=warehouse).on_hand == 12


def test_given_stock_when_a_negative_adjustment_with_a_reason_is_posted_then_on_hand_falls(api, stocked, warehouse):
    stocked("MUG-1", 10)

    response = api.post(
        "/api/v1/stock/movements/",
        {"sku": "MUG-1", "location": "chicago", "quantity": -3, "type": "adjustment", "reason": "broken in the aisle"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["type"], response.json()["quantity"], response.json()["reason"]) == ("adjustment", -3, "broken in the aisle")
    assert StockLevel.objects.get(product__sku="MUG-1", location=warehouse).on_hand == 7


BAD_MOVEMENTS = [
    ("no sku", {"location": "chicago", "quantity": 1, "type": "receipt"}, "sku"),
    ("no location", {"sku": "MUG-1", "quantity": 1, "type": "receipt"}, "location"),
    ("no quantity", {"sku": "MUG-1", "location": "chicago", "type": "receipt"}, "quantity"),
    ("no type", {"sku": "MUG-1", "location": "chicago", "quantity": 1}, "type"),
    ("unknown type", {"sku": "MUG-1", "location": "chicago", "quantity": 1, "type": "theft"}, "type"),
    ("quantity is text", {"sku": "MUG-1", "location": "chicago", "quantity": "some", "type": "receipt"}, "quantity"),
    ("quantity beyond storage", {"sku": "MUG-1", "location": "chicago", "quantity": 10**12, "type": "receipt"}, "quantity"),
    ("zero receipt", {"sku": "MUG-1", "location": "chicago", "quantity": 0, "type": "receipt"}, "quantity"),
    ("negative receipt", {"sku": "MUG-1", "location": "chicago", "quantity": -4, "type": "receipt"}, "quantity"),
    ("zero adjustment", {"sku": "MUG-1", "location": "chicago", "quantity": 0, "type": "adjustment", "reason": "count"}, "quantity"),
    ("adjustment without reason", {"sku": "MUG-1", "location": "chicago", "quantity": 2, "type": "adjustment"}, "reason"),
    ("adjustment with blank reason", {"sku": "MUG-1", "location": "chicago", "quantity": 2, "type": "adjustment", "reason": "  "}, "reason"),
    ("unknown sku", {"sku": "NOPE", "location": "chicago", "quantity": 1, "type": "receipt"}, "sku"),
    ("unknown location", {"sku": "MUG-1", "location": "atlantis", "quantity": 1, "type": "receipt"}, "location"),
    ("long reference", {"sku": "MUG-1", "location": "chicago", "quantity": 1, "type": "receipt", "reference": "R" * 121}, "reference"),
]


@pytest.mark.parametrize("payload, field", [case[1:] for case in BAD_MOVEMENTS], ids=[case[0] for case in BAD_MOVEMENTS])
def test_when_a_malformed_movement_is_posted_then_400_names_the_field_and_stock_is_untouched(api, stocked, payload, field):
    stocked("MUG-1", 5)

    response = api.post("/api/v1/stock/movements/", payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in error_of(response)["fields"], response.json()
    assert StockMovement.objects.count() == 1  # the set-up receipt
    assert StockLevel.objects.get(product__sku="MUG-1").on_hand == 5


def test_given_reserved_stock_when_an_adjustment_would_take_it_below_the_reservations_then_409(api, stocked):
    stocked("MUG-1", 5)
    place_order([("MUG-1", 4)])

    response = api.post(
        "/api/v1/stock/movements/",
        {"sku": "MUG-1", "location": "chicago", "quantity": -3, "type": "adjustment", "reason": "count"},
        format="json",
    )

    assert response.status_code == 409
    assert error_of(response)["code"] == "stock_constraint"
    assert StockLevel.objects.get(product__sku="MUG-1").on_hand == 5


# --- stock -----------------------------------------------------------------------------------


def test_given_stock_reservations_and_a_transfer_when_a_sku_is_read_then_each_quantity_is_answered(api, stocked, warehouse):
    boston = LocationFactory(code="boston", city="Boston", priority=200)
    stocked("MUG-1", 10)
    place_order([("MUG-1", 3)])
    transfer = stock_transfer_create(source="chicago", destination="boston", lines=[("MUG-1", 2)], actor="test")
    stock_transfer_dispatch(transfer_id=transfer.pk, actor="test")

    response = api.get("/api/v1/stock/MUG-1/")

    assert response.status_code == 200
    body = response.json()
    assert (body["sku"], body["available_to_promise"], body["incoming"]) == ("MUG-1", 5, 2)
    by_location = {row["location"]: row for row in body["locations"]}
    assert {k: by_location["chicago"][k] for k in ("on_hand", "reserved", "incoming", "available")} == {
        "on_hand": 8, "reserved": 3, "incoming": 0, "available": 5
    }
    assert {k: by_location["boston"][k] for k in ("on_hand", "reserved", "incoming", "available")} == {
        "on_hand": 0, "reserved": 0, "incoming": 2, "available": 0
    }
    assert boston.code in by_location


def test_when_stock_of_an_unknown_sku_is_read_then_404(api):
    response = api.get("/api/v1/stock/NOPE/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_sku"


def test_given_a_sku_with_a_slash_when_its_product_and_stock_are_read_then_both_are_answered(api, stocked):
    stocked("CABLE/2M", 3)

    product = api.get("/api/v1/products/CABLE%2F2M/")
    stock = api.get("/api/v1/stock/CABLE/2M/")

    assert (product.status_code, product.json()["sku"]) == (200, "CABLE/2M")
    assert (stock.status_code, stock.json()["available_to_promise"]) == (200, 3)
