"""Catalogue changes made through the API leave a record: which key changed what, old and new values."""

from decimal import Decimal

from oms.models import ConfigChange

from ..factories import ProductFactory


def test_a_product_patched_through_the_api_leaves_its_old_and_new_values_and_the_key(db, client_for):
    # given a product and an API key
    ProductFactory(sku="MUG-1", name="Mug", price=Decimal("9.00"))
    api = client_for()

    # when the key changes its name and price
    etag = api.get("/api/v1/products/MUG-1/")["ETag"]
    response = api.patch("/api/v1/products/MUG-1/", {"name": "Big mug", "price": "11.50"}, format="json", HTTP_IF_MATCH=etag)

    # then one record says who changed which fields from what to what
    assert response.status_code == 200, response.content
    (change,) = ConfigChange.objects.filter(model="inventory.Product", action=ConfigChange.Action.UPDATE)
    assert sorted(change.changes) == ["name", "price"] and change.changes["name"] == ["Mug", "Big mug"]
    assert [Decimal(value) for value in change.changes["price"]] == [Decimal("9"), Decimal("11.5")]
    assert api.key_name in change.actor_label and change.object_repr.startswith("MUG-1")


def test_a_product_posted_through_the_api_is_recorded_as_created(db, client_for):
    api = client_for()

    response = api.post("/api/v1/products/", {"sku": "NEW-1", "name": "New", "price": "3.00"}, format="json", HTTP_IDEMPOTENCY_KEY="p-new-1")

    assert response.status_code == 201, response.content
    (change,) = ConfigChange.objects.filter(model="inventory.Product", action=ConfigChange.Action.CREATE)
    assert change.changes["sku"] == [None, "NEW-1"] and Decimal(change.changes["price"][1]) == Decimal("3")
