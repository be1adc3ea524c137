"""The RMA queue and page in the console: each role sees the actions it may take, and they work."""

import re

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from returns.models import ReturnPolicy, ReturnStatus
from returns.services import return_request

from ..admin.conftest import console, messages_of  # noqa: F401 (console: the fixture)
from .conftest import fresh, line

pytestmark = pytest.mark.django_db
BUTTONS = re.compile(r'formaction="/admin/returns/returnrequest/\d+/action/(\w+)/"')


@pytest.fixture
def rma(shipped_order):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
    order = shipped_order([("SKU-A", 2)])
    return return_request(order_id=order.pk, lines=[line(1, 2, "damaged")], actor="portal")


def buttons(client, rma) -> set[str]:
    response = client.get(reverse("admin:returns_returnrequest_change", args=[rma.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html.replace('<script src', '') and 'style="' not in html.split('id="content"')[-1]
    return set(BUTTONS.findall(html))


def test_customer_service_decides_and_the_warehouse_receives_and_inspects(console, rma):  # noqa: F811
    cs = console("Customer service")
    assert buttons(cs, rma) == {"approve", "reject", "cancel", "note"}
    response = cs.post(reverse("admin:returns_returnrequest_action", args=[rma.pk, "approve"]), {"decision_note": "ok"}, follow=True)
    assert f"{rma.number}: Approved. Status: Approved." in messages_of(response)

    dock = console("Warehouse", "dock")
    assert buttons(dock, rma) == {"receive"}
    response = dock.post(reverse("admin:returns_returnrequest_action", args=[rma.pk, "receive"]),
                         {"location": "chicago", "scans": "SKU-A\nSKU-A\n"}, follow=True)
    assert f"{rma.number}: Receipt recorded. Status: Received." in messages_of(response)
    assert buttons(dock, rma) == set()
    inspect_url = reverse("admin:returns_returnrequest_inspect", args=[rma.pk])
    assert f'href="{inspect_url}"' in dock.get(reverse("admin:returns_returnrequest_change", args=[rma.pk])).content.decode()
    dock.post(inspect_url,
              {"line1-condition": "damaged", "line1-disposition": "scrap", "line1-quantity_accepted": "2"})
    assert fresh(rma).status == ReturnStatus.INSPECTED
    assert list(StockMovement.objects.filter(reference=rma.number).values_list("kind", flat=True).order_by("id")) == ["damage", "scrap"]


def test_a_refusal_is_a_message_on_the_page_not_an_error(console, rma):  # noqa: F811
    cs = console("Customer service")
    response = cs.post(reverse("admin:returns_returnrequest_action", args=[rma.pk, "reject"]), {"decision_note": ""}, follow=True)
    assert response.status_code == 200
    assert any("Say why the return is rejected" in message for message in messages_of(response))
    assert fresh(rma).status == ReturnStatus.REQUESTED


def test_a_role_without_the_permission_is_refused_even_when_it_posts(console, rma):  # noqa: F811
    accounting = console("Accounting")
    assert buttons(accounting, rma) == set()
    response = accounting.post(reverse("admin:returns_returnrequest_action", args=[rma.pk, "approve"]))
    assert response.status_code == 403
    assert fresh(rma).status == ReturnStatus.REQUESTED


def test_the_queue_filters_by_status_reason_channel_and_resolution(console, rma):  # noqa: F811
    cs = console("Customer service")
    url = reverse("admin:returns_returnrequest_changelist")
    for query, found in [("status=requested", True), ("status=approved", False), ("reason=damaged", True), ("reason=too_small", False),
                         ("resolution=refund", True), ("attention=no", True), ("attention=yes", False)]:
        response = cs.get(f"{url}?{query}")
        assert response.status_code == 200
        assert (rma.number in response.content.decode()) is found, query


def test_customer_service_refunds_an_inspected_return_and_retries_a_refused_refund(console, shipped_order, monkeypatch):  # noqa: F811
    from returns.models import Refund, RefundStatus
    from returns.payments import RefundOutcome
    from returns.services import refunds as refund_service

    from .test_refunds import returned

    order = shipped_order([("SKU-B", 2, "20.00")])
    rma = returned(order, line(1, 1))
    assert "refund" not in buttons(console("Warehouse", "dock2"), rma)
    cs = console("Customer service", "cs2")
    assert {"refund", "close"} <= buttons(cs, rma)
    answers = [RefundOutcome(ok=False, reason="card declined"), RefundOutcome(ok=True, provider_refund_id="re_1")]

    class Flaky:
        name = "builtin"

        def refund(self, **kwargs):
            return answers.pop(0)

    monkeypatch.setattr(refund_service, "adapter_for", lambda order, method, **options: Flaky())
    url = lambda name: reverse("admin:returns_returnrequest_action", args=[rma.pk, name])  # noqa: E731

    refused = cs.post(url("refund"), {"refund_amount": "", "refund_reason": ""}, follow=True)

    assert any("failed: card declined" in message for message in messages_of(refused))
    assert "card declined" in refused.content.decode()  # the refunds inline shows the provider's words
    assert "retry_refund" in buttons(cs, rma) and "refund" not in buttons(cs, rma)

    retried = cs.post(url("retry_refund"), {}, follow=True)

    assert f"{rma.number}: Refund sent again. Status: Refunded." in messages_of(retried)
    assert Refund.objects.get(request=rma).status == RefundStatus.SUCCEEDED
    assert fresh(rma).status == ReturnStatus.REFUNDED


def test_an_override_above_what_was_paid_is_refused_on_the_page_with_what_to_fix(console, shipped_order):  # noqa: F811
    from returns.models import Refund

    from .test_refunds import returned

    rma = returned(shipped_order([("SKU-C", 2, "20.00")]), line(1, 1))
    cs = console("Customer service", "cs3")

    response = cs.post(reverse("admin:returns_returnrequest_action", args=[rma.pk, "refund"]),
                       {"refund_amount": "500", "refund_reason": "sorry"}, follow=True)

    assert any("may refund at most 40.00 USD more" in message for message in messages_of(response))
    assert not Refund.objects.exists()


def test_the_customers_comment_is_masked_for_the_warehouse_and_shown_to_customer_service(console, shipped_order):  # noqa: F811
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(order_id=order.pk, lines=[line(1, 1, "damaged")], customer_comment="Call Ada on 0170 1234567", actor="portal")
    url = reverse("admin:returns_returnrequest_change", args=[rma.pk])

    warehouse = console("Warehouse").get(url).content.decode()
    assert "1234567" not in warehouse and "C••• A••• o••• 0••• 1•••" in warehouse and rma.number in warehouse

    assert "Call Ada on 0170 1234567" in console("Customer service").get(url).content.decode()
