"""Demand forecasts: accuracy of the per-series choice against seasonal naive and against every
single method, and the time of the nightly run for 10,000 SKUs.

    .venv/bin/python bench/forecast.py              # all three parts
    .venv/bin/python bench/forecast.py --skip-scale # accuracy only
    .venv/bin/python bench/forecast.py --reuse      # the demo and the 10,000-SKU ledger of the last run
    .venv/bin/python bench/forecast.py --skip-synthetic --skip-scale --reuse   # only (b), finishing the demo's seeding

(a) Synthetic series from ``bench/demand_processes.py`` (smooth seasonal, trend, erratic,
intermittent, lumpy), 730 days, several seeds. (b) The demo's own history: the demo seeded into a
throw-away PostgreSQL database (``oms_forecast_bench``; ``BENCH_FORECAST_DATABASE_URL`` to point
elsewhere) and read from its ledger the way the nightly job reads it (per SKU, all locations,
stockout days left out); ``--orders`` sizes it and ``--demo-seed`` draws another merchant's history.

Accuracy is measured out of sample with nested rolling origins: every method is backtested on nine
origins a horizon apart (one statsforecast ``cross_validation`` call per seed). For each of the
last three origins ("test"), the choice is made as the nightly job makes it, from the series'
class and the MASE of its menu's methods on the six origins before (the nightly job's
``MAX_WINDOWS``), and then scored on the test
window it never saw; every fixed method is scored on the same windows. MASE is scaled by the
series' mean absolute one-step change before the first origin; the aggregate is the mean over
series and test windows. Targets: the choice beats seasonal naive by at least 10 % and is never
more than 2 % worse than the best single method. For (b) it also prints how sparse the demo's
series are, the MASE of a forecast of 0 every day (not a method: on series that sell on fewer
than half of their days it is the absolute-error optimum, which is why the naives, mostly 0,
lead there) and the figures per class.

(c) Time: a ledger of ``--skus`` SKUs (default 10,000; ``SCALE<n>-`` SKUs, one set per size, as
the ledger is append-only) x 365 days of synthetic demand at one location written into the bench
database (COPY), then ``forecast_run`` on all of them twice: a first night with no stored
choices (every series backtested: ledger reads, classification, backtests, refits, daily and
weekly, per SKU and per SKU x location, i.e. 4 series a SKU, and the bulk inserts), then the
next night, which refits the stored choices and backtests only the SKUs whose turn it is (about
one in seven, ``reports.forecasting.selection``). Each with wall time and CPU seconds (this
process and statsforecast's worker processes), which a loaded machine disturbs less.

Not a timed test: it prints figures for a person to read.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demand_processes import KINDS, demand_portfolio  # noqa: E402
from demo.report import SEED  # noqa: E402

URL = os.environ.get("BENCH_FORECAST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_forecast_bench")
SELECT_WINDOWS = 6  # the nightly job's origins, reports.forecasting.backtest.MAX_WINDOWS (main checks)
TEST_WINDOWS = 3


def nested(values: list[np.ndarray], observed: list[np.ndarray], *, h: int, frequency: str = "daily", zero: bool = False) -> dict:
    """Per series and test window: the test MASE of every method and of the choice."""
    from reports.forecasting.backtest import actuals, best_methods, cross_validate, naive_scale, window_scores
    from reports.forecasting.classify import demand_classify
    from reports.forecasting.methods import all_methods, menu

    names = all_methods(frequency)
    total = SELECT_WINDOWS + TEST_WINDOWS
    forecasts = cross_validate(values, names, frequency=frequency, h=h, windows=total, n_jobs=os.cpu_count() or 1)
    y, seen = actuals(values, observed, h=h, windows=total)
    scales = np.array([naive_scale(v[: len(v) - h * total], o[: len(o) - h * total]) for v, o in zip(values, observed)])
    mase = {name: window_scores(forecasts[name], y, seen, scales)[0] for name in names}  # (series, windows)
    squared_scales = np.array([squared_scale(v[: len(v) - h * total], o[: len(o) - h * total]) for v, o in zip(values, observed)])
    rmsse = {name: window_rmsse(forecasts[name], y, seen, squared_scales) for name in names}
    scores = {name: [] for name in (*names, "choice")}
    squared = {name: [] for name in (*names, "choice")}
    classes = []
    for test in range(SELECT_WINDOWS, total):
        origin_end = [len(v) - h * (total - test) for v in values]
        chosen = []
        for i, (v, o) in enumerate(zip(values, observed)):
            found = demand_classify(v[: origin_end[i]], o[: origin_end[i]])
            demand_class = found.demand_class if found else "lumpy"
            candidates = menu(demand_class, frequency)
            window_means = [np.array([np.nanmean(mase[name][i, test - SELECT_WINDOWS: test])]) for name in candidates]
            chosen.append(candidates[int(best_methods(window_means)[0])])
            classes.append(demand_class)
        for name in names:
            scores[name].append(mase[name][:, test])
            squared[name].append(rmsse[name][:, test])
        scores["choice"].append(np.array([mase[chosen[i]][i, test] for i in range(len(values))]))
        squared["choice"].append(np.array([rmsse[chosen[i]][i, test] for i in range(len(values))]))
    found = {name: np.stack(rows, axis=1) for name, rows in scores.items()} | {"_classes": classes}
    found["_rmsse"] = {name: np.stack(rows, axis=1) for name, rows in squared.items()}
    if zero:  # the test MASE of forecasting nothing, to show what MAE rewards on sparse series
        found["_zero"] = window_scores(np.zeros_like(forecasts[names[0]]), y, seen, scales)[0][:, SELECT_WINDOWS:]
        found["_zero_rmsse"] = window_rmsse(np.zeros_like(forecasts[names[0]]), y, seen, squared_scales)[:, SELECT_WINDOWS:]
    return found


def squared_scale(values: np.ndarray, observed: np.ndarray) -> float:
    """Mean squared one-step change over pairs of observed periods (RMSSE's scale; 1.0 when none)."""
    both = observed[1:] & observed[:-1]
    if both.any():
        scale = float((np.diff(values)[both] ** 2).mean())
        if scale > 0:
            return scale
    return 1.0


def window_rmsse(forecasts: np.ndarray, y: np.ndarray, seen: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Per series and window: root mean squared scaled error over the observed periods (the M5
    competition's accuracy measure: its optimum is the mean, where MASE's is the median)."""
    count = seen.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mse = np.where(seen, (forecasts - y) ** 2, 0.0).sum(axis=2) / count
    return np.sqrt(mse / scales[:, None])


def aggregate(scores: dict, rows=None) -> dict[str, float]:
    return {name: float(np.nanmean(table if rows is None else table[rows])) for name, table in scores.items() if not name.startswith("_")}


def report_rmsse(per_seed: list[dict], baseline: str) -> None:
    """The same windows scored by RMSSE, whose optimum is the mean the planning needs."""
    names = [n for n in per_seed[0] if n != "choice"]
    best = [min(names, key=lambda n: s[n]) for s in per_seed]
    vs_baseline = [100 * (1 - s["choice"] / s[baseline]) for s in per_seed]
    vs_best = [100 * (s["choice"] / min(s[n] for n in names) - 1) for s in per_seed]
    ranked = sorted(names, key=lambda n: np.mean([s[n] for s in per_seed]))
    print(f"  RMSSE (same windows, same choice): choice {np.mean([s['choice'] for s in per_seed]):.3f}, {baseline} "
          f"{np.mean([s[baseline] for s in per_seed]):.3f}: {np.mean(vs_baseline):.1f} % better on average, {min(vs_baseline):.1f} % in the worst seed; "
          f"vs the best single ({', '.join(sorted(set(best)))}) {np.mean(vs_best):+.1f} % (worst {max(vs_best):+.1f} %); ranking "
          + ", ".join(f"{n} {np.mean([s[n] for s in per_seed]):.3f}" for n in ranked[:4]))


def report(title: str, per_seed: list[dict], baseline: str) -> None:
    names = [n for n in per_seed[0] if n != "choice"]
    print(f"\n{title}")
    print(f"  {'method':<24}{'mean MASE':>11}{'worst seed':>12}")
    for name in sorted(names, key=lambda n: np.mean([s[n] for s in per_seed])) + ["choice"]:
        values = [s[name] for s in per_seed]
        print(f"  {('per-series choice' if name == 'choice' else name):<24}{np.mean(values):>11.3f}{max(values):>12.3f}")
    vs_baseline = [100 * (1 - s["choice"] / s[baseline]) for s in per_seed]
    vs_best = [100 * (s["choice"] / min(s[n] for n in names) - 1) for s in per_seed]
    best = [min(names, key=lambda n: s[n]) for s in per_seed]
    print(f"  choice vs {baseline}: {np.mean(vs_baseline):.1f} % better on average, {min(vs_baseline):.1f} % in the worst seed (target >= 10 %)")
    print(f"  choice vs the best single method ({', '.join(sorted(set(best)))}): {np.mean(vs_best):+.1f} % on average, "
          f"{max(vs_best):+.1f} % in the worst seed (target <= +2 %)")


def synthetic(seeds: list[int], per_kind: int, days: int, h: int) -> None:
    per_seed, squared_per_seed, by_kind = [], [], {kind: [] for kind in KINDS}
    started = time.monotonic()
    for seed in seeds:
        portfolio = demand_portfolio(per_kind * len(KINDS), days, seed=seed)
        values = [s.values.astype(float) for s in portfolio]
        scores = nested(values, [np.ones(days, bool)] * len(values), h=h)
        squared_per_seed.append(aggregate(scores.pop("_rmsse")))
        per_seed.append(aggregate(scores))
        kinds = np.array([s.kind for s in portfolio])
        for kind in KINDS:
            by_kind[kind].append(aggregate(scores, rows=kinds == kind))
    print(f"(a) synthetic: {len(seeds)} seeds x {per_kind * len(KINDS)} series ({per_kind} of each kind), {days} days, "
          f"horizon {h} days, {SELECT_WINDOWS} selection + {TEST_WINDOWS} test origins ({time.monotonic() - started:.0f} s)")
    report("  all kinds", per_seed, "SeasonalNaive")
    report_rmsse(squared_per_seed, "SeasonalNaive")
    for kind in KINDS:
        rows = by_kind[kind]
        print(f"  {kind:<16} choice {np.mean([r['choice'] for r in rows]):.3f}  seasonal naive {np.mean([r['SeasonalNaive'] for r in rows]):.3f}  "
              f"best single {min(np.mean([r[n] for r in rows]) for n in rows[0] if n != 'choice'):.3f}")


def _django(url: str):
    from intake import _django_setup

    _django_setup(url)


def _recreate(url: str):
    from intake import recreate_database

    recreate_database(url)


def demo_history(h: int, orders: int, seed: int) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from inventory.models import Product
    from reports.forecasting.series import demand_series_read

    # Seeding is idempotent: on a reused database it adds what an interrupted run left out.
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    from demo.seed import demo_seed

    demo_seed(orders=orders, seed=seed, progress=False)
    print(f"\n(b) demo seeded (seed {seed}): {orders} orders over 90 days in {time.monotonic() - started:.0f} s", flush=True)
    ids = list(Product.objects.exclude(sku__startswith="SCALE").order_by("pk").values_list("pk", flat=True))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    series = [s for s in demand_series_read(product_ids=ids, as_of=yesterday, history_days=120) if s.location_id is None]
    need = 28 + h * (SELECT_WINDOWS + TEST_WINDOWS)
    usable = [s for s in series if len(s.demand) >= need and s.observed[-h * TEST_WINDOWS:].any() and s.demand.sum() > 0]
    values = [s.demand[-need:] for s in usable]
    observed = [s.observed[-need:] for s in usable]
    scores = nested(values, observed, h=h, zero=True)
    classes = scores["_classes"]
    counts = {c: classes.count(c) // TEST_WINDOWS for c in sorted(set(classes))}
    share = np.array([(v[o] > 0).mean() for v, o in zip(values, observed)])
    rate = np.array([v[o].mean() for v, o in zip(values, observed)])
    print(f"(b) demo history: {len(usable)} of {len(series)} SKUs with {need} days of history and demand "
          f"(classes {counts}), horizon {h} days (90 days of history hold no {SELECT_WINDOWS + TEST_WINDOWS} origins of 28)")
    print(f"    days with demand: median {np.median(share):.1%} of a SKU's days (10th-90th percentile {np.quantile(share, 0.1):.1%}-"
          f"{np.quantile(share, 0.9):.1%}); units a day: median {np.median(rate):.2f}; stockout days {1 - np.mean(observed):.1%}")
    zero = scores.pop("_zero")
    squared = scores.pop("_rmsse")
    report("  demo SKUs", [aggregate(scores)], "SeasonalNaive")
    report_rmsse([aggregate(squared)], "SeasonalNaive")
    print(f"  a forecast of 0 every day (not a method, the MAE optimum of sparse demand): MASE {np.nanmean(zero):.3f}, "
          f"RMSSE {np.nanmean(scores.pop('_zero_rmsse')):.3f}")
    last = np.array(classes[-len(usable):])
    for demand_class in sorted(set(last)):
        rows = aggregate(scores, rows=last == demand_class)
        singles = sorted((v, n) for n, v in rows.items() if n != "choice")
        print(f"  {demand_class:<13} ({int((last == demand_class).sum())}) choice {rows['choice']:.3f}  seasonal naive {rows['SeasonalNaive']:.3f}  "
              f"zero {np.nanmean(zero[last == demand_class]):.3f}  best single {singles[0][1]} {singles[0][0]:.3f}, then "
              + ", ".join(f"{n} {v:.3f}" for v, n in singles[1:4]))


def scale(skus: int, days: int, reuse: bool) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from inventory.models import Location, Product, StockMovement
    from reports.forecasting.services import forecast_run
    from reports.models import ForecastChoice, ForecastPoint, ForecastRun, ForecastSeries

    call_command("migrate", verbosity=0)  # run alone (--skip-demo), nothing else has migrated
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    first = yesterday - datetime.timedelta(days=days - 1)
    prefix = f"SCALE{skus}-"  # the ledger is append-only: each size has SKUs of its own
    if not (reuse and Product.objects.filter(sku__startswith=prefix).count() == skus):
        started = time.monotonic()
        place, _ = Location.objects.get_or_create(code="scale-wh", defaults={"name": "Scale warehouse", "country": "DE"})
        Product.objects.bulk_create([Product(sku=f"{prefix}{n:05d}", name=f"Scale {n}", price="1.00", currency="EUR") for n in range(skus)],
                                    batch_size=2000, ignore_conflicts=True)
        ids = list(Product.objects.filter(sku__startswith=prefix).order_by("sku").values_list("pk", flat=True))
        portfolio = demand_portfolio(skus, days, seed=11)
        table = StockMovement._meta.db_table
        opening = datetime.datetime.combine(first - datetime.timedelta(days=1), datetime.time(6), tzinfo=datetime.UTC)
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} (kind, product_id, location_id, on_hand_delta, reserved_delta, incoming_delta, damaged_delta, "
                             "safety_stock_delta, reference, reason, actor_label, created_at) FROM STDIN") as copy:
                for pid, series in zip(ids, portfolio):
                    copy.write_row(("receipt", pid, place.pk, int(series.values.sum()) + 10, 0, 0, 0, 0, "bench", "", "bench", opening))
                    for d in np.flatnonzero(series.values):
                        moment = datetime.datetime.combine(first + datetime.timedelta(days=int(d)), datetime.time(12), tzinfo=datetime.UTC)
                        q = int(series.values[d])
                        copy.write_row(("shipment", pid, place.pk, -q, 0, 0, 0, 0, "bench", "", "bench", moment))
        print(f"\n(c) ledger written: {skus} SKUs x {days} days, {StockMovement.objects.filter(reference='bench').count()} movements "
              f"in {time.monotonic() - started:.0f} s")
    ForecastRun.objects.all().delete()
    ForecastChoice.objects.all().delete()
    from django.conf import settings

    settings.OMS_FORECAST_HISTORY_DAYS = days
    skus_named = list(Product.objects.filter(sku__startswith=prefix).values_list("sku", flat=True))
    # Night 1 has no stored choices (every series is backtested); night 2 refits them and
    # backtests only the SKUs whose turn it is (about one in SELECT_EVERY_DAYS).
    for night, as_of in (("first night (every series selected)", yesterday - datetime.timedelta(days=1)),
                         ("next night (stored choices)", yesterday)):
        cpu, started = _cpu_seconds(), time.monotonic()
        run = forecast_run(actor="bench", skus=skus_named, as_of=as_of)
        elapsed, used = time.monotonic() - started, _cpu_seconds() - cpu
        backtested = ForecastSeries.objects.filter(run=run, selected_on=as_of).count()
        print(f"(c) {night}: forecast_run over {run.skus} SKUs ({days} days of history, {os.cpu_count()} cores): wall {elapsed:.0f} s, "
              f"CPU {used:.0f} s ({1000 * used / run.skus:.1f} CPU-ms a SKU, so {used * 10000 / run.skus / 60:.1f} CPU-min for 10,000 SKUs), "
              f"{run.series_count} series stored ({backtested} backtested), {ForecastPoint.objects.filter(series__run=run).count()} points, "
              f"{run.skipped_count} skipped, {run.failed_count} failed{', errors: ' + run.errors[:200] if run.errors else ''}")
    print(f"    methods chosen (daily, per SKU): "
          f"{dict(sorted(_count(ForecastSeries.objects.filter(run=run, frequency='daily', location__isnull=True)).items(), key=lambda kv: -kv[1]))}")


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (statsforecast's worker processes)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _count(rows):
    from django.db.models import Count

    return dict(rows.values_list("method").annotate(n=Count("id")).order_by())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="Seeds of the synthetic portfolios (default 1,2,3,4,5).")
    parser.add_argument("--per-kind", type=int, default=40, help="Synthetic series of each kind per seed (default 40).")
    parser.add_argument("--orders", type=int, default=3000, help="Orders of the demo (default 3000).")
    parser.add_argument("--demo-seed", type=int, default=SEED, help=f"Seed of the demo's history (default {SEED}, the demo's own).")
    parser.add_argument("--skus", type=int, default=10000, help="SKUs of the scale part (default 10000).")
    parser.add_argument("--reuse", action="store_true", help="Keep the bench database of the last run.")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    if not args.reuse:
        _recreate(URL)
    _django(URL)
    from reports.forecasting.backtest import MAX_WINDOWS

    assert SELECT_WINDOWS == MAX_WINDOWS, "the bench must choose on as many origins as the nightly job"
    if not args.skip_synthetic:
        synthetic([int(s) for s in args.seeds.split(",")], args.per_kind, 730, 28)
    if not args.skip_demo:
        demo_history(7, args.orders, args.demo_seed)
    if not args.skip_scale:
        scale(args.skus, 365, args.reuse)


if __name__ == "__main__":
    main()
