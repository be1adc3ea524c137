import re

import pytest
import yaml
from django.core.management import call_command

from drf_spectacular.drainage import GENERATOR_STATS


def test_the_openapi_schema_validates_without_a_single_warning(tmp_path):
    GENERATOR_STATS.reset()
    schema_file = tmp_path / "schema.yaml"

    call_command("spectacular", validate=True, fail_on_warn=True, file=str(schema_file))

    paths = yaml.safe_load(schema_file.read_text())["paths"]
    assert {
        "/api/v1/orders/", "/api/v1/orders/{number}/", "/api/v1/orders/{number}/cancel/", "/api/v1/products/",
        "/api/v1/products/{sku}/", "/api/v1/locations/", "/api/v1/stock/movements/", "/api/v1/stock/{sku}/",
    } <= set(paths)


@pytest.mark.django_db
def test_the_schema_and_the_offline_docs_are_served(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/orders/" in schema.content
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()


@pytest.mark.django_db
def test_redoc_loads_nothing_from_outside_the_site(client):
    page = client.get("/api/redoc/")

    html = page.content.decode()
    assert page.status_code == 200
    # Every URL the page names is on this site: the schema, ReDoc from the static files, the stylesheet.
    assert not re.findall(r"https?://", html), html
    loads = re.findall(r'(?:src|href|data-spec-url)="([^"]+)"', html)
    assert loads and all(url.startswith("/") for url in loads), loads
    assert any(url.endswith("redoc.standalone.js") for url in loads) and any(url.endswith("/api/schema/") for url in loads)
    # Nothing inline for a strict Content Security Policy to refuse (a JSON data block runs nothing).
    assert "<style" not in html and not re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))', html)
