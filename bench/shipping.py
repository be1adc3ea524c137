"""Shipping quote benchmark: the engine on its rate card snapshot against per-quote database lookups.

On a throw-away PostgreSQL database (``oms_bench_shipping``; ``BENCH_DATABASE_URL`` points
elsewhere): the demo carriers plus a bench carrier, so a US parcel has 10 services to price
(OMS Post's 4, the bench carrier's 6; EuroParcel has no US lanes and is skipped at once).

1. Engine: 10,000 parcels (random weights, boxes, US destinations, half residential) quoted
   with ``shipping.rating.quote`` over every service: quotes per second, queries (none).
2. Baseline, same run: the naive way, the ORM per quote (zone rules, the band, the table and
   the surcharges read for each service of each parcel), on a sample of the parcels; it prices
   base + surcharges + fuel the same way, and the totals are checked equal to the engine's.
3. ``parcel_cost_estimate`` (routing's cost term): estimates per second; and the cost of
   loading the rate card and of checking its version.

    .venv/bin/python bench/shipping.py [--parcels 10000] [--baseline-parcels 300] [--rounds 3] [--seed 7]
"""

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import intake  # noqa: E402  (the bench database helpers)

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_shipping")


def _django_setup():
    intake._django_setup(BENCH_URL)


def recreate_database():
    intake.recreate_database(BENCH_URL)


def seed():
    from django.core.management import call_command

    from shipping.demo import demo_shipping_seed
    from shipping.models import Carrier, RateBand, RateTable, ServiceLevel, Surcharge, Zone, ZoneRule

    call_command("migrate", verbosity=0)
    demo_shipping_seed()
    # A bench carrier with 6 services and 8 US zones by destination ZIP prefix, plus Alaska/Hawaii.
    carrier = Carrier.objects.create(code="bench", name="Bench Parcel", currency="USD", fuel_surcharge_percent=Decimal("7.25"), weight_step_kg=Decimal("1"))
    zones = []
    for i, (low, high) in enumerate([("000", "149"), ("150", "299"), ("300", "399"), ("400", "549"), ("550", "699"), ("700", "799"), ("800", "899"), ("900", "999")]):
        zone = Zone.objects.create(carrier=carrier, code=f"z{i + 2}", name=f"Zone {i + 2}")
        ZoneRule.objects.create(zone=zone, origin_country="US", destination_country="US", postal_from=low, postal_to=high)
        zones.append(zone)
    remote = Zone.objects.create(carrier=carrier, code="remote", name="Alaska and Hawaii")
    ZoneRule.objects.create(zone=remote, origin_country="US", destination_country="US", postal_from="995", postal_to="999")
    ZoneRule.objects.create(zone=remote, origin_country="US", destination_country="US", postal_from="967", postal_to="968")
    zones.append(remote)
    edges = [Decimal(e) for e in ("0.5", "1", "2", "3", "5", "7", "10", "15", "20", "30", "40", "50")]
    for s, (code, days) in enumerate([("ground", 5), ("3day", 3), ("2day", 2), ("express", 1), ("overnight", 1), ("economy", 7)]):
        service = ServiceLevel.objects.create(carrier=carrier, code=code, name=code.title())
        for z, zone in enumerate(zones):
            table = RateTable.objects.create(service=service, zone=zone, transit_days=days + z // 4, per_kg_above_last=Decimal("1.80") + s, max_weight_kg=Decimal("68"))
            RateBand.objects.bulk_create(
                RateBand(table=table, up_to_kg=edge, price=(Decimal("4.10") + Decimal("1.7") * s + Decimal("0.6") * z) * (1 + edge / 8)) for edge in edges
            )
    Surcharge.objects.bulk_create([
        Surcharge(carrier=carrier, kind="residential", amount=Decimal("5.10")),
        Surcharge(carrier=carrier, kind="remote_area", amount=Decimal("14.00"), country="US", postal_from="995", postal_to="999"),
        Surcharge(carrier=carrier, kind="oversize", amount=Decimal("30.00"), longest_side_over_cm=120),
        Surcharge(carrier=carrier, kind="oversize", amount=Decimal("75.00"), length_girth_over_cm=300),
    ])


def make_parcels(rng: random.Random, count: int):
    from shipping.rating import Address, Parcel

    origin = Address("US", "08837")
    work = []
    for _ in range(count):
        weight = Decimal(rng.choice(("0.3", "0.8", "1.4", "2.2", "4.5", "7", "12", "24"))) + Decimal(rng.randint(0, 99)) / 100
        dims = [rng.choice((15, 20, 30, 40, 60, 90, 130)) for _ in range(3)]
        postal = f"{rng.randint(0, 999):03d}{rng.randint(0, 99):02d}"
        work.append((Parcel(weight, *dims, declared_value=Decimal(rng.choice((0, 0, 50, 400)))), origin, Address("US", postal, residential=rng.random() < 0.5)))
    return work


def engine_run(card, work, ship_at):
    from shipping.rating import quote

    results = []
    for parcel, origin, destination in work:
        results.append(quote(card, parcels=[parcel], origin=origin, destination=destination, ship_at=ship_at))
    return results


def orm_baseline(work):
    """Per (parcel, service): zone rules, the rate table, the band and the surcharges from the ORM."""
    from shipping.models import Carrier, RateBand, RateTable, Surcharge, ZoneRule
    from shipping.rating import HUNDRED, billable_weight, postal_in_range
    from shipping.selectors import rate_card
    from oms.money import quantize

    prices = []
    card = rate_card()  # only for billable_weight's carrier settings, read from the same rows
    for parcel, origin, destination in work:
        per_parcel = {}
        for carrier in Carrier.objects.filter(active=True):
            rules = [r for r in ZoneRule.objects.filter(zone__carrier=carrier, destination_country=destination.country).select_related("zone")
                     if (not r.origin_country or r.origin_country == origin.country)
                     and (not r.origin_postal_from or postal_in_range(origin.postal_code, r.origin_postal_from, r.origin_postal_to))
                     and (not r.postal_from or postal_in_range(destination.postal_code, r.postal_from, r.postal_to))]
            if not rules:
                continue

            def width(low, high):
                return (int(high, 36) - int(low, 36)) * 36 ** (10 - len(low)) if low else 0

            rules.sort(key=lambda r: (0 if r.postal_from else 1, width(r.postal_from, r.postal_to),
                                      0 if r.origin_postal_from else 1, width(r.origin_postal_from, r.origin_postal_to),
                                      0 if r.origin_country else 1, r.pk))
            zone = rules[0].zone
            _, billable = billable_weight(card.carrier(carrier.code), parcel)
            for service in carrier.services.filter(active=True):
                table = RateTable.objects.filter(service=service, zone=zone).first()
                if table is None or (table.max_weight_kg is not None and billable > table.max_weight_kg):
                    continue
                band = RateBand.objects.filter(table=table, up_to_kg__gte=billable).order_by("up_to_kg").first()
                if band is not None:
                    base = band.price
                else:
                    last = RateBand.objects.filter(table=table).order_by("-up_to_kg").first()
                    if last is None or table.per_kg_above_last is None:
                        continue
                    base = last.price + (billable - last.up_to_kg).to_integral_value(rounding="ROUND_CEILING") * table.per_kg_above_last
                base = quantize(base, carrier.currency)
                best = {}
                for s in Surcharge.objects.filter(carrier=carrier).order_by("id"):
                    if s.service_id and s.service_id != service.pk:
                        continue
                    applies = (
                        (s.kind == "residential" and destination.residential)
                        or (s.kind == "remote_area" and destination.country == s.country and postal_in_range(destination.postal_code, s.postal_from, s.postal_to))
                        or (s.kind == "oversize" and ((s.longest_side_over_cm is not None and parcel.longest_side_cm > s.longest_side_over_cm)
                                                      or (s.length_girth_over_cm is not None and parcel.length_girth_cm > s.length_girth_over_cm)))
                        or (s.kind == "declared_value" and parcel.declared_value > 0)
                    )
                    if applies:
                        of = parcel.declared_value if s.kind == "declared_value" else base
                        amount = quantize(s.amount + of * s.percent / HUNDRED, carrier.currency)
                        best[s.kind] = max(best.get(s.kind, amount), amount)
                subtotal = base + sum(best.values(), Decimal(0))
                fuel = quantize(subtotal * carrier.fuel_surcharge_percent / HUNDRED, carrier.currency)
                per_parcel[f"{carrier.code}:{service.code}"] = subtotal + fuel
        prices.append(per_parcel)
    return prices


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--baseline-parcels", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    recreate_database()
    _django_setup()
    seed()

    import datetime

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from shipping.rating import parcel_cost_estimate
    from shipping.selectors import rate_card, rate_card_forget, rate_card_load, rate_card_version

    rng = random.Random(args.seed)
    work = make_parcels(rng, args.parcels)
    ship_at = datetime.datetime(2026, 3, 2, 12, 0)

    load_times, check_times = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        rate_card_load(version=rate_card_version())
        load_times.append(time.perf_counter() - started)
        rate_card_forget()
        rate_card()
        started = time.perf_counter()
        for _ in range(100):
            rate_card()
        check_times.append((time.perf_counter() - started) / 100)
    card = rate_card()
    services = sum(1 for c in card.carriers for s in c.services if c.code != "europarcel")

    engine_times = []
    for _ in range(args.rounds):
        with CaptureQueriesContext(connection) as engine_queries:
            started = time.perf_counter()
            results = engine_run(card, work, ship_at)
            engine_times.append(time.perf_counter() - started)
    quotes = sum(len(r.quotes) for r in results)
    refused = sum(1 for r in results for u in r.unavailable if not u.key.startswith("europarcel"))

    sample = work[: args.baseline_parcels]
    baseline_times = []
    for _ in range(args.rounds):
        reset_queries()
        with CaptureQueriesContext(connection) as baseline_queries:
            started = time.perf_counter()
            baseline_prices = orm_baseline(sample)
            baseline_times.append(time.perf_counter() - started)
    baseline_quotes = sum(len(p) for p in baseline_prices)
    agree = all({q.key: q.price for q in r.quotes} == p for r, p in zip(results, baseline_prices, strict=False))

    estimate_times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for parcel, origin, destination in work:
            parcel_cost_estimate(card, origin_country=origin.country, destination_country=destination.country,
                                 destination_postal_code=destination.postal_code, weight_kg=parcel.weight_kg)
        estimate_times.append(time.perf_counter() - started)

    engine, baseline, estimate = statistics.median(engine_times), statistics.median(baseline_times), statistics.median(estimate_times)
    engine_rate, baseline_rate = quotes / engine, baseline_quotes / baseline
    print(f"Shipping quotes: {args.parcels:,} US parcels × {services} services (median of {args.rounds} rounds; PostgreSQL {BENCH_URL.rsplit('/', 1)[1]})")
    print(f"   rate card: load {statistics.median(load_times) * 1000:,.1f} ms (7 queries), version check {statistics.median(check_times) * 1e6:,.0f} µs (1 query)")
    print(f"1. engine:    {engine_rate:>10,.0f} service quotes/s  ({args.parcels / engine:,.0f} parcels/s, {engine * 1e6 / args.parcels:,.0f} µs per parcel; "
          f"{quotes:,} quotes, {refused:,} over a maximum weight; {len(engine_queries)} queries)")
    print(f"2. baseline:  {baseline_rate:>10,.0f} service quotes/s  (ORM per quote, {len(sample):,} parcels: "
          f"{len(baseline_queries) / max(baseline_quotes, 1):.1f} queries per quote)")
    print(f"   engine / baseline speed: {engine_rate / baseline_rate:,.0f}×   same prices on the sample: {'yes' if agree else 'NO'}")
    print(f"3. parcel_cost_estimate: {args.parcels / estimate:>10,.0f} estimates/s (cheapest of {services} services, one parcel, no dates)")
    target = "MET" if engine_rate >= 10_000 else "MISSED"
    print(f"   target >= 10,000 service quotes/s: {target}")


if __name__ == "__main__":
    main()
