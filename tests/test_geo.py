"""Destination coordinates and address plausibility from data shipped in a package."""

import pytest

from oms import geo


def test_a_known_city_is_located_at_the_city():
    point = geo.locate(country="US", city="Chicago")

    assert point.precision == "city"
    assert point.latitude == pytest.approx(41.85, abs=0.1)
    assert point.longitude == pytest.approx(-87.65, abs=0.1)


def test_city_names_match_without_accents_or_case():
    assert geo.locate(country="DE", city="MUNCHEN") == geo.locate(country="DE", city="München")


def test_an_unknown_city_falls_back_to_the_capital_and_an_unknown_country_to_nothing():
    point = geo.locate(country="DE", city="Nowhereville")

    assert point.precision == "country"
    assert point.latitude == pytest.approx(52.52, abs=0.1)  # Berlin
    assert geo.locate(country="ZZ", city="Anywhere") is None


@pytest.mark.parametrize(
    "country, postal_code, plausible",
    [("US", "60601", True), ("US", "ABCDE", False), ("GB", "SW1A 1AA", True), ("DE", "1234", False), ("QA", "anything", True)],
)
def test_postal_codes_are_checked_against_the_country_format(country, postal_code, plausible):
    assert geo.postal_code_plausible(country, postal_code) is plausible


def test_distances_are_great_circle_kilometres():
    new_york, los_angeles = (40.71, -74.0), (34.05, -118.24)

    assert geo.distance_km(*new_york, *los_angeles) == pytest.approx(3936, rel=0.01)
