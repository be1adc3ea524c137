"""Rolling re-planning in the demo: the web shop has it on, and its newest orders show a move.

A new lamp is launched: its first delivery reaches Reno, and Boston customers order it at once,
so intake reserves it across the country; then the second delivery reaches Edison, next door to
them, while the orders still wait for the floor, and a re-planning run moves their reservations
there. The console shows the run under *Re-planning runs*, and each order's history and routing
line "Re-planned: saved X". Seeded through the catalogue, the ledger's receipts, intake and
``replan_open_orders`` as the beat job runs it; a second run finds the orders and adds nothing.
"""

from decimal import Decimal

from customers.models import Customer
from inventory.models import Location, Product, StockMovement
from inventory.services import product_create, stock_receive
from oms.errors import DomainError
from orders.models import Channel, Order, OrderStatus
from orders.services import AddressData, LineData, OrderIntakeData, order_intake
from orders.services.replanning import replan_open_orders

from .report import DemoReport

REFERENCE = "DEMO-REPLAN"
FAR, NEAR = "nv-reno", "nj-edison"
ORDERS = 3
DELIVERY = 10
FIRST_DELIVERY = f"{REFERENCE}-1"
LAUNCH = dict(sku="LAMP-ARC-LAUNCH", name="Arc desk lamp, launch edition", price=Decimal("129.00"), weight_grams=1800, category="Home")
BOSTON = dict(city="Boston", region="MA", postal_code="02116", country="US")


def replanning_seed(report: DemoReport) -> None:
    web = Channel.objects.get(code="web")
    if Order.objects.filter(channel=web, external_id__startswith=REFERENCE).exists():
        return
    Channel.objects.filter(pk=web.pk).update(replan_enabled=True, release_delay_minutes=60)
    if not Location.objects.filter(code__in=(FAR, NEAR)).count() == 2:
        return
    product = Product.objects.filter(sku=LAUNCH["sku"]).first() or product_create(**LAUNCH, currency="USD", actor="demo")
    if not StockMovement.objects.filter(reference=FIRST_DELIVERY).exists():
        stock_receive(sku=product.sku, location=FAR, quantity=DELIVERY, reference=FIRST_DELIVERY, actor="demo:receiving")
    customers = Customer.objects.filter(kind=Customer.Kind.PERSON, group__isnull=True).order_by("pk")[:ORDERS]
    orders = []
    for index, customer in enumerate(customers, start=1):
        address = AddressData(name=f"{customer.first_name} {customer.last_name}".strip(), line1=f"{100 + index} Newbury Street", **BOSTON)
        data = OrderIntakeData(
            channel="web", external_id=f"{REFERENCE}-{index}", currency="USD", email=customer.email, first_name=customer.first_name,
            last_name=customer.last_name, shipping_address=address, lines=[LineData(sku=product.sku, quantity=2, unit_price=product.price)],
            shipping_price=Decimal("6.95"), payment_status="paid",
        )
        try:
            orders.append(order_intake(data=data, actor="api:web-shop").order)
        except DomainError:
            return
    if not orders or any(order.status != OrderStatus.ALLOCATED for order in orders):
        return
    report.created["orders"] += len(orders)
    stock_receive(sku=product.sku, location=NEAR, quantity=DELIVERY, reference=f"{REFERENCE}-2", actor="demo:receiving")
    result = replan_open_orders(channel_ids=[web.pk], actor="job:replan")
    report.created["re-planned orders"] += len(result.moved)
