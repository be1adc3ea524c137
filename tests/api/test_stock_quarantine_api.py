"""Quarantine over the API: set units aside, release refurbished ones, scrap the rest; and every SKU stays readable."""

from urllib.parse import quote

import pytest

from inventory.models import StockLevel, StockMovement
from inventory.services import stock_quarantine

from .support import error_of

pytestmark = pytest.mark.django_db


def _level(sku: str = "SKU-A") -> tuple[int, int]:
    row = StockLevel.objects.get(product__sku=sku, location__code="chicago")
    return (row.on_hand, row.damaged)


def test_given_quarantined_units_when_released_over_the_api_then_the_stock_level_is_answered_and_sellable(api, stocked):
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=4, reason="dented", actor="test")

    response = api.post("/api/v1/stock/SKU-A/release/", {"location": "chicago", "quantity": 3, "reason": "refurbished", "reference": "WO-1"},
                        format="json", HTTP_IDEMPOTENCY_KEY="release-1")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["sku"], body["location"], body["on_hand"], body["damaged"], body["available"]) == ("SKU-A", "chicago", 10, 1, 9)
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.damaged_delta, movement.reference) == ("quarantine_release", -3, "WO-1")


def test_given_stock_when_quarantined_then_scrapped_over_the_api_then_the_units_leave(api, stocked):
    stocked("SKU-A", 10)

    quarantined = api.post("/api/v1/stock/SKU-A/quarantine/", {"location": "chicago", "quantity": 3, "reason": "water damage"}, format="json")
    scrapped = api.post("/api/v1/stock/SKU-A/scrap/", {"location": "chicago", "quantity": 2, "reason": "beyond repair"}, format="json")

    assert (quarantined.status_code, quarantined.json()["damaged"]) == (200, 3)
    assert (scrapped.status_code, scrapped.json()["on_hand"], scrapped.json()["damaged"]) == (200, 8, 1)
    assert _level() == (8, 1)


def test_a_retried_release_with_the_same_idempotency_key_releases_once(api, stocked):
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=4, reason="dented", actor="test")
    body = {"location": "chicago", "quantity": 1, "reason": "refurbished"}

    first = api.post("/api/v1/stock/SKU-A/release/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    again = api.post("/api/v1/stock/SKU-A/release/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")

    assert first.status_code == again.status_code == 200
    assert _level() == (10, 3)


def test_releasing_more_than_is_quarantined_is_a_409_that_says_how_many_are(api, stocked):
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=1, reason="dented", actor="test")

    response = api.post("/api/v1/stock/SKU-A/release/", {"location": "chicago", "quantity": 5, "reason": "refurbished"}, format="json")

    assert response.status_code == 409
    assert error_of(response)["code"] == "not_quarantined"
    assert "Only 1 unit(s) of SKU-A are quarantined at chicago" in error_of(response)["message"]
    assert _level() == (10, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"location": "chicago", "quantity": 1, "reason": ""}, "reason"),
        ({"location": "chicago", "quantity": 0, "reason": "refurbished"}, "quantity"),
        ({"location": "nowhere", "quantity": 1, "reason": "refurbished"}, "location"),
    ],
    ids=["no-reason", "zero", "unknown-location"],
)
def test_a_release_without_a_reason_a_quantity_or_a_known_location_is_a_400_naming_the_field(api, stocked, body, field):
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=1, reason="dented", actor="test")

    response = api.post("/api/v1/stock/SKU-A/release/", body, format="json")

    assert response.status_code == 400, response.json()
    assert field in str(error_of(response))
    assert _level() == (10, 1)


def test_an_unknown_sku_is_a_404(api, stocked):
    stocked("SKU-A", 10)

    response = api.post("/api/v1/stock/SKU-NOPE/release/", {"location": "chicago", "quantity": 1, "reason": "refurbished"}, format="json")

    assert response.status_code == 404


# --- every SKU readable, whatever it spells ---------------------------------------------------------


@pytest.mark.parametrize("sku", ["CABLE/release", "CABLE/quarantine", "CABLE/scrap", "snapshots", "release", "A/B/release", "movements",
                                 "lookup", "50%2F50", "SIZE?M#2"])
def test_given_a_sku_that_spells_a_sub_route_when_read_then_its_own_stock_is_answered(api, stocked, sku):
    stocked(sku, 4)
    stocked("CABLE", 9)

    by_query = api.get("/api/v1/stock/lookup/", {"sku": sku})
    answers = [by_query]
    if sku != "movements" and "%" not in sku:  # the ledger's GET; "%" and two hex digits cannot be in a URL path
        answers.append(api.get(f"/api/v1/stock/{quote(sku, safe='/')}/"))

    for response in answers:
        assert response.status_code == 200, (sku, response.status_code, response.content[:300])
        assert (response.json()["sku"], response.json()["available_to_promise"]) == (sku, 4)


def test_given_a_sku_ending_in_release_then_its_quarantine_steps_still_reach_the_right_sku(api, stocked):
    stocked("CABLE", 9)
    stocked("CABLE/release", 5)
    stock_quarantine(sku="CABLE", location="chicago", quantity=2, reason="dented", actor="test")

    of_cable = api.post("/api/v1/stock/CABLE/release/", {"location": "chicago", "quantity": 1, "reason": "fixed"}, format="json")
    set_aside = api.post("/api/v1/stock/CABLE/release/quarantine/", {"location": "chicago", "quantity": 3, "reason": "wet"}, format="json")

    assert (of_cable.status_code, of_cable.json()["sku"], of_cable.json()["damaged"]) == (200, "CABLE", 1)
    assert (set_aside.status_code, set_aside.json()["sku"], set_aside.json()["damaged"]) == (200, "CABLE/release", 3)
    assert api.get("/api/v1/stock/CABLE/release/").json()["available_to_promise"] == 2
    assert api.get("/api/v1/stock/movements/").json()["results"]  # the ledger keeps its URL


def test_a_lookup_without_a_sku_reads_the_sku_lookup_and_a_blank_one_is_400(api, stocked):
    assert api.get("/api/v1/stock/lookup/").status_code == 404  # no product "lookup"
    blank = api.get("/api/v1/stock/lookup/", {"sku": " "})

    assert blank.status_code == 400 and "sku" in error_of(blank)["fields"]


def test_reading_through_a_step_url_needs_only_the_read_scope(client_for, stocked):
    stocked("CABLE/release", 5)

    assert client_for("stock:read").get("/api/v1/stock/CABLE/release/").status_code == 200
    assert client_for("stock:read").post("/api/v1/stock/CABLE/release/", {"location": "chicago", "quantity": 1, "reason": "x"},
                                         format="json").status_code == 403
