"""Addresses as printed on labels and documents: each country's layout, from data shipped in the package."""

import socket

import pytest

from oms.addresses import address_lines, address_summary


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("address formatting tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_layouts_come_from_data_in_the_package_without_the_network(offline):
    lines = address_lines({"name": "Sem de Vries", "line1": "Damrak 1", "city": "Amsterdam", "postal_code": "1012 ab", "country": "NL"})

    assert lines == ["Sem de Vries", "Damrak 1", "1012 AB AMSTERDAM", "NETHERLANDS"]


def test_a_uk_address_puts_the_town_and_the_postcode_on_lines_of_their_own(offline):
    lines = address_lines({"name": "Jane Doe", "company": "Acme Ltd", "line1": "10 High Street", "city": "Manchester", "region": "England",
                           "postal_code": "M1 1AE", "country": "GB"}, origin_country="NL")

    assert lines == ["Jane Doe", "Acme Ltd", "10 High Street", "MANCHESTER", "M1 1AE", "UNITED KINGDOM"]


def test_the_country_is_named_only_when_the_parcel_crosses_a_border():
    address = {"name": "Ann Lee", "line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105", "country": "US"}

    assert address_lines(address, origin_country="US")[-1] == "SAN FRANCISCO, CA 94105"
    assert address_lines(address, origin_country="NL")[-1] == "UNITED STATES"


def test_a_country_the_data_does_not_know_still_prints_everything_given():
    lines = address_lines({"name": "X", "line1": "1 Road", "city": "Town", "postal_code": "123", "region": "North", "country": "XX"})

    assert lines == ["X", "1 Road", "123 Town", "North", "XX"]


def test_missing_parts_leave_no_stray_commas():
    assert address_lines({"name": "Y", "city": "Denver", "postal_code": "80202", "country": "US"}, origin_country="US") == ["Y", "DENVER, 80202"]
    assert address_lines(None) == []


def test_a_summary_is_one_line_without_the_street():
    summary = address_summary({"name": "Hans Meier", "line1": "Invalidenstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"})

    assert summary == "Hans Meier, 10115 BERLIN, GERMANY"
