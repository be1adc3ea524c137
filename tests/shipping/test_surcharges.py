"""Surcharges: each kind once per parcel, percentages of the base, fuel last on base + surcharges."""

import datetime
import functools
from decimal import Decimal as D

from shipping.rating import Address, Parcel, quote

from .cards import card, carrier, surcharge

MONDAY = datetime.date(2026, 3, 2)


def ground(*surcharges, parcel=None, destination=None, fuel="0", service="tst:ground", divisor=5000):
    rate_card = card(carrier(surcharges=surcharges, fuel=fuel, divisor=divisor))
    quotes = quote(rate_card, parcels=[parcel or Parcel(1)], origin=Address("US"), destination=destination or Address("US", "10001"), ship_at=MONDAY, services=[service])
    return quotes.quotes[0]


def kinds(q):
    return {c.kind: c.amount for c in q.surcharges}


def test_residential_applies_only_to_residential_addresses():
    rule = surcharge("residential", "4.50")

    assert kinds(ground(rule, destination=Address("US", "10001", residential=True))) == {"residential": D("4.50")}
    assert kinds(ground(rule, destination=Address("US", "10001"))) == {}


def test_remote_area_applies_inside_its_postal_range_and_says_why():
    rule = surcharge("remote_area", "12.00", country="US", postal_from="995", postal_to="999")

    q = ground(rule, destination=Address("US", "99501"))
    assert kinds(q) == {"remote_area": D("12.00")}
    assert "99501 is in the remote area US 995–999" in q.surcharges[0].reason
    assert kinds(ground(rule, destination=Address("US", "98101"))) == {}


def test_oversize_by_longest_side_or_by_length_plus_girth_the_larger_charge_once():
    long_side = surcharge("oversize", "25.00", longest_side_over_cm=120)
    girth = surcharge("oversize", "60.00", length_girth_over_cm=300)
    big = functools.partial(ground, divisor=100_000)  # keep these big boxes within 30 kg

    # 130 × 20 × 20: longest side over 120; length + girth 130 + 80 = 210, not over 300.
    assert kinds(big(long_side, girth, parcel=Parcel(5, 130, 20, 20))) == {"oversize": D("25.00")}
    # 110 × 50 × 50: 110 + 200 = 310 over 300; longest side under 120.
    assert kinds(big(long_side, girth, parcel=Parcel(5, 110, 50, 50))) == {"oversize": D("60.00")}
    # 130 × 50 × 50: both; only the larger applies.
    q = big(long_side, girth, parcel=Parcel(5, 130, 50, 50))
    assert kinds(q) == {"oversize": D("60.00")}
    assert len(q.surcharges) == 1
    assert kinds(big(long_side, girth, parcel=Parcel(5, 50, 40, 30))) == {}


def test_a_percentage_is_of_the_base_rate_and_declared_value_of_the_value():
    residential = surcharge("residential", "1.00", "10")  # 1.00 + 10% of base 10.00
    cover = surcharge("declared_value", "0", "1.5")  # 1.5% of 250.00

    q = ground(residential, cover, parcel=Parcel(3, declared_value="250"), destination=Address("US", "1", residential=True))

    assert kinds(q) == {"residential": D("2.00"), "declared_value": D("3.75")}


def test_a_surcharge_for_one_service_leaves_the_others_alone():
    rule = surcharge("residential", "4.50", service="express")
    home = Address("US", "10001", residential=True)

    assert kinds(ground(rule, destination=home)) == {}
    assert kinds(ground(rule, destination=home, service="tst:express")) == {"residential": D("4.50")}


def test_fuel_is_applied_last_on_base_plus_surcharges():
    # base 10.00 (3 kg) + residential 4.50 = 14.50; fuel 8.5% of 14.50 = 1.2325 -> 1.23.
    q = ground(surcharge("residential", "4.50"), parcel=Parcel(3), destination=Address("US", "1", residential=True), fuel="8.5")

    assert [c.kind for c in q.parcels[0].charges] == ["base", "residential", "fuel"]
    assert q.fuel == D("1.23")
    assert "8.5% of 14.50 (base + surcharges)" in q.parcels[0].charges[-1].reason
    assert q.price == D("15.73")


def test_the_lines_of_a_quote_add_up_to_its_price():
    rules = (surcharge("residential", "4.45", "3.3"), surcharge("declared_value", "0.99", "0.7"))
    q = ground(*rules, parcel=Parcel("2.7", 31, 27, 19, declared_value="123.45"), destination=Address("US", "1", residential=True), fuel="7.77")

    lines = [c.amount for p in q.parcels for c in p.charges]
    assert all(amount == amount.quantize(D("0.01")) for amount in lines)
    assert sum(lines) == q.price
