"""Routing's cost term from the carriers' rate tables (``orders.routing.prices``).

Geography as in test_engine: a customer in Boston; New York is near, Los Angeles far. The rate
cards give each origin its own lane, so a test can make the far warehouse the cheaper one and
see the tables, not the distance, decide.
"""

import datetime
from decimal import Decimal as D

import pytest

from inventory.services import stock_receive
from django.urls import reverse

from orders.models import Order, RoutingStrategy
from orders.routing import Need, RoutingRules, Site, Weights, route
from orders.routing.engine import DISTANCE_ESTIMATE
from orders.routing.prices import RateTablePricer, routing_pricer
from shipping.models import Carrier, RateBand, RateTable, ServiceLevel, Zone, ZoneRule
from shipping.rating import RateTableCard, ServiceCard, ZoneRuleCard, parcel_cost_estimate
from shipping.selectors import rate_card_forget

from ..factories import LocationFactory, ProductFactory, address, place_order
from ..shipping.cards import card, carrier, zone_rules

BOSTON = (42.36, -71.06)
NY = Site(1, 40.71, -74.01, 100, "ny", country="US", postal_code="10001")
LA = Site(3, 34.05, -118.24, 100, "la", country="US", postal_code="90001")
PARIS = Site(4, 48.86, 2.35, 100, "paris", country="FR", postal_code="75001")
A = 10
COST_ONLY = RoutingRules(name="cost only", weights=Weights(cost=1.0, distance=0.0))

# Lanes into Boston (021..): from New York 12.00 for up to 5 kg, from Los Angeles 7.00 (a contract
# rate); over 5 kg both cost 30.00.
CONTRACT = carrier(
    "lanes",
    services=(ServiceCard("lanes", "ground", "Ground", {
        "ny-boston": RateTableCard("ny-boston", 2, ((D("5"), D("12.00")), (D("30"), D("30.00")))),
        "la-boston": RateTableCard("la-boston", 5, ((D("5"), D("7.00")), (D("30"), D("30.00")))),
    }),),
    rules=zone_rules(
        ZoneRuleCard("ny-boston", "US", "US", "021", "021", 1, "100", "149"),
        ZoneRuleCard("la-boston", "US", "US", "021", "021", 2, "900", "961"),
    ),
)


def pricer(rate_card=None, sites=(NY, LA, PARIS)) -> RateTablePricer:
    rate_card = rate_card or card(CONTRACT)
    return RateTablePricer(
        rate_card, carriers=tuple(c.code for c in rate_card.carriers),
        origins={s.location_id: (s.country, s.postal_code) for s in sites}, country="US", postal_code="02108", currency="USD",
    )


def decide(needs, available, sites=(NY, LA), rules=COST_ONLY, **kwargs):
    return route(needs=needs, available=available, sites=list(sites), destination=BOSTON, rules=rules, **kwargs)


def test_the_pricer_answers_the_rate_tables_price_of_the_lane_and_weight():
    prices = pricer()

    assert prices.price(NY.location_id, 1.0) == 12.0
    assert prices.price(LA.location_id, 4.9) == 7.0
    assert prices.price(LA.location_id, 6.0) == 30.0
    expected = parcel_cost_estimate(card(CONTRACT), origin_country="US", origin_postal_code="90001", destination_country="US",
                                    destination_postal_code="02108", weight_kg="1")
    assert prices.price(LA.location_id, 1.0) == float(expected)


def test_a_lane_no_carrier_serves_has_no_price_and_an_unknown_location_neither():
    prices = pricer()

    assert prices.price(PARIS.location_id, 1.0) is None  # no zone from FR
    assert prices.price(99, 1.0) is None


def test_the_rate_tables_decide_where_the_distance_estimate_would_not():
    needs, available = [Need(0, A, 2, 500)], {(A, NY.location_id): 5, (A, LA.location_id): 5}

    by_distance = decide(needs, available)
    by_tables = decide(needs, available, pricer=pricer())

    assert [c.take for c in by_distance.candidates][0] == {NY.location_id: {A: 2}}  # nearer is cheaper by estimate
    winner = by_tables.winner
    assert winner.take == {LA.location_id: {A: 2}}
    assert winner.estimated_cost == 7.0
    explained = by_tables.explanation()
    assert explained["candidates"][0]["estimated_cost"] == 7.0 and explained["candidates"][1]["estimated_cost"] == 12.0
    assert explained["cost_sources"]["la"].startswith("rate tables, US 90001 → US 02108")
    assert "lanes" in explained["cost_sources"]["ny"]


def test_the_weight_band_decides_the_price_so_a_heavy_order_loses_the_contract_rates_advantage():
    light = decide([Need(0, A, 4, 1000)], {(A, NY.location_id): 8, (A, LA.location_id): 8}, pricer=pricer())
    heavy = decide([Need(0, A, 8, 1000)], {(A, NY.location_id): 8, (A, LA.location_id): 8}, pricer=pricer())

    assert light.winner.take == {LA.location_id: {A: 4}} and light.winner.estimated_cost == 7.0
    # 8 kg bills the 30 kg band on both lanes: the same price, so the tie goes to the lower id.
    assert [c.estimated_cost for c in heavy.candidates[:2]] == [30.0, 30.0]
    assert heavy.winner.take == {NY.location_id: {A: 8}}


def test_a_location_without_a_lane_is_priced_by_the_distance_estimate_and_says_so():
    needs, available = [Need(0, A, 1, 500)], {(A, PARIS.location_id): 5}

    decision = decide(needs, available, sites=(PARIS,), pricer=pricer())

    assert decision.winner.take == {PARIS.location_id: {A: 1}}
    assert decision.explanation()["cost_sources"] == {"paris": DISTANCE_ESTIMATE}


def test_without_a_pricer_every_location_is_priced_by_the_distance_estimate():
    decision = decide([Need(0, A, 1, 500)], {(A, NY.location_id): 5, (A, LA.location_id): 5})

    assert set(decision.explanation()["cost_sources"].values()) == {DISTANCE_ESTIMATE}


def test_carriers_in_another_currency_are_not_compared():
    euro = carrier("euro", currency="EUR")
    prices = pricer(card(CONTRACT, euro))

    # A pricer is built for the carriers of the order's currency only (routing_pricer filters):
    usd_only = RateTablePricer(prices.card, carriers=("lanes",), origins=prices.origins, country="US", postal_code="02108", currency="USD")
    assert usd_only.price(NY.location_id, 1.0) == 12.0


# ---------------------------------------------------------------------------- with the database


@pytest.fixture
def lanes(db):
    """The CONTRACT carrier as rows, and warehouses in New York and Los Angeles with postal codes."""
    rate_card_forget()
    made = Carrier.objects.create(code="lanes", name="Lanes", currency="USD", s10_service_indicator="CP", s10_country="US")
    ground = ServiceLevel.objects.create(carrier=made, code="ground", name="Ground")
    for code, origin_range, prices in (("ny-boston", ("100", "149"), ("12.00", "30.00")), ("la-boston", ("900", "961"), ("7.00", "30.00"))):
        zone = Zone.objects.create(carrier=made, code=code, name=code)
        ZoneRule.objects.create(
            zone=zone, origin_country="US", origin_postal_from=origin_range[0], origin_postal_to=origin_range[1],
            destination_country="US", postal_from="021", postal_to="021",
        )
        table = RateTable.objects.create(service=ground, zone=zone, transit_days=3)
        RateBand.objects.bulk_create([RateBand(table=table, up_to_kg=D("5"), price=D(prices[0])), RateBand(table=table, up_to_kg=D("30"), price=D(prices[1]))])
    sites = {
        "ny": LocationFactory(code="ny", name="New York DC", city="New York", postal_code="10001", latitude=40.71, longitude=-74.01),
        "la": LocationFactory(code="la", name="Los Angeles DC", city="Los Angeles", postal_code="90001", latitude=34.05, longitude=-118.24),
    }
    yield sites
    rate_card_forget()


def test_intake_routes_by_the_rate_tables_and_stores_where_the_prices_came_from(lanes, admin_client):
    RoutingStrategy.objects.create(name="cost only", channel=None, cost_weight=1.0, distance_weight=0.0)
    ProductFactory(sku="SKU-A", weight_grams=500)
    for code in ("ny", "la"):
        stock_receive(sku="SKU-A", location=code, quantity=5, actor="test")

    order = place_order([("SKU-A", 2)], shipping_address=address())

    decision = Order.objects.get(pk=order.pk).routing["decisions"][0]
    winner = decision["candidates"][decision["winner"]]
    assert winner["locations"] == ["la"] and winner["estimated_cost"] == 7.0
    assert decision["cost_sources"]["la"].startswith("rate tables, US 90001 → US 02108")
    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Shipping cost from la: rate tables, US 90001 → US 02108" in page


def test_an_order_in_a_currency_no_carrier_charges_in_is_routed_by_distance(lanes):
    ProductFactory(sku="SKU-A", weight_grams=500)
    for code in ("ny", "la"):
        stock_receive(sku="SKU-A", location=code, quantity=5, actor="test")

    order = place_order([("SKU-A", 1)], currency="EUR")

    decision = Order.objects.get(pk=order.pk).routing["decisions"][0]
    assert decision["candidates"][decision["winner"]]["locations"] == ["ny"]
    assert set(decision["cost_sources"].values()) == {DISTANCE_ESTIMATE}
    assert routing_pricer(sites=[NY], country="US", postal_code="02108", currency="EUR") is None
    assert routing_pricer(sites=[NY], country="US", postal_code="02108", currency="USD") is not None


def test_the_earliest_delivery_is_the_fastest_service_of_the_lane_after_the_carriers_cut_off_and_weekend():
    # New York's lane takes 2 working days, Los Angeles' 5; an express service of 1 day from
    # New York is offered by a second carrier, which collects on Saturdays too.
    express = carrier(
        "fast", working_days=(1, 2, 3, 4, 5, 6),
        services=(ServiceCard("fast", "express", "Express", {"ny-boston": RateTableCard("ny-boston", 1, ((D("5"), D("40.00")),))}),),
        rules=zone_rules(ZoneRuleCard("ny-boston", "US", "US", "021", "021", 1, "100", "149")),
    )
    one = pricer()
    both = pricer(card(CONTRACT, express))
    friday_morning = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.timezone.utc)
    friday_evening = datetime.datetime(2026, 12, 4, 18, 0, tzinfo=datetime.timezone.utc)

    assert one.earliest_delivery(NY.location_id, friday_morning) == datetime.date(2026, 12, 8)  # Fri + 2 working days: Tue
    assert one.earliest_delivery(LA.location_id, friday_morning) == datetime.date(2026, 12, 11)  # Fri + 5: next Fri
    assert one.earliest_delivery(NY.location_id, friday_evening) == datetime.date(2026, 12, 9)  # after the cut-off: collected Mon
    assert both.earliest_delivery(NY.location_id, friday_evening) == datetime.date(2026, 12, 7)  # collected Sat, delivered Mon
    assert one.earliest_delivery(NY.location_id, datetime.date(2026, 12, 5)) == datetime.date(2026, 12, 9)  # a Saturday: from Mon
    assert one.earliest_delivery(PARIS.location_id, friday_morning) is None  # no carrier serves the lane
