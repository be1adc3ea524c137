"""Promised delivery dates: cut-off time, working days and holidays."""

import datetime
import zoneinfo

from shipping.rating import Address, Parcel, quote

from .cards import card, carrier

D = datetime.date
FRIDAY, SATURDAY, MONDAY = D(2026, 3, 6), D(2026, 3, 7), D(2026, 3, 9)


def ground(ship_at, **carrier_fields):
    # Ground takes 3 working days.
    q = quote(card(carrier(**carrier_fields)), parcels=[Parcel(1)], origin=Address("US"), destination=Address("US"), ship_at=ship_at, services=["tst:ground"])
    return q.quotes[0]


def at(day, hour, minute=0, tz=None):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def test_before_the_cut_off_it_leaves_the_same_day():
    q = ground(at(MONDAY, 15, 59))

    assert (q.collection_date, q.delivery_date) == (MONDAY, D(2026, 3, 12))


def test_after_the_cut_off_it_leaves_the_next_working_day():
    q = ground(at(MONDAY, 16, 1))

    assert (q.collection_date, q.delivery_date) == (D(2026, 3, 10), D(2026, 3, 13))
    assert "after the 16:00 cut-off" in q.collection_note


def test_friday_after_the_cut_off_leaves_on_monday_and_transit_skips_the_weekend():
    q = ground(at(FRIDAY, 18))

    assert q.collection_date == MONDAY
    assert q.delivery_date == D(2026, 3, 12)


def test_handed_over_on_a_saturday_it_leaves_on_monday():
    q = ground(at(SATURDAY, 9))

    assert q.collection_date == MONDAY
    assert "is not a working day" in q.collection_note


def test_transit_skips_the_carriers_holidays():
    # Monday collection + 3 working days: Tue, (Wed holiday), Thu, Fri.
    q = ground(MONDAY, holidays={D(2026, 3, 11)})

    assert q.delivery_date == D(2026, 3, 13)


def test_a_carrier_working_saturdays_delivers_on_saturday():
    q = ground(at(FRIDAY, 9), working_days=(1, 2, 3, 4, 5, 6))

    # Fri + 3 working days: Sat, Mon, Tue.
    assert q.delivery_date == D(2026, 3, 10)


def test_an_aware_time_is_read_in_the_carriers_time_zone():
    # 19:30 UTC is 15:30 in New York (summer time began on 8 March), before a 16:00 cut-off there.
    utc = at(MONDAY, 19, 30, tz=datetime.timezone.utc)

    assert ground(utc, time_zone="America/New_York").collection_date == MONDAY
    assert ground(utc).collection_date == D(2026, 3, 10)
    berlin = at(MONDAY, 16, 30, tz=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert ground(berlin).collection_date == MONDAY  # 15:30 UTC
