"""Cycle counts: planning (due items, levelling, cap, pick-path order), blind counting by scan and
by form, snapshots, tolerance -> recount -> approval -> ledger correction."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.counts import (
    LineCount,
    cycle_count_approve,
    cycle_count_cancel,
    cycle_count_plan,
    cycle_count_recount,
    cycle_count_scan,
    cycle_count_submit,
    cycle_counts_plan_day,
)
from inventory.models import CycleCount, CycleCountEvent, CycleCountLine, Product, StockLevel, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import bin_create, stock_bin_assign, stock_receive
from oms.errors import DomainError, InvalidInput, InvalidTransition
from oms.models import DomainEvent

from .counts_support import ship

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2030, 6, 3)


@pytest.fixture
def floor(stocked, warehouse, settings):
    """Four A products in bins whose pick order is not their code order, counted daily; tolerance A: 0 units."""
    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 1, "B": 90, "C": 365}
    settings.OMS_COUNT_DAILY_CAP = 40
    settings.OMS_COUNT_TOLERANCE = {"A": {"units": 0, "percent": 0}, "B": {"units": 1, "percent": 0}, "C": {"units": 1, "percent": 0}}
    places = {"B-10": ("Z1", "2", "1", "10", 0), "B-9": ("Z1", "2", "1", "9", 0), "A-1": ("Z1", "1", "1", "1", 0),
              "C-1": ("Z2", "1", "1", "1", 0)}
    for code, (zone, aisle, shelf, position, sequence) in places.items():
        bin_create(location="chicago", code=code, zone=zone, aisle=aisle, shelf=shelf, position=position, pick_sequence=sequence, actor="test")
    for sku, bin_code, quantity in (("S1", "C-1", 10), ("S2", "B-10", 10), ("S3", "B-9", 10), ("S4", "A-1", 10)):
        stocked(sku, quantity, cost=Decimal("2.50"))
        stock_bin_assign(sku=sku, location="chicago", bin_code=bin_code, actor="test")
    Product.objects.filter(sku__in=["S1", "S2", "S3", "S4"]).update(abc_class="A")
    return warehouse


def skus(count: CycleCount) -> list[str]:
    return list(count.lines.order_by("sequence").values_list("product__sku", flat=True))


def line_of(count: CycleCount, sku: str) -> CycleCountLine:
    return CycleCountLine.objects.select_related("product").get(count=count, product__sku=sku)


def on_hand(sku: str) -> int:
    return StockLevel.objects.get(product__sku=sku, location__code="chicago").on_hand


# --- planning ------------------------------------------------------------------------------------


def test_lines_follow_the_pick_path(floor):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    # Zone Z1 aisle 1, then aisle 2 positions 9 and 10 (natural order), then zone Z2.
    assert skus(count) == ["S4", "S3", "S2", "S1"]
    assert list(count.lines.values_list("sequence", flat=True)) == [1, 2, 3, 4]
    assert count.status == "open" and set(count.lines.values_list("abc_class", flat=True)) == {"A"}


def test_pick_sequence_comes_first(floor):
    from inventory.services import bin_update

    bin_update(location="chicago", code="C-1", expected_version=None, changes={"pick_sequence": 1}, actor="test")
    for code in ("A-1", "B-9", "B-10"):
        bin_update(location="chicago", code=code, expected_version=None, changes={"pick_sequence": 5}, actor="test")
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    assert skus(count)[0] == "S1"


def test_planning_twice_gives_the_same_count_and_one_event(floor):
    first = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    assert cycle_count_plan(location="chicago", day=TODAY, actor="test").pk == first.pk
    assert DomainEvent.objects.filter(name="cycle_count.planned").count() == 1


def test_work_is_levelled_across_the_period(floor, stocked, settings):
    """Ten never-counted C items counted every 5 days: two a day, a different two each day."""
    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 30, "B": 90, "C": 5}
    Product.objects.filter(sku__in=["S1", "S2", "S3", "S4"]).update(is_active=False)
    for n in range(10):
        stocked(f"C{n}", 3)
    seen = []
    for offset in range(5):
        count = cycle_count_plan(location="chicago", day=TODAY + datetime.timedelta(days=offset), actor="test")
        assert count.lines.count() == 2
        seen += skus(count)
    assert sorted(seen) == [f"C{n}" for n in range(10)]


def test_only_due_items_are_planned(floor, settings):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(line.pk, 10) for line in count.lines.all()], actor="counter")
    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 2, "B": 90, "C": 365}
    # Counted today: due again in 2 days, not before; then half of the class a day (4 over 2 days).
    assert cycle_count_plan(location="chicago", day=timezone.localdate() + datetime.timedelta(days=1), actor="test") is None
    again = cycle_count_plan(location="chicago", day=timezone.localdate() + datetime.timedelta(days=2), actor="test")  # (not TODAY)
    assert again.lines.count() == 2


def test_items_on_an_open_count_are_not_planned_twice(floor):
    cycle_count_plan(location="chicago", day=TODAY, actor="test")
    assert cycle_count_plan(location="chicago", day=TODAY + datetime.timedelta(days=1), actor="test") is None


def test_the_daily_cap_limits_a_location(floor, settings):
    settings.OMS_COUNT_DAILY_CAP = 3
    assert cycle_count_plan(location="chicago", day=TODAY, actor="test").lines.count() == 3


def test_plan_day_covers_every_location_and_the_command_says_what_it_did(floor, capsys):
    assert len(cycle_counts_plan_day(day=TODAY, actor="test")) == 1
    call_command("cycle_counts_plan", "--date", TODAY.isoformat())
    assert "1 count(s) planned" in capsys.readouterr().out


def test_the_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("cycle_counts_plan", "--date", "07/12/2026")


# --- counting --------------------------------------------------------------------------------------


def test_within_tolerance_posts_a_count_correction_with_the_count_as_reference(floor, settings):
    settings.OMS_COUNT_TOLERANCE["A"] = {"units": 1, "percent": 0}
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    entries = [LineCount(line_of(count, sku).pk, quantity) for sku, quantity in (("S1", 9), ("S2", 10), ("S3", 10), ("S4", 10))]
    cycle_count_submit(count_id=count.pk, entries=entries, actor="counter")
    count = CycleCount.objects.get(pk=count.pk)
    assert count.status == "done"
    movement = StockMovement.objects.get(reference=count.number)
    assert (movement.kind, movement.on_hand_delta, movement.product.sku) == ("count_correction", -1, "S1")
    line = line_of(count, "S1")
    assert (line.status, line.expected, line.counted, line.correction, line.within_tolerance) == ("posted", 10, 9, -1, True)
    assert line.unit_cost == Decimal("2.50") and on_hand("S1") == 9
    assert DomainEvent.objects.filter(name="cycle_count.completed", stream=f"cycle_count:{count.pk}").exists()


def test_beyond_tolerance_recount_then_approval_posts_the_recount(floor, django_user_model):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    s1 = line_of(count, "S1")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 7)], actor="counter")
    s1 = line_of(count, "S1")
    assert (s1.status, s1.first_counted, s1.expected, s1.counted) == ("recount", 7, None, None)
    assert on_hand("S1") == 10 and not StockMovement.objects.filter(reference=count.number).exists()

    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 8)], actor="counter")
    assert line_of(count, "S1").status == "awaiting_approval"
    others = [LineCount(line_of(count, sku).pk, 10) for sku in ("S2", "S3", "S4")]
    cycle_count_submit(count_id=count.pk, entries=others, actor="counter")
    assert CycleCount.objects.get(pk=count.pk).status == "awaiting_approval"
    assert on_hand("S1") == 10

    manager = django_user_model.objects.create_user("manager")
    cycle_count_approve(count_id=count.pk, actor=manager)
    s1 = line_of(count, "S1")
    assert (s1.status, s1.correction, s1.approved_by, s1.within_tolerance) == ("posted", -2, manager, False)
    movement = StockMovement.objects.get(reference=count.number, product__sku="S1")
    assert movement.kind == "count_correction" and movement.on_hand_delta == -2 and movement.actor == manager
    assert on_hand("S1") == 8
    assert CycleCount.objects.get(pk=count.pk).status == "done"
    assert ledger_mismatches() == []
    kinds = list(CycleCountEvent.objects.filter(line=s1).values_list("kind", flat=True))
    assert kinds == ["counted", "recount_requested", "counted", "approved", "posted"]


def test_a_recount_within_tolerance_posts_without_approval(floor):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    s1 = line_of(count, "S1")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 3)], actor="counter")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 10)], actor="counter")
    s1 = line_of(count, "S1")
    assert (s1.status, s1.first_counted, s1.correction) == ("posted", 3, 0)
    assert not StockMovement.objects.filter(reference=count.number).exists()


def test_a_manager_may_ask_for_another_count(floor):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    s1 = line_of(count, "S1")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 3)], actor="counter")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 4)], actor="counter")
    cycle_count_recount(count_id=count.pk, actor="manager")
    assert line_of(count, "S1").status == "recount"
    with pytest.raises(InvalidTransition, match="Nothing on"):
        cycle_count_approve(count_id=count.pk, actor="manager")


def test_movements_between_snapshot_and_posting_stay_in_on_hand(floor):
    """Snapshot 10; 3 shipped and 5 received meanwhile; counted 9 at the snapshot: on hand 10 - 1 + (-3 + 5) = 11."""
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    s1 = line_of(count, "S1")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 5)], actor="counter")  # beyond: recount
    cycle_count_scan(count_id=count.pk, barcode="S1", actor="counter")  # the recount starts: snapshot 10
    assert line_of(count, "S1").expected == 10
    ship("S1", "chicago", 3)
    stock_receive(sku="S1", location="chicago", quantity=5, actor="dock")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 8)], actor="counter")  # beyond again: approval
    stock_receive(sku="S1", location="chicago", quantity=1, actor="dock")
    cycle_count_approve(count_id=count.pk, actor="manager")
    assert line_of(count, "S1").correction == -2
    assert on_hand("S1") == 10 - 3 + 5 + 1 - 2
    assert ledger_mismatches() == []


def test_a_paper_count_typed_in_later_takes_its_snapshot_at_the_time_it_was_counted(floor):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    counted_at = timezone.now()
    ship("S1", "chicago", 2)  # picked after the paper count
    s1 = line_of(count, "S1")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 10)], counted_at=counted_at, actor="counter")
    s1 = line_of(count, "S1")
    assert (s1.expected, s1.status, s1.correction) == (10, "posted", 0)
    assert on_hand("S1") == 8


def test_scans_add_one_each_by_gtin_or_sku(floor):
    Product.objects.filter(sku="S2").update(gtin="4006381333931")
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    for code in ("4006381333931", "S2", " S2 "):
        line = cycle_count_scan(count_id=count.pk, barcode=code, actor="counter")
    assert line.scanned == 3 and line.expected == 10
    assert CycleCount.objects.get(pk=count.pk).status == "counting"
    with pytest.raises(DomainError, match="not to be counted") as caught:
        cycle_count_scan(count_id=count.pk, barcode="NOPE", actor="counter")
    assert caught.value.code == "not_on_count"


def test_bad_entries_are_refused_together_and_nothing_is_recorded(floor):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    s1, s2 = line_of(count, "S1"), line_of(count, "S2")
    with pytest.raises(InvalidInput) as caught:
        cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, -1), LineCount(s2.pk, 10), LineCount(s2.pk, 10),
                                                       LineCount(999999, 1)], actor="counter")
    assert set(caught.value.fields) == {"lines[0].quantity", "lines[2].line", "lines[3].line"}
    assert CycleCount.objects.get(pk=count.pk).status == "open"
    assert line_of(count, "S2").counted is None
    with pytest.raises(InvalidInput, match="future"):
        cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 1)], counted_at=timezone.now() + datetime.timedelta(hours=1),
                           actor="counter")


def test_a_count_below_what_is_reserved_cannot_post(floor):
    from inventory.services import stock_quarantine

    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    s1 = line_of(count, "S1")
    stock_quarantine(sku="S1", location="chicago", quantity=6, reason="crushed", actor="test")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 2)], actor="counter")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(s1.pk, 2)], actor="counter")
    with pytest.raises(DomainError, match="quarantined") as caught:
        cycle_count_approve(count_id=count.pk, actor="manager")
    assert caught.value.code == "count_not_postable"
    assert line_of(count, "S1").status == "awaiting_approval" and on_hand("S1") == 10


def test_cancel_keeps_what_was_posted(floor):
    count = cycle_count_plan(location="chicago", day=TODAY, actor="test")
    with pytest.raises(InvalidInput, match="why"):
        cycle_count_cancel(count_id=count.pk, reason=" ", actor="manager")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(line_of(count, "S1").pk, 10)], actor="counter")
    cycle_count_cancel(count_id=count.pk, reason="Stocktake instead", actor="manager")
    statuses = dict(count.lines.values_list("product__sku", "status"))
    assert statuses == {"S1": "posted", "S2": "cancelled", "S3": "cancelled", "S4": "cancelled"}
    assert CycleCount.objects.get(pk=count.pk).status == "done"
    with pytest.raises(InvalidTransition):
        cycle_count_scan(count_id=count.pk, barcode="S2", actor="counter")
