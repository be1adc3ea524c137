"""Products over the API: list with filters, read with ETag, change with If-Match; one location."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Product

from ..factories import LocationFactory, ProductFactory
from .support import error_of

pytestmark = pytest.mark.django_db


def _skus(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["sku"] for row in response.json()["results"]]


def test_given_products_when_filtered_by_sku_list_active_and_gtin_then_only_matches_are_listed(api):
    ProductFactory(sku="A", gtin="04006381333931")
    ProductFactory(sku="B", is_active=False)
    ProductFactory(sku="C")

    assert _skus(api.get("/api/v1/products/", {"sku": "C,A,nope"})) == ["A", "C"]
    assert _skus(api.get("/api/v1/products/", {"active": "false"})) == ["B"]
    assert _skus(api.get("/api/v1/products/", {"gtin": "04006381333931"})) == ["A"]
    assert _skus(api.get("/api/v1/products/", {"ordering": "-sku"})) == ["C", "B", "A"]


def test_given_products_changed_at_different_times_when_filtered_by_updated_range_then_only_those_inside(api):
    now = timezone.now()
    ProductFactory(sku="OLD", updated_at=now - timedelta(days=3))
    ProductFactory(sku="NEW", updated_at=now - timedelta(minutes=5))

    assert _skus(api.get("/api/v1/products/", {"updated_after": (now - timedelta(days=1)).isoformat()})) == ["NEW"]
    assert _skus(api.get("/api/v1/products/", {"updated_before": (now - timedelta(days=1)).isoformat()})) == ["OLD"]


def test_given_more_products_than_a_page_when_next_is_followed_then_every_product_comes_once(api):
    for n in range(5):
        ProductFactory(sku=f"P-{n}")

    first = api.get("/api/v1/products/", {"page_size": 3}).json()
    second = api.get(first["next"]).json()

    assert [r["sku"] for r in first["results"] + second["results"]] == [f"P-{n}" for n in range(5)]
    assert second["next"] is None


@pytest.mark.parametrize("page_size", [10, 100])
def test_when_a_page_of_products_is_listed_then_the_query_count_does_not_grow(api, page_size):
    for n in range(page_size):
        ProductFactory(sku=f"P-{n:03d}")
    api.get("/api/v1/products/", {"page_size": 1})

    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/products/", {"page_size": 1})
    with CaptureQueriesContext(connection) as page:
        assert len(api.get("/api/v1/products/", {"page_size": page_size}).json()["results"]) == page_size

    assert len(page) == len(one)


def test_given_a_product_when_read_then_its_etag_is_its_version(api):
    ProductFactory(sku="MUG-1", version=4, low_stock_threshold=5)

    response = api.get("/api/v1/products/MUG-1/")

    assert (response.status_code, response["ETag"]) == (200, '"4"')
    assert (response.json()["version"], response.json()["low_stock_threshold"]) == (4, 5)
    assert api.get("/api/v1/products/MUG-1/", HTTP_IF_NONE_MATCH='"4"').status_code == 304


def test_given_a_product_when_patched_without_if_match_then_428(api):
    ProductFactory(sku="MUG-1", name="Mug")

    response = api.patch("/api/v1/products/MUG-1/", {"name": "Cup"}, format="json")

    assert response.status_code == 428
    assert Product.objects.get(sku="MUG-1").name == "Mug"


def test_given_a_product_changed_since_it_was_read_when_patched_with_the_old_etag_then_412_and_the_newer_change_stays(api):
    ProductFactory(sku="MUG-1", name="Mug")
    etag = api.get("/api/v1/products/MUG-1/")["ETag"]
    assert api.patch("/api/v1/products/MUG-1/", {"price": "9.99"}, format="json", HTTP_IF_MATCH=etag).status_code == 200

    stale = api.patch("/api/v1/products/MUG-1/", {"price": "1.00"}, format="json", HTTP_IF_MATCH=etag)

    assert stale.status_code == 412
    assert error_of(stale)["code"] == "precondition_failed"
    assert Product.objects.get(sku="MUG-1").price == Decimal("9.99")


def test_when_a_product_is_patched_then_only_the_fields_sent_change_and_the_version_rises(api):
    ProductFactory(sku="MUG-1", name="Mug", weight_grams=500, length_mm=10, width_mm=20, height_mm=30, updated_at=timezone.now() - timedelta(days=1))

    response = api.patch(
        "/api/v1/products/MUG-1/",
        {"name": "Big mug", "cost": "3.10", "gtin": "04006381333931", "dimensions": {"height_mm": 120}, "is_active": False, "low_stock_threshold": 4},
        format="json", HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["dimensions"] == {"length_mm": 10, "width_mm": 20, "height_mm": 120}
    product = Product.objects.get(sku="MUG-1")
    assert (product.name, product.cost, product.gtin, product.weight_grams, product.is_active, product.low_stock_threshold, product.version) == (
        "Big mug", Decimal("3.10"), "04006381333931", 500, False, 4, 2
    )
    assert product.updated_at > timezone.now() - timedelta(minutes=1)


def test_given_a_product_when_patched_with_what_it_already_has_then_the_version_stays(api):
    ProductFactory(sku="MUG-1", name="Mug")

    response = api.patch("/api/v1/products/MUG-1/", {"name": "Mug"}, format="json", HTTP_IF_MATCH='"1"')

    assert (response.status_code, response["ETag"]) == (200, '"1"')


@pytest.mark.parametrize(
    "body, field",
    [({"price": "-1"}, "price"), ({"gtin": "ABC"}, "gtin"), ({"name": ""}, "name"), ({"low_stock_threshold": -2}, "low_stock_threshold")],
)
def test_when_a_product_is_patched_with_a_bad_value_then_400_names_it_and_nothing_changes(api, body, field):
    ProductFactory(sku="MUG-1")

    response = api.patch("/api/v1/products/MUG-1/", body, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert Product.objects.get(sku="MUG-1").version == 1


def test_when_an_unknown_product_is_patched_then_404(api):
    response = api.patch("/api/v1/products/NOPE/", {"name": "x"}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 404


def test_given_a_key_that_may_only_read_products_when_it_patches_one_then_403(client_for):
    ProductFactory(sku="MUG-1")

    response = client_for("products:read").patch("/api/v1/products/MUG-1/", {"name": "x"}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 403


def test_given_a_location_when_read_by_code_then_its_details_come_back(api):
    LocationFactory(code="lyon-store", name="Lyon store", country="FR", can_ship=False, can_pick_up=True)

    response = api.get("/api/v1/locations/lyon-store/")

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["address"]["country"], response.json()["can_pick_up"]) == ("Lyon store", "FR", True)
    assert error_of(api.get("/api/v1/locations/nowhere/"))["code"] == "unknown_location"


def test_a_product_is_created_not_returnable_read_as_such_and_made_returnable_again(api):
    created = api.post(
        "/api/v1/products/", {"sku": "FINAL-1", "name": "Earrings", "price": "9.00", "is_returnable": False}, format="json",
        HTTP_IDEMPOTENCY_KEY="p-final-1",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["is_returnable"] is False and Product.objects.get(sku="FINAL-1").is_returnable is False
    assert api.get("/api/v1/products/FINAL-1/").json()["is_returnable"] is False

    patched = api.patch("/api/v1/products/FINAL-1/", {"is_returnable": True}, format="json", HTTP_IF_MATCH='"1"')

    assert patched.status_code == 200, patched.json()
    assert patched.json()["is_returnable"] is True and Product.objects.get(sku="FINAL-1").is_returnable is True
    assert api.get("/api/v1/products/", {"sku": "FINAL-1"}).json()["results"][0]["is_returnable"] is True


def test_a_products_category_is_given_read_changed_and_limited_in_length(api):
    created = api.post("/api/v1/products/", {"sku": "CAT-1", "name": "Mug", "price": "9.00", "category": "Kitchen"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="p-cat-1")
    assert created.status_code == 201, created.json()
    assert created.json()["category"] == "Kitchen" and Product.objects.get(sku="CAT-1").category == "Kitchen"

    patched = api.patch("/api/v1/products/CAT-1/", {"category": "Home"}, format="json", HTTP_IF_MATCH='"1"')
    too_long = api.patch("/api/v1/products/CAT-1/", {"category": "x" * 121}, format="json", HTTP_IF_MATCH='"2"')

    assert patched.status_code == 200 and patched.json()["category"] == "Home"
    assert too_long.status_code == 400 and "category" in str(too_long.json())
    assert Product.objects.get(sku="CAT-1").category == "Home"
