"""The rate card from the database: demo carriers, caching with invalidation on save, query
counts, explanations and the carrier adapter."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oms.errors import DomainError
from shipping.carriers import NotAvailableYet, carrier_adapter
from shipping.demo import demo_shipping_seed
from shipping.models import Carrier, RateBand, RateTable, ServiceLevel
from shipping.rating import Address, Parcel, parcel_cost_estimate, quote
from shipping.s10 import s10_is_valid
from shipping.selectors import rate_card, rate_card_forget
from shipping.shopping import ShoppingPolicy, rate_shop

pytestmark = pytest.mark.django_db
MONDAY_NOON = datetime.datetime(2026, 3, 2, 12, 0)
NEW_YORK, ANCHORAGE = Address("US", "10012", residential=True), Address("US", "99501")


@pytest.fixture(autouse=True)
def seeded():
    rate_card_forget()
    demo_shipping_seed()
    yield
    rate_card_forget()


def test_the_demo_seed_is_idempotent():
    counts = (Carrier.objects.count(), RateBand.objects.count())

    assert demo_shipping_seed() == 0
    assert (Carrier.objects.count(), RateBand.objects.count()) == counts == (2, counts[1])


def test_a_demo_lane_quotes_every_oms_post_service_with_its_surcharges():
    quotes = quote(rate_card(), parcels=[Parcel("2.3", 30, 20, 15)], origin=Address("US", "08837"), destination=NEW_YORK, ship_at=MONDAY_NOON)

    assert [q.key for q in quotes] == ["oms-post:pickup_point", "oms-post:ground", "oms-post:express", "oms-post:overnight"]
    ground = quotes.get("oms-post:ground")
    # 2.3 kg (dimensional 9000/5000 = 1.8) bills 2.5 kg: band up to 5 kg 9.80 + residential 4.50,
    # fuel 8.5% of 14.30 = 1.2155 -> 1.22.
    assert (ground.zone, ground.base, ground.fuel, ground.price) == ("us", D("9.80"), D("1.22"), D("15.52"))
    assert ground.delivery_date == datetime.date(2026, 3, 6)


def test_alaska_is_the_remote_zone_and_pays_the_remote_area_surcharge():
    quotes = quote(rate_card(), parcels=[Parcel(1)], origin=Address("US"), destination=ANCHORAGE, ship_at=MONDAY_NOON)

    ground = quotes.get("oms-post:ground")
    assert ground.zone == "us-remote"
    assert [c.kind for c in ground.surcharges] == ["remote_area"]
    assert any(u.key == "oms-post:pickup_point" and "no rates into zone us-remote" in u.reason for u in quotes.unavailable)


def test_europe_named_origins_beat_any_origin():
    card = rate_card()
    domestic = quote(card, parcels=[Parcel(1)], origin=Address("NL"), destination=Address("NL", "1012 AB"), ship_at=MONDAY_NOON).get("europarcel:standard")
    far = quote(card, parcels=[Parcel(1)], origin=Address("NL"), destination=Address("ES", "28001"), ship_at=MONDAY_NOON).get("europarcel:standard")

    assert (domestic.zone, domestic.currency) == ("domestic", "EUR")
    assert far.zone == "eu-2"


def test_the_explanation_says_how_the_price_and_the_date_were_reached():
    quotes = quote(rate_card(), parcels=[Parcel(1)], origin=Address("US"), destination=ANCHORAGE, ship_at=datetime.datetime(2026, 3, 6, 18, 0))
    explained = quotes.get("oms-post:ground").explanation()

    assert explained["zone"] == "us-remote"
    assert explained["zone_rule"] == "US → US postal 995–999"
    charges = explained["parcels"][0]["charges"]
    assert [c["kind"] for c in charges] == ["base", "remote_area", "fuel"]
    assert "billable 1.000 kg (actual 1 kg" in charges[0]["why"]
    assert "after the 17:00 cut-off: collected Mon 2026-03-09" in explained["collection"]
    assert {"service": "oms-post:pickup_point", "why": "no rates into zone us-remote"} in quotes.explanation()["unavailable"]
    choice = rate_shop(quotes, ShoppingPolicy(), deliver_by=datetime.date(2026, 3, 13))
    assert choice.explanation()["chosen"].startswith("oms-post:express")


def test_the_card_is_read_once_and_then_checked_with_one_query():
    first = rate_card()
    with CaptureQueriesContext(connection) as checked:
        again = rate_card()
    with CaptureQueriesContext(connection) as quoted:
        quote(again, parcels=[Parcel(1)], origin=Address("US"), destination=NEW_YORK, ship_at=MONDAY_NOON)
        parcel_cost_estimate(again, origin_country="US", destination_country="US", weight_kg=2.5)

    assert again is first
    assert len(checked) == 1
    assert len(quoted) == 0


def test_a_change_saved_anywhere_is_seen_on_the_next_call():
    before = rate_card()
    band = RateBand.objects.get(table__service__code="ground", table__zone__code="us", up_to_kg=1)
    band.price = D("99.00")
    band.save()

    after = rate_card()

    assert after is not before
    assert after.carrier("oms-post").services[1].tables["us"].bands[1] == (D("1.000"), D("99.000"))


def test_deactivating_a_service_removes_it_from_quotes():
    ServiceLevel.objects.filter(code="overnight").update(active=False, updated_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))

    quotes = quote(rate_card(), parcels=[Parcel(1)], origin=Address("US"), destination=NEW_YORK, ship_at=MONDAY_NOON)

    assert "oms-post:overnight" not in [q.key for q in quotes]


def test_parcel_cost_estimate_is_the_cheapest_service_for_one_parcel():
    card = rate_card()

    # To the door, so not the (cheaper) pickup point: ground up to 5 kg 9.80 + residential 4.50 = 14.30,
    # fuel 8.5% = 1.2155 -> 1.22.
    assert parcel_cost_estimate(card, origin_country="US", destination_country="US", destination_postal_code="10012", residential=True, weight_kg=3) == D("15.52")
    assert parcel_cost_estimate(card, origin_country="US", destination_country="US", weight_kg=3, services=["oms-post:ground"]) == D("10.63")
    assert parcel_cost_estimate(card, origin_country="US", destination_country="JP", weight_kg=3) is None


def test_the_built_in_carrier_quotes_and_issues_tracking_numbers():
    # Creating, cancelling and tracking shipments are tested in test_shipments.py and test_tracking.py,
    # return labels in test_return_labels.py.
    adapter = carrier_adapter("oms-post")

    quotes = adapter.quote(parcels=[Parcel(1)], origin=Address("US"), destination=NEW_YORK, ship_at=MONDAY_NOON, services=["ground"])
    assert [q.key for q in quotes] == ["oms-post:ground"]
    number = adapter.tracking_number(actor="test")
    assert s10_is_valid(number) and number.startswith("CP00000001") and number.endswith("US")
    with pytest.raises(DomainError, match="No active carrier 'nobody'"):
        carrier_adapter("nobody")


def test_an_adapter_names_what_it_has_not_built_instead_of_pretending():
    from shipping.carriers.base import CarrierAdapter

    bare = CarrierAdapter(rate_card().carrier("oms-post"))

    with pytest.raises(NotAvailableYet, match="A return label is not available yet for carrier oms-post"):
        bare.return_label(None, actor="test")
    with pytest.raises(NotAvailableYet, match="Tracking is not available yet"):
        bare.track("CP000000015US")


def test_database_constraints_refuse_nonsense():
    from django.db import IntegrityError, transaction

    table = RateTable.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        RateBand.objects.create(table=table, up_to_kg=D("0"), price=D("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        RateBand.objects.create(table=table, up_to_kg=table.bands.first().up_to_kg, price=D("1"))
