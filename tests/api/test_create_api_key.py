from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from oms.models import ApiKey

pytestmark = pytest.mark.django_db


def _create(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_when_a_key_is_created_then_it_is_printed_once_stored_hashed_and_lets_its_holder_in():
    raw_key, note = _create("webshop")

    key = ApiKey.objects.get(name="webshop")
    assert raw_key.startswith("oms_")
    assert raw_key not in key.hashed_key and key.hashed_key != raw_key
    assert "not shown again" in note and raw_key not in note
    assert key.scopes == []
    response = APIClient().get("/api/v1/locations/", HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert response.status_code == 200


def test_when_a_key_is_created_with_scopes_then_it_can_do_only_that():
    raw_key, note = _create("reader", "--scopes", "orders:read", "stock:read")

    assert set(ApiKey.objects.get(name="reader").scopes) == {"orders:read", "stock:read"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get("/api/v1/orders/").status_code == 200
    assert client.post("/api/v1/orders/", {}, format="json").status_code == 403


def test_given_a_key_with_that_name_when_another_is_created_then_a_clear_error_and_no_second_key():
    _create("webshop")

    with pytest.raises(CommandError, match="exists already"):
        _create("webshop")

    assert ApiKey.objects.filter(name="webshop").count() == 1


def test_when_an_unknown_scope_is_asked_for_then_a_clear_error_and_no_key():
    with pytest.raises(CommandError, match="Unknown scope.*orders:delete"):
        _create("webshop", "--scopes", "orders:delete")

    assert not ApiKey.objects.exists()
