"""Inventory accuracy and count corrections on a small hand-built count history; the answers are
worked out here."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.counts import LineCount, cycle_count_approve, cycle_count_plan, cycle_count_submit
from inventory.models import CycleCountLine, Product
from reports.selectors import kpi_answer
from tests.factories import LocationFactory, ProductFactory
from inventory.services import stock_receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(settings):
    """chicago: A1 counted right; A2 (cost 2.50) 10 expected, counted 8 twice and approved (-2 = -5.00);
    C1 (cost 10.00) 4 expected, counted 5 (within C's 1 unit: +1 = +10.00). ny: B1 counted right."""
    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 1, "B": 1, "C": 1}
    settings.OMS_COUNT_TOLERANCE = {"A": {"units": 0, "percent": 0}, "B": {"units": 0, "percent": 0}, "C": {"units": 1, "percent": 0}}
    LocationFactory(code="chicago")
    LocationFactory(code="ny")
    for sku, cost, where, quantity, abc in (("A1", "1.00", "chicago", 3, "A"), ("A2", "2.50", "chicago", 10, "A"),
                                            ("C1", "10.00", "chicago", 4, "C"), ("B1", "7.00", "ny", 6, "B")):
        ProductFactory(sku=sku, cost=Decimal(cost))
        Product.objects.filter(sku=sku).update(abc_class=abc)
        stock_receive(sku=sku, location=where, quantity=quantity, actor="dock")
    day = datetime.date(2030, 1, 2)
    chicago, ny = (cycle_count_plan(location=code, day=day, actor="test") for code in ("chicago", "ny"))

    def line(count, sku):
        return CycleCountLine.objects.get(count=count, product__sku=sku).pk

    cycle_count_submit(count_id=chicago.pk, entries=[LineCount(line(chicago, "A1"), 3), LineCount(line(chicago, "A2"), 8),
                                                     LineCount(line(chicago, "C1"), 5)], actor="counter")
    cycle_count_submit(count_id=chicago.pk, entries=[LineCount(line(chicago, "A2"), 8)], actor="counter")
    cycle_count_approve(count_id=chicago.pk, actor="manager")
    cycle_count_submit(count_id=ny.pk, entries=[LineCount(line(ny, "B1"), 6)], actor="counter")
    today = timezone.localdate().isoformat()
    return {"from": today, "to": today}


def rows(result) -> dict:
    return {row["label"]: row["value"] for row in result["rows"]}


def test_accuracy_is_the_share_of_settled_lines_within_tolerance(counted):
    answer = kpi_answer(key="inventory_accuracy", params=counted)
    assert answer["value"] == {"lines_counted": 4, "within_tolerance": 3, "accuracy_rate": 75.0}
    by_location = rows(kpi_answer(key="inventory_accuracy", params={**counted, "by": "location"}))
    assert by_location == {"chicago": {"lines_counted": 3, "within_tolerance": 2, "accuracy_rate": 66.67},
                           "ny": {"lines_counted": 1, "within_tolerance": 1, "accuracy_rate": 100.0}}
    by_class = rows(kpi_answer(key="inventory_accuracy", params={**counted, "by": "abc_class"}))
    assert {name: value["accuracy_rate"] for name, value in by_class.items()} == {"A": 50.0, "B": 100.0, "C": 100.0}
    drill = answer["drilldown"]
    assert drill["ids"] == list(CycleCountLine.objects.filter(product__sku="A2").values_list("pk", flat=True))


def test_corrections_are_valued_at_cost_with_gains_and_losses_apart(counted):
    answer = kpi_answer(key="count_corrections", params=counted)
    assert answer["value"] == [{"currency": "USD", "value": "5.00", "gains": "10.00", "losses": "-5.00", "units": -1, "lines_corrected": 2}]
    by_location = rows(kpi_answer(key="count_corrections", params={**counted, "by": "location"}))
    assert list(by_location) == ["chicago"]


def test_a_range_before_the_counts_has_nothing(counted):
    answer = kpi_answer(key="inventory_accuracy", params={"from": "2026-01-01", "to": "2026-01-31"})
    assert answer["value"] == {"lines_counted": 0, "within_tolerance": 0, "accuracy_rate": None}
