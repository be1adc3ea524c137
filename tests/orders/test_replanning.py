"""Rolling re-planning of allocated orders (``orders.services.replanning``): reservations move to
a cheaper allowed location only where it pays, through the ledger, with an audit entry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory.models import ChannelStockRule, Location, StockMovement
from inventory.selectors import channel_pool_forget
from inventory.services import stock_receive
from oms.models import DomainEvent
from orders.models import Allocation, Channel, Order, OrderEvent, OrderStatus, ReplanRun
from orders.routing import exact
from orders.routing.explain import latest_replan
from orders.services import order_hold_place, order_reservation_move, order_start_fulfillment, replanning
from orders.services.replanning import replan_open_orders
from orders.tasks import orders_replan
from shipping.models import Carrier, RateBand, RateTable, ServiceLevel, Zone, ZoneRule
from shipping.selectors import rate_card_forget

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
    lock = replanning.orders_lock

    def lock_after_the_floor_took_it(order_ids):
        Order.objects.filter(pk__in=order_ids).update(status=OrderStatus.IN_FULFILLMENT)  # what a concurrent start commits
        return lock(order_ids)

    monkeypatch.setattr(replanning, "orders_lock", lock_after_the_floor_took_it)

    result = replan_open_orders(actor="test", threshold=0.0)

    assert (result.orders_in_window, result.skipped, result.moved) == (0, 1, [])
    assert _reserved_at(far_order) == {"chicago": 2}


@pytest.fixture
def lanes(warehouse, boston):
    """A carrier into Boston (021..): 1 working day from Chicago at 12.00, from Boston at 5.00 in
    as many days as the test sets on the table it gets back."""
    Location.objects.filter(pk=warehouse.pk).update(postal_code="60601")
    Location.objects.filter(pk=boston.pk).update(postal_code="02110")
    made = Carrier.objects.create(code="lanes", name="Lanes", currency="USD", s10_service_indicator="CP", s10_country="US")
    ground = ServiceLevel.objects.create(carrier=made, code="ground", name="Ground")
    tables = {}
    for code, origin, price in (("from-chicago", ("600", "629"), "12.00"), ("from-boston", ("010", "027"), "5.00")):
        zone = Zone.objects.create(carrier=made, code=code, name=code)
        ZoneRule.objects.create(zone=zone, origin_country="US", origin_postal_from=origin[0], origin_postal_to=origin[1],
                                destination_country="US", postal_from="021", postal_to="021")
        tables[code] = RateTable.objects.create(service=ground, zone=zone, transit_days=1)
        RateBand.objects.create(table=tables[code], up_to_kg=Decimal("30"), price=Decimal(price))
    rate_card_forget()
    return tables


def _transit(table: RateTable, days: int) -> None:
    table.transit_days = days
    table.save()  # a new rate card version, as an edit in the console makes
    rate_card_forget()


def test_an_order_is_not_moved_where_the_carriers_cannot_deliver_by_its_promised_date(lanes, far_order):
    # Given Boston's lane takes 20 working days and the customer was promised delivery in 10 days
    _transit(lanes["from-boston"], 20)
    Order.objects.filter(pk=far_order.pk).update(promised_delivery_date=timezone.localdate() + timedelta(days=10))

    # Then Boston, cheaper and nearer, is not where it goes
    assert replan_open_orders(actor="test", threshold=0.0).moved == []
    assert _reserved_at(far_order) == {"chicago": 2}

    # When Boston's lane delivers in a day, it does
    _transit(lanes["from-boston"], 1)
    assert [m.order_id for m in replan_open_orders(actor="test", threshold=0.0).moved] == [far_order.pk]
    assert _reserved_at(far_order) == {"boston": 2}


def test_an_order_with_a_promise_no_carrier_can_date_keeps_its_plan(far_order):
    # No carrier charges in the order's currency: nothing shows Boston would be on time
    Order.objects.filter(pk=far_order.pk).update(promised_delivery_date=timezone.localdate() + timedelta(days=30))

    assert replan_open_orders(actor="test", threshold=0.0).moved == []
    assert _reserved_at(far_order) == {"chicago": 2}


def test_a_run_is_queued_as_soon_as_the_channels_window_fills(stocked, boston, settings, django_capture_on_commit_callbacks):
    settings.OMS_REPLAN_WINDOW_ORDERS = 2
    stocked("SKU-A", 10)
    web = Channel.objects.get(code="web")
    Channel.objects.filter(pk=web.pk).update(replan_enabled=True)
    cache.delete(replanning._arrivals_key(web.pk))

    def place(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return place_order([("SKU-A", 1)], **overrides)

    place()
    assert not ReplanRun.objects.exists()
    place()  # the window of 2 is full: a run for the web channel, at once
    run = ReplanRun.objects.get()
    assert run.started_by == "job:replan (window of 2 orders filled)" and run.orders_in_window == 2 and run.channel_codes == "web"

    place()  # the run started the count again
    assert ReplanRun.objects.count() == 1
    Channel.objects.filter(pk=web.pk).update(replan_enabled=False)
    place()
    place()  # re-planning off: no count, no run
    assert ReplanRun.objects.count() == 1
