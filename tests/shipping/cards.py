"""Rate cards built in code for the engine's tests: no database, every number visible here."""

import datetime
from decimal import Decimal as D

from shipping.rating import CarrierCard, RateCard, RateTableCard, ServiceCard, SurchargeCard, ZoneRuleCard

BANDS = ((D("1"), D("5.00")), (D("5"), D("10.00")), (D("10"), D("20.00")))


def zone_rules(*rules: ZoneRuleCard) -> dict:
    by_country: dict[str, list] = {}
    for rule in rules:
        by_country.setdefault(rule.destination_country, []).append(rule)
    return {country: tuple(sorted(found, key=lambda r: r.precedence)) for country, found in by_country.items()}


def carrier(code="tst", *, currency="USD", surcharges=(), fuel="0", step="0.5", divisor=5000, services=None, rules=None,
            cutoff=datetime.time(16, 0), working_days=(1, 2, 3, 4, 5), holidays=(), time_zone="UTC") -> CarrierCard:
    """A carrier with zone ``us`` (US -> US), ``ground`` (3 days; 1/5/10 kg bands, 1.50 per kg
    above, max 30 kg) and ``express`` (1 day, bands 15/20/30, nothing above 10 kg)."""
    if services is None:
        services = (
            ServiceCard(code, "ground", "Ground", {"us": RateTableCard("us", 3, BANDS, D("1.50"), D("30"))}),
            ServiceCard(code, "express", "Express", {"us": RateTableCard("us", 1, ((D("1"), D("15.00")), (D("5"), D("20.00")), (D("10"), D("30.00"))))}),
        )
    return CarrierCard(
        code=code, name=code.upper(), currency=currency, services=services,
        zone_rules=rules or zone_rules(ZoneRuleCard("us", "US", "US", rule_id=1)),
        surcharges=tuple(surcharges), fuel_percent=D(fuel), weight_step_kg=D(step), dim_divisor=D(divisor),
        cutoff=cutoff, working_days=frozenset(working_days), holidays=frozenset(holidays), time_zone=time_zone,
    )


def card(*carriers: CarrierCard) -> RateCard:
    return RateCard(carriers or (carrier(),), "test")


def surcharge(kind, amount="0", percent="0", **fields) -> SurchargeCard:
    return SurchargeCard(kind=kind, label=kind, amount=D(amount), percent=D(percent), **fields)
