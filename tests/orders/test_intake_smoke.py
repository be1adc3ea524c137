from inventory.models import StockLevel
from orders.models import OrderStatus

from ..factories import place_order


def test_given_stock_when_a_paid_order_arrives_then_it_is_allocated(stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    assert order.status == OrderStatus.ALLOCATED
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2
