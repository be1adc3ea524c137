"""Billable weight (actual vs dimensional, rounded up to the step) and the weight band edges."""

import datetime
from decimal import Decimal as D

import pytest

from shipping.rating import Address, Parcel, billable_weight, quote

from .cards import card, carrier

MONDAY = datetime.date(2026, 3, 2)


def ground(parcel: Parcel, **carrier_fields):
    quotes = quote(card(carrier(**carrier_fields)), parcels=[parcel], origin=Address("US"), destination=Address("US"), ship_at=MONDAY, services=["tst:ground"])
    return quotes.quotes[0] if quotes.quotes else quotes.unavailable[0]


def test_a_light_bulky_parcel_bills_its_dimensional_weight():
    # 40 × 30 × 20 cm = 24,000 cm³ / 5000 = 4.8 kg, far above its 1 kg.
    q = ground(Parcel(1, 40, 30, 20))

    rating = q.parcels[0]
    assert (rating.dimensional_kg, rating.billable_kg) == (D("4.800"), D("5.000"))
    assert q.base == D("10.00")  # the up-to-5-kg band, not the 1 kg one


def test_a_heavy_small_parcel_bills_its_actual_weight():
    q = ground(Parcel("7.2", 10, 10, 10))

    assert q.parcels[0].dimensional_kg == D("0.200")
    assert q.parcels[0].billable_kg == D("7.500")


def test_the_divisor_is_the_carriers():
    assert billable_weight(carrier(divisor=6000), Parcel(1, 40, 30, 20)) == (D("4.000"), D("4.000"))


@pytest.mark.parametrize(
    ("weight", "step", "billable"),
    [("2.0", "0.5", "2.000"), ("2.01", "0.5", "2.500"), ("2.01", "1", "3.000"), ("0.1", "0.5", "0.500"), ("4.999", "1", "5.000")],
)
def test_billable_weight_is_rounded_up_to_the_carriers_step(weight, step, billable):
    assert billable_weight(carrier(step=step), Parcel(weight))[1] == D(billable)


@pytest.mark.parametrize(("weight", "base"), [("1", "5.00"), ("1.01", "10.00"), ("5", "10.00"), ("5.2", "20.00"), ("10", "20.00")])
def test_a_band_includes_its_upper_edge(weight, base):
    assert ground(Parcel(weight)).base == D(base)


def test_above_the_last_band_each_started_kilogram_costs_extra():
    # 12.3 kg bills as 12.5 kg: 2.5 kg above the 10 kg band = 3 started kg × 1.50.
    q = ground(Parcel("12.3"))

    assert q.base == D("24.50")
    assert "+ 3 kg × 1.50" in q.explanation()["parcels"][0]["band"]


def test_over_the_maximum_weight_there_is_no_service():
    refused = ground(Parcel("30.1"))

    assert refused.key == "tst:ground"
    assert "30.500 kg is over the 30 kg maximum" in refused.reason


def test_without_a_price_above_the_last_band_heavier_parcels_get_no_service():
    quotes = quote(card(), parcels=[Parcel("10.2")], origin=Address("US"), destination=Address("US"), ship_at=MONDAY)

    assert [q.key for q in quotes] == ["tst:ground"]
    assert quotes.unavailable[0].key == "tst:express"
    assert "over the last band (10 kg)" in quotes.unavailable[0].reason


def test_several_parcels_are_each_rated_and_summed():
    q = quote(card(), parcels=[Parcel(1), Parcel(3)], origin=Address("US"), destination=Address("US"), ship_at=MONDAY).get("tst:ground")

    assert [p.billable_kg for p in q.parcels] == [D("1.000"), D("3.000")]
    assert q.price == D("15.00")
    assert q.billable_weight_kg == D("4.000")
