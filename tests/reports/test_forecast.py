"""Demand forecasts: the series read from the ledger, the classes, the choice of method, the
stored runs and the accuracy of past forecasts."""

import datetime

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from inventory.models import StockMovement
from reports.forecasting.backtest import best_methods, forecast_series, windows_for
from reports.forecasting.classify import demand_classify
from reports.forecasting.methods import MENUS, menu
from reports.forecasting.selectors import past_accuracy
from reports.forecasting.series import DemandSeries, demand_series_read, weekly
from reports.forecasting.services import forecast_run
from reports.models import ForecastPoint, ForecastRun, ForecastSeries
from reports.tasks import forecasts_nightly

from .forecast_ledger import DAY0, daily_sales, location, move, product, receive, ship

pytestmark = pytest.mark.django_db


def day(n: int) -> datetime.date:
    return DAY0 + datetime.timedelta(days=n)


# --- classes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    ([5, 6, 5, 4, 5, 6, 5, 4], "smooth"),  # demand every day, sizes alike
    ([1, 12, 2, 15, 1, 20, 3, 1], "erratic"),  # every day, sizes spread (CV² > 0.49)
    ([0, 0, 3, 0, 0, 3, 0, 4, 0, 0, 3, 0], "intermittent"),  # one day in three, sizes alike
    ([0, 0, 1, 0, 0, 25, 0, 2, 0, 0, 14, 0], "lumpy"),  # one day in three, sizes spread
])
def test_each_constructed_series_lands_in_its_syntetos_boylan_class(values, expected):
    # When a series with a known interval and spread is classed
    found = demand_classify(np.array(values, dtype=float))

    # Then it is in the class its interval (ADI, cut-off 1.32) and spread (CV², cut-off 0.49) make
    assert found.demand_class == expected
    sizes = np.array([v for v in values if v])
    assert found.adi == pytest.approx(len(values) / len(sizes))
    assert found.cv2 == pytest.approx((sizes.std() / sizes.mean()) ** 2)


def test_a_series_without_demand_has_no_class():
    assert demand_classify(np.zeros(10)) is None


def test_stockout_periods_do_not_count_in_the_class():
    # Given steady demand with a week out of stock (read as zeros it would look intermittent)
    values = np.array([4, 5, 4, 0, 0, 0, 0, 0, 0, 5, 4, 5], dtype=float)
    observed = np.array([True] * 3 + [False] * 6 + [True] * 3)

    # Then only the observed days count: smooth
    assert demand_classify(values).demand_class != "smooth"
    assert demand_classify(values, observed).demand_class == "smooth"


# --- the series from the ledger ---------------------------------------------------------------


def test_stockout_days_are_marked_and_not_read_as_zero_demand():
    # Given 10 units received on day 0, 2 shipped a day on days 1..5 (sold out at the end of day 5),
    # nothing on days 6..9, 30 received on day 10 and 2 shipped a day again on days 10..20
    mug, ber = product(), location()
    receive(mug, ber, 0, 10)
    for n in range(1, 6):
        ship(mug, ber, n, 2)
    receive(mug, ber, 10, 30, hour=9)
    for n in range(10, 21):
        ship(mug, ber, n, 2)

    # When the history up to day 20 is read
    series = {(s.location_id, s.frequency): s for s in demand_series_read(product_ids=[mug.pk], as_of=day(20), history_days=21)}
    at_location, overall = series[(ber.pk, "daily")], series[(None, "daily")]

    # Then the series starts on day 1, the first day with stock at its start (day 0 had none until
    # the receipt); day 5 (sold out), days 6..9 (nothing there) and day 10 (nothing at its start)
    # are stockouts
    assert at_location.start == day(1)
    days = [n + 1 for n in range(len(at_location.demand))]
    assert [n for n, seen in zip(days, at_location.observed) if not seen] == [5, 6, 7, 8, 9, 10]
    # and their demand is imputed from the same weekday's observed days (or what shipped, if more),
    # never the zeros the ledger shows
    assert at_location.shipped[5:9].tolist() == [0, 0, 0, 0]
    assert all(value > 0 for value in at_location.demand[5:9])
    assert at_location.demand[4] >= 2 and at_location.demand[9] >= 2
    # and the class is read from observed days only: steady, daily demand
    assert demand_classify(at_location.demand, at_location.observed).demand_class == "smooth"
    # The SKU over all locations is the same here (one location)
    assert overall.observed.tolist() == at_location.observed.tolist()


def test_demand_is_shipments_net_of_cancellations_and_returns_are_a_separate_series():
    # Given a SKU with stock, shipments, a reservation that was cancelled (released) and returns
    mug, ber = product(), location()
    receive(mug, ber, 0, 100)
    ship(mug, ber, 1, 3)
    move(mug, ber, 2, StockMovement.Kind.RESERVATION, reserved=5)
    move(mug, ber, 2, StockMovement.Kind.RELEASE, reserved=-5, hour=13)  # the order was cancelled
    move(mug, ber, 3, StockMovement.Kind.RETURN_RESTOCK, on_hand=1)
    move(mug, ber, 3, StockMovement.Kind.DAMAGE, on_hand=2, damaged=2, reason="returned, quarantine")
    move(mug, ber, 4, StockMovement.Kind.ADJUSTMENT, on_hand=-4)  # not demand either
    ship(mug, ber, 4, 2)

    series = next(s for s in demand_series_read(product_ids=[mug.pk], as_of=day(4), history_days=5) if s.location_id == ber.pk)

    # Then demand is what shipped, the cancelled order is not in it, and the returns stand apart
    assert series.start == day(1)  # day 0 began with nothing in stock
    assert series.demand.tolist() == [3, 0, 0, 2]
    assert series.returns.tolist() == [0, 0, 3, 0]
    assert series.observed.all()


def test_two_locations_make_two_series_and_their_sum_and_weeks_are_complete_iso_weeks():
    mug, ber, ham = product(), location("ber"), location("ham")
    daily_sales(mug, ber, [1] * 20)
    daily_sales(mug, ham, [2] * 20)

    found = demand_series_read(product_ids=[mug.pk], as_of=day(20), history_days=21)
    keys = sorted((s.location_id or 0, s.frequency) for s in found)
    assert keys == sorted([(ber.pk, "daily"), (ham.pk, "daily"), (0, "daily")])
    overall = next(s for s in found if s.location_id is None)
    assert overall.start == day(1) and overall.demand.tolist() == [3] * 20
    # Weeks: only complete ISO weeks, from the first Monday of the series (day 7) to the last
    # Sunday up to day 20 (day 20)
    weeks = weekly(overall, as_of=day(20))
    assert weeks.start == day(7)
    assert weeks.demand.tolist() == [21, 21]


def test_one_batch_of_skus_is_read_in_two_queries(django_assert_num_queries):
    ber = location()
    ids = []
    for n in range(5):
        item = product(f"SKU-{n}")
        daily_sales(item, ber, [n + 1] * 10)
        ids.append(item.pk)
    with django_assert_num_queries(2):
        found = demand_series_read(product_ids=ids, as_of=day(10), history_days=11)
    assert len(found) == 10


# --- the choice of method ---------------------------------------------------------------------


def _series(values, observed=None, pid=1):
    values = np.asarray(values, dtype=float)
    return DemandSeries(product_id=pid, location_id=None, frequency="daily", start=DAY0, demand=values,
                        observed=np.ones(len(values), bool) if observed is None else observed, returns=np.zeros(len(values)),
                        shipped=values)


def test_the_backtest_replaces_the_default_when_another_method_is_clearly_better(monkeypatch):
    # Given demand only late in the week, the same every week for 20 weeks, and a menu whose
    # default (its first) is the historic average, which cannot see the week's shape
    monkeypatch.setitem(MENUS, ("daily", "sparse"), ("HistoricAverage", "SeasonalNaive"))
    values = np.tile([0, 0, 0, 0, 10, 20, 30], 20)

    # When it is forecast
    [result], skipped = forecast_series([_series(values)], h=28, level=80)

    # Then the seasonal naive wins, with no error in the backtest, and the forecast repeats the week
    assert skipped == 0
    assert result.classification.demand_class == "intermittent"
    assert result.method == "SeasonalNaive"
    assert result.mase == pytest.approx(0.0) and result.bias == pytest.approx(0.0)
    assert result.windows == 4  # 140 days: a first 28 for training, then four origins of 28
    assert result.mean[:7].tolist() == pytest.approx([0, 0, 0, 0, 10, 20, 30])
    assert (result.lo <= result.mean).all() and (result.mean <= result.hi).all()


def test_the_default_stays_unless_another_method_beats_it_by_the_margin():
    # MASE of three methods on three series: the second beats the default by 1 %, 10 %, and not at all
    default = np.array([1.0, 1.0, 0.5])
    found = best_methods([default, np.array([0.99, 0.9, 0.6]), np.array([1.2, np.nan, 0.7])])
    assert found.tolist() == [0, 1, 0]


def test_the_backtest_takes_up_to_six_origins_as_history_allows():
    assert windows_for(730, "daily", 28) == 6
    assert windows_for(140, "daily", 28) == 4
    assert windows_for(55, "daily", 28) == 0  # less than a training span and a horizon: no backtest
    assert windows_for(104, "weekly", 4) == 6


def test_sparse_demand_defaults_to_sba_and_frequent_demand_to_ets():
    for frequency in ("daily", "weekly"):
        assert menu("intermittent", frequency)[0] == "CrostonSBA"
        assert menu("lumpy", frequency)[0] == "CrostonSBA"
        assert menu("smooth", frequency)[0] == "AutoETS"
        assert menu("erratic", frequency)[0] == "AutoETS"


def test_the_weekly_shape_is_forecast_by_the_chosen_method():
    values = np.tile([0, 0, 0, 0, 10, 20, 30], 20) + 30  # demand every day, sizes alike: smooth
    [result], _ = forecast_series([_series(values)], h=28, level=80)
    assert result.classification.demand_class == "smooth"
    assert result.mase < 0.05
    assert result.mean[:7] == pytest.approx([30, 30, 30, 30, 40, 50, 60], abs=0.5)


def test_the_backtest_prefers_an_average_on_noise_without_pattern():
    # Given steady noise around 10 (the last day's value or last week's tell nothing)
    values = np.random.default_rng(7).poisson(10, 200)

    [result], _ = forecast_series([_series(values)], h=28, level=80)

    # Then a naive method does not win, and the forecast sits near the level
    assert result.classification.demand_class == "smooth"
    assert result.method not in ("Naive", "SeasonalNaive")
    assert abs(result.mean.mean() - 10) < 1.5
    # and an 80 % interval around it is wider than nothing and never negative
    assert (result.hi > result.lo).all() and (result.lo >= 0).all()


def test_a_method_without_a_native_interval_gets_one_from_its_backtest_errors():
    values = np.where(np.arange(180) % 3 == 0, 4, 0)  # every third day, 4 units: intermittent
    values[::9] = 6
    [result], _ = forecast_series([_series(values)], h=28, level=80)
    assert result.classification.demand_class == "intermittent"
    if result.method in ("CrostonOptimized", "CrostonSBA", "TSB", "ADIDA", "IMAPA"):
        assert result.hi.max() > result.mean.max()


def test_a_series_too_short_to_backtest_gets_the_historic_average_and_no_mase():
    [result], _ = forecast_series([_series([3, 4, 5, 4, 3, 4, 5, 4, 3, 4])], h=28, level=80)
    assert result.method == "HistoricAverage" and result.mase is None and result.windows == 0
    assert result.mean == pytest.approx(np.full(28, 3.9))


# --- runs and storage -------------------------------------------------------------------------


def test_a_run_stores_daily_and_weekly_forecasts_per_sku_and_per_location():
    mug, ber = product(), location()
    daily_sales(mug, ber, list(np.random.default_rng(3).poisson(6, 120)))

    run = forecast_run(actor="test", as_of=day(120))

    assert run.status == ForecastRun.Status.FINISHED and run.errors == ""
    assert run.skus == 1 and run.series_count == 4 and run.failed_count == 0
    stored = {(s.location_id, s.frequency): s for s in ForecastSeries.objects.filter(run=run)}
    assert set(stored) == {(ber.pk, "daily"), (ber.pk, "weekly"), (None, "daily"), (None, "weekly")}
    daily = stored[(None, "daily")]
    assert daily.demand_class == "smooth" and daily.mase is not None and daily.windows == 3
    points = list(ForecastPoint.objects.filter(series=daily).order_by("date"))
    assert [p.date for p in points] == [day(121 + n) for n in range(28)]
    assert all(p.lo <= p.mean <= p.hi for p in points)
    weeks = list(ForecastPoint.objects.filter(series=stored[(None, "weekly")]).order_by("date"))
    # day 120 is a Tuesday: the last complete week ended on Sunday, day 118; the weeks forecast start
    # on the Monday after it
    assert [p.date for p in weeks] == [day(119 + 7 * n) for n in range(4)]


def test_the_nightly_run_of_a_day_is_made_once_and_a_selected_run_needs_known_skus():
    mug, ber = product(), location()
    daily_sales(mug, ber, [2, 3] * 30)

    first = forecast_run(actor="test", as_of=day(60))
    again = forecast_run(actor="test", as_of=day(60))
    assert again.pk == first.pk and ForecastRun.objects.count() == 1

    with pytest.raises(Exception, match="Unknown SKU"):
        forecast_run(actor="test", skus=["NOPE"], as_of=day(60))
    assert ForecastRun.objects.count() == 1
    chosen = forecast_run(actor="test", skus=["MUG"], as_of=day(60))
    assert chosen.scope == ForecastRun.Scope.SELECTED and chosen.series_count == 4


def test_the_beat_task_is_safe_to_run_twice(settings):
    mug, ber = product(), location()
    daily_sales(mug, ber, [1, 0, 2] * 30)
    first = forecasts_nightly.delay().get()
    second = forecasts_nightly.delay().get()
    assert first == second
    assert ForecastRun.objects.get().status == ForecastRun.Status.FINISHED


def test_the_command_forecasts_the_named_skus_and_refuses_bad_options(capsys):
    mug, ber = product(), location()
    daily_sales(mug, ber, [1, 2, 3] * 20)
    call_command("forecast_run", "--skus", "MUG", "--as-of", day(60).isoformat())
    assert "1 SKU(s), 4 series stored" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Unknown SKU"):
        call_command("forecast_run", "--skus", "MUG,NOPE")
    with pytest.raises(CommandError, match="--limit"):
        call_command("forecast_run", "--limit", "0")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("forecast_run", "--as-of", "yesterday")


# --- accuracy of past forecasts ---------------------------------------------------------------


def test_past_accuracy_on_a_hand_worked_case():
    # Given two earlier runs of a SKU's daily forecast, scales 0.5 and 1.0
    mug = product()
    first = ForecastRun.objects.create(as_of=day(0), horizon_days=3, level=80, status="finished")
    second = ForecastRun.objects.create(as_of=day(2), horizon_days=2, level=80, status="finished", scope="selected")
    a = ForecastSeries.objects.create(run=first, product=mug, frequency="daily", demand_class="smooth", method="AutoETS", adi=1,
                                      cv2=0, scale=0.5, history_periods=30, stockout_periods=0)
    b = ForecastSeries.objects.create(run=second, product=mug, frequency="daily", demand_class="smooth", method="TSB", adi=1,
                                      cv2=0, scale=1.0, history_periods=30, stockout_periods=0)
    for series, n, mean in ((a, 1, 2), (a, 2, 2), (a, 3, 2), (b, 3, 4), (b, 4, 4)):
        ForecastPoint.objects.create(series=series, date=day(n), mean=mean, lo=0, hi=9)
    # and what then shipped: 1 on day 1, 3 on day 2, day 3 out of stock, 2 on day 4
    actual = DemandSeries(product_id=mug.pk, location_id=None, frequency="daily", start=day(1), demand=np.array([1.0, 3, 9, 2]),
                          observed=np.array([True, True, False, True]), returns=np.zeros(4), shipped=np.array([1.0, 3, 0, 2]))

    found, mase, bias = past_accuracy(past=[a, b], points=list(ForecastPoint.objects.all()), actual=actual)

    # Then run 1: errors +1, -1 on days 1 and 2 (day 3 left out): MASE (1 + 1) / 2 / 0.5 = 2, bias 0
    assert (found[0].periods, found[0].mase, found[0].bias) == (2, pytest.approx(2.0), pytest.approx(0.0))
    # run 2: error +2 on day 4 (day 3 left out): MASE 2, bias 2
    assert (found[1].periods, found[1].mase, found[1].bias) == (1, pytest.approx(2.0), pytest.approx(2.0))
    # pooled over the three compared days (scaled errors 2, -2, 2): MASE 2, bias 2/3
    assert mase == pytest.approx(2.0) and bias == pytest.approx(2 / 3)
