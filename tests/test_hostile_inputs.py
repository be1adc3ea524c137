"""No input gets a 5xx (issue 11).

Every URL pattern the project serves, found by walking the URL configuration (so an endpoint is
covered the day it is added), gets each hostile shape: NUL and other control characters, 10,000
characters, bytes that are not UTF-8 and a 30-digit number in its path parameters; NUL, bad page
sizes and cursors and too many parameters in its query; a body over the upload limit and JSON
nested 1,000 levels deep; and every method, including those the view was not written for. The
API is called with a key holding every scope (the platform webhooks and carrier tracking take
none), the console anonymously and as a superuser. The tests after the matrix say what the answer
to each shape must be.
"""

import base64
import hashlib
import hmac
import json
import re
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.contrib.admindocs.views import extract_views_from_urlpatterns
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client
from django.urls import get_resolver, path

from oms.json_input import MAX_DEPTH
from oms.models import ApiKey
from orders.models import Channel

from .factories import ChannelFactory

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 1000 + "]" * 1000
# Path parameter values, already percent-encoded as a client would send them.
HOSTILE_SEGMENTS = {
    "nul": "a%00b",
    "control": "a%01b%1Fc",
    "long": "x" * 10_000,
    "not utf-8": "%FF%FE",
    "huge number": "9" * 30,
    "plain": "NOPE-1",
}


def _cursor(position: str) -> str:
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


# Refused by oms.middleware before any view, so cheap to send everywhere.
HOSTILE_QUERIES = [
    "q=a%00b&number=%00",
    "search=%01",
    "q=%FF%FE",
    "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)),
    "q=" + "x" * 10_000,
]
# What only the API's lists read (the console's lists refuse unknown parameters as a whole).
HOSTILE_LIST_QUERIES = [
    "page_size=0",
    "page_size=-5",
    "page_size=abc",
    "page_size=100000000000000000000",
    "cursor=%%%",
    "cursor=" + quote(_cursor(DEEP_JSON)),
    "cursor=" + quote(_cursor(json.dumps(["a\x00", "1"]))),
    "ordering=-" + "x" * 300,
]
TOO_LARGE_BODY = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)


def _template(route: str) -> str:
    """The route as a URL with ``{}`` where each parameter goes (a regex choice takes its first option)."""
    route = re.sub(r"\(\?P<\w+>(\w+)(?:\|\w+)*\)", r"\1", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>", "{}", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


# admindocs' walk of the URL configuration: every route, with its include() prefixes.
TEMPLATES = sorted({_template(route) for _, route, *_ in extract_views_from_urlpatterns(get_resolver().url_patterns)})
API_TEMPLATES = [t for t in TEMPLATES if t.startswith("/api/")]
CONSOLE_TEMPLATES = [t for t in TEMPLATES if not t.startswith("/api/")]


def _fill(template: str, segment: str) -> str:
    if "{}" in template:
        return template.replace("{}", segment)
    return template + segment + "/"  # a route without parameters gets the hostile text as one more segment


def _requests(template: str, *, api: bool):
    """``(method, url, body)`` for every hostile shape sent to one URL pattern."""
    url = _fill(template, HOSTILE_SEGMENTS["plain"]) if "{}" in template else template
    for segment in HOSTILE_SEGMENTS.values():
        yield "GET", _fill(template, segment), None
        if api:
            yield "POST", _fill(template, segment), "{}"
    for query in HOSTILE_QUERIES + (HOSTILE_LIST_QUERIES if api else []):
        yield "GET", f"{url}?{query}", None
    yield "POST", url, TOO_LARGE_BODY
    yield "POST", url, DEEP_JSON
    # The console's views take PATCH as they take PUT, and HEAD as GET: once each is enough there.
    for method in ("PUT", "PATCH", "POST") if api else ("PUT",):
        yield method, url, "{}"
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS", "HEAD") if api else ("DELETE", "OPTIONS"):
        yield method, url, DEEP_JSON if method in ("PUT", "PATCH") else None


def server_errors(client: Client, requests) -> list[str]:
    """Each request that got a 5xx, as ``"500 GET /url"`` (the client answers exceptions with a 500)."""
    failures = []
    for method, url, body in requests:
        response = client.generic(method, url, body or "", content_type="application/json", HTTP_IF_MATCH="*")
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {method} {url[:150]}")
    return failures


@pytest.fixture
def api_client(db):
    _, raw_key = ApiKey.generate(name="hostile", scopes=())  # no scopes: every scope
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Api-Key {raw_key}")


@pytest.fixture
def superuser_client(db):
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))
    return client


@pytest.mark.parametrize("template", API_TEMPLATES)
def test_no_api_url_answers_a_hostile_request_with_a_server_error(api_client, template):
    assert server_errors(api_client, _requests(template, api=True)) == []


@pytest.mark.parametrize("template", CONSOLE_TEMPLATES)
def test_no_console_url_answers_a_hostile_request_with_a_server_error(superuser_client, template):
    anonymous = Client(raise_request_exception=False)

    assert server_errors(anonymous, _requests(template, api=False)) == []
    assert server_errors(superuser_client, _requests(template, api=False)) == []


def test_the_walk_finds_the_api_the_console_and_the_unauthenticated_endpoints():
    assert len(API_TEMPLATES) >= 60 and len(CONSOLE_TEMPLATES) >= 200
    for expected in ("/api/v1/orders/bulk/", "/api/v1/carriers/{}/tracking/", "/api/v1/channels/{}/shopify/orders/", "/admin/orders/order/{}/change/", "/admin/"):
        assert expected in TEMPLATES


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), path("fine/", lambda request: HttpResponse("ok"))]


@pytest.mark.urls(__name__)
def test_the_matrix_would_report_a_view_that_raises():
    failures = server_errors(Client(raise_request_exception=False), [("GET", "/fine/", None), ("GET", "/boom/", None)])

    assert failures == ["500 GET /boom/"]


# --- what each shape answers -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/orders/", "/api/v1/orders/bulk/"])
def test_given_a_body_over_the_upload_limit_when_posted_to_the_api_then_413_says_the_limit(api_client, url):
    response = api_client.post(url, "x" * (10 * 1024 * 1024), content_type="application/json")

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in error["message"]


def test_given_a_body_over_the_upload_limit_when_posted_to_the_console_then_413_in_plain_text(superuser_client):
    response = superuser_client.post("/admin/orders/order/add/", TOO_LARGE_BODY, content_type="text/plain")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert "MB" in response.content.decode()


def _realistic_order(n: int) -> dict:
    """An order as a shop sends it, about 6 KB of JSON: 16 lines, addresses, a customer and a note."""
    address = {"name": "Adelaide Featherstonehaugh-Smythe", "line1": "1234 Long Meadow Industrial Estate Road", "line2": "Building 7, Loading Bay 3",
               "city": "Kingston upon Thames", "region": "Greater London", "postal_code": "KT1 1AA", "country": "GB", "phone": "+442079460000"}
    lines = [{"sku": f"SKU-{n}-{i:03}-LONG-PRODUCT-CODE", "quantity": 3, "unit_price": "1234.56", "discount": "12.34", "tax": "246.91"} for i in range(16)]
    return {"channel": "nowhere", "external_id": f"EXT-{n:08}-" + "0" * 24, "currency": "GBP", "placed_at": "2026-11-28T10:00:00+00:00",
            "customer": {"email": f"customer.{n}@example-merchant-domain.co.uk", "first_name": "Adelaide", "last_name": "Featherstonehaugh-Smythe", "phone": "+442079460000"},
            "shipping_address": address, "billing_address": address, "lines": lines, "shipping_price": "14.95", "payment_status": "paid",
            "note": "Please leave the parcel with the neighbours at number 12 if nobody answers; ring twice. " * 20}


def test_given_a_bulk_of_500_realistic_orders_then_it_is_within_the_upload_limit(api_client):
    body = json.dumps({"orders": [_realistic_order(n) for n in range(500)]}, indent=2)
    assert len(body) > 2_900_000

    response = api_client.post("/api/v1/orders/bulk/", body, content_type="application/json")

    assert response.status_code < 400, response.content[:300]  # each order is judged on its own (here: an unknown channel)


def test_given_a_csv_import_of_the_documented_largest_size_then_it_is_within_the_upload_limit():
    from orders.adapters.csv_import import MAX_FILE_BYTES

    assert MAX_FILE_BYTES + 64 * 1024 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # room for multipart framing


@pytest.mark.parametrize("url", ["/api/v1/orders/", "/api/v1/orders/bulk/", "/api/v1/customers/", "/api/v1/webhooks/subscriptions/", "/api/v1/stock/movements/"])
def test_given_json_nested_1000_deep_when_posted_then_400_says_how_deep_it_may_nest(api_client, url):
    response = api_client.post(url, DEEP_JSON, content_type="application/json")

    assert response.status_code == 400
    assert f"{MAX_DEPTH} levels" in response.json()["error"]["message"]


def test_json_nested_as_deep_as_allowed_is_parsed(api_client):
    response = api_client.post("/api/v1/orders/", "[" * MAX_DEPTH + "]" * MAX_DEPTH, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] != "parse_error"  # parsed; refused only for not being an order


def _shopify_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_given_a_signed_shopify_webhook_nested_1000_deep_then_400(db):
    ChannelFactory(code="shop", adapter=Channel.Adapter.SHOPIFY, webhook_secret="s3cret")
    body = ('{"id": 1, "x": ' + DEEP_JSON + "}").encode()

    response = Client().post("/api/v1/channels/shop/shopify/orders/", body, content_type="application/json",
                             headers={"X-Shopify-Hmac-Sha256": _shopify_signature(body, "s3cret"), "X-Shopify-Topic": "orders/create"})

    assert response.status_code == 400
    assert f"{MAX_DEPTH} levels" in response.json()["error"]["message"]


def test_given_signed_carrier_tracking_nested_1000_deep_then_400(db):
    from shipping.api.views import tracking_signature
    from shipping.models import Carrier

    Carrier.objects.update_or_create(code="oms-post", defaults={"name": "OMS Post", "tracking_secret": "trk"})
    body = DEEP_JSON.encode()

    response = Client().post("/api/v1/carriers/oms-post/tracking/", body, content_type="application/json",
                             headers={"X-OMS-Signature": tracking_signature(body=body, secret="trk")})

    assert response.status_code == 400
    assert f"{MAX_DEPTH} levels" in response.json()["error"]["message"]


@pytest.mark.parametrize("url", ["/api/v1/carriers/a%00b/tracking/", "/api/v1/fulfillment-orders/a%00b/", "/api/v1/orders/a%0Ab/", "/api/v1/orders/%FF%FE/"])
def test_given_a_path_with_nul_control_characters_or_not_utf8_then_404_in_the_error_shape(api_client, url):
    response = api_client.post(url) if "tracking" in url else api_client.get(url)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("url", ["/admin/orders/order/a%00b/change/", "/admin/orders/order/?q=%00", "/admin/orders/order/?number=%00"])
def test_given_nul_in_a_console_url_then_a_plain_refusal(superuser_client, url):
    response = superuser_client.get(url)

    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("query, field", [("q=%00", "q"), ("number=a%00", "number"), ("channel=%1B", "channel")])
def test_given_a_control_character_in_a_query_parameter_then_400_names_it(api_client, query, field):
    response = api_client.get(f"/api/v1/orders/?{query}")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_given_more_query_parameters_than_allowed_then_400_says_the_limit(api_client):
    query = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = api_client.get(f"/api/v1/orders/?{query}")

    assert response.status_code == 400
    assert f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}" in response.json()["error"]["message"]


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "2.5", "501", "", "99999999999999999999"])
def test_given_a_page_size_outside_the_range_then_400_says_the_range(api_client, page_size):
    response = api_client.get("/api/v1/orders/", {"page_size": page_size})

    assert response.status_code == 400
    assert "from 1 to 500" in response.json()["error"]["fields"]["page_size"][0]


def test_given_the_largest_page_size_then_the_page_is_served(api_client):
    assert api_client.get("/api/v1/orders/", {"page_size": "500"}).status_code == 200
    assert api_client.get("/api/v1/stock/movements/", {"page_size": "1000"}).status_code == 200  # the ledger allows more


@pytest.mark.parametrize("cursor", ["!!!notbase64", _cursor("[1, 2, 3]"), _cursor(DEEP_JSON), _cursor(json.dumps(["a\x00", "1"])), _cursor("not json")])
def test_given_a_cursor_the_list_never_gave_out_then_400(api_client, cursor):
    response = api_client.get("/api/v1/orders/", {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]
