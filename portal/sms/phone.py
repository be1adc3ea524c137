"""Phone numbers for SMS, in E.164 (``+`` country code and digits), from what customers typed.

A number written without its country code (``0151 2345 6789``) is read in the country the order
ships to; one written with it (``+49 151 …``, ``0049 151 …`` from a German region) stands on its
own. Numbers that cannot exist are refused with a message saying what to fix.
"""

import phonenumbers

from oms.errors import InvalidInput


def phone_e164(number: str, *, region: str = "") -> str:
    """``number`` as E.164; ``region`` (ISO 3166 alpha-2, e.g. the order's ``ship_country``) reads
    numbers written without a country code. Raises ``InvalidInput`` (field ``to``) otherwise."""
    raw = (number or "").strip()
    if not raw:
        raise InvalidInput("No phone number to send the SMS to.", fields={"to": "Give a mobile number, e.g. +4915123456789."})
    region_code = (region or "").strip().upper() or None
    try:
        parsed = phonenumbers.parse(raw, region_code)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            hint = f"{raw!r} has no country code and the order's country is unknown: write it with + and the country code."
        else:
            hint = f"{raw!r} is not a phone number: write it with + and the country code, e.g. +4915123456789."
        raise InvalidInput(hint, fields={"to": hint}) from None
    if not phonenumbers.is_valid_number(parsed):
        where = f" in {region_code}" if region_code and not raw.startswith("+") else ""
        hint = f"{raw!r} is not a valid phone number{where}: check the digits and the country code."
        raise InvalidInput(hint, fields={"to": hint})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
