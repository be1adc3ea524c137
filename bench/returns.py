"""Queries per return operation (request, receive, inspect, refund) for returns of 1, 5 and 20 lines.

    .venv/bin/python bench/returns.py

On a throw-away PostgreSQL database (``oms_bench_returns``; ``BENCH_RETURNS_DATABASE_URL`` to point
elsewhere): orders of N lines are placed, shipped and delivered through the services, then each is
returned in full, its parcel received and inspected (restock), then refunded (built-in adapter;
the policy's refund-on-inspection subscriber is switched off here so that inspection and refund are
counted apart, as a worker would run them). Every service runs in-process and
its statements are counted (BEGIN/COMMIT and savepoints left out). The baseline, measured in the
same run, is the 1-line return: the target is the same count for every N (constant in lines).

Not a timed test: it prints figures for a person to read and compare.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
URL = os.environ.get("BENCH_RETURNS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_returns")

import intake  # noqa: E402  (bench/intake.py: database set-up)

SIZES = (1, 5, 20)
NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def counted(run) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        run()
    return sum(1 for query in ctx.captured_queries if not query["sql"].startswith(NOT_COUNTED))


def shipped_order(lines: int, serial: int):
    from decimal import Decimal

    from orders.services import AddressData, LineData, OrderIntakeData, order_deliver, order_intake, order_ship, order_start_fulfillment

    data = OrderIntakeData(
        channel="web", external_id=f"ret-{lines}-{serial}", currency="USD", email="ada@example.com", first_name="Ada", last_name="Lovelace",
        shipping_address=AddressData(name="Ada", line1="1 Main St", city="Boston", region="MA", postal_code="02108", country="US"),
        payment_status="paid", lines=[LineData(sku=f"B-{i:04d}", quantity=2, unit_price=Decimal("19.90")) for i in range(lines)],
    )
    order = order_intake(data=data, actor="bench").order
    order_start_fulfillment(order_id=order.pk, actor="bench")
    order_ship(order_id=order.pk, actor="bench")
    order_deliver(order_id=order.pk, actor="bench")
    return order


def measure(lines: int, serial: int) -> dict[str, int]:
    from returns.services import InspectionData, ReceivedItem, ReturnLineData, return_inspect, return_receive, return_refund, return_request

    order = shipped_order(lines, serial)
    numbers = range(1, lines + 1)
    holder = {}
    figures = {
        "request": counted(lambda: holder.setdefault("rma", return_request(
            order_id=order.pk, lines=[ReturnLineData(line_number=n, quantity=2, reason="too_small") for n in numbers], actor="bench"))),
    }
    rma = holder["rma"]
    figures["receive"] = counted(lambda: return_receive(
        return_id=rma.pk, location="chi", items=[ReceivedItem(sku=f"B-{i:04d}", quantity=2) for i in range(lines)], actor="bench"))
    figures["inspect"] = counted(lambda: return_inspect(
        return_id=rma.pk, lines=[InspectionData(line_number=n, condition="new", disposition="restock") for n in numbers], actor="bench"))
    figures["refund"] = counted(lambda: return_refund(return_id=rma.pk, actor="bench"))
    return figures


def refund_timing_off() -> None:
    """Take the refund-timing subscriber off the return events (the bench refunds by hand)."""
    from oms import events
    from returns.services import on_return_refund_moment

    for handlers in events._subscribers.values():
        while on_return_refund_moment in handlers:
            handlers.remove(on_return_refund_moment)


def main() -> None:
    intake.recreate_database(URL)
    intake._django_setup(URL)
    intake.seed()
    from inventory.selectors import ledger_mismatches
    from returns.models import ReturnRequest, ReturnStatus

    refund_timing_off()
    measure(1, 0)  # warm the process caches (statements, policies)
    results = {lines: measure(lines, 1) for lines in SIZES}
    print("Queries per return operation (statements sent to PostgreSQL, transaction control left out)\n")
    print(f"{'operation':<10}" + "".join(f"{f'{n} line' + ('s' if n > 1 else ''):>12}" for n in SIZES) + "   constant?")
    for operation in ("request", "receive", "inspect", "refund"):
        row = [results[n][operation] for n in SIZES]
        print(f"{operation:<10}" + "".join(f"{count:>12}" for count in row) + f"   {'yes' if len(set(row)) == 1 else 'NO'}")
    refunded = ReturnRequest.objects.filter(status=ReturnStatus.REFUNDED).count()
    print(f"\n{refunded} returns inspected and refunded; the ledger reconciles: {'yes' if not ledger_mismatches() else 'NO'}.")


if __name__ == "__main__":
    main()
