"""Property: whatever sequence of stock and order operations runs, the books stay straight.

A hypothesis state machine drives receipts, orders, cancellations, payments, adjustments (some
of them refused), quarantine, release from quarantine, safety stock, shipments, transfers and returns (received whole or
in two parcels with stray and missing items, inspected into restock, refurbish, quarantine, scrap
or back to the vendor, some units refused) in random order. After
every step: counters equal the ledger's sums, nothing is negative, nothing is reserved beyond
what is sellable, every reserved unit belongs to exactly one order line's allocation, the units an
order line counts as returned are those its returns received, and each inspected return's ledger
rows put its units where inspection sent them.

Each example runs inside a transaction that is rolled back at the end, so every example starts
from the same empty database.
"""

from django.db import transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from inventory.models import StockLevel, StockMovement
from inventory.services import (
    stock_adjust,
    stock_quarantine,
    stock_quarantine_release,
    stock_receive,
    stock_scrap,
    stock_set_safety,
    stock_transfer_cancel,
    stock_transfer_create,
    stock_transfer_dispatch,
    stock_transfer_receive,
)
from oms.errors import DomainError
from orders.models import Order, OrderLine, OrderStatus
from orders.services import backorders_allocate, order_cancel, order_intake, order_payment_update, order_ship, order_start_fulfillment

from returns.models import ReturnLine, ReturnRequest
from returns.services import InspectionData, ReceivedItem, ReturnLineData, return_approve, return_inspect, return_receive, return_request

from .factories import ChannelFactory, LocationFactory, ProductFactory, intake_data
from .inventory.invariants import stock_invariant_violations

SKUS = st.sampled_from(["SKU-A", "SKU-B"])
LOCATIONS = st.sampled_from(["chicago", "ny", "la"])


def stock_snapshot() -> tuple:
    return (list(StockLevel.objects.order_by("id").values_list("on_hand", "reserved", "incoming", "damaged", "safety_stock")), StockMovement.objects.count())


class StockAndOrders(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        ChannelFactory(code="web")
        LocationFactory(code="chicago", city="Chicago", latitude=41.85, longitude=-87.65)
        LocationFactory(code="ny", city="New York", latitude=40.71, longitude=-74.01)
        LocationFactory(code="la", city="Los Angeles", latitude=34.05, longitude=-118.24)
        self.product_ids = {sku: ProductFactory(sku=sku).pk for sku in ("SKU-A", "SKU-B")}
        self.in_transit: list[int] = []

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def _serve_backorders(self, *skus):
        # Receipts dispatch this after commit; inside the example's transaction we call it ourselves.
        backorders_allocate(product_ids=[self.product_ids[sku] for sku in skus], actor="test")

    def _orders(self, *statuses) -> list[int]:
        return list(Order.objects.filter(status__in=statuses).order_by("id").values_list("pk", flat=True))

    def _refused_changes_nothing(self, operation) -> None:
        before = stock_snapshot()
        try:
            operation()
        except DomainError:
            assert stock_snapshot() == before

    # --- stock ---

    @rule(sku=SKUS, location=LOCATIONS, quantity=st.integers(1, 8))
    def receive(self, sku, location, quantity):
        stock_receive(sku=sku, location=location, quantity=quantity, actor="test")
        self._serve_backorders(sku)

    @rule(sku=SKUS, location=LOCATIONS, quantity=st.integers(-6, 6).filter(bool))
    def adjust(self, sku, location, quantity):
        self._refused_changes_nothing(lambda: stock_adjust(sku=sku, location=location, quantity=quantity, reason="count", actor="test"))
        if quantity > 0:
            self._serve_backorders(sku)

    @rule(sku=SKUS, location=LOCATIONS, quantity=st.integers(1, 4))
    def quarantine(self, sku, location, quantity):
        self._refused_changes_nothing(lambda: stock_quarantine(sku=sku, location=location, quantity=quantity, reason="damaged", actor="test"))

    @rule(sku=SKUS, location=LOCATIONS, quantity=st.integers(1, 4))
    def scrap(self, sku, location, quantity):
        self._refused_changes_nothing(lambda: stock_scrap(sku=sku, location=location, quantity=quantity, reason="write-off", actor="test"))

    @rule(sku=SKUS, location=LOCATIONS, quantity=st.integers(1, 4))
    def release_from_quarantine(self, sku, location, quantity):
        """Refurbished units become sellable again: quarantine falls, on hand stays; asking for
        more than is quarantined is refused and changes nothing."""
        level = StockLevel.objects.filter(product__sku=sku, location__code=location).values("on_hand", "damaged").first() or {"on_hand": 0, "damaged": 0}
        self._refused_changes_nothing(
            lambda: stock_quarantine_release(sku=sku, location=location, quantity=quantity, reason="refurbished", actor="test")
        )
        after = StockLevel.objects.filter(product__sku=sku, location__code=location).values("on_hand", "damaged").first() or {"on_hand": 0, "damaged": 0}
        released = quantity if quantity <= level["damaged"] else 0
        assert after == {"on_hand": level["on_hand"], "damaged": level["damaged"] - released}
        if released:
            self._serve_backorders(sku)

    @rule(sku=SKUS, location=LOCATIONS, quantity=st.integers(0, 3))
    def safety_stock(self, sku, location, quantity):
        stock_set_safety(sku=sku, location=location, safety_stock=quantity, actor="test")
        self._serve_backorders(sku)

    @rule(route=st.permutations(["chicago", "ny", "la"]), sku=SKUS, quantity=st.integers(1, 5), then=st.sampled_from(["receive", "cancel", "wait"]))
    def transfer(self, route, sku, quantity, then):
        moved = stock_transfer_create(source=route[0], destination=route[1], lines=[(sku, quantity)], actor="test")
        before = stock_snapshot()
        try:
            stock_transfer_dispatch(transfer_id=moved.pk, actor="test")
        except DomainError:
            assert stock_snapshot() == before
            stock_transfer_cancel(transfer_id=moved.pk, actor="test")
            return
        if then == "receive":
            stock_transfer_receive(transfer_id=moved.pk, actor="test")
            self._serve_backorders(sku)
        elif then == "cancel":
            stock_transfer_cancel(transfer_id=moved.pk, actor="test")
            self._serve_backorders(sku)
        else:
            self.in_transit.append(moved.pk)

    @precondition(lambda self: self.in_transit)
    @rule(data=st.data(), receive=st.booleans())
    def transfer_arrives_or_is_called_back(self, data, receive):
        transfer_id = self.in_transit.pop(data.draw(st.integers(0, len(self.in_transit) - 1)))
        (stock_transfer_receive if receive else stock_transfer_cancel)(transfer_id=transfer_id, actor="test")
        self._serve_backorders("SKU-A", "SKU-B")

    # --- orders ---

    @rule(lines=st.lists(st.tuples(SKUS, st.integers(1, 5)), min_size=1, max_size=3), paid=st.booleans())
    def order(self, lines, paid):
        order_intake(data=intake_data(lines, payment_status="paid" if paid else "pending"), actor="test")

    @rule(data=st.data())
    def cancel(self, data):
        candidates = self._orders(*OrderStatus.values)
        if candidates:
            order_id = data.draw(st.sampled_from(candidates))
            self._refused_changes_nothing(lambda: order_cancel(order_id=order_id, actor="test"))

    @rule(data=st.data())
    def payment_arrives(self, data):
        waiting = self._orders(OrderStatus.ON_HOLD)
        if waiting:
            order_payment_update(order_id=data.draw(st.sampled_from(waiting)), payment_status="authorized", actor="test")

    @rule(data=st.data(), partly=st.booleans())
    def ship(self, data, partly):
        ready = self._orders(OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)
        if not ready:
            return
        order = Order.objects.get(pk=data.draw(st.sampled_from(ready)))
        if order.status == OrderStatus.ALLOCATED:
            order_start_fulfillment(order_id=order.pk, actor="test")
        line = order.lines.filter(quantity_reserved__gt=0).first()
        quantities = {line.pk: 1} if partly and line else None
        self._refused_changes_nothing(lambda: order_ship(order_id=order.pk, quantities=quantities, actor="test"))

    @rule(data=st.data(), location=LOCATIONS, disposition=st.sampled_from(["restock", "refurbish", "quarantine", "scrap", "return_to_vendor"]))
    def return_comes_back(self, data, location, disposition):
        """A customer returns a unit of a shipped line; it is received and inspected: its
        disposition posts return restock, quarantine, scrap or return-to-vendor moves."""
        shipped = list(OrderLine.objects.filter(quantity_shipped__gt=F("quantity_returned")).order_by("id").values_list("order_id", "line_number", "sku"))
        if not shipped:
            return
        order_id, line_number, sku = data.draw(st.sampled_from(shipped))
        try:
            rma = return_request(order_id=order_id, lines=[ReturnLineData(line_number=line_number, quantity=1, reason="changed_mind")], actor="test")
        except DomainError:
            return  # its last units are on an open return already
        if rma.status == "requested":
            return_approve(return_id=rma.pk, actor="test")
        return_receive(return_id=rma.pk, location=location, items=[ReceivedItem(sku=sku)], actor="test")
        return_inspect(return_id=rma.pk, lines=[InspectionData(line_number=line_number, condition="opened", disposition=disposition)], actor="test")
        if disposition == "restock":
            self._serve_backorders(sku)

    @rule(data=st.data(), location=LOCATIONS, first_part=st.integers(1, 3), stray=st.booleans(), finish=st.sampled_from(["rest", "missing"]),
          disposition=st.sampled_from(["restock", "refurbish", "quarantine", "scrap", "return_to_vendor"]))
    def return_arrives_in_parts(self, data, location, first_part, stray, finish, disposition):
        """Several units of a line come back in two parcels (the first with a stray item the
        return does not name); the second brings the rest, or nothing more comes and the rest is
        recorded missing. Inspection accepts some of them and posts all received units to the
        ledger as restock, quarantine (refurbish, damaged) or scrap / return-to-vendor moves."""
        # A customer who bought two units (stock received for them, the order shipped in full).
        sku = data.draw(SKUS)
        stock_receive(sku=sku, location=location, quantity=2, actor="test")
        order = order_intake(data=intake_data([(sku, 2)], payment_status="paid"), actor="test").order
        self._serve_backorders(sku)
        if Order.objects.get(pk=order.pk).status != OrderStatus.ALLOCATED:
            return  # held by screening, or its stock went to an older backorder
        order_start_fulfillment(order_id=order.pk, actor="test")
        order_ship(order_id=order.pk, actor="test")
        line_number = 1
        rma = return_request(order_id=order.pk, lines=[ReturnLineData(line_number=line_number, quantity=2, reason="changed_mind")], actor="test")
        if rma.status == "requested":
            return_approve(return_id=rma.pk, actor="test")
        other = "SKU-B" if sku == "SKU-A" else "SKU-A"
        first = min(first_part, 2)
        before = stock_snapshot()
        return_receive(return_id=rma.pk, location=location, items=[ReceivedItem(sku=sku, quantity=first), *([ReceivedItem(sku=other)] if stray else [])],
                       actor="test")
        assert stock_snapshot() == before, "receiving moves no stock; inspection does"
        if first < 2:
            if finish == "rest":
                return_receive(return_id=rma.pk, location=location, items=[ReceivedItem(sku=sku, quantity=2 - first)], actor="test")
            else:
                return_receive(return_id=rma.pk, location=location, items=[ReceivedItem(sku=other)], complete=True, actor="test")
        received = ReturnLine.objects.get(request_id=rma.pk).quantity_received
        accepted = data.draw(st.integers(0, received))
        return_inspect(return_id=rma.pk, lines=[InspectionData(line_number=line_number, condition="opened", disposition=disposition,
                                                               quantity_accepted=accepted)], actor="test")
        if disposition == "restock":
            self._serve_backorders(sku)

    # --- what must always hold ---

    @invariant()
    def returned_units_are_what_the_returns_received(self):
        received = dict(
            ReturnLine.objects.values("order_line_id").annotate(units=Sum("quantity_received")).order_by().values_list("order_line_id", "units")
        )
        for line_id, returned, shipped in OrderLine.objects.values_list("pk", "quantity_returned", "quantity_shipped"):
            assert returned == received.get(line_id, 0) and returned <= shipped, line_id

    @invariant()
    def every_inspected_return_put_its_units_where_inspection_sent_them(self):
        # Per disposition, what the ledger's rows with the RMA's number do to on hand and quarantine.
        effect = {"restock": (1, 0), "refurbish": (1, 1), "quarantine": (1, 1), "scrap": (0, 0), "return_to_vendor": (0, 0)}
        for rma in ReturnRequest.objects.filter(status="inspected").prefetch_related("lines__order_line"):
            expected: dict[str, list[int]] = {}
            for return_line in rma.lines.all():
                on_hand, damaged = effect[return_line.disposition]
                row = expected.setdefault(return_line.order_line.sku, [0, 0])
                row[0] += on_hand * return_line.quantity_received
                row[1] += damaged * return_line.quantity_received
            posted = {
                sku: [on_hand, damaged]
                for sku, on_hand, damaged in StockMovement.objects.filter(reference=rma.number).values("product__sku")
                .annotate(on_hand=Sum("on_hand_delta"), damaged=Sum("damaged_delta")).order_by().values_list("product__sku", "on_hand", "damaged")
            }
            assert posted == {sku: row for sku, row in expected.items() if any(row) or sku in posted}, rma.number

    @invariant()
    def books_are_straight(self):
        assert stock_invariant_violations() == []

    @invariant()
    def allocated_orders_hold_all_they_ordered(self):
        for order in Order.objects.filter(status=OrderStatus.ALLOCATED).prefetch_related("lines"):
            assert all(line.quantity_reserved == line.quantity for line in order.lines.all()), order

    @invariant()
    def held_orders_hold_no_stock_they_did_not_have_before(self):
        # Orders held at intake never reserved anything; they only reserve once released.
        for order in Order.objects.filter(status=OrderStatus.ON_HOLD, holds__reason="payment", holds__released_at__isnull=True).prefetch_related("lines"):
            assert all(line.quantity_reserved == 0 for line in order.lines.all()), order


def test_random_operations_keep_counters_equal_to_the_ledger_and_nothing_negative(db):
    run_state_machine_as_test(
        StockAndOrders,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            database=None,  # no example files in the working tree
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
