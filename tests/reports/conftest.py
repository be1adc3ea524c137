import pytest
from rest_framework.test import APIClient

from oms.models import ApiKey


@pytest.fixture
def client_for(db):
    """``client_for("reports:read")``: an API client with a new key holding those scopes."""

    def make(*scopes: str) -> APIClient:
        key, raw_key = ApiKey.generate(name=f"reports-{ApiKey.objects.count() + 1}", scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        return client

    return make
