"""Reads: the rate card snapshot the quoting engine works on.

:func:`rate_card` keeps the snapshot in the process with a version: for every rate card table,
how many rows it has and when the latest was saved. Asking for the card costs that one small
query; the rows are read again (7 queries) only when the version changed, so a save in the
admin of any process is seen by every process on its next call. Hot loops take the card once
and pass it to ``shipping.rating``, which never queries.
"""

import datetime
import threading
import time
from decimal import Decimal

from django.db import connection

from .carriers import carrier_tracking_url
from .models import Carrier, RateBand, RateTable, ServiceLevel, Shipment, Surcharge, TrackingEvent, Zone, ZoneRule
from .rating import CarrierCard, RateCard, RateTableCard, ServiceCard, SurchargeCard, ZoneRuleCard

VERSIONED = (Carrier, ServiceLevel, Zone, ZoneRule, RateTable, RateBand, Surcharge)


class _Memo:
    card: RateCard | None = None
    checked_at: float = 0.0


_memo = _Memo()
_loading = threading.Lock()


def rate_card_version() -> str:
    """Row count and latest save of every rate card table, in one query."""
    columns = ", ".join(f"(SELECT COUNT(*) FROM {m._meta.db_table}), (SELECT MAX(updated_at) FROM {m._meta.db_table})" for m in VERSIONED)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return ":".join(str(value) for value in cursor.fetchone())


def rate_card(*, max_age_seconds: float = 0.0) -> RateCard:
    """The active carriers' rate cards, read again only when they changed.

    ``max_age_seconds`` > 0 skips even the version query while the card was checked that
    recently (for callers that accept rates a few seconds old)."""
    card = _memo.card
    now = time.monotonic()
    if card is not None and max_age_seconds and now - _memo.checked_at < max_age_seconds:
        return card
    version = rate_card_version()
    if card is None or card.version != version:
        with _loading:
            card = rate_card_load(version=version)
            _memo.card = card
    _memo.checked_at = now
    return card


def rate_card_forget() -> None:
    """Drop this process's snapshot (the admin calls it after a save; tests start clean)."""
    _memo.card, _memo.checked_at = None, 0.0


def rate_card_load(*, version: str = "") -> RateCard:
    """Read every active carrier's rate card from the database (7 queries)."""
    # The merchant's own carriers (manual shipments) have no rates: they are never quoted.
    carriers = list(Carrier.objects.filter(active=True).exclude(adapter=Carrier.Adapter.MANUAL))
    ids = [c.pk for c in carriers]
    services = list(ServiceLevel.objects.filter(carrier_id__in=ids, active=True))
    zones = {z.pk: z for z in Zone.objects.filter(carrier_id__in=ids)}
    rules = list(ZoneRule.objects.filter(zone_id__in=zones))
    tables = list(RateTable.objects.filter(service__in=services))
    bands: dict[int, list] = {}
    for band in RateBand.objects.filter(table__in=tables).order_by("up_to_kg"):
        bands.setdefault(band.table_id, []).append((band.up_to_kg, band.price))
    surcharges = list(Surcharge.objects.filter(carrier_id__in=ids).order_by("id"))
    service_codes = {s.pk: s.code for s in services}
    service_carriers = {s.pk: s.carrier_id for s in services}

    tables_by_service: dict[int, dict[str, RateTableCard]] = {}
    for table in tables:
        zone = zones[table.zone_id]
        if zone.carrier_id != service_carriers[table.service_id]:
            continue  # a table pairing one carrier's service with another's zone prices nothing
        tables_by_service.setdefault(table.service_id, {})[zone.code] = RateTableCard(
            zone=zone.code, transit_days=table.transit_days, bands=tuple(bands.get(table.pk, ())),
            per_kg_above_last=table.per_kg_above_last, max_weight_kg=table.max_weight_kg,
        )
    cards = []
    for carrier in carriers:
        zone_rules: dict[str, list[ZoneRuleCard]] = {}
        for rule in rules:
            zone = zones[rule.zone_id]
            if zone.carrier_id == carrier.pk:
                zone_rules.setdefault(rule.destination_country, []).append(
                    ZoneRuleCard(
                        zone.code, rule.origin_country, rule.destination_country, rule.postal_from, rule.postal_to, rule.pk,
                        rule.origin_postal_from, rule.origin_postal_to,
                    )
                )
        cards.append(
            CarrierCard(
                code=carrier.code, name=carrier.name, currency=carrier.currency, adapter=carrier.adapter,
                services=tuple(
                    ServiceCard(carrier.code, s.code, s.name, tables_by_service.get(s.pk, {}), s.delivery_kind)
                    for s in sorted(services, key=lambda s: s.code) if s.carrier_id == carrier.pk
                ),
                zone_rules={country: tuple(sorted(found, key=lambda r: r.precedence)) for country, found in zone_rules.items()},
                surcharges=tuple(
                    SurchargeCard(
                        kind=s.kind, label=s.get_kind_display(), amount=s.amount, percent=s.percent,
                        service=service_codes.get(s.service_id, "") if s.service_id else "",
                        country=s.country, postal_from=s.postal_from, postal_to=s.postal_to,
                        longest_side_over_cm=s.longest_side_over_cm, length_girth_over_cm=s.length_girth_over_cm,
                    )
                    for s in surcharges if s.carrier_id == carrier.pk and (s.service_id is None or s.service_id in service_codes)
                ),
                dim_divisor=Decimal(carrier.dim_divisor), weight_step_kg=carrier.weight_step_kg, fuel_percent=carrier.fuel_surcharge_percent,
                time_zone=carrier.time_zone, cutoff=carrier.cutoff_time,
                working_days=frozenset(int(day) for day in carrier.working_days),
                holidays=frozenset(datetime.date.fromisoformat(str(day)) for day in carrier.holidays or ()),
            )
        )
    return RateCard(tuple(cards), version)


def shipments_with_latest_event(shipment_ids: list[int]) -> list[Shipment]:
    """These shipments with carrier and service, each with ``latest_event`` (its newest tracking
    event, or None) and ``tracking_url`` (the carrier's public page, or ""): two queries."""
    shipments = list(Shipment.objects.filter(pk__in=shipment_ids).select_related("carrier", "service").defer("label_pdf").order_by("pk"))
    latest = {}
    # Newest first, so the first event seen for a shipment is its latest.
    for event in TrackingEvent.objects.filter(shipment_id__in=[s.pk for s in shipments]).order_by("shipment_id", "-occurred_at", "-id"):
        latest.setdefault(event.shipment_id, event)
    for shipment in shipments:
        shipment.latest_event = latest.get(shipment.pk)
        shipment.tracking_url = carrier_tracking_url(shipment.carrier.adapter, shipment.tracking_number)
    return shipments
