"""A channel's rate shopping policy and delivery promise: typed fields, checked in the console,
turned into a ``ShoppingPolicy``; intake derives the order's promised delivery date from them."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from oms.errors import InvalidInput
from orders.models import Channel
from orders.services import order_intake
from shipping.demo import demo_shipping_seed
from shipping.shopping import CHEAPEST_ON_TIME, FASTEST_WITHIN_CAP, ShoppingPolicy

from ..factories import ChannelFactory, intake_data, place_order

PLACED = datetime.datetime(2026, 3, 2, 15, 30, tzinfo=datetime.UTC)


@pytest.fixture
def carriers(db):
    demo_shipping_seed()


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(username="boss", password="x", email="boss@example.com")
    client.force_login(user)
    return client


def channel_with(**fields) -> Channel:
    channel = ChannelFactory(code="web")
    Channel.objects.filter(pk=channel.pk).update(**fields)
    return Channel.objects.get(pk=channel.pk)


# --- the policy a channel ships under ------------------------------------------------------------


def test_given_no_goal_when_asking_the_policy_then_the_setting_applies(db, settings):
    settings.OMS_SHIPPING_POLICY = {"goal": "fastest_within_cap", "cost_cap": "30", "allowed": ["oms-post"], "currency": "USD"}
    channel = channel_with()

    policy = channel.shipping_policy()

    assert policy == ShoppingPolicy(goal=FASTEST_WITHIN_CAP, cost_cap=Decimal("30"), allowed=frozenset({"oms-post"}), currency="USD")
    assert channel.shipping_policy_source == "default"


def test_given_a_goal_when_asking_the_policy_then_the_channel_fields_apply_over_the_setting(db, settings):
    settings.OMS_SHIPPING_POLICY = {"goal": "fastest_within_cap", "cost_cap": "30", "allowed": ["europarcel"], "currency": "USD"}
    channel = channel_with(shipping_goal=CHEAPEST_ON_TIME, shipping_allowed="oms-post:ground, oms-post:express")

    policy = channel.shipping_policy()

    assert policy.goal == CHEAPEST_ON_TIME and policy.cost_cap is None
    assert policy.allowed == {"oms-post:ground", "oms-post:express"}
    assert policy.currency == "USD"  # the cap is compared in the setting's currency
    assert channel.shipping_policy_source == "channel web"


# --- checking the fields -------------------------------------------------------------------------


def test_a_cap_with_the_cheapest_goal_is_fine_and_allowed_keys_are_tidied(carriers):
    channel = Channel(code="b2b", name="B2B", shipping_goal=CHEAPEST_ON_TIME, shipping_cost_cap=Decimal("12.50"), shipping_allowed="oms-post:ground  oms-post,oms-post:ground")

    channel.full_clean()

    assert channel.shipping_allowed == "oms-post:ground, oms-post"


def test_a_negative_cap_is_refused(carriers):
    channel = Channel(code="b2b", name="B2B", shipping_goal=FASTEST_WITHIN_CAP, shipping_cost_cap=Decimal("-1"))

    with pytest.raises(ValidationError) as refused:
        channel.full_clean()

    assert "0 or more" in " ".join(refused.value.message_dict["shipping_cost_cap"])


def test_allowed_keys_naming_nothing_that_exists_are_refused_by_name(carriers):
    channel = Channel(code="b2b", name="B2B", shipping_goal=CHEAPEST_ON_TIME, shipping_allowed="oms-post:teleport, fedup, europarcel")

    with pytest.raises(ValidationError) as refused:
        channel.full_clean()

    problems = refused.value.message_dict["shipping_allowed"]
    assert len(problems) == 2
    assert "'oms-post:teleport'" in problems[0] and "ground" in problems[0]  # names the carrier's services
    assert "'fedup'" in problems[1] and "oms-post" in problems[1]  # names the carriers there are


def test_a_cap_or_allowed_carriers_without_a_goal_are_refused(carriers):
    channel = Channel(code="b2b", name="B2B", shipping_cost_cap=Decimal("10"), shipping_allowed="oms-post")

    with pytest.raises(ValidationError) as refused:
        channel.full_clean()

    assert set(refused.value.message_dict) == {"shipping_cost_cap", "shipping_allowed"}


def test_delivery_days_must_be_at_least_one(db):
    with pytest.raises(ValidationError) as refused:
        Channel(code="b2b", name="B2B", delivery_days=0).full_clean()

    assert "delivery_days" in refused.value.message_dict


# --- the console -----------------------------------------------------------------------------------


def _channel_form(**fields) -> dict:
    form = {"code": "web", "name": "Web shop", "kind": "web", "is_active": "on", "adapter": "", "integration": ""}
    return {**form, **fields}


def test_the_channel_page_saves_a_shipping_policy(admin_client, carriers):
    channel = ChannelFactory(code="web")
    url = f"/admin/orders/channel/{channel.pk}/change/"
    assert b"Shipping" in admin_client.get(url).content

    response = admin_client.post(url, _channel_form(
        shipping_goal=FASTEST_WITHIN_CAP, shipping_cost_cap="25.00", shipping_allowed="oms-post", delivery_days="3",
    ))

    assert response.status_code == 302
    saved = Channel.objects.get(pk=channel.pk)
    assert (saved.shipping_goal, saved.shipping_cost_cap, saved.shipping_allowed, saved.delivery_days) == (FASTEST_WITHIN_CAP, Decimal("25"), "oms-post", 3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"shipping_goal": CHEAPEST_ON_TIME, "shipping_allowed": "oms-post, acme:ground"}, "there is no carrier &#x27;acme&#x27;"),
        ({"shipping_goal": FASTEST_WITHIN_CAP, "shipping_cost_cap": "-5"}, "0 or more"),
    ],
)
def test_the_channel_page_refuses_bad_shipping_fields_and_says_what_to_fix(admin_client, carriers, fields, message):
    channel = ChannelFactory(code="web")

    response = admin_client.post(f"/admin/orders/channel/{channel.pk}/change/", _channel_form(**fields))

    assert response.status_code == 200 and message in response.content.decode()
    saved = Channel.objects.get(pk=channel.pk)
    assert (saved.shipping_goal, saved.shipping_allowed, saved.shipping_cost_cap) == ("", "", None)


# --- the order's promise ---------------------------------------------------------------------------


def test_given_channel_delivery_days_when_an_order_comes_without_a_promise_then_it_is_promised_that_many_days_after_it_was_placed(stocked):
    stocked("SKU-A", 5)
    channel_with(delivery_days=5)

    order = place_order([("SKU-A", 1)], placed_at=PLACED)

    assert order.promised_delivery_date == datetime.date(2026, 3, 7)


def test_given_an_order_with_its_own_promise_then_it_wins_over_the_channel_days(stocked):
    stocked("SKU-A", 5)
    channel_with(delivery_days=5)

    order = place_order([("SKU-A", 1)], placed_at=PLACED, promised_delivery_date=datetime.date(2026, 3, 3))

    assert order.promised_delivery_date == datetime.date(2026, 3, 3)


def test_given_no_days_and_no_promise_then_the_order_promises_nothing(stocked):
    stocked("SKU-A", 5)

    assert place_order([("SKU-A", 1)]).promised_delivery_date is None


@pytest.mark.parametrize(
    ("promise", "says"),
    [(datetime.date(2026, 3, 1), "before the order was placed (2026-03-02)"), ("next week", "not a date"), ("2026-03-02T10:00", "not a date")],
)
def test_a_promise_before_the_order_or_not_a_date_is_refused_and_nothing_is_recorded(stocked, promise, says):
    stocked("SKU-A", 5)
    ChannelFactory(code="web")

    with pytest.raises(InvalidInput) as refused:
        order_intake(data=intake_data([("SKU-A", 1)], placed_at=PLACED, promised_delivery_date=promise), actor="test")

    assert says in refused.value.fields["promised_delivery_date"][0]
    assert not Channel.objects.get(code="web").orders.exists()


def test_a_promise_given_as_an_iso_string_is_taken(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 1)], placed_at=PLACED, promised_delivery_date="2026-03-02")

    assert order.promised_delivery_date == datetime.date(2026, 3, 2)


# --- the ship-by promise -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("placed", "handling_days", "cutoff", "ship_by"),
    [
        # Monday 2 March 2026, 15:30 UTC
        (PLACED, 0, None, datetime.date(2026, 3, 2)),  # same day
        (PLACED, 2, None, datetime.date(2026, 3, 4)),  # Wednesday
        (PLACED, 2, datetime.time(14, 0), datetime.date(2026, 3, 5)),  # after the cutoff: counts from Tuesday
        (PLACED, 0, datetime.time(16, 0), datetime.date(2026, 3, 2)),  # before the cutoff
        (PLACED.replace(day=6), 1, None, datetime.date(2026, 3, 9)),  # Friday + 1 working day = Monday
        (PLACED.replace(day=7), 0, None, datetime.date(2026, 3, 9)),  # Saturday: counts from Monday
        (PLACED.replace(day=6), 0, datetime.time(14, 0), datetime.date(2026, 3, 9)),  # Friday after the cutoff: Monday
    ],
)
def test_the_ship_by_date_counts_working_days_from_the_channels_cutoff(stocked, settings, placed, handling_days, cutoff, ship_by):
    settings.TIME_ZONE = "UTC"
    stocked("SKU-A", 5)
    channel_with(handling_days=handling_days, ship_cutoff=cutoff)

    order = place_order([("SKU-A", 1)], placed_at=placed)

    assert order.promised_ship_date == ship_by


def test_a_channel_without_handling_days_promises_no_ship_by_date(stocked):
    stocked("SKU-A", 5)
    channel_with(delivery_days=5)

    assert place_order([("SKU-A", 1)], placed_at=PLACED).promised_ship_date is None
