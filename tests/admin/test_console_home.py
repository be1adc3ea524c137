"""The console's home: each role sees the queues it works, with counts that match the lists the
tiles open; the index is grouped by the work; `/` leads to the home."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from fulfillment.services import fulfillment_order_hold_place, fulfillment_order_pack
from fulfillment.services.picking import pick_list_build
from inventory.services import stock_receive
from orders.models import HoldReason, OrderStatus
from orders.services import order_hold_place, order_start_fulfillment
from shipping.demo import demo_shipping_seed
from shipping.services import shipment_create, tracking_events_record

from ..factories import LocationFactory, place_order
from .conftest import fresh

pytestmark = pytest.mark.django_db

FLOOR_QUEUES = ["allocate", "start_fulfillment", "pick", "pack", "ship", "fulfillment_holds", "returns_inspect"]
SERVICE_QUEUES = ["release", "fulfillment_holds", "exceptions", "late", "platform_cancelled", "returns_decide", "returns_overdue"]
RETURN_QUEUES = ["returns_decide", "returns_overdue", "returns_inspect"]
ALL_QUEUES = ["release", "allocate", "start_fulfillment", "pick", "pack", "ship", "fulfillment_holds", "exceptions", "late", "platform_cancelled",
              *RETURN_QUEUES]


def ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def sent_to_floor(lines, django_capture_on_commit_callbacks, **overrides) -> FulfillmentOrder:
    order = place_order(lines, **overrides)
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    return FulfillmentOrder.objects.get(order=order)


def trouble_shipment(reference: str) -> None:
    """A shipment the carrier reported an exception for."""
    shipment = shipment_create(
        carrier_code="oms-post", service_code="ground", reference=reference,
        origin={"name": "Chicago DC", "line1": "1 Dock St", "city": "Chicago", "postal_code": "60601", "country": "US"},
        destination={"name": "Ada Lovelace", "line1": "5 Main St", "city": "Austin", "postal_code": "73301", "country": "US"},
        parcels=[{"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}], declared_value=Decimal("0"), actor="test",
    )
    for code, hours in (("in_transit", 2), ("exception", 1)):
        at = (timezone.now() - datetime.timedelta(hours=hours)).isoformat()
        event = {"event_id": f"{reference}-{code}", "tracking_number": shipment.tracking_number, "code": code, "status_text": code,
                 "location": "Chicago IL", "occurred_at": at}
        tracking_events_record(carrier_code="oms-post", events=[event], actor="test")


@pytest.fixture
def work(stocked, django_capture_on_commit_callbacks):
    """A day's work in every state, made by the services:
    two orders on hold (payment, unknown SKU), one backordered, one allocated, one late,
    fulfillment orders to pick, being picked, packed and held, and a carrier exception."""
    stocked("SKU-A", 50)
    stocked("SKU-B", 1)
    place_order([("SKU-A", 1)], payment_status="pending", placed_at=ago(3))
    place_order([("SKU-UNKNOWN", 1)], placed_at=ago(1))
    place_order([("SKU-B", 5)], placed_at=ago(2))
    place_order([("SKU-A", 1)])
    place_order([("SKU-A", 1)], placed_at=ago(10), promised_delivery_date=timezone.localdate() - datetime.timedelta(days=4))
    to_pick = sent_to_floor([("SKU-A", 1)], django_capture_on_commit_callbacks)
    picking = sent_to_floor([("SKU-A", 2)], django_capture_on_commit_callbacks)
    packed = sent_to_floor([("SKU-A", 1)], django_capture_on_commit_callbacks)
    held = sent_to_floor([("SKU-A", 1)], django_capture_on_commit_callbacks)
    pick_list_build(location="chicago", fulfillment_order_ids=[picking.pk, packed.pk], kind="batch", actor="test")
    fulfillment_order_pack(fulfillment_order_id=packed.pk, actor="test")
    fulfillment_order_hold_place(fulfillment_order_id=held.pk, reason="address_check", detail="check the flat number", actor="test")
    demo_shipping_seed()
    trouble_shipment(packed.number)
    assert fresh(packed.order).status == OrderStatus.IN_FULFILLMENT
    assert FulfillmentOrder.objects.get(pk=packed.pk).status == FulfillmentStatus.PACKED
    return {"to_pick": to_pick, "picking": picking, "packed": packed, "held": held}


def queues_on(page) -> dict[str, dict]:
    return {queue["key"]: queue for queue in page.context["work_queues"]}


@pytest.mark.parametrize(("role", "expected"), [
    ("Warehouse", FLOOR_QUEUES),
    ("Customer service", SERVICE_QUEUES),
    ("Operations manager", ALL_QUEUES),
])
def test_each_role_sees_the_queues_it_works_in_work_order(console, work, role, expected):
    page = console(role).get(reverse("admin:index"))

    assert page.status_code == 200
    assert list(queues_on(page)) == expected
    assert not page.context["read_only"]
    html = page.content.decode()
    for key in ALL_QUEUES:
        assert (f'id="queue-{key}"' in html) == (key in expected), key


def test_accounting_sees_a_read_only_summary_of_orders_and_floor(console, work):
    page = console("Accounting").get(reverse("admin:index"))

    assert page.context["read_only"]
    assert list(queues_on(page)) == ["release", "allocate", "start_fulfillment", "pick", "pack", "ship", "fulfillment_holds", "late", "platform_cancelled",
                                     *RETURN_QUEUES]
    assert "A read-only summary" in page.content.decode()


def test_the_counts_are_the_work_waiting(console, work):
    queues = queues_on(console("Operations manager").get(reverse("admin:index")))

    counts = {key: queue["count"] for key, queue in queues.items()}
    assert counts == {
        "release": 2, "allocate": 1, "start_fulfillment": 2, "pick": 1, "pack": 1, "ship": 1, "fulfillment_holds": 1,
        "exceptions": 1, "late": 1, "platform_cancelled": 0, "returns_decide": 0, "returns_overdue": 0, "returns_inspect": 0,
    }
    holds = {row["label"]: row["count"] for row in queues["release"]["rows"]}
    assert holds == {HoldReason.PAYMENT.label: 1, HoldReason.STOCK.label: 1}
    # Oldest first: the payment hold was placed with its order three days ago.
    assert [row["label"] for row in queues["release"]["rows"]] == [HoldReason.PAYMENT.label, HoldReason.STOCK.label]
    assert {row["label"]: row["count"] for row in queues["allocate"]["rows"]} == {"Backordered": 1, "Pending": 0}
    assert [(row["label"], row["count"]) for row in queues["pick"]["rows"]] == [("chicago · Chicago DC", 1), ("Open pick lists", 1)]
    assert queues["late"]["oldest"] == timezone.localdate() - datetime.timedelta(days=4)
    html = console("Operations manager", username="manager2").get(reverse("admin:index")).content.decode()
    assert "oldest hold: 0\xa0minutes" in html


@pytest.mark.parametrize("role", ["Operations manager", "Warehouse", "Customer service", "Accounting"])
def test_every_link_opens_a_list_of_exactly_the_items_counted(console, work, role):
    client = console(role)
    queues = queues_on(client.get(reverse("admin:index")))

    checked = 0
    for queue in queues.values():
        for part in [queue, *queue["rows"]]:
            if not part["count"]:
                continue
            if role == "Accounting" and part.get("label") == "Open pick lists":
                assert part["url"] is None  # counted, but accounting may not open pick lists
                continue
            assert part["url"], (queue["key"], part.get("label"))
            listing = client.get(part["url"])
            assert listing.status_code == 200, part["url"]
            assert "e=1" not in listing.get("Location", ""), part["url"]
            assert listing.context["cl"].result_count == part["count"], (part["url"], listing.context["cl"].result_count, part["count"])
            checked += 1
    assert checked >= len(queues)


def test_the_lists_open_oldest_first(console, work):
    client = console("Operations manager")
    queues = queues_on(client.get(reverse("admin:index")))

    allocate = client.get(queues["start_fulfillment"]["url"])
    placed = [order.placed_at for order in allocate.context["cl"].result_list]
    assert len(placed) == 2 and placed == sorted(placed)
    assert "o=" in queues["pick"]["url"] and "o=" in queues["exceptions"]["url"]


def test_an_empty_console_shows_every_queue_at_zero(console):
    page = console("Operations manager").get(reverse("admin:index"))

    assert {queue["key"]: queue["count"] for queue in page.context["work_queues"]} == dict.fromkeys(ALL_QUEUES, 0)
    assert "nothing waiting" in page.content.decode()


def test_the_home_costs_the_same_queries_for_a_few_orders_as_for_many(console, work, django_capture_on_commit_callbacks,
                                                                     django_assert_max_num_queries):
    client = console("Operations manager")
    client.get(reverse("admin:index"))  # permissions cached as on any later page
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:index"))
    # Many more orders, in every state, at a second location, on hold for every reason.
    LocationFactory(code="newark", name="Newark DC", city="Newark", latitude=40.73, longitude=-74.17)
    stock_receive(sku="SKU-A", location="newark", quantity=50, actor="test")
    for reason in HoldReason.values:
        order = place_order([("SKU-A", 1)], payment_status="pending")
        if reason != HoldReason.PAYMENT:
            order_hold_place(order_id=order.pk, reason=reason, actor="test")
    for _ in range(6):
        sent_to_floor([("SKU-A", 1)], django_capture_on_commit_callbacks)
        place_order([("SKU-B", 3)])

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("admin:index"))
    queues = queues_on(page)
    assert queues["release"]["count"] == 2 + len(HoldReason.values) and len(queues["release"]["rows"]) == len(HoldReason.values)
    assert queues["pick"]["count"] == 7 and [row["label"].split(" ")[0] for row in queues["pick"]["rows"]] == ["chicago", "newark", "Open"]


# --- the index grouped by the work, the technical section, `/` ---------------------------------


def section_names(page) -> list[str]:
    return [section["name"] for section in page.context["app_list"]]


def test_the_index_is_grouped_by_the_work(console):
    page = console("Operations manager").get(reverse("admin:index"))

    assert section_names(page) == [
        "Orders & customers", "Floor: fulfillment, picking, packing", "Shipping", "Returns", "Stock", "Purchasing", "Reports & exports",
        "Channels & integrations",
        "Staff sign-in",
    ]
    orders = page.context["app_list"][0]
    assert [model["object_name"] for model in orders["models"]][:2] == ["Order", "HeldOrder"]
    html = page.content.decode()
    assert "Technical" not in html and "periodic tasks" not in html.lower()


def test_the_technical_section_is_for_administrators_only(client, console):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)

    page = client.get(reverse("admin:index"))

    assert section_names(page)[-1] == "Technical"
    technical = {model["object_name"] for model in page.context["app_list"][-1]["models"]}
    assert {"User", "Group", "DomainEvent", "DocumentJob", "PeriodicTask", "CrontabSchedule"} <= technical
    listed = [model["object_name"] for section in page.context["app_list"] for model in section["models"]]
    assert len(listed) == len(set(listed)), "a model is listed twice"


def test_the_sidebar_on_other_pages_follows_the_same_grouping(console):
    page = console("Warehouse").get(reverse("admin:fulfillment_fulfillmentorder_changelist"))

    html = page.content.decode()
    assert "Floor: fulfillment, picking, packing" in html and 'id="nav-sidebar"' in html
    assert [section["name"] for section in page.context["available_apps"]][:2] == ["Orders & customers", "Floor: fulfillment, picking, packing"]


def test_an_apps_own_page_still_lists_that_app(console):
    page = console("Operations manager").get(reverse("admin:app_list", kwargs={"app_label": "orders"}))

    assert page.status_code == 200
    assert [section["app_label"] for section in page.context["app_list"]] == ["orders"]


def test_the_site_root_leads_to_the_console_home(client):
    response = client.get("/")

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_no_view_site_link_leads_back_to_the_console(console):
    html = console("Warehouse").get(reverse("admin:index")).content.decode()

    assert "View site" not in html
