import itertools

import pytest
from rest_framework.test import APIClient

from oms.models import ApiKey

_names = itertools.count(1)


@pytest.fixture
def client_for(db):
    """``client_for("orders:read")``: an API client authenticated with a new key holding those scopes
    (none given: every scope)."""

    def make(*scopes: str) -> APIClient:
        key, raw_key = ApiKey.generate(name=f"client-{next(_names)}", scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        client.key, client.key_name = key, key.name
        return client

    return make


@pytest.fixture
def api(client_for):
    """A client whose key holds every scope."""
    return client_for()
