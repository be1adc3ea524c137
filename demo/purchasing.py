"""Suppliers, the products they sell, and purchase orders in every open state, seeded through
``inventory.purchasing``: a draft, a sent order bringing the backordered (scarce) SKUs (so their
backorders can tell customers when), a partially received one and a received one with units over
the order. Idempotent: nothing is added when suppliers exist already."""

from decimal import Decimal

from inventory.models import Product, Supplier
from inventory.purchasing import (
    purchase_order_receive,
    purchase_order_send,
    purchase_orders_draft,
    supplier_create,
    supplier_product_set,
)

from .report import DemoReport

# code, name, contact, currency, lead time days (mean, spread), pack size, SKU prefixes it sells
SUPPLIERS = [
    ("northwind-textiles", "Northwind Textiles Ltd", "Priya Raman", "USD", 21, Decimal("4.5"), 6,
     ("TEE", "HOOD", "SOCK", "JKT", "LEGG", "SHRT", "CHNO", "CAP", "BEAN", "TWL", "SHTS", "DUVT", "PLLW", "BLNK", "TOTE", "BELT", "WLLT")),
    ("stoneware-co", "Stoneware & Co. GmbH", "Jonas Keller", "EUR", 35, Decimal("7"), 4,
     ("MUG", "BOWL", "GLAS", "CNDL", "PAN", "KNF", "PLNT", "FRPN", "KTTL", "BRD")),
    ("voltaic", "Voltaic Electronics Inc.", "Mei Chen", "USD", 14, Decimal("3"), 10,
     ("CBL", "CHG", "CASE", "KBD", "MSE", "EAR", "SPK", "STND", "PWR", "LAMP")),
    ("trailhead", "Trailhead Outfitters Supply", "Sam Ortiz", "USD", 28, Decimal("6"), 2,
     ("SNKR", "BOOT", "BTL", "PACK", "TENT", "SLBG", "YOGA", "DMBL", "BAND", "SHKR", "GLSS", "UMBR", "NTBK", "PEN", "PLNR")),
]
# A second, dearer source for some lines (not preferred): a SKU may have several suppliers.
SECOND_SOURCE = {"voltaic": ("TEE", "CAP"), "trailhead": ("MUG",)}


def purchasing_seed(report: DemoReport, users: dict, scarce: set[str]) -> None:
    if Supplier.objects.exists():
        return
    buyer, dock = users["manager"], users["warehouse"]
    products = list(Product.objects.order_by("sku").only("sku", "cost", "price"))
    for code, name, contact, currency, lead, spread, pack, prefixes in SUPPLIERS:
        supplier_create(
            code=code, name=name, contact_name=contact, email=f"orders@{code}.example", currency=currency, lead_time_days=lead,
            lead_time_spread_days=spread, pack_size=pack, minimum_order_units=pack * 10, actor=buyer,
        )
        report.created["suppliers"] += 1
        for product in products:
            prefix = product.sku.split("-")[0]
            cost = product.cost or (product.price * Decimal("0.45"))
            if prefix in prefixes:
                supplier_product_set(supplier=code, sku=product.sku, unit_cost=cost, supplier_sku=f"{code[:3].upper()}-{product.sku}",
                                     is_preferred=True, actor=buyer)
                report.created["supplier products"] += 1
            elif prefix in SECOND_SOURCE.get(code, ()):
                supplier_product_set(supplier=code, sku=product.sku, unit_cost=cost * Decimal("1.12"), actor=buyer)
                report.created["supplier products"] += 1
    plentiful = [p.sku for p in products if p.sku not in scarce]
    # The demo's small POs are below the suppliers' minimum orders (ten packs): the Reno draft
    # shows the buyer the flag, and the buyer has confirmed sending the others as they are.
    if len(plentiful) < 12:
        return
    drafted = []
    # A draft for the buyer to finish, to Reno.
    drafted += purchase_orders_draft(lines=[(sku, "nv-reno", 24, None) for sku in plentiful[0:3]], actor=buyer)
    # Sent: the scarce SKUs are on their way to Edison, so their backorders show an expected date.
    sent = purchase_orders_draft(lines=[(sku, "nj-edison", 40, None) for sku in sorted(scarce)], actor=buyer) if scarce else []
    for po in sent:
        purchase_order_send(purchase_order_id=po.pk, actor=buyer, email=False, allow_below_minimum=True)
    # Partially received: 15 of the first line's 30 came, the rest is still incoming.
    partial = purchase_orders_draft(lines=[(plentiful[3], "nj-edison", 30, None)], actor=buyer)
    for po in partial:
        purchase_order_send(purchase_order_id=po.pk, actor=buyer, email=False, allow_below_minimum=True)
        purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 15)], note="DN-4471", actor=dock)
    # Received in full, two units over the order.
    received = purchase_orders_draft(lines=[(plentiful[8], "nj-edison", 12, None)], actor=buyer)
    for po in received:
        purchase_order_send(purchase_order_id=po.pk, actor=buyer, email=False, allow_below_minimum=True)
        purchase_order_receive(purchase_order_id=po.pk, quantities=[(1, 14)], note="DN-4502", actor=dock)
    report.created["purchase orders"] += len(drafted) + len(sent) + len(partial) + len(received)
