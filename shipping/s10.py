"""UPU S10 item identifiers: 2 service indicator letters, an 8-digit serial, a check digit and
the issuing country's ISO 3166 code, e.g. ``RR473124829GB``.

The check digit (UPU S10, as in its worked example 47312482 -> 9): weigh the serial's digits
8, 6, 4, 2, 3, 5, 9, 7 from the left, sum, and take 11 - (sum mod 11); 10 becomes 0 and 11
becomes 5.
"""

import re

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
SHAPE = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


def s10_check_digit(serial: str) -> int:
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"An S10 serial is 8 digits, not {serial!r}.")
    check = 11 - sum(int(digit) * weight for digit, weight in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def s10_format(service_indicator: str, serial: int, country: str) -> str:
    """The identifier for ``serial`` (0 to 99,999,999) with its check digit."""
    if not 0 <= serial <= 99_999_999:
        raise ValueError(f"An S10 serial is 0 to 99999999, not {serial}.")
    digits = f"{serial:08d}"
    return f"{service_indicator}{digits}{s10_check_digit(digits)}{country}"


def s10_problem(number: str) -> str | None:
    """What is wrong with an S10 identifier, or ``None`` when it is valid."""
    match = SHAPE.match(number or "")
    if match is None:
        return f"{number!r} is not shaped like an S10 number: 2 capital letters, 9 digits, 2 capital letters (e.g. RR473124829GB)."
    expected = s10_check_digit(match.group(2))
    if int(match.group(3)) != expected:
        return f"{number} has check digit {match.group(3)}; the serial {match.group(2)} needs {expected}."
    return None


def s10_is_valid(number: str) -> bool:
    return s10_problem(number) is None
