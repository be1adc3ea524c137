"""Rolling re-planning of allocated orders (``orders.services.replanning``): reservations move to
a cheaper allowed location only where it pays, through the ledger, with an audit entry."""

import pytest
from django.core.management import CommandError, call_command

from inventory.models import ChannelStockRule, StockMovement
from inventory.selectors import channel_pool_forget
from inventory.services import stock_receive
from oms.models import DomainEvent
from orders.models import Allocation, Channel, Order, OrderEvent, OrderStatus, ReplanRun
from orders.routing import exact
from orders.routing.explain import latest_replan
from orders.services import order_hold_place, order_reservation_move, order_start_fulfillment, replanning
from orders.services.audit import order_lock
from orders.services.replanning import replan_open_orders
from orders.tasks import orders_replan

from ..factories import LocationFactory, address, place_order
from .conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def boston(db):
    """Next door to the customers (their address is in Boston)."""
    return LocationFactory(code="boston", name="Boston DC", city="Boston", latitude=42.36, longitude=-71.06)


@pytest.fixture
def far_order(stocked, boston):
    """An order that took Chicago's stock because Boston had none; then Boston receives some."""
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    assert _reserved_at(order) == {"chicago": 2}
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    Channel.objects.filter(code="web").update(replan_enabled=True)
    return order


def _reserved_at(order) -> dict[str, int]:
    held = {}
    for allocation in Allocation.objects.filter(line__order=order).select_related("location"):
        held[allocation.location.code] = held.get(allocation.location.code, 0) + allocation.quantity
    return held


def _saving_of_moving(order) -> float:
    dry = replan_open_orders(actor="test", threshold=0.0, dry_run=True)
    (moved,) = dry.moved
    assert moved.order_id == order.pk and moved.saving > 0
    return moved.saving


def test_an_order_moves_to_the_nearer_location_only_when_the_saving_beats_the_threshold(far_order):
    saving = _saving_of_moving(far_order)

    kept = replan_open_orders(actor="test", threshold=saving + 0.01)
    assert kept.moved == [] and _reserved_at(far_order) == {"chicago": 2}

    moved = replan_open_orders(actor="test", threshold=saving - 0.01)

    assert _reserved_at(far_order) == {"boston": 2}
    assert [m.order_id for m in moved.moved] == [far_order.pk]
    run = ReplanRun.objects.get(pk=moved.run.pk)
    assert (run.orders_in_window, run.orders_moved, run.threshold) == (1, 1, pytest.approx(saving - 0.01))
    assert run.saving == pytest.approx(saving) and run.method in ("exact", "heuristic") and run.started_by == "test"


def test_a_move_goes_through_the_ledger_and_leaves_an_audit_entry_routing_record_and_event(far_order):
    releases_before = StockMovement.objects.filter(kind=StockMovement.Kind.RELEASE).count()

    result = replan_open_orders(actor="test", threshold=0.0)

    run = result.run
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RELEASE).count() == releases_before + 1
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RESERVATION, location__code="boston", reserved_delta=2).exists()
    note = OrderEvent.objects.filter(order=far_order, message__startswith="Re-planned: saved").get()
    assert f"(plan #{run.pk})" in note.message and "2 × SKU-A from chicago to boston" in note.message
    assert note.data["replan"]["run_id"] == run.pk
    order = fresh(far_order)
    assert order.status == OrderStatus.ALLOCATED
    assert latest_replan(order.routing) == {"run_id": run.pk, "saving": round(result.saving, 2)}
    assert order.routing["decisions"][-1]["trigger"] == "re-planned"
    event = DomainEvent.objects.filter(name="order.reallocated").get()
    assert event.payload["trigger"] == "re-planned" and event.payload["plan"] == run.pk
    # the autouse fixture checks the counters against the ledger and the allocations


def test_a_channel_with_re_planning_off_is_left_alone(far_order):
    Channel.objects.filter(code="web").update(replan_enabled=False)

    result = replan_open_orders(actor="test", threshold=0.0)

    assert result.moved == [] and result.orders_in_window == 0
    assert _reserved_at(far_order) == {"chicago": 2} and not ReplanRun.objects.exists()


def test_an_order_older_than_its_channels_release_delay_is_left_alone(far_order):
    Channel.objects.filter(code="web").update(release_delay_minutes=0)

    assert replan_open_orders(actor="test", threshold=0.0).orders_in_window == 0
    assert _reserved_at(far_order) == {"chicago": 2}


def test_an_order_sent_to_the_floor_or_on_hold_is_never_moved(far_order):
    started = place_order([("SKU-A", 1)])
    held = place_order([("SKU-A", 1)])
    assert _reserved_at(started) == {"boston": 1}  # intake routes new orders to Boston now
    for order in (started, held):  # give them Chicago's units, as if routed before Boston had stock
        allocation = Allocation.objects.get(line__order=order)
        order_reservation_move(order_id=order.pk, line_id=allocation.line_id, from_location_id=allocation.location_id,
                               to_location_id=Allocation.objects.filter(line__order=far_order).get().location_id, quantity=1, actor="test")
    order_start_fulfillment(order_id=started.pk, actor="test")
    order_hold_place(order_id=held.pk, reason="manual", detail="customer called", actor="test")
    held_reserved = _reserved_at(held)

    result = replan_open_orders(actor="test", threshold=0.0)

    assert [m.order_id for m in result.moved] == [far_order.pk]
    assert _reserved_at(started) == {"chicago": 1}
    assert _reserved_at(held) == held_reserved


def test_an_order_moves_only_to_locations_its_channel_may_sell_from(far_order, warehouse):
    ChannelStockRule.objects.create(channel_code="web").locations.set([warehouse])
    channel_pool_forget()

    result = replan_open_orders(actor="test", threshold=0.0)

    assert result.moved == [] and _reserved_at(far_order) == {"chicago": 2}


def test_when_the_solver_times_out_the_heuristic_still_moves_the_order(far_order, monkeypatch):
    def timed_out(*args, **kwargs):
        return exact.ExactResult(exact.TIMED_OUT, None, 0.0, 1)

    monkeypatch.setattr("orders.routing.replan.solve_exact", timed_out)

    result = replan_open_orders(actor="test", threshold=0.0)

    assert _reserved_at(far_order) == {"boston": 2}
    assert (result.run.method, result.run.fallback_reason.startswith("solver timed")) == ("heuristic", True)


def test_a_dry_run_writes_nothing(far_order):
    movements, events = StockMovement.objects.count(), OrderEvent.objects.count()

    result = replan_open_orders(actor="test", threshold=0.0, dry_run=True)

    assert [m.order_id for m in result.moved] == [far_order.pk] and result.run is None
    assert result.moved[0].moves == [("SKU-A", "chicago", "boston", 2)]
    assert (StockMovement.objects.count(), OrderEvent.objects.count()) == (movements, events)
    assert _reserved_at(far_order) == {"chicago": 2} and not ReplanRun.objects.exists()


def test_the_command_dry_run_prints_what_would_move_and_writes_nothing(far_order, capsys):
    movements = StockMovement.objects.count()

    call_command("replan_orders", "--dry-run", "--threshold", "0")

    out = capsys.readouterr().out
    assert "1 order(s) in the window, 1 would move" in out
    assert f"{far_order.number}: saved" in out and "2 × SKU-A from chicago to boston" in out
    assert StockMovement.objects.count() == movements and _reserved_at(far_order) == {"chicago": 2}


def test_the_command_moves_and_names_the_plan_and_refuses_bad_input(far_order, capsys):
    with pytest.raises(CommandError, match="No channel 'nope'"):
        call_command("replan_orders", "--channel", "nope")
    with pytest.raises(CommandError, match="below zero"):
        call_command("replan_orders", "--threshold", "-1")

    call_command("replan_orders", "--channel", "web", "--threshold", "0")

    run = ReplanRun.objects.get()
    out = capsys.readouterr().out
    assert f"1 moved, saving {run.saving:.2f}" in out and f"(plan #{run.pk})" in out
    assert run.started_by == "command:replan_orders" and _reserved_at(far_order) == {"boston": 2}


def test_the_beat_task_re_plans_with_the_configured_threshold(far_order, settings):
    settings.OMS_REPLAN_THRESHOLD = _saving_of_moving(far_order) + 1
    assert orders_replan() == 0 and _reserved_at(far_order) == {"chicago": 2}

    settings.OMS_REPLAN_THRESHOLD = 0.0
    assert orders_replan() == 1 and _reserved_at(far_order) == {"boston": 2}
    assert ReplanRun.objects.filter(started_by="job:replan", orders_moved=1).exists()


def test_two_orders_exchange_their_units_when_the_window_saves_and_the_stock_is_all_taken(stocked, warehouse):
    la = LocationFactory(code="la", name="Los Angeles DC", city="Los Angeles", latitude=34.05, longitude=-118.24)
    ny = LocationFactory(code="ny", name="New York DC", city="New York", latitude=40.71, longitude=-74.01)
    stocked("SKU-A", 1, location=la)
    boston_buyer = place_order([("SKU-A", 1)])  # the only unit then was in Los Angeles
    stock_receive(sku="SKU-A", location=ny.code, quantity=1, actor="test")
    la_buyer = place_order([("SKU-A", 1)], shipping_address=address(city="Los Angeles", region="CA", postal_code="90012"))
    assert (_reserved_at(boston_buyer), _reserved_at(la_buyer)) == ({"la": 1}, {"ny": 1})
    Channel.objects.filter(code="web").update(replan_enabled=True)

    result = replan_open_orders(actor="test", threshold=0.0)

    assert (_reserved_at(boston_buyer), _reserved_at(la_buyer)) == ({"ny": 1}, {"la": 1})
    assert {m.order_id for m in result.moved} == {boston_buyer.pk, la_buyer.pk} and result.saving > 0
    assert OrderEvent.objects.filter(message__startswith="Re-planned", data__replan__run_id=result.run.pk).count() == 2


def test_an_order_sent_to_the_floor_between_the_read_and_the_lock_is_skipped(far_order, monkeypatch):
    def lock_after_the_floor_took_it(order_id):
        Order.objects.filter(pk=order_id).update(status=OrderStatus.IN_FULFILLMENT)  # what a concurrent start commits
        return order_lock(order_id)

    monkeypatch.setattr(replanning, "order_lock", lock_after_the_floor_took_it)

    result = replan_open_orders(actor="test", threshold=0.0)

    assert (result.orders_in_window, result.skipped, result.moved) == (0, 1, [])
    assert _reserved_at(far_order) == {"chicago": 2}
