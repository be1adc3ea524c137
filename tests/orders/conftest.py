import pytest
from django.db.models import Count

from inventory.models import StockLevel, StockMovement
from oms.models import DomainEvent
from orders.models import Allocation, Order, OrderEvent, OrderLine, OrderStatus, order_number_for
from orders.services import order_cancel, order_complete, order_deliver, order_ship, order_start_fulfillment

from ..factories import ProductFactory, place_order
from ..inventory.invariants import stock_invariant_violations


@pytest.fixture(autouse=True)
def stock_stays_consistent(db):
    """Every order scenario ends with stock counters equal to the ledger and to the order lines."""
    yield
    assert stock_invariant_violations() == []


def fresh(order: Order) -> Order:
    """The order as stored (``refresh_from_db`` is refused on the protected status field)."""
    return Order.objects.get(pk=order.pk)


def observe(order: Order) -> dict:
    """Everything a refused operation must leave as it was."""
    stored = fresh(order)
    return {
        "status": stored.status,
        "payment_status": stored.payment_status,
        "events": list(OrderEvent.objects.filter(order=order).values_list("kind", "from_status", "to_status", "message")),
        "holds": list(order.holds.order_by("id").values_list("reason", "released_at")),
        "lines": list(OrderLine.objects.filter(order=order).order_by("id").values_list("quantity_reserved", "quantity_shipped", "product_id")),
        "allocations": list(Allocation.objects.filter(line__order=order).order_by("id").values_list("line_id", "location_id", "quantity")),
        "stock": list(StockLevel.objects.order_by("id").values_list("on_hand", "reserved", "incoming", "damaged", "safety_stock")),
        "movements": StockMovement.objects.count(),
        "domain_events": dict(DomainEvent.objects.values_list("name").annotate(n=Count("id"))),
    }


STOCKED_SKU = "SKU-L"
MISSING_SKU = "SKU-OUT"


@pytest.fixture
def order_in(stocked, web_channel):
    """``order_in(OrderStatus.SHIPPED)``: an order for 2 × SKU-L driven into that status by the services.

    ``pending`` is only a moment inside intake and hold release; it is built directly, as an
    order left there by an interrupted release would look.
    """
    stocked(STOCKED_SKU, 100)
    ProductFactory(sku=MISSING_SKU)

    def make(status: str) -> Order:
        if status == OrderStatus.PENDING:
            order = Order.objects.create(channel=web_channel, external_id=f"P-{Order.objects.count()}", currency="USD", email="p@example.com")
            if not order.number:
                Order.objects.filter(pk=order.pk).update(number=order_number_for(order.pk))
            product = ProductFactory(sku=STOCKED_SKU)
            OrderLine.objects.create(order=order, line_number=1, sku=product.sku, product=product, quantity=2, unit_price=product.price)
            return fresh(order)
        if status == OrderStatus.ON_HOLD:
            return place_order([(STOCKED_SKU, 2)], payment_status="pending")
        if status == OrderStatus.BACKORDERED:
            return place_order([(MISSING_SKU, 2)])
        order = place_order([(STOCKED_SKU, 2)])
        if status == OrderStatus.CANCELLED:
            return order_cancel(order_id=order.pk, actor="test")
        if status == OrderStatus.ALLOCATED:
            return order
        order = order_start_fulfillment(order_id=order.pk, actor="test")
        if status == OrderStatus.IN_FULFILLMENT:
            return order
        if status == OrderStatus.PARTIALLY_SHIPPED:
            return order_ship(order_id=order.pk, quantities={order.lines.get().pk: 1}, actor="test")
        order = order_ship(order_id=order.pk, actor="test")
        if status == OrderStatus.SHIPPED:
            return order
        order = order_deliver(order_id=order.pk, actor="test")
        if status == OrderStatus.DELIVERED:
            return order
        return order_complete(order_id=order.pk, actor="test")

    return make


@pytest.fixture
def staff(db):
    """``staff("Accounting")``: a staff member with that role."""
    from django.contrib.auth.models import Group, User

    from oms.roles import roles_sync

    roles_sync()

    def person(role):
        user = User.objects.create_user(username=role.lower().replace(" ", "-"), password="pw-12345!", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return User.objects.get(pk=user.pk)  # fresh: no stale permission cache

    return person
