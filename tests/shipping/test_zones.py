"""Zones: the most specific rule that matches decides the zone (and so the price)."""

import datetime
from decimal import Decimal as D

import pytest

from oms.errors import InvalidInput
from shipping.rating import Address, Parcel, RateTableCard, ServiceCard, ZoneRuleCard, quote

from .cards import card, carrier, zone_rules

MONDAY = datetime.date(2026, 3, 2)


def flat(price):
    return ((D("30"), D(price)),)


@pytest.fixture
def zoned():
    """Zones priced 1 (country), 2 (postal 900-961), 3 (postal 94000-94199), 4 (from DE only)."""
    rules = zone_rules(
        ZoneRuleCard("country", "", "US", rule_id=1),
        ZoneRuleCard("west", "", "US", "900", "961", rule_id=2),
        ZoneRuleCard("bay", "", "US", "94000", "94199", rule_id=3),
        ZoneRuleCard("from-de", "DE", "US", rule_id=4),
        ZoneRuleCard("from-de-west", "DE", "US", "900", "961", rule_id=5),
    )
    tables = {zone: RateTableCard(zone, 2, flat(str(price))) for price, zone in enumerate(("country", "west", "bay", "from-de", "from-de-west"), 1)}
    return card(carrier(services=(ServiceCard("tst", "ground", "Ground", tables),), rules=rules))


def zone_of(rate_card, origin, destination_country, postal=""):
    quotes = quote(rate_card, parcels=[Parcel(1)], origin=Address(origin), destination=Address(destination_country, postal), ship_at=MONDAY)
    return quotes.quotes[0].zone if quotes.quotes else None


def test_a_postal_range_beats_the_whole_country(zoned):
    assert zone_of(zoned, "US", "US", "10001") == "country"
    assert zone_of(zoned, "US", "US", "90210") == "west"


def test_the_narrower_postal_range_wins(zoned):
    assert zone_of(zoned, "US", "US", "94105") == "bay"
    assert zone_of(zoned, "US", "US", "94205") == "west"


def test_a_named_origin_beats_any_origin_but_not_a_postal_range(zoned):
    assert zone_of(zoned, "DE", "US", "10001") == "from-de"
    assert zone_of(zoned, "DE", "US", "90210") == "from-de-west"
    # The 5-digit range is narrower than the 3-digit one, whatever the origin.
    assert zone_of(zoned, "DE", "US", "94105") == "bay"


def test_postal_codes_compare_without_spaces_dashes_or_case(zoned):
    assert zone_of(zoned, "US", "US", "94105-1234") == "bay"
    assert zone_of(zoned, "US", "US", " 941 05 ") == "bay"


def test_a_postal_code_shorter_than_the_range_does_not_match_it(zoned):
    assert zone_of(zoned, "US", "US", "94") == "country"


def test_no_zone_means_the_service_is_unavailable_with_the_reason(zoned):
    quotes = quote(zoned, parcels=[Parcel(1)], origin=Address("US"), destination=Address("FR", "75001"), ship_at=MONDAY)

    assert quotes.quotes == ()
    assert quotes.unavailable[0].key == "tst:ground"
    assert "no zone of tst covers US → FR 75001" in quotes.unavailable[0].reason


def test_bad_addresses_and_parcels_are_refused_with_what_to_fix():
    with pytest.raises(InvalidInput, match="two-letter ISO country code"):
        Address("USA")
    with pytest.raises(InvalidInput, match="weight_kg must be greater than 0"):
        Parcel(0)
    with pytest.raises(InvalidInput, match="must be a number"):
        Parcel("heavy")
    with pytest.raises(InvalidInput, match="at least one parcel"):
        quote(card(), parcels=[], origin=Address("US"), destination=Address("US"), ship_at=MONDAY)


@pytest.fixture
def by_origin():
    """Zones by where the parcel starts: East (ZIP 000-399) to West (800-994) is "cross", the
    same from any origin is "us"; a rule for the whole country from East origins is "east"."""
    rules = zone_rules(
        ZoneRuleCard("us", "US", "US", rule_id=1),
        ZoneRuleCard("cross", "US", "US", "800", "994", 2, "000", "399"),
        ZoneRuleCard("east", "US", "US", rule_id=3, origin_postal_from="000", origin_postal_to="399"),
    )
    tables = {zone: RateTableCard(zone, 2, flat(str(price))) for price, zone in enumerate(("us", "cross", "east"), 1)}
    return card(carrier(services=(ServiceCard("tst", "ground", "Ground", tables),), rules=rules))


def zone_from(rate_card, origin_postal, destination_postal):
    quotes = quote(rate_card, parcels=[Parcel(1)], origin=Address("US", origin_postal), destination=Address("US", destination_postal), ship_at=MONDAY)
    return quotes.quotes[0].zone


def test_an_origin_postal_range_picks_the_zone_for_parcels_starting_there(by_origin):
    assert zone_from(by_origin, "08837", "90001") == "cross"  # New Jersey to Los Angeles
    assert zone_from(by_origin, "89502", "90001") == "us"  # Reno to Los Angeles: not from the East
    assert zone_from(by_origin, "", "90001") == "us"  # an origin without a postal code matches no range


def test_a_destination_range_still_beats_an_origin_range(by_origin):
    # "east" names an origin range but the whole destination country; "cross" names a destination range.
    assert zone_from(by_origin, "08837", "90001") == "cross"
    assert zone_from(by_origin, "08837", "10001") == "east"


def test_the_explanation_names_the_origin_range(by_origin):
    quotes = quote(by_origin, parcels=[Parcel(1)], origin=Address("US", "08837"), destination=Address("US", "90001"), ship_at=MONDAY)

    assert quotes.quotes[0].zone_rule == "US postal 000–399 → US postal 800–994"


def test_ranges_spanning_several_first_characters_match_every_code_in_them():
    rules = zone_rules(ZoneRuleCard("wide", "", "GB", "A", "M", 1), ZoneRuleCard("rest", "", "GB", rule_id=2))
    tables = {zone: RateTableCard(zone, 2, flat("1")) for zone in ("wide", "rest")}
    rate_card = card(carrier(services=(ServiceCard("tst", "ground", "Ground", tables),), rules=rules))

    zones = [quote(rate_card, parcels=[Parcel(1)], origin=Address("US"), destination=Address("GB", postal), ship_at=MONDAY).quotes[0].zone
             for postal in ("AB1 2CD", "G1 1AA", "M1 1AE", "N1 9GU", "SW1A 1AA")]
    assert zones == ["wide", "wide", "wide", "rest", "rest"]


@pytest.mark.django_db
def test_an_origin_postal_range_needs_both_ends_and_its_origin_country():
    from django.core.exceptions import ValidationError

    from shipping.models import Carrier, Zone, ZoneRule

    zone = Zone.objects.create(carrier=Carrier.objects.create(code="z", name="Z", currency="USD"), code="z", name="Z")
    with pytest.raises(ValidationError) as missing_end:
        ZoneRule(zone=zone, origin_country="US", origin_postal_from="100", destination_country="US").full_clean()
    with pytest.raises(ValidationError) as no_country:
        ZoneRule(zone=zone, origin_postal_from="100", origin_postal_to="149", destination_country="US").full_clean()

    assert "origin_postal_to" in missing_end.value.message_dict
    assert no_country.value.message_dict["origin_country"] == ["An origin postal range needs the origin country it belongs to."]
