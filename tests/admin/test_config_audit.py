"""Catalogue and configuration changes leave a record: who changed what, old and new values."""

from django.urls import reverse

from inventory.models import ChannelStockRule
from oms.models import ConfigChange
from orders.models import OrderEvent, ScreeningRule
from orders.services.screening import screening_setup

from ..factories import LocationFactory, place_order


def records(obj) -> list[ConfigChange]:
    return list(ConfigChange.objects.filter(model=obj._meta.label, object_id=str(obj.pk)).order_by("id"))


def test_a_channel_rule_changed_in_the_console_is_recorded_and_shown_on_its_page(console):
    # given a channel stock rule selling from one location, and an operations manager
    boston, chicago = LocationFactory(code="bos"), LocationFactory(code="chi")
    rule = ChannelStockRule.objects.create(channel_code="amazon", buffer_units=2)
    rule.locations.add(boston)
    client = console("Operations manager")
    url = reverse("admin:inventory_channelstockrule_change", args=[rule.pk])

    # when the manager raises the buffer and adds a location
    response = client.post(url, {"channel_code": "amazon", "locations": [boston.pk, chicago.pk], "buffer_units": 5, "share_percent": 100})

    # then the change is recorded with the old and new values and the manager's name
    assert response.status_code == 302, response.content
    (change,) = records(rule)
    assert change.action == ConfigChange.Action.UPDATE and change.actor_label == "operations_manager"
    assert change.changes["buffer_units"] == [2, 5]
    assert change.changes["locations"] == [[boston.pk], sorted([boston.pk, chicago.pk])]
    # and the rule's page lists it under "Changes"
    page = client.get(url).content.decode()
    assert "Recorded changes" in page and "buffer_units: 2 → 5" in page


def test_a_screening_rule_saved_in_the_console_applies_at_once_and_is_audited(console, stocked):
    # given a product and the rules this process has read (none)
    stocked("CAP", 10)
    screening_setup()
    client = console("Operations manager")

    # when the manager adds a country-mismatch rule
    response = client.post(reverse("admin:orders_screeningrule_add"), {"name": "Billing abroad", "kind": "country_mismatch", "score": 100, "is_active": "on"})

    # then the next order is screened by it (no wait for the cache), and the rule's creation is recorded
    assert response.status_code == 302, response.content
    from ..factories import address

    order = place_order([("CAP", 1)], billing_address=address(country="CA", region="ON", postal_code="M5V 2T6", city="Toronto"))
    assert order.events.filter(kind=OrderEvent.Kind.SCREENED, data__held=True).exists()
    (change,) = records(ScreeningRule.objects.get())
    assert change.action == ConfigChange.Action.CREATE and change.changes["kind"] == [None, "country_mismatch"]


def test_a_rule_missing_its_parameters_is_refused_with_what_to_fill(console):
    client = console("Operations manager")

    response = client.post(reverse("admin:orders_screeningrule_add"), {"name": "Velocity", "kind": "order_velocity", "score": 50, "is_active": "on"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"count": ["Required for this kind of rule."], "window_hours": ["Required for this kind of rule."]}
    assert not ScreeningRule.objects.exists() and not ConfigChange.objects.exists()


def test_the_order_page_shows_which_rules_fired_and_why(console, stocked):
    stocked("CAP", 10)
    ScreeningRule.objects.create(name="Shopify verdict", kind="platform_risk", risk_level="medium", score=60)
    order = place_order([("CAP", 1)], platform_risk="medium")

    page = console("Customer service").get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert "Platform verdict: medium risk." in page
    assert "Score <strong>60</strong> of 100 to hold: not held." in page
    assert "Shopify verdict" in page and "the platform rated the order medium risk" in page


def test_a_secret_set_in_the_console_is_recorded_as_changed_but_never_stored(db):
    from oms.config_audit import config_change_record
    from shipping.models import Carrier

    carrier = Carrier.objects.create(code="sec-post", name="Sec Post")

    change = config_change_record(instance=carrier, action=ConfigChange.Action.UPDATE, changes={"tracking_secret": ["", "trk_abcdef_9876"]}, actor="test")

    assert change.changes == {"tracking_secret": ["", "••••9876"]}
