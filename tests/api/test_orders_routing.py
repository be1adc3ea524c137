"""The routing decision in the API: each order's detail says where its stock comes from and why;
lists stay lean."""

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from drf_spectacular.drainage import GENERATOR_STATS
from inventory.services import stock_receive
from oms.api.representation import _prototype, represent
from orders.api.serializers import OrderDetailSerializer
from orders.models import Order
from orders.routing import TERMS
from orders.selectors import orders_with_details

from ..factories import LocationFactory, place_order
from .support import order_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def boston(db):
    return LocationFactory(code="boston", name="Boston DC", city="Boston", latitude=42.36, longitude=-71.06)


def test_given_two_locations_when_an_order_is_read_then_its_detail_says_which_won_and_why(api, stocked, boston):
    stocked("SKU-A", 5)
    stocked("SKU-B", 5, location=boston)
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    order = place_order([("SKU-A", 1)])

    routing = api.get(f"/api/v1/orders/{order.number}/").json()["routing"]

    [decision] = routing["decisions"]
    assert (decision["trigger"], decision["outcome"], decision["strategy"]) == ("intake", "allocated", "built-in default")
    winner = decision["candidates"][decision["winner"]]
    assert winner["locations"] == ["boston"]
    assert [candidate["locations"] for candidate in decision["candidates"]] == [["boston"], ["chicago"]]
    assert decision["reason"].startswith("boston ships everything: best of 2 candidates")
    assert set(winner["terms"]) == set(TERMS) and set(decision["weights"]) == set(TERMS)
    assert winner["score"] == pytest.approx(sum(winner["terms"].values()), abs=0.05)
    assert decision["covered"] is True and decision["missing"] == {}


def test_the_detail_carries_every_field_the_engine_stores(api, stocked, boston, django_capture_on_commit_callbacks):
    # A test that fails when the engine starts storing a field the API does not describe.
    stocked("SKU-A", 1)
    order = place_order([("SKU-A", 3)])  # backordered with one unit from chicago
    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(sku="SKU-A", location="boston", quantity=2, actor="test")
    stored = Order.objects.get(pk=order.pk).routing

    body = api.get(f"/api/v1/orders/{order.number}/").json()

    assert [d["outcome"] for d in stored["decisions"]] == ["backordered", "allocated"]
    assert body["routing"] == stored
    first = body["routing"]["decisions"][0]
    assert (first["missing_units"], first["missing"], first["covered"]) == (2, {"SKU-A": 2}, False)
    assert body["routing"]["decisions"][1]["trigger"] == "stock arrived"


def test_an_order_held_at_intake_answers_no_decisions_yet(api, stocked):
    stocked("SKU-A", 5)

    created = api.post("/api/v1/orders/", order_payload(payment_status="pending"), format="json").json()

    assert created["status"] == "on_hold"
    assert created["routing"] == {"decisions": []}
    assert api.get(f"/api/v1/orders/{created['number']}/").json()["routing"] == {"decisions": []}


def test_a_decision_with_nothing_reserved_has_no_winner_and_says_what_is_missing(api, stocked):
    stocked("SKU-A", 0)
    order = place_order([("SKU-A", 2)])

    [decision] = api.get(f"/api/v1/orders/{order.number}/").json()["routing"]["decisions"]

    assert decision["winner"] is None and decision["candidates"] == []
    assert decision["missing"] == {"SKU-A": 2}
    assert decision["reason"] == "No location has any of the stock: waiting for stock."


def test_every_answer_about_one_order_carries_routing_and_lists_do_not(api, stocked):
    stocked("SKU-A", 5)
    created = api.post("/api/v1/orders/", order_payload(), format="json").json()
    number = created["number"]

    held = api.post(f"/api/v1/orders/{number}/hold/", {"reason": "manual"}, format="json").json()
    listed = api.get("/api/v1/orders/").json()["results"]
    bulk = api.post("/api/v1/orders/bulk/", {"orders": [order_payload()]}, format="json").json()

    assert created["routing"]["decisions"][0]["outcome"] == "allocated"
    assert held["routing"] == created["routing"]
    assert all("routing" not in order for order in listed)
    assert "routing" not in bulk["results"][0]["order"]


def test_the_planned_renderer_gives_what_drf_gives_for_the_detail(stocked, boston, django_capture_on_commit_callbacks):
    stocked("SKU-A", 1)
    stocked("SKU-B", 5)
    place_order([("SKU-A", 3)])  # backordered, then allocated when stock arrives
    place_order([("SKU-B", 1)], billing_address=None)
    place_order([("SKU-A", 1)], payment_status="pending")  # never routed
    place_order([("SKU-UNKNOWN", 1)])
    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(sku="SKU-A", location="boston", quantity=4, actor="test")
    orders = list(orders_with_details())

    assert len({len(order.routing.get("decisions", [])) for order in orders}) == 3  # 0, 1 and 2 decisions
    for order in orders:
        assert represent(OrderDetailSerializer, order) == dict(_prototype(OrderDetailSerializer).to_representation(order))


def test_reading_one_order_costs_the_same_queries_however_many_lines_and_decisions_it_has(api, stocked, boston, django_capture_on_commit_callbacks):
    for sku in ("SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E"):
        stocked(sku, 1)
    small = place_order([("SKU-A", 1)])
    large = place_order([(sku, 3) for sku in ("SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E")])
    with django_capture_on_commit_callbacks(execute=True):
        for sku in ("SKU-A", "SKU-B", "SKU-C"):
            stock_receive(sku=sku, location="boston", quantity=1, actor="test")
    assert len(Order.objects.get(pk=large.pk).routing["decisions"]) > 1
    api.get(f"/api/v1/orders/{small.number}/")  # the key's first use writes its last-use stamp

    with CaptureQueriesContext(connection) as one:
        assert api.get(f"/api/v1/orders/{small.number}/").status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert api.get(f"/api/v1/orders/{large.number}/").status_code == 200

    assert len(many) == len(one)


def test_the_schema_describes_the_decision_field_by_field_and_only_on_the_detail(tmp_path):
    GENERATOR_STATS.reset()
    schema_file = tmp_path / "schema.yaml"
    call_command("spectacular", file=str(schema_file))
    schema = yaml.safe_load(schema_file.read_text())
    components, paths = schema["components"]["schemas"], schema["paths"]

    def response_of(path, method, status="200"):
        ref = paths[path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        component = components[ref.rsplit("/", 1)[1]]
        return component["properties"]["results"]["items"]["$ref"] if "results" in component.get("properties", {}) else ref

    assert response_of("/api/v1/orders/{number}/", "get").endswith("/OrderDetail")
    assert response_of("/api/v1/orders/", "post", "201").endswith("/OrderDetail")
    assert response_of("/api/v1/orders/", "get").endswith("/Order")
    assert "routing" not in components["Order"]["properties"]
    assert components["OrderDetail"]["properties"]["routing"]["allOf"][0]["$ref"].endswith("/Routing")
    decision = components["RoutingDecision"]
    assert {"strategy", "weights", "candidates", "winner", "reason", "missing"} <= set(decision["required"])
    assert components["RoutingCandidate"]["properties"]["terms"]["additionalProperties"]["type"] == "number"
    assert {"OrderStatusEnum", "OrderPaymentStatusEnum"} <= set(components)


def test_a_re_planned_order_says_so_and_what_it_saved_in_its_detail(api, stocked, boston):
    from orders.models import Channel
    from orders.services.replanning import replan_open_orders

    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    assert api.get(f"/api/v1/orders/{order.number}/").json()["replanned"] is None
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    Channel.objects.filter(code="web").update(replan_enabled=True)
    result = replan_open_orders(actor="test", threshold=0.0)

    body = api.get(f"/api/v1/orders/{order.number}/").json()

    saving = round(result.saving, 2)
    assert body["replanned"] == {"run_id": result.run.pk, "saving": saving, "text": f"Re-planned: saved {saving:.2f} (plan #{result.run.pk})"}
    latest = body["routing"]["decisions"][-1]
    assert (latest["trigger"], latest["replan"]) == ("re-planned", {"run_id": result.run.pk, "saving": saving})
    assert latest["candidates"][latest["winner"]]["locations"] == ["boston"]
