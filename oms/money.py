"""Money is Decimal in an ISO-4217 currency, quantized to that currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Active ISO-4217 codes. Minor units default to 2; the exceptions are listed below.
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG
    """.split()
)
_MINOR_UNITS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}

MAX_DIGITS = 14
DECIMAL_PLACES = 3  # storage precision: enough for every currency's minor unit
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)  # every amount a money column holds is below this


def is_currency(code: str) -> bool:
    return code in CURRENCIES


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def quantize(amount, currency: str) -> Decimal:
    """Round ``amount`` half-up to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def money_text(amount, currency: str) -> str:
    """An amount as people read it: rounded to the currency's minor unit, then the code ("0.00 USD")."""
    return f"{quantize(amount, currency)} {currency}"


def parse_amount(value) -> Decimal:
    """A Decimal from a string or number; floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return amount


def validate_currency(value: str) -> None:
    """Model/form validator: an active ISO 4217 code."""
    from django.core.exceptions import ValidationError

    if not is_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR).", code="invalid_currency")
