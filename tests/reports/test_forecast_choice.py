"""Demand forecasts: the method chosen by the backtest is stored and refitted on the nights its
selection is not due; it is chosen again on its SKU's night, when its class changes, when the
choice is too old or the horizon changes. The SKU's page and the API keep showing its MASE and
bias, with the day of the backtest that measured them."""

import datetime

import numpy as np
import pytest

from django.urls import reverse
from django.utils.formats import date_format

from reports.forecasting import backtest
from reports.forecasting.selection import SELECT_EVERY_DAYS, StoredChoice, selection_due
from reports.forecasting.services import forecast_run
from reports.models import ForecastChoice, ForecastPoint, ForecastSeries

from ..admin.conftest import console  # noqa: F401 (the fixture)
from .conftest import client_for  # noqa: F401 (the fixture)
from .forecast_ledger import DAY0, daily_sales, location, product

pytestmark = pytest.mark.django_db


def day(n: int) -> datetime.date:
    return DAY0 + datetime.timedelta(days=n)


def _turn(product_id: int, day_number: int) -> bool:
    return product_id % SELECT_EVERY_DAYS == day(day_number).toordinal() % SELECT_EVERY_DAYS


def _stored(**changes) -> StoredChoice:
    fields = {"demand_class": "smooth", "method": "AutoETS", "mase": 0.7, "bias": 0.1, "windows": 3, "residual_lo": 0.0,
              "residual_hi": 0.0, "horizon": 28, "level": 80, "selected_on": day(100)}
    return StoredChoice(**(fields | changes))


def _due(stored, *, product_id=1, demand_class="smooth", horizon=28, level=80, on=101) -> bool:
    return selection_due(stored=stored, product_id=product_id, demand_class=demand_class, horizon=horizon, level=level, as_of=day(on))


# --- the rule ---------------------------------------------------------------------------------


def test_a_choice_is_kept_until_its_skus_night_then_made_again():
    # Given a choice made on the SKU's night (one night in SELECT_EVERY_DAYS is its turn)
    nights = [n for n in range(101, 101 + SELECT_EVERY_DAYS) if _turn(7, n)]
    assert len(nights) == 1
    stored = _stored(selected_on=day(nights[0]))

    # Then it is kept the nights after, and made again on the SKU's next night
    assert [_due(stored, product_id=7, on=nights[0] + k) for k in range(1, SELECT_EVERY_DAYS + 1)] == [False] * (SELECT_EVERY_DAYS - 1) + [True]
    # and another SKU's turn falls on another night
    assert not _due(stored, product_id=8, on=nights[0] + SELECT_EVERY_DAYS - 1) or _turn(8, nights[0] + SELECT_EVERY_DAYS - 1)


def test_a_missing_choice_a_new_class_an_old_or_future_choice_or_another_horizon_is_chosen_again():
    not_its_night = next(n for n in range(101, 108) if not _turn(1, n))
    assert not _due(_stored(), on=not_its_night)
    assert _due(None, on=not_its_night)
    assert _due(_stored(), demand_class="erratic", on=not_its_night)
    assert _due(_stored(), horizon=35, on=not_its_night)
    assert _due(_stored(), level=95, on=not_its_night)
    assert _due(_stored(selected_on=day(not_its_night - SELECT_EVERY_DAYS)), on=not_its_night)
    assert _due(_stored(selected_on=day(not_its_night + 1)), on=not_its_night)  # a back-dated run


# --- the runs ---------------------------------------------------------------------------------


@pytest.fixture
def mug():
    item, place = product(), location()
    daily_sales(item, place, list(np.random.default_rng(3).poisson(6, 130)))
    return item


def _night_off(item, after: int) -> int:
    return next(n for n in range(after, after + SELECT_EVERY_DAYS) if not _turn(item.pk, n))


def _series(run, location_id=None, frequency="daily"):
    rows = ForecastSeries.objects.filter(run=run, frequency=frequency)
    return rows.get(location__isnull=True) if location_id is None else rows.get(location_id=location_id)


def test_the_first_run_stores_a_choice_per_series(mug):
    run = forecast_run(actor="test", as_of=day(120))

    choices = ForecastChoice.objects.filter(product=mug)
    assert choices.count() == 4  # daily and weekly, all locations and the one location
    daily = choices.get(frequency="daily", location__isnull=True)
    stored = _series(run)
    assert (daily.method, daily.mase, daily.bias, daily.windows) == (stored.method, stored.mase, stored.bias, stored.windows)
    assert daily.selected_on == stored.selected_on == day(120)
    assert (daily.horizon, daily.level, daily.demand_class) == (28, 80, "smooth")


def test_on_a_night_not_due_the_stored_method_is_refitted_without_a_backtest(mug, monkeypatch):
    forecast_run(actor="test", as_of=day(120))
    # Given a stored choice a backtest would not make (a method and figures of its own)
    ForecastChoice.objects.filter(product=mug, frequency="daily", location__isnull=True).update(
        method="HistoricAverage", mase=0.123, bias=-0.045)

    # When the next night that is not the SKU's runs, with backtests made impossible
    def no_backtest(*args, **kwargs):
        raise AssertionError("backtested on a night not due")

    monkeypatch.setattr(backtest, "cross_validate", no_backtest)
    night = _night_off(mug, 121)
    run = forecast_run(actor="test", as_of=day(night))

    # Then every series is forecast from its stored choice, which keeps its backtest's figures and day
    assert run.errors == "" and run.series_count == 4
    daily = _series(run)
    assert (daily.method, daily.mase, daily.bias, daily.selected_on) == ("HistoricAverage", 0.123, -0.045, day(120))
    points = list(ForecastPoint.objects.filter(series=daily).order_by("date"))
    assert points[0].date == day(night + 1)
    assert len({round(p.mean, 6) for p in points}) == 1  # the historic average: one level, refitted on the new history
    assert ForecastChoice.objects.get(product=mug, frequency="daily", location__isnull=True).method == "HistoricAverage"


def test_a_series_whose_class_changed_is_chosen_again(mug):
    forecast_run(actor="test", as_of=day(120))
    ForecastChoice.objects.filter(product=mug, frequency="daily", location__isnull=True).update(demand_class="lumpy",
                                                                                               method="HistoricAverage")
    night = _night_off(mug, 121)

    run = forecast_run(actor="test", as_of=day(night))

    daily = _series(run)
    assert daily.selected_on == day(night) and daily.demand_class == "smooth"
    choice = ForecastChoice.objects.get(product=mug, frequency="daily", location__isnull=True)
    assert (choice.demand_class, choice.selected_on, choice.method) == ("smooth", day(night), daily.method)
    # the series whose class stayed keep their choice of the first night
    assert _series(run, frequency="weekly").selected_on == day(120)
    assert ForecastChoice.objects.filter(product=mug).count() == 4


def test_on_its_skus_night_every_series_of_the_sku_is_chosen_again(mug):
    forecast_run(actor="test", as_of=day(120))
    night = next(n for n in range(121, 121 + SELECT_EVERY_DAYS) if _turn(mug.pk, n))

    run = forecast_run(actor="test", as_of=day(night))

    assert {s.selected_on for s in ForecastSeries.objects.filter(run=run)} == {day(night)}
    assert set(ForecastChoice.objects.filter(product=mug).values_list("selected_on", flat=True)) == {day(night)}


def test_a_stored_method_without_a_native_interval_keeps_its_backtest_error_quantiles(mug):
    forecast_run(actor="test", as_of=day(120))
    ForecastChoice.objects.filter(product=mug, frequency="daily", location__isnull=True).update(
        method="TSB", residual_lo=-1.5, residual_hi=2.5)

    run = forecast_run(actor="test", as_of=day(_night_off(mug, 121)))

    points = ForecastPoint.objects.filter(series=_series(run))
    assert _series(run).method == "TSB"
    for point in points:
        assert point.lo == pytest.approx(max(point.mean - 1.5, 0.0), abs=1e-3)
        assert point.hi == pytest.approx(point.mean + 2.5, abs=1e-3)


def test_the_api_and_the_page_show_the_backtest_of_a_kept_choice(mug, console, client_for):  # noqa: F811
    forecast_run(actor="test", as_of=day(120))
    ForecastChoice.objects.filter(product=mug, frequency="daily", location__isnull=True).update(mase=0.321, bias=0.054)
    forecast_run(actor="test", as_of=day(_night_off(mug, 121)))

    answer = client_for("reports:read").get("/api/v1/reports/forecasts/MUG/").json()
    assert (answer["backtest_mase"], answer["backtest_bias"], answer["backtest_on"]) == (0.321, 0.054, day(120).isoformat())
    page = console("Operations manager").get(reverse("admin:reports_forecast_sku", args=[mug.pk])).content.decode()
    assert "<dd>0.321</dd>" in page and "<dd>0.054</dd>" in page
    assert f"by the backtest of the history up to {date_format(day(120))}" in page


def test_a_stored_method_the_menus_no_longer_offer_is_chosen_again(mug):
    forecast_run(actor="test", as_of=day(120))
    ForecastChoice.objects.filter(product=mug, frequency="daily", location__isnull=True).update(method="RetiredModel")
    night = _night_off(mug, 121)

    run = forecast_run(actor="test", as_of=day(night))

    assert run.errors == "" and run.series_count == 4
    assert _series(run).selected_on == day(night) and _series(run).method != "RetiredModel"
