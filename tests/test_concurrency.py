"""Concurrency guarantees, proven on PostgreSQL with real threads and real transactions.

Each thread has its own database connection; every test commits for real
(``transaction=True``) and the threads close their connections when done, so the test
database can be flushed and dropped afterwards.
"""

import random
import threading
import time
import traceback
from collections.abc import Callable

import pytest
from django.db import connections
from django.db.models import Sum

from inventory.models import StockLevel
from inventory.selectors import available_to_promise
from inventory.services import (
    stock_adjust,
    stock_receive,
    stock_transfer_create,
    stock_transfer_dispatch,
    stock_transfer_receive,
)
from oms import geo
from oms.errors import DomainError
from oms.models import DomainEvent
from orders.models import Order, OrderLine, OrderStatus
from orders.services import order_cancel, order_intake, orders_intake_batch

from .factories import ChannelFactory, LocationFactory, ProductFactory, intake_data
from .inventory.invariants import stock_invariant_violations

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def run_in_threads(jobs_per_thread: list[list[Callable]], *, expected: tuple[type[BaseException], ...] = ()) -> list:
    """Run each list of jobs in its own thread, all starting together; return every job's result.

    Any exception not in ``expected`` fails the test with the thread's traceback.
    """
    barrier = threading.Barrier(len(jobs_per_thread))
    results, failures, lock = [], [], threading.Lock()

    def work(jobs):
        try:
            barrier.wait(timeout=30)
            for job in jobs:
                try:
                    outcome = job()
                except expected as exc:
                    outcome = exc
                with lock:
                    results.append(outcome)
        except BaseException:
            with lock:
                failures.append(traceback.format_exc())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(jobs,)) for jobs in jobs_per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock or lock wait)"
    assert failures == [], "\n".join(failures)
    return results


def deal(jobs: list, threads: int = THREADS) -> list[list]:
    return [jobs[i::threads] for i in range(threads)]


@pytest.fixture
def scarce_stock(db):
    """Three SKUs with little stock spread over two warehouses."""
    geo.locate(country="US", city="Boston")  # load the place data once, not in sixteen threads at a time
    ChannelFactory(code="web")
    LocationFactory(code="ny", name="New York DC", city="New York", latitude=40.71, longitude=-74.01)
    LocationFactory(code="la", name="Los Angeles DC", city="Los Angeles", latitude=34.05, longitude=-118.24)
    stock = {"SKU-A": {"ny": 9, "la": 6}, "SKU-B": {"ny": 4, "la": 5}, "SKU-C": {"ny": 3, "la": 2}}
    for sku, per_location in stock.items():
        ProductFactory(sku=sku)
        for location, quantity in per_location.items():
            stock_receive(sku=sku, location=location, quantity=quantity, actor="test")
    return {sku: sum(per_location.values()) for sku, per_location in stock.items()}


def random_orders(count: int, seed: int) -> list:
    rng = random.Random(seed)
    orders = []
    for _ in range(count):
        skus = rng.sample(["SKU-A", "SKU-B", "SKU-C"], rng.randint(1, 3))
        email = f"buyer{rng.randint(1, 4)}@example.com"  # shared customers contend on their row too
        orders.append(intake_data([(sku, rng.randint(1, 3)) for sku in skus], email=email))
    return orders


def reserved_by_sku() -> dict[str, int]:
    return dict(StockLevel.objects.values_list("product__sku").annotate(total=Sum("reserved")))


def no_stock_sits_idle_while_an_order_waits() -> list[str]:
    """Backordered orders lack only what no shipping location has available."""
    waiting = OrderLine.objects.filter(order__status=OrderStatus.BACKORDERED).select_related("order")
    atp = available_to_promise(set(line.product_id for line in waiting))
    return [f"{line.order} waits for {line.sku} while {atp[line.product_id]} are available" for line in waiting if line.quantity_open > 0 and atp[line.product_id] > 0]


def test_many_buyers_at_once_reserve_exactly_the_stock_and_the_rest_is_backordered(scarce_stock):
    orders = random_orders(64, seed=7)
    demand = {sku: sum(line.quantity for data in orders for line in data.lines if line.sku == sku) for sku in scarce_stock}
    assert all(demand[sku] > scarce_stock[sku] for sku in scarce_stock)  # every SKU is oversubscribed

    results = run_in_threads(deal([lambda data=data: order_intake(data=data, actor="api:load") for data in orders]))

    assert len(results) == 64 and all(result.created for result in results)
    assert reserved_by_sku() == scarce_stock  # every unit sold once, none twice
    statuses = dict(Order.objects.values_list("status").annotate(n=Sum(1)))
    assert set(statuses) == {OrderStatus.ALLOCATED, OrderStatus.BACKORDERED}
    assert sum(statuses.values()) == 64
    for order in Order.objects.filter(status=OrderStatus.ALLOCATED).prefetch_related("lines"):
        assert all(line.quantity_reserved == line.quantity for line in order.lines.all())
    assert stock_invariant_violations() == []
    assert no_stock_sits_idle_while_an_order_waits() == []


def test_cancellations_receipts_transfers_and_intake_interleave_without_losing_a_unit(scarce_stock):
    placed = [order_intake(data=data, actor="test").order for data in random_orders(24, seed=11)]
    to_cancel = [order.pk for order in placed[::2]]
    newcomers = random_orders(40, seed=12)

    def transfer(source, destination):
        moved = stock_transfer_create(source=source, destination=destination, lines=[("SKU-A", 1), ("SKU-B", 1)], actor="test")
        stock_transfer_dispatch(transfer_id=moved.pk, actor="test")
        return stock_transfer_receive(transfer_id=moved.pk, actor="test")

    jobs = (
        [lambda data=data: order_intake(data=data, actor="api:load") for data in newcomers]
        + [lambda pk=pk: order_cancel(order_id=pk, actor="cs") for pk in to_cancel]
        + [lambda sku=sku, loc=loc: stock_receive(sku=sku, location=loc, quantity=2, actor="dock") for sku in scarce_stock for loc in ("ny", "la")] * 2
        + [lambda: transfer("ny", "la"), lambda: transfer("la", "ny")] * 3
    )
    random.Random(3).shuffle(jobs)

    run_in_threads(deal(jobs), expected=(DomainError,))  # a transfer may find nothing left to send

    assert stock_invariant_violations() == []
    assert set(Order.objects.filter(pk__in=to_cancel).values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    assert no_stock_sits_idle_while_an_order_waits() == []
    failed = list(DomainEvent.objects.exclude(last_error="").values_list("name", "last_error"))
    assert failed == []  # the backorder allocation after each receipt ran without error


def test_the_same_channel_order_sent_by_eight_clients_at_once_is_recorded_once(scarce_stock):
    data = [intake_data([("SKU-A", 2), ("SKU-B", 1)], external_id="MKT-777") for _ in range(8)]

    results = run_in_threads(deal([lambda d=d: order_intake(data=d, actor="api:marketplace") for d in data], threads=8))

    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert {result.order.pk for result in results} == {order.pk}
    assert sorted(result.created for result in results) == [False] * 7 + [True]
    assert OrderLine.objects.count() == 2
    assert reserved_by_sku() == {"SKU-A": 2, "SKU-B": 1, "SKU-C": 0}
    assert stock_invariant_violations() == []


def test_bulk_batches_and_single_orders_for_the_same_buyers_and_skus_never_deadlock(scarce_stock, settings):
    settings.OMS_BULK_CHUNK_SIZE = 4  # several chunks per batch, each holding its locks a while
    batches = [random_orders(12, seed=seed) for seed in (21, 22, 23)]
    singles = random_orders(24, seed=24)
    jobs = [lambda batch=batch: orders_intake_batch(orders=batch, actor="api:bulk") for batch in batches]
    jobs += [lambda data=data: order_intake(data=data, actor="api:load") for data in singles]
    random.Random(5).shuffle(jobs)

    results = run_in_threads(deal(jobs, threads=8))

    items = [item for result in results if isinstance(result, list) for item in result]
    assert len(items) == 36 and all(item.error is None and item.result.created for item in items)
    assert Order.objects.count() == 60
    assert reserved_by_sku() == scarce_stock  # oversubscribed: all of it reserved, none twice
    assert stock_invariant_violations() == []
    assert no_stock_sits_idle_while_an_order_waits() == []


def test_adjustments_at_two_locations_of_one_product_cross_its_low_stock_threshold_once(scarce_stock):
    # SKU-A: 9 at ny, 6 at la, 15 to promise; each adjustment alone takes it to its threshold of 13.
    # An adjustment locks every stock row of its product, so the second waits for the first and
    # sees the stock it left: one crossing, one numbered stock.low, and neither adjustment fails.
    from django.db import transaction

    from inventory.models import Product

    Product.objects.filter(sku="SKU-A").update(low_stock_threshold=13)
    first_recorded = threading.Event()

    def first():
        with transaction.atomic():
            stock_adjust(sku="SKU-A", location="ny", quantity=-2, reason="count", actor="counter")
            first_recorded.set()
            time.sleep(0.5)  # the second starts meanwhile

    def second():
        assert first_recorded.wait(timeout=10)
        return stock_adjust(sku="SKU-A", location="la", quantity=-2, reason="count", actor="counter")

    results = run_in_threads([[first], [second]])

    assert len(results) == 2
    assert stock_invariant_violations() == []
    product = Product.objects.get(sku="SKU-A")
    assert list(DomainEvent.objects.filter(name="stock.low").values_list("stream", "sequence", "payload__atp")) == [(f"product:{product.pk}", 1, 13)]
    assert StockLevel.objects.filter(product=product).aggregate(total=Sum("on_hand"))["total"] == 11
