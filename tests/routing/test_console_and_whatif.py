"""The decision on the admin's order page, the strategy admin, and the what-if command."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from orders.models import RoutingStrategy

from ..factories import place_order
from .conftest import reserved_at, stock, strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = get_user_model().objects.create_user(username="manager", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Operations manager"))
    client.force_login(user)
    return client


def test_the_order_page_shows_the_decision_as_a_table_with_each_term(sites, manager):
    stock("SKU-A", ny=5, la=5)
    order = place_order([("SKU-A", 2)])

    page = manager.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert "ny ships everything: best of 2 candidates" in page
    assert '<table class="routing-candidates">' in page
    for heading in ("Est. cost", "cost", "distance", "split", "priority", "store", "capacity", "Score"):
        assert f"<th>{heading}</th>" in page
    assert "✔ winner</td><td>ny</td>" in page
    assert "<td>la</td>" in page
    assert "Strategy: built-in default · weights cost 1, distance 0.01, split 1000" in page, page[page.find("routing-reason"):][:900]


def test_the_order_page_lists_earlier_decisions_after_a_rerouting(sites, manager, django_capture_on_commit_callbacks):
    stock("SKU-A")
    order = place_order([("SKU-A", 2)])
    with django_capture_on_commit_callbacks(execute=True):
        stock("SKU-A", la=2)

    page = manager.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert "Earlier decisions:" in page
    assert "intake → backordered: No location has any of the stock" in page
    assert "stock arrived → allocated" in page


def test_a_manager_edits_a_strategy_in_the_console_and_the_next_order_follows_it(sites, manager, marketplace):
    response = manager.post(
        reverse("admin:orders_routingstrategy_add"),
        {
            "name": "Marketplace: west only", "channel": marketplace.pk, "cost_weight": "1", "distance_weight": "0.01",
            "split_weight": "1000", "priority_weight": "0", "store_weight": "0", "capacity_weight": "1000",
            "allowed_locations": [sites["la"].pk], "may_split": "on", "on_shortage": "backorder",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stock("SKU-A", ny=5, la=5)

    assert reserved_at(place_order([("SKU-A", 1)], channel="market")) == {("SKU-A", "la"): 1}
    listing = manager.get(reverse("admin:orders_routingstrategy_changelist")).content.decode()
    assert "Marketplace: west only" in listing


def test_a_second_default_strategy_is_refused_with_a_message(sites, manager):
    strategy(None)
    fields = {
        "name": "another default", "cost_weight": "1", "distance_weight": "0", "split_weight": "0", "priority_weight": "0",
        "store_weight": "0", "capacity_weight": "0", "on_shortage": "backorder",
    }

    response = manager.post(reverse("admin:orders_routingstrategy_add"), fields)

    assert response.status_code == 200
    assert "There is already a strategy for this channel" in response.content.decode()
    assert RoutingStrategy.objects.count() == 1


def whatif(*args) -> str:
    out = StringIO()
    call_command("routing_whatif", *args, stdout=out)
    return out.getvalue()


def test_whatif_reports_cost_shipment_and_split_changes_and_the_orders_that_change(sites):
    stock("SKU-A", ny=5, la=5)
    stock("SKU-B", chicago=5, la=5)
    together = place_order([("SKU-A", 1, "20"), ("SKU-B", 1, "20")])  # one parcel from LA by default
    alone = place_order([("SKU-A", 1)])
    assert reserved_at(together) == {("SKU-A", "la"): 1, ("SKU-B", "la"): 1}

    output = whatif("--channel", "web", "--weights", "split=0")

    assert "Channel web: 2 order(s) replayed" in output
    assert "What-if: cost=1, distance=0.01, split=0," in output
    assert "Orders that would change: 1" in output
    assert f"{together.number:<14}la + la" not in output
    assert together.number in output and "ny + chicago" in output
    assert alone.number not in output.split("Orders that would change")[1]
    shipments = next(line for line in output.splitlines() if line.startswith("Shipments"))
    assert shipments.split()[1:4] == ["2", "3", "+1"]
    splits = next(line for line in output.splitlines() if line.startswith("Split orders"))
    assert splits.split()[2:4] == ["0", "1"]
    cost = next(line for line in output.splitlines() if line.startswith("Estimated cost"))
    assert "-" in cost.split()[4]  # two near parcels of 0.5 kg cost less than one from across the country


def test_whatif_without_splitting_leaves_out_what_one_location_cannot_cover(sites):
    stock("SKU-A", ny=5)
    stock("SKU-B", la=5)
    place_order([("SKU-A", 1), ("SKU-B", 1)])

    output = whatif("--channel", "web", "--no-split")

    assert "0 order(s) replayed" in output
    assert "1 that today's stock could not cover under the what-if" in output


def test_whatif_respects_since_and_limit(sites):
    stock("SKU-A", ny=5)
    for _ in range(3):
        place_order([("SKU-A", 1)])

    assert "2 order(s) replayed" in whatif("--channel", "web", "--limit", "2")
    assert "0 order(s) replayed" in whatif("--channel", "web", "--since", "2999-01-01")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--channel", "nowhere"], "No channel 'nowhere'. Channels: web."),
        (["--channel", "web", "--weights", "speed=3"], "Unknown weight 'speed'; the weights are cost, distance, split"),
        (["--channel", "web", "--weights", "split=lots"], "Weight split must be a number, not 'lots'"),
        (["--channel", "web", "--weights", "split=-1"], "Weight split must be zero or more"),
        (["--channel", "web", "--weights", "split"], "'split' is not name=value"),
        (["--channel", "web", "--since", "01/10/2026"], "--since: '01/10/2026' is not a date; use YYYY-MM-DD"),
        (["--channel", "web", "--limit", "0"], "--limit must be at least 1."),
    ],
)
def test_whatif_refuses_bad_options_with_a_message_that_says_what_to_do(sites, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        whatif(*args)
