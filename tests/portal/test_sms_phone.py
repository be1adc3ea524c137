"""Phone numbers for SMS in E.164, read in the order's country when typed without a country code."""

import pytest

from oms.errors import InvalidInput
from portal.sms.phone import phone_e164


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("+49 151 23456789", "", "+4915123456789"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("0151/234 567 89", "de", "+4915123456789"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("0049 151 23456789", "DE", "+4915123456789"),
        ("+44 7400 123456", "DE", "+447400123456"),  # a country code wins over the order's country
        (" +4915123456789 ", "", "+4915123456789"),
    ],
)
def test_given_a_number_as_customers_type_it_then_it_becomes_e164(typed, region, e164):
    assert phone_e164(typed, region=region) == e164


def test_given_no_country_code_and_no_region_then_it_says_to_add_one():
    with pytest.raises(InvalidInput) as refused:
        phone_e164("0151 23456789")
    assert "country code" in refused.value.message and "to" in refused.value.fields


@pytest.mark.parametrize("typed", ["not a number", "+49 12", "+1 555 0100 999999999"])
def test_given_something_that_cannot_be_a_number_then_it_is_refused_with_what_to_fix(typed):
    with pytest.raises(InvalidInput) as refused:
        phone_e164(typed, region="DE")
    assert typed in refused.value.message


def test_given_an_empty_number_then_it_is_refused():
    with pytest.raises(InvalidInput) as refused:
        phone_e164("  ", region="DE")
    assert refused.value.fields == {"to": "Give a mobile number, e.g. +4915123456789."}


def test_given_a_number_invalid_in_the_orders_country_then_the_country_is_named():
    with pytest.raises(InvalidInput) as refused:
        phone_e164("0000 1234", region="DE")
    assert "in DE" in refused.value.message
