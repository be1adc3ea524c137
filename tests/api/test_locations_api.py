"""Locations and bins over the API: a WMS sets up a warehouse without the console."""

import pytest

from inventory.models import Bin, Location, StockLevel

from ..factories import LocationFactory, ProductFactory
from .support import error_of

pytestmark = pytest.mark.django_db

DEPOT = {
    "code": "berlin",
    "name": "Berlin DC",
    "kind": "warehouse",
    "address": {"line1": "Am Hafen 1", "city": "Berlin", "postal_code": "10115", "country": "DE"},
    "coordinates": {"latitude": 52.52, "longitude": 13.40},
    "priority": 20,
}


def _patch(api, url, body, etag):
    return api.patch(url, body, format="json", HTTP_IF_MATCH=etag)


def test_when_a_wms_creates_a_location_then_it_is_listed_and_routing_can_use_it(api):
    created = api.post("/api/v1/locations/", DEPOT, format="json", HTTP_IDEMPOTENCY_KEY="loc-1")

    assert created.status_code == 201, created.json()
    assert created["ETag"] == '"1"'
    body = api.get("/api/v1/locations/berlin/").json()
    assert body["address"]["country"] == "DE" and body["coordinates"] == {"latitude": 52.52, "longitude": 13.40}
    assert body["can_ship"] is True and body["priority"] == 20 and body["version"] == 1
    assert "berlin" in [row["code"] for row in api.get("/api/v1/locations/").json()]


def test_given_a_location_created_when_the_same_request_is_retried_then_it_is_answered_again_not_duplicated(api):
    first = api.post("/api/v1/locations/", DEPOT, format="json", HTTP_IDEMPOTENCY_KEY="loc-2")
    again = api.post("/api/v1/locations/", DEPOT, format="json", HTTP_IDEMPOTENCY_KEY="loc-2")

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Location.objects.filter(code="berlin").count() == 1


def test_when_a_location_code_is_in_use_then_it_is_refused_with_409(api):
    LocationFactory(code="berlin")

    response = api.post("/api/v1/locations/", DEPOT, format="json")

    assert response.status_code == 409 and error_of(response)["code"] == "duplicate_location"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"code": "not a slug"}, "code"),
        ({"address": {"country": "XX"}}, "country"),
        ({"coordinates": {"latitude": 91, "longitude": 0}}, "coordinates.latitude"),
        ({"kind": "castle"}, "kind"),
    ],
)
def test_when_a_location_is_malformed_then_the_field_to_fix_is_named_and_nothing_is_created(api, change, field):
    response = api.post("/api/v1/locations/", {**DEPOT, **change}, format="json")

    assert response.status_code == 400, response.json()
    assert field in error_of(response)["fields"]
    assert not Location.objects.exists()


def test_given_a_location_when_changed_with_its_etag_then_only_the_fields_sent_change_and_the_version_rises(api):
    LocationFactory(code="berlin", city="Berlin", country="DE", can_pick_up=False)
    etag = api.get("/api/v1/locations/berlin/")["ETag"]

    changed = _patch(api, "/api/v1/locations/berlin/", {"can_pick_up": True, "address": {"postal_code": "10117"}}, etag)

    assert changed.status_code == 200, changed.json()
    assert changed["ETag"] == '"2"'
    body = changed.json()
    assert body["can_pick_up"] is True and body["address"]["postal_code"] == "10117" and body["address"]["city"] == "Berlin"


def test_given_a_location_changed_meanwhile_when_changed_with_the_old_etag_then_412_and_the_other_change_stays(api):
    LocationFactory(code="berlin", priority=50)
    _patch(api, "/api/v1/locations/berlin/", {"priority": 10}, '"1"')

    stale = _patch(api, "/api/v1/locations/berlin/", {"priority": 99}, '"1"')
    missing = api.patch("/api/v1/locations/berlin/", {"priority": 99}, format="json")

    assert stale.status_code == 412 and missing.status_code == 428
    assert Location.objects.get(code="berlin").priority == 10


def test_when_a_change_is_malformed_or_the_location_unknown_then_it_says_so(api):
    LocationFactory(code="berlin", latitude=None, longitude=None)

    assert _patch(api, "/api/v1/locations/nowhere/", {"priority": 1}, "*").status_code == 404
    assert "non_field_errors" in error_of(_patch(api, "/api/v1/locations/berlin/", {}, "*"))["fields"]
    code_change = _patch(api, "/api/v1/locations/berlin/", {"code": "paris", "address": {"country": "ZZ"}}, "*")
    assert code_change.status_code == 400 and "country" in error_of(code_change)["fields"]
    assert Location.objects.get(code="berlin").version == 1


def test_given_a_console_edit_of_a_location_then_an_integrations_earlier_etag_is_stale(admin_client):
    location = LocationFactory(code="berlin", name="Berlin DC", country="DE")
    form = {
        "code": "berlin", "name": "Berlin Hub", "kind": "warehouse", "is_active": "on", "country": "DE", "priority": 100,
        "can_ship": "on", "bins-TOTAL_FORMS": 0, "bins-INITIAL_FORMS": 0,
    }

    response = admin_client.post(f"/admin/inventory/location/{location.pk}/change/", form)

    assert response.status_code == 302, response.content[:500]
    assert Location.objects.get(pk=location.pk).version == 2


def test_given_a_console_edit_of_one_bin_then_only_that_bins_etag_is_stale(admin_client):
    location = LocationFactory(code="berlin", name="Berlin DC", country="DE", city="", latitude=None, longitude=None)
    moved, kept = Bin.objects.create(location=location, code="A-01"), Bin.objects.create(location=location, code="B-01", pick_sequence=2)
    form = {
        "code": "berlin", "name": "Berlin DC", "kind": "warehouse", "is_active": "on", "country": "DE", "priority": 100,
        "can_ship": "on", "bins-TOTAL_FORMS": 2, "bins-INITIAL_FORMS": 2,
        "bins-0-id": moved.pk, "bins-0-location": location.pk, "bins-0-code": "A-01", "bins-0-pick_sequence": 7,
        "bins-1-id": kept.pk, "bins-1-location": location.pk, "bins-1-code": "B-01", "bins-1-pick_sequence": 2,
    }

    response = admin_client.post(f"/admin/inventory/location/{location.pk}/change/", form)

    assert response.status_code == 302, response.content[:500]
    assert [(b.code, b.pick_sequence, b.version) for b in Bin.objects.order_by("code")] == [("A-01", 7, 2), ("B-01", 2, 1)]
    assert Location.objects.get(pk=location.pk).version == 1


# --- bins ----------------------------------------------------------------------------------------


@pytest.fixture
def berlin(db):
    return LocationFactory(code="berlin", country="DE")


def test_when_a_wms_creates_bins_then_they_are_listed_in_walking_order(api, berlin):
    for code, sequence in (("B-02", 20), ("A-01", 10)):
        response = api.post(
            "/api/v1/locations/berlin/bins/", {"code": code, "zone": code[0], "aisle": code[2:], "pick_sequence": sequence},
            format="json", HTTP_IDEMPOTENCY_KEY=f"bin-{code}",
        )
        assert response.status_code == 201, response.json()

    listed = api.get("/api/v1/locations/berlin/bins/").json()["results"]

    assert [(row["code"], row["zone"], row["pick_sequence"]) for row in listed] == [("A-01", "A", 10), ("B-02", "B", 20)]


def test_when_a_bin_is_created_twice_or_in_an_unknown_location_then_it_is_refused(api, berlin):
    Bin.objects.create(location=berlin, code="A-01")

    duplicate = api.post("/api/v1/locations/berlin/bins/", {"code": "A-01"}, format="json")
    nowhere = api.post("/api/v1/locations/nowhere/bins/", {"code": "A-01"}, format="json")
    too_long = api.post("/api/v1/locations/berlin/bins/", {"code": "A-02", "zone": "Z" * 17}, format="json")

    assert duplicate.status_code == 409 and error_of(duplicate)["code"] == "duplicate_bin"
    assert nowhere.status_code == 404 and api.get("/api/v1/locations/nowhere/bins/").status_code == 404
    assert too_long.status_code == 400 and "zone" in error_of(too_long)["fields"]
    assert Bin.objects.count() == 1


def test_given_a_bin_when_moved_with_its_etag_then_it_changes_and_a_stale_etag_gets_412(api, berlin):
    Bin.objects.create(location=berlin, code="A-01", pick_sequence=10)
    etag = api.get("/api/v1/locations/berlin/bins/A-01/")["ETag"]

    moved = _patch(api, "/api/v1/locations/berlin/bins/A-01/", {"pick_sequence": 5, "shelf": "3"}, etag)
    stale = _patch(api, "/api/v1/locations/berlin/bins/A-01/", {"pick_sequence": 99}, etag)
    unknown = _patch(api, "/api/v1/locations/berlin/bins/Z-99/", {"pick_sequence": 1}, "*")

    assert moved.status_code == 200 and moved["ETag"] == '"2"'
    assert (moved.json()["pick_sequence"], moved.json()["shelf"]) == (5, "3")
    assert stale.status_code == 412 and unknown.status_code == 404
    assert Bin.objects.get(code="A-01").pick_sequence == 5


def test_when_a_sku_is_put_in_a_bin_then_the_bin_lists_it_and_a_new_bin_replaces_the_old(api, berlin):
    ProductFactory(sku="MUG")
    Bin.objects.create(location=berlin, code="A-01")
    Bin.objects.create(location=berlin, code="B-01")

    first = api.post("/api/v1/locations/berlin/bin-assignments/", {"sku": "MUG", "bin": "A-01"}, format="json", HTTP_IDEMPOTENCY_KEY="as-1")
    moved = api.post("/api/v1/locations/berlin/bin-assignments/", {"sku": "MUG", "bin": "B-01"}, format="json")

    assert first.status_code == 200 and first.json() == {"sku": "MUG", "location": "berlin", "bin": "A-01"}
    assert moved.json()["bin"] == "B-01"
    assert api.get("/api/v1/locations/berlin/bins/B-01/").json()["skus"] == ["MUG"]
    assert api.get("/api/v1/locations/berlin/bins/A-01/").json()["skus"] == []
    assert StockLevel.objects.get(product__sku="MUG", location=berlin).on_hand == 0


def test_when_a_sku_is_taken_out_of_its_bin_then_it_is_in_none(api, berlin):
    ProductFactory(sku="MUG")
    api.post("/api/v1/locations/berlin/bin-assignments/", {"sku": "MUG", "bin": Bin.objects.create(location=berlin, code="A-01").code}, format="json")

    cleared = api.post("/api/v1/locations/berlin/bin-assignments/", {"sku": "MUG", "bin": None}, format="json")

    assert cleared.json()["bin"] is None
    assert StockLevel.objects.get(product__sku="MUG", location=berlin).bin is None


def test_when_an_assignment_names_an_unknown_sku_bin_or_location_then_it_says_which(api, berlin):
    ProductFactory(sku="MUG")
    Bin.objects.create(location=berlin, code="A-01")

    no_sku = api.post("/api/v1/locations/berlin/bin-assignments/", {"sku": "NOPE", "bin": "A-01"}, format="json")
    no_bin = api.post("/api/v1/locations/berlin/bin-assignments/", {"sku": "MUG", "bin": "Z-99"}, format="json")
    no_place = api.post("/api/v1/locations/nowhere/bin-assignments/", {"sku": "MUG", "bin": "A-01"}, format="json")

    assert no_sku.status_code == 400 and "sku" in error_of(no_sku)["fields"]
    assert no_bin.status_code == 400 and "bin" in error_of(no_bin)["fields"]
    assert no_place.status_code == 404
    assert not StockLevel.objects.exists()


def test_the_bins_list_costs_the_same_queries_whatever_the_number_of_bins(api, berlin, django_assert_max_num_queries):
    for n in range(30):
        bin_ = Bin.objects.create(location=berlin, code=f"A-{n:02d}", pick_sequence=n)
        StockLevel.objects.create(product=ProductFactory(sku=f"S-{n}"), location=berlin, bin=bin_)
    api.get("/api/v1/locations/berlin/bins/", {"page_size": 1})

    with django_assert_max_num_queries(12):
        body = api.get("/api/v1/locations/berlin/bins/", {"page_size": 30}).json()

    assert len(body["results"]) == 30 and body["results"][3]["skus"] == ["S-3"]
