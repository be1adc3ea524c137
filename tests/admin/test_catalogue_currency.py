"""The console refuses a product priced in a currency that does not exist."""

import pytest
from django.contrib.auth.models import User

from inventory.models import Product

pytestmark = pytest.mark.django_db


def test_a_product_with_an_unknown_currency_is_refused_with_a_form_error(client):
    client.force_login(User.objects.create_superuser("boss", password="pw-for-tests-only"))
    form = {"sku": "MUG-1", "name": "Mug", "gtin": "", "is_active": "on", "price": "9.50", "cost": "", "currency": "XYZ",
            "weight_grams": "300", "length_mm": "0", "width_mm": "0", "height_mm": "0"}

    response = client.post("/admin/inventory/product/add/", form)

    assert response.status_code == 200
    assert "is not an ISO 4217 currency code" in response.content.decode()
    assert not Product.objects.exists()

    form["currency"] = "EUR"
    assert client.post("/admin/inventory/product/add/", form).status_code == 302
    assert Product.objects.get().currency == "EUR"
