"""Demo carriers with realistic rate cards, for the demo command (idempotent: what is missing is
added, by code, so a demo database seeded before a lane was added gets it on the next run)."""

import datetime
from decimal import Decimal

from django.db import transaction

from .models import Carrier, DeliveryKind, RateBand, RateTable, ServiceLevel, Surcharge, Zone, ZoneRule
from .selectors import rate_card_forget

EU = ("AT", "BE", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PL", "PT", "SE")
US_HOLIDAYS = ["2026-01-01", "2026-05-25", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25", "2027-01-01"]
EU_HOLIDAYS = ["2026-04-03", "2026-04-06", "2026-04-27", "2026-05-14", "2026-10-03", "2026-12-25", "2026-12-26", "2027-01-01"]

# Band edges (kg) and, per service and zone: transit days, the prices of the bands, per kg above.
US_EDGES = ("0.5", "1", "2", "5", "10", "20", "30")
EU_EDGES = ("1", "2", "5", "10", "20", "31.5")
# Services that leave the parcel at a pickup point: never chosen for delivery to the door.
PICKUP_SERVICES = {"pickup_point"}

OMS_POST = {
    "carrier": dict(
        code="oms-post", name="OMS Post", currency="USD", dim_divisor=5000, weight_step_kg=Decimal("0.5"),
        fuel_surcharge_percent=Decimal("8.5"), time_zone="America/New_York", cutoff_time=datetime.time(17, 0),
        working_days="12345", holidays=US_HOLIDAYS, s10_service_indicator="CP", s10_country="US",
    ),
    "services": {"ground": "Ground", "express": "Express (2 days)", "overnight": "Overnight", "pickup_point": "Pickup point"},
    "zones": {
        "us": ("Contiguous US", [("US", "US", "", "")]),
        "us-remote": ("Alaska and Hawaii", [("US", "US", "995", "999"), ("US", "US", "967", "968")]),
        # Coast to coast: from the East (ZIP 000–399) to the West (800–994) and back.
        "us-cross": ("Coast to coast", [("US", "US", "800", "994", "000", "399"), ("US", "US", "000", "399", "800", "994")]),
        "eu": ("Europe", [("US", country, "", "") for country in EU]),
        "gb": ("United Kingdom", [("US", "GB", "", "")]),
    },
    "edges": US_EDGES,
    "rates": {
        ("ground", "us"): (4, ("5.40", "6.10", "7.35", "9.80", "14.20", "22.50", "31.00"), "1.05", "70"),
        ("ground", "us-cross"): (6, ("7.10", "8.20", "10.40", "14.60", "21.90", "35.00", "48.50"), "1.60", "70"),
        ("express", "us-cross"): (3, ("13.90", "15.80", "19.40", "27.20", "39.80", "64.00", "89.00"), "2.95", "70"),
        ("overnight", "us-cross"): (1, ("29.50", "33.00", "39.90", "54.50", "79.00", "127.00", "176.00"), "5.60", "70"),
        ("pickup_point", "us-cross"): (7, ("5.20", "6.00", "7.50", "10.60", None, None, None), None, "10"),
        ("ground", "us-remote"): (7, ("9.90", "11.40", "14.10", "19.80", "29.50", "46.00", "64.00"), "2.10", "70"),
        ("ground", "eu"): (8, ("19.50", "23.00", "29.50", "44.00", "68.00", "105.00", "139.00"), "4.20", "30"),
        ("express", "us"): (2, ("9.95", "11.20", "13.60", "18.90", "27.40", "44.00", "61.00"), "2.05", "70"),
        ("express", "us-remote"): (4, ("18.50", "21.00", "25.80", "36.00", "52.00", "84.00", "118.00"), "3.90", "70"),
        ("express", "eu"): (4, ("34.00", "39.50", "48.00", "69.00", "104.00", "160.00", "215.00"), "6.50", "30"),
        ("ground", "gb"): (7, ("18.50", "22.00", "28.50", "42.00", "65.00", "101.00", "134.00"), "4.00", "30"),
        ("express", "gb"): (3, ("32.00", "37.50", "46.00", "66.00", "99.00", "152.00", "205.00"), "6.20", "30"),
        ("overnight", "us"): (1, ("21.50", "24.00", "28.90", "39.50", "57.00", "92.00", "128.00"), "4.10", "70"),
        ("overnight", "us-remote"): (2, ("38.00", "42.50", "51.00", "70.00", "101.00", "162.00", None), None, "20"),
        ("pickup_point", "us"): (5, ("3.90", "4.50", "5.60", "7.90", None, None, None), None, "10"),
    },
    "surcharges": [
        dict(kind="residential", amount=Decimal("4.50")),
        dict(kind="remote_area", amount=Decimal("12.00"), country="US", postal_from="995", postal_to="999"),
        dict(kind="remote_area", amount=Decimal("12.00"), country="US", postal_from="967", postal_to="968"),
        dict(kind="oversize", amount=Decimal("25.00"), longest_side_over_cm=120),
        dict(kind="oversize", amount=Decimal("60.00"), length_girth_over_cm=300),
        dict(kind="declared_value", percent=Decimal("1.0")),
    ],
}

EUROPARCEL = {
    "carrier": dict(
        code="europarcel", name="EuroParcel", currency="EUR", dim_divisor=6000, weight_step_kg=Decimal("1"),
        fuel_surcharge_percent=Decimal("6"), time_zone="Europe/Berlin", cutoff_time=datetime.time(18, 0),
        working_days="123456", holidays=EU_HOLIDAYS, s10_service_indicator="CE", s10_country="NL",
    ),
    "services": {"standard": "Standard", "express": "Express", "pickup_point": "Parcel shop"},
    "zones": {
        "domestic": ("Domestic", [("NL", "NL", "", ""), ("DE", "DE", "", "")]),
        "eu-1": ("Neighbours", [("NL", "DE", "", ""), ("NL", "BE", "", ""), ("NL", "LU", "", ""), ("DE", "NL", "", ""),
                                ("DE", "AT", "", ""), ("DE", "DK", "", ""), ("DE", "PL", "", ""), ("DE", "FR", "", "")]),
        "eu-2": ("Rest of the EU", [("", country, "", "") for country in EU]),
        "gb": ("United Kingdom", [("", "GB", "", "")]),
    },
    "edges": EU_EDGES,
    "rates": {
        ("standard", "domestic"): (1, ("4.95", "5.45", "6.45", "8.95", "13.95", "18.95"), None, None),
        ("standard", "eu-1"): (2, ("8.50", "9.50", "11.90", "15.90", "23.90", "31.90"), None, None),
        ("standard", "eu-2"): (4, ("12.50", "14.00", "17.50", "23.50", "35.00", "47.00"), None, None),
        ("express", "domestic"): (1, ("9.90", "10.90", "12.90", "16.90", "24.90", "32.90"), None, None),
        ("express", "eu-1"): (1, ("17.90", "19.90", "23.90", "31.90", "45.90", "59.90"), None, None),
        ("express", "eu-2"): (2, ("24.90", "27.90", "33.90", "44.90", "64.90", "84.90"), None, None),
        ("pickup_point", "domestic"): (2, ("3.95", "4.45", "5.45", "7.45", None, None), None, None),
        ("pickup_point", "eu-1"): (3, ("6.95", "7.95", "9.95", "12.95", None, None), None, None),
        # Across the Channel: customs paperwork makes it slower and dearer than the EU.
        ("standard", "gb"): (4, ("14.50", "16.50", "20.50", "27.50", "41.00", "55.00"), None, None),
        ("express", "gb"): (2, ("27.90", "30.90", "37.90", "49.90", "72.90", "94.90"), None, None),
    },
    "surcharges": [
        dict(kind="oversize", amount=Decimal("15.00"), longest_side_over_cm=120),
        dict(kind="oversize", amount=Decimal("35.00"), length_girth_over_cm=300),
        dict(kind="declared_value", amount=Decimal("1.50"), percent=Decimal("0.5")),
    ],
}


def demo_shipping_seed() -> int:
    """Create the demo carriers, and the services, zones and rate tables of theirs that do not
    exist yet; returns how many carriers were created."""
    created = sum(_carrier_complete(spec) for spec in (OMS_POST, EUROPARCEL))
    rate_card_forget()
    return created


@transaction.atomic
def _carrier_complete(spec: dict) -> bool:
    """What ``spec`` describes that the database lacks, by code; True when the carrier was new."""
    carrier, created = Carrier.objects.get_or_create(code=spec["carrier"]["code"], defaults=spec["carrier"])
    services = {service.code: service for service in ServiceLevel.objects.filter(carrier=carrier)}
    for code, name in spec["services"].items():
        if code not in services:
            kind = DeliveryKind.PICKUP_POINT if code in PICKUP_SERVICES else DeliveryKind.HOME
            services[code] = ServiceLevel.objects.create(carrier=carrier, code=code, name=name, delivery_kind=kind)
    zones = {zone.code: zone for zone in Zone.objects.filter(carrier=carrier)}
    for code, (name, rules) in spec["zones"].items():
        if code in zones:
            continue
        zones[code] = zone = Zone.objects.create(carrier=carrier, code=code, name=name)
        ZoneRule.objects.bulk_create(
            ZoneRule(
                zone=zone, origin_country=origin, destination_country=destination, postal_from=low, postal_to=high,
                origin_postal_from=origin_range[0] if origin_range else "", origin_postal_to=origin_range[1] if origin_range else "",
            )
            for origin, destination, low, high, *origin_range in rules
        )
    priced = set(RateTable.objects.filter(service__carrier=carrier).values_list("service__code", "zone__code"))
    for (service, zone), (days, prices, per_kg, max_kg) in spec["rates"].items():
        if (service, zone) in priced:
            continue
        table = RateTable.objects.create(
            service=services[service], zone=zones[zone], transit_days=days,
            per_kg_above_last=Decimal(per_kg) if per_kg else None, max_weight_kg=Decimal(max_kg) if max_kg else None,
        )
        RateBand.objects.bulk_create(
            RateBand(table=table, up_to_kg=Decimal(edge), price=Decimal(price)) for edge, price in zip(spec["edges"], prices, strict=True) if price
        )
    if created:
        Surcharge.objects.bulk_create(Surcharge(carrier=carrier, **fields) for fields in spec["surcharges"])
    return created
