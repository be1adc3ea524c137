"""The carrier pages of the console render and say what the rate card is."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from shipping.demo import demo_shipping_seed
from shipping.models import Carrier, RateTable, ServiceLevel, Zone
from shipping.selectors import rate_card, rate_card_forget

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    demo_shipping_seed()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_every_shipping_page_renders(root):
    post = Carrier.objects.get(code="oms-post")
    pages = [reverse(f"admin:shipping_{name}_changelist") for name in ("carrier", "servicelevel", "zone", "ratetable")]
    pages += [reverse(f"admin:shipping_{name}_add") for name in ("carrier", "servicelevel", "zone", "ratetable")]
    pages += [
        reverse("admin:shipping_carrier_change", args=[post.pk]),
        reverse("admin:shipping_servicelevel_change", args=[ServiceLevel.objects.filter(carrier=post).first().pk]),
        reverse("admin:shipping_zone_change", args=[Zone.objects.get(carrier=post, code="us-remote").pk]),
        reverse("admin:shipping_ratetable_change", args=[RateTable.objects.filter(service__carrier=post).first().pk]),
    ]

    assert {page: root.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)


def test_the_carrier_page_shows_its_rate_card_and_zone_rules(root):
    post = Carrier.objects.get(code="oms-post")

    page = root.get(reverse("admin:shipping_carrier_change", args=[post.pk])).content.decode()

    assert "Rates per service and zone" in page
    assert "≤0.5 kg 5.400" in page or "≤0.5 kg 5.40" in page
    assert "US → US 995–999" in page
    assert "none issued yet" in page


def test_saving_a_zone_rule_with_half_a_range_is_refused_with_what_to_fix(root):
    zone = Zone.objects.get(code="us-remote")
    url = reverse("admin:shipping_zone_change", args=[zone.pk])
    rules = list(zone.rules.all())
    data = {"carrier": zone.carrier_id, "code": zone.code, "name": zone.name,
            "rules-TOTAL_FORMS": len(rules) + 1, "rules-INITIAL_FORMS": len(rules), "rules-MIN_NUM_FORMS": 0, "rules-MAX_NUM_FORMS": 1000}
    for i, rule in enumerate(rules):
        data.update({f"rules-{i}-id": rule.pk, f"rules-{i}-zone": zone.pk, f"rules-{i}-origin_country": rule.origin_country,
                     f"rules-{i}-destination_country": rule.destination_country, f"rules-{i}-postal_from": rule.postal_from,
                     f"rules-{i}-postal_to": rule.postal_to})
    n = len(rules)
    data.update({f"rules-{n}-zone": zone.pk, f"rules-{n}-destination_country": "US", f"rules-{n}-postal_from": "800"})

    response = root.post(url, data)

    assert response.status_code == 200
    assert "Give both ends of the postal code range, or neither." in response.content.decode()


def test_a_save_in_the_console_is_quoted_at_once(root):
    rate_card_forget()
    before = rate_card()
    post = Carrier.objects.get(code="oms-post")
    url = reverse("admin:shipping_servicelevel_change", args=[ServiceLevel.objects.get(carrier=post, code="overnight").pk])
    data = {"carrier": post.pk, "code": "overnight", "name": "Next day", "delivery_kind": "home", "active": "on",
            "rate_tables-TOTAL_FORMS": 0, "rate_tables-INITIAL_FORMS": 0, "rate_tables-MIN_NUM_FORMS": 0, "rate_tables-MAX_NUM_FORMS": 1000}
    # Keep the existing tables as they are.
    tables = list(RateTable.objects.filter(service__code="overnight", service__carrier=post))
    data["rate_tables-TOTAL_FORMS"] = data["rate_tables-INITIAL_FORMS"] = len(tables)
    for i, table in enumerate(tables):
        data.update({f"rate_tables-{i}-id": table.pk, f"rate_tables-{i}-service": table.service_id, f"rate_tables-{i}-zone": table.zone_id,
                     f"rate_tables-{i}-transit_days": table.transit_days, f"rate_tables-{i}-per_kg_above_last": table.per_kg_above_last or "",
                     f"rate_tables-{i}-max_weight_kg": table.max_weight_kg or ""})

    response = root.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    names = {s.name for c in rate_card().carriers for s in c.services}
    assert "Next day" in names and rate_card() is not before
