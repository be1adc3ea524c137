"""ABC classes by value shipped over the trailing window, on a hand-built history."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.abc import Tolerance, abc_classify, abc_rank, count_tolerances
from inventory.models import AbcRun, Product
from oms.errors import InvalidInput

from .counts_support import ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(stocked):
    """Value shipped (units x cost, price without a cost): P1 500, P2 300, P3 100, P4 60, P5 40; P6 nothing."""
    stocked("P1", 100, cost=Decimal("10.00"))  # 50 shipped x 10 = 500
    stocked("P2", 100, cost=Decimal("30.00"))  # 10 x 30 = 300
    stocked("P3", 100, cost=None, price=Decimal("5.00"))  # 20 x price 5 = 100
    stocked("P4", 100, cost=Decimal("6.00"))  # 10 x 6 = 60
    stocked("P5", 100, cost=Decimal("4.00"))  # 10 x 4 = 40
    stocked("P6", 100, cost=Decimal("99.00"))  # never shipped
    for sku, units in (("P1", 50), ("P2", 10), ("P3", 20), ("P4", 10), ("P5", 10)):
        ship(sku, "chicago", units)


def classes() -> dict[str, str]:
    return dict(Product.objects.values_list("sku", "abc_class"))


def test_classes_follow_the_cumulative_share_of_value_shipped(history, settings):
    settings.OMS_ABC_THRESHOLDS = {"A": 80, "B": 95}
    # Shares before each product: P1 0%, P2 50%, P3 80%, P4 90%, P5 96% of 1,000.
    run = abc_classify(actor="job:beat")
    assert classes() == {"P1": "A", "P2": "A", "P3": "B", "P4": "B", "P5": "C", "P6": "C"}
    assert (run.products_a, run.products_b, run.products_c) == (2, 2, 2)
    assert run.actor_label == "job:beat" and run.window_days == 90
    assert sorted(run.changes) == [["P1", "C", "A"], ["P2", "C", "A"], ["P3", "C", "B"], ["P4", "C", "B"]]
    assert Product.objects.filter(abc_classified_at=run.ran_at).count() == 6


def test_a_second_run_changes_nothing_and_says_so(history):
    abc_classify(actor="job:beat")
    again = abc_classify(actor="job:beat")
    assert again.changed == 0 and again.changes == []


def test_movement_outside_the_window_does_not_count(history):
    abc_classify(actor="test")
    later = timezone.now() + datetime.timedelta(days=91)  # every shipment is now older than 90 days
    run = abc_classify(actor="test", now=later)
    assert set(classes().values()) == {"C"}
    assert run.changed == 4


def test_thresholds_are_configurable(history, settings):
    settings.OMS_ABC_THRESHOLDS = {"A": 50, "B": 90}
    abc_classify(actor="test")
    assert classes() == {"P1": "A", "P2": "B", "P3": "B", "P4": "C", "P5": "C", "P6": "C"}


def test_rank_breaks_ties_by_id_and_needs_no_history():
    assert abc_rank({}, threshold_a=Decimal(80), threshold_b=Decimal(95)) == {}
    assert abc_rank({2: Decimal(1), 1: Decimal(1)}, threshold_a=Decimal(50), threshold_b=Decimal(95)) == {1: "A", 2: "B"}


@pytest.mark.parametrize("value", [{"A": 90, "B": 80}, {"A": 80}, {"A": "x", "B": 95}, [80, 95]])
def test_bad_thresholds_are_refused_with_what_to_fix(history, settings, value):
    settings.OMS_ABC_THRESHOLDS = value
    with pytest.raises(InvalidInput, match="OMS_ABC_THRESHOLDS"):
        abc_classify(actor="test")
    assert not AbcRun.objects.exists()


def test_tolerance_by_units_or_percent(settings):
    settings.OMS_COUNT_TOLERANCE = {"A": {"units": 0, "percent": 0}, "B": {"units": 1, "percent": 2}, "C": {"units": 2, "percent": 5}}
    tolerance = count_tolerances()
    assert tolerance["A"] == Tolerance(units=0, percent=Decimal(0))
    assert not tolerance["A"].admits(variance=-1, expected=1000)
    assert tolerance["B"].admits(variance=-1, expected=3)
    assert tolerance["B"].admits(variance=4, expected=200)  # 2% of 200
    assert not tolerance["B"].admits(variance=5, expected=200)
    settings.OMS_COUNT_TOLERANCE = {"A": {"units": -1}, "B": {}, "C": {}}
    with pytest.raises(InvalidInput, match="OMS_COUNT_TOLERANCE"):
        count_tolerances()


def test_the_command_classifies_and_reports(history, capsys):
    call_command("abc_classify")
    assert "A 2, B 2, C 2" in capsys.readouterr().out
    assert AbcRun.objects.get().actor_label == "command:abc_classify"
