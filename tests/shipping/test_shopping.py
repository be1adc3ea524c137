"""Rate shopping: cheapest on time, fastest within a cap, ties, allowed services, currencies."""

import datetime
from decimal import Decimal as D

import pytest

from oms.errors import InvalidInput
from shipping.rating import PICKUP_POINT, Address, Parcel, RateTableCard, ServiceCard, parcel_cost_estimate, quote
from shipping.shopping import CHEAPEST_ON_TIME, FASTEST_WITHIN_CAP, ShoppingPolicy, rate_shop

from .cards import card, carrier

MONDAY = datetime.date(2026, 3, 2)  # collected the same day


def service(carrier_code, code, days, price):
    return ServiceCard(carrier_code, code, code, {"us": RateTableCard("us", days, ((D("30"), D(price)),))})


def quotes_of(*services_by_carrier, currency=None):
    carriers = []
    for code, services in services_by_carrier:
        carriers.append(carrier(code, services=tuple(service(code, *s) for s in services), currency=(currency or {}).get(code, "USD")))
    return quote(card(*carriers), parcels=[Parcel(1)], origin=Address("US"), destination=Address("US"), ship_at=MONDAY)


@pytest.fixture
def offers():
    """a:ground 5 days 6.00, a:express 2 days 14.00, b:eco 4 days 7.00, b:overnight 1 day 25.00."""
    return quotes_of(("a", [("ground", 5, "6.00"), ("express", 2, "14.00")]), ("b", [("eco", 4, "7.00"), ("overnight", 1, "25.00")]))


def test_cheapest_that_meets_the_promised_date(offers):
    choice = rate_shop(offers, ShoppingPolicy(CHEAPEST_ON_TIME), deliver_by=datetime.date(2026, 3, 6))  # Friday: 4 working days

    assert choice.chosen.key == "b:eco"
    assert choice.meets_policy
    assert [q.key for q in choice.others] == ["a:express", "b:overnight", "a:ground"]
    assert "cheapest of 3 on time for 2026-03-06" in choice.reason
    assert "1 would be late" in choice.reason


def test_without_a_promised_date_the_cheapest_wins(offers):
    assert rate_shop(offers, ShoppingPolicy()).chosen.key == "a:ground"


def test_when_nothing_is_on_time_the_earliest_is_chosen_and_flagged(offers):
    choice = rate_shop(offers, ShoppingPolicy(), deliver_by=MONDAY)

    assert choice.chosen.key == "b:overnight"
    assert not choice.meets_policy
    assert "No service delivers by 2026-03-02" in choice.reason


def test_fastest_within_the_cost_cap(offers):
    choice = rate_shop(offers, ShoppingPolicy(FASTEST_WITHIN_CAP, cost_cap=D("15")))

    assert choice.chosen.key == "a:express"
    assert choice.meets_policy
    assert "fastest of 3 within the 15 cap" in choice.reason


def test_when_everything_is_over_the_cap_the_cheapest_is_chosen_and_flagged(offers):
    choice = rate_shop(offers, ShoppingPolicy(FASTEST_WITHIN_CAP, cost_cap=D("5")))

    assert choice.chosen.key == "a:ground"
    assert not choice.meets_policy


def test_ties_on_price_go_to_the_earlier_delivery_then_the_codes():
    tied = quotes_of(("a", [("slow", 5, "8.00"), ("quick", 2, "8.00")]), ("b", [("same", 2, "8.00")]))

    choice = rate_shop(tied, ShoppingPolicy())

    assert [choice.chosen.key] + [q.key for q in choice.others] == ["a:quick", "b:same", "a:slow"]
    assert "tied on price; the earlier delivery wins" in rate_shop(tied, ShoppingPolicy(), deliver_by=datetime.date(2026, 3, 31)).reason


def test_ties_on_delivery_go_to_the_cheaper():
    tied = quotes_of(("a", [("dear", 2, "9.00"), ("cheap", 2, "8.00")]))

    choice = rate_shop(tied, ShoppingPolicy(FASTEST_WITHIN_CAP, cost_cap=D("10")))

    assert choice.chosen.key == "a:cheap"
    assert "tied on delivery date; the cheaper wins" in choice.reason


def test_only_allowed_carriers_and_services_are_considered(offers):
    choice = rate_shop(offers, ShoppingPolicy(allowed=frozenset({"b", "a:express"})))

    assert choice.chosen.key == "b:eco"
    assert ("a:ground", "not allowed by the policy") in choice.excluded
    assert choice.explanation()["excluded"] == [{"service": "a:ground", "why": "not allowed by the policy"}]


def test_quotes_in_two_currencies_need_the_policy_to_name_one():
    mixed = quotes_of(("a", [("ground", 3, "6.00")]), ("e", [("std", 3, "5.00")]), currency={"e": "EUR"})

    with pytest.raises(InvalidInput, match="cannot be compared"):
        rate_shop(mixed, ShoppingPolicy())
    choice = rate_shop(mixed, ShoppingPolicy(currency="USD"))
    assert choice.chosen.key == "a:ground"
    assert ("e:std", "priced in EUR, the policy compares USD") in choice.excluded


def test_nothing_to_choose_from_says_so():
    choice = rate_shop(quotes_of(("a", [("ground", 3, "6.00")])), ShoppingPolicy(allowed=frozenset({"zz"})))

    assert choice.chosen is None and not choice.meets_policy
    assert choice.reason == "No service can ship it under this policy."


def test_a_policy_round_trips_through_json_and_bad_settings_are_named():
    policy = ShoppingPolicy.from_dict({"goal": "fastest_within_cap", "cost_cap": "12.50", "allowed": ["a"], "currency": "USD"})

    assert ShoppingPolicy.from_dict(policy.as_dict()) == policy
    with pytest.raises(InvalidInput, match="Unknown rate shopping goal 'fastest'"):
        ShoppingPolicy.from_dict({"goal": "fastest"})
    with pytest.raises(InvalidInput, match="not a number"):
        ShoppingPolicy.from_dict({"cost_cap": "lots"})
    with pytest.raises(InvalidInput, match="Unknown rate shopping setting"):
        ShoppingPolicy.from_dict({"budget": 3})


# --- where the parcel is left: the door or a pickup point ------------------------------------


def quotes_to(destination: Address):
    """a:pickup_point 2 days 3.00 (a pickup-point service, the cheapest and fastest) and a:ground 5 days 6.00."""
    services = (
        ServiceCard("a", "pickup_point", "Pickup point", {"us": RateTableCard("us", 2, ((D("30"), D("3.00")),))}, delivery_kind=PICKUP_POINT),
        service("a", "ground", 5, "6.00"),
    )
    return quote(card(carrier("a", services=services)), parcels=[Parcel(1)], origin=Address("US"), destination=destination, ship_at=MONDAY)


def test_a_home_address_never_gets_a_pickup_point_service_however_cheap():
    choice = rate_shop(quotes_to(Address("US", "80202")), ShoppingPolicy(FASTEST_WITHIN_CAP))

    assert choice.chosen.key == "a:ground"
    assert ("a:pickup_point", "delivers to pickup points only, and the address asks for delivery to the door") in choice.excluded


def test_an_address_that_names_a_pickup_point_gets_a_pickup_point_service_and_no_door_delivery():
    choice = rate_shop(quotes_to(Address("US", "80202", pickup_point=True)), ShoppingPolicy())

    assert choice.chosen.key == "a:pickup_point"
    assert [key for key, _ in choice.excluded] == ["a:ground"]


def test_routing_prices_a_home_address_without_the_pickup_point_service():
    services = (
        ServiceCard("a", "pickup_point", "Pickup point", {"us": RateTableCard("us", 2, ((D("30"), D("3.00")),))}, delivery_kind=PICKUP_POINT),
        service("a", "ground", 5, "6.00"),
    )

    price = parcel_cost_estimate(card(carrier("a", services=services)), origin_country="US", destination_country="US", weight_kg="1")

    assert price == D("6.00")
