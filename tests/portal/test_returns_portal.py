"""Customers start returns in the portal (the policy's answer shown before they send it), follow
them and their refunds, and download the return label and RMA slip: only their own."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from customers.models import Customer
from inventory.models import Product
from returns.models import Refund, RefundMethod, RefundStatus, Resolution, ReturnEvent, ReturnRequest, ReturnStatus
from returns.services import return_label_issue, return_request

from ..returns.conftest import line, shipped_order  # noqa: F401
from ..shipping.test_shipments import carriers  # noqa: F401 (the demo carriers)
from .returns_support import delivered_days_ago, sign_in_as

pytestmark = pytest.mark.django_db
ADA = "ada@example.com"
BOB = "bob@example.com"


@pytest.fixture
def ada(client):
    def sign_in():
        customer = Customer.objects.get(email=ADA)
        sign_in_as(client, customer)
        return customer

    return sign_in


def start_url(order) -> str:
    return reverse("portal:return-start", args=[order.number])


def form_data(action="check", resolution=Resolution.REFUND, **lines) -> dict:
    """``form_data(**{"1": (2, "too_small")})``: 2 units of line 1, too small."""
    data = {"action": action, "resolution": resolution, "comment": ""}
    for number, values in lines.items():
        quantity, reason, *rest = values
        data[f"quantity_{number}"] = quantity
        data[f"reason_{number}"] = reason
        data[f"reason_text_{number}"] = rest[0] if rest else ""
        if len(rest) > 1:
            data[f"exchange_{number}"] = rest[1]
    return data


def test_given_a_delivered_order_when_the_customer_checks_a_return_within_the_policy_then_the_page_says_approved_at_once_with_the_refund(
    client, shipped_order, ada,  # noqa: F811
):
    order = shipped_order([("MUG-RED", 2, "20.00")], email=ADA)
    ada()

    page = client.get(start_url(order))
    assert page.status_code == 200
    assert "How many to return (up to 2)" in page.content.decode()

    checked = client.post(start_url(order), form_data(**{"1": (2, "damaged")}))

    text = checked.content.decode()
    assert checked.status_code == 200
    assert "it will be approved at once" in text
    assert "Estimated refund: 40.00 USD" in text
    assert "Send my return request" in text
    assert not ReturnRequest.objects.filter(order=order).exists()


def test_given_a_delivery_43_days_ago_when_the_customer_checks_then_the_page_says_a_person_decides_and_why(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    delivered_days_ago(order, 43)
    ada()

    checked = client.post(start_url(order), form_data(**{"1": (1, "too_small")}))

    text = checked.content.decode()
    assert "outside our return policy" in text
    assert "43 days after delivery, window 30" in text
    assert "The cost of the return label is deducted from it." in text  # too small: the customer pays the label


def test_when_the_customer_submits_a_return_then_it_is_recorded_by_the_portal_and_its_page_shows_it(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 2), ("CUP", 1)], email=ADA)
    customer = ada()

    sent = client.post(start_url(order), form_data(action="submit", **{"1": (1, "other", "The handle wobbles")}))

    rma = ReturnRequest.objects.get(order=order)
    assert sent.status_code == 302 and sent["Location"] == reverse("portal:return", args=[rma.number])
    assert rma.status == ReturnStatus.APPROVED
    assert [(item.order_line.line_number, item.quantity, item.reason.code, item.reason_text) for item in rma.lines.all()] == [
        (1, 1, "other", "The handle wobbles")
    ]
    assert ReturnEvent.objects.filter(request=rma, kind=ReturnEvent.Kind.CREATED).get().actor_label == f"portal:{customer.pk}"
    detail = client.get(sent["Location"]).content.decode()
    assert f"Your return {rma.number} is recorded." in detail
    assert "Approved: please send the items back" in detail
    assert "Download the return slip (PDF)" in detail


def test_a_quantity_beyond_what_can_still_come_back_is_refused_on_its_field(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 3)], email=ADA)
    return_request(order_id=order.pk, lines=[line(1, 2)], actor="earlier")
    ada()

    refused = client.post(start_url(order), form_data(action="submit", **{"1": (2, "too_small")}))

    assert refused.status_code == 200
    assert refused.context["form"].errors["quantity_1"] == ["At most 1 can still come back."]
    assert ReturnRequest.objects.filter(order=order).count() == 1


def test_other_needs_a_few_words_and_nothing_chosen_is_refused(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    ada()

    unexplained = client.post(start_url(order), form_data(action="submit", **{"1": (1, "other")}))
    nothing = client.post(start_url(order), form_data(action="submit", **{"1": (0, "")}))

    assert unexplained.context["form"].errors["reason_text_1"] == ["Tell us in a few words."]
    assert "Choose at least one item and how many of it to return." in nothing.content.decode()
    assert not ReturnRequest.objects.exists()


def test_an_exchange_offers_the_active_skus_of_the_same_family_in_the_orders_currency(client, shipped_order, stocked, ada):  # noqa: F811
    order = shipped_order([("TEE-BLUE-M", 1)], email=ADA)
    stocked("TEE-BLUE-L", 0)
    stocked("TEE-BLUE-XL", 0, is_active=False)
    stocked("TEE-BLUE-S", 0, currency="EUR")
    stocked("TEE-RED-L", 0)
    ada()

    page = client.get(start_url(order))
    choices = [value for value, _label in page.context["form"].fields["exchange_1"].choices]
    assert choices == ["", "TEE-BLUE-L", "TEE-BLUE-M"]

    sent = client.post(start_url(order), form_data(action="submit", resolution=Resolution.EXCHANGE, **{"1": (1, "too_small", "", "TEE-BLUE-L")}))

    assert sent.status_code == 302
    rma = ReturnRequest.objects.get(order=order)
    assert rma.resolution == Resolution.EXCHANGE and rma.lines.get().exchange_product.sku == "TEE-BLUE-L"


def test_an_exchange_without_a_replacement_and_a_replacement_for_a_refund_are_refused(client, shipped_order, stocked, ada):  # noqa: F811
    order = shipped_order([("TEE-BLUE-M", 1)], email=ADA)
    stocked("TEE-BLUE-L", 0)
    ada()

    no_replacement = client.post(start_url(order), form_data(resolution=Resolution.EXCHANGE, **{"1": (1, "too_small")}))
    stray = client.post(start_url(order), form_data(resolution=Resolution.REFUND, **{"1": (1, "too_small", "", "TEE-BLUE-L")}))

    assert "For an exchange, choose the replacement of at least one item." in no_replacement.content.decode()
    assert "exchange_1" in stray.context["form"].errors


def test_a_line_that_is_not_returnable_is_shown_with_why_and_a_returned_one_as_nothing_left(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("SOAP", 1), ("MUG-RED", 1)], email=ADA)
    Product.objects.filter(sku="SOAP").update(is_returnable=False)
    return_request(order_id=order.pk, lines=[line(2, 1)], actor="earlier")
    ada()

    text = client.get(start_url(order)).content.decode()

    assert "Needs a person to approve: SOAP is not returnable" in text
    assert "Nothing left to return: 0 returned, 1 on open returns." in text


def test_an_order_that_has_not_shipped_cannot_be_returned(client, stocked, ada):
    from ..factories import place_order

    stocked("MUG-RED", 5)
    order = place_order([("MUG-RED", 1)], email=ADA)
    ada()

    page = client.get(start_url(order))

    assert "nothing of it has shipped yet" in page.content.decode()
    assert client.post(start_url(order), form_data(action="submit", **{"1": (1, "too_small")})).status_code == 409
    assert not ReturnRequest.objects.exists()


def test_the_returns_list_and_page_show_refund_status_in_words_without_the_providers_details(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    rma = return_request(order_id=order.pk, lines=[line(1, 1)], actor="earlier")
    Refund.objects.create(
        request=rma, order=order, amount=Decimal("20.00"), currency="USD", computed_amount=Decimal("20.00"), method=RefundMethod.ORIGINAL_PAYMENT,
        provider="builtin", status=RefundStatus.FAILED, provider_reason="gateway 502 from acquirer XYZ-INTERNAL", idempotency_key="k1",
    )
    ada()

    listing = client.get(reverse("portal:returns")).content.decode()
    page = client.get(reverse("portal:return", args=[rma.number])).content.decode()

    assert rma.number in listing and "Delayed: we are looking into it" in listing
    assert "20.00 USD to your original payment: Delayed: we are looking into it, nothing is needed from you" in page
    assert "XYZ-INTERNAL" not in listing + page
    assert "Return requested" in page and "Return approved" in page


def test_the_slip_and_the_label_download_as_pdfs_once_they_exist(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    rma = return_request(order_id=order.pk, lines=[line(1, 1)], actor="earlier")
    ada()
    label_url = reverse("portal:return-label", args=[rma.number])

    no_label = client.get(label_url, follow=True)
    assert "There is no return label to print" in no_label.content.decode()

    return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")
    label = client.get(label_url)
    slip = client.get(reverse("portal:return-slip", args=[rma.number]))

    assert label.status_code == 200 and label["Content-Type"] == "application/pdf" and label.content.startswith(b"%PDF")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    assert "Download the return label (PDF)" in client.get(reverse("portal:return", args=[rma.number])).content.decode()


def test_a_requested_return_has_no_slip_yet(client, shipped_order, ada):  # noqa: F811
    from returns.models import ReturnPolicy

    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    rma = return_request(order_id=order.pk, lines=[line(1, 1)], actor="earlier")
    ada()

    answer = client.get(reverse("portal:return-slip", args=[rma.number]), follow=True)

    assert answer.redirect_chain[-1][0] == reverse("portal:return", args=[rma.number])
    assert f"{rma.number} has no return slip" in answer.content.decode()


def test_another_customers_orders_and_returns_are_not_found_on_every_url(client, shipped_order, stocked, ada):  # noqa: F811
    theirs = shipped_order([("MUG-RED", 1)], email=BOB)
    their_rma = return_request(order_id=theirs.pk, lines=[line(1, 1)], actor="bob")
    return_label_issue(return_id=their_rma.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")
    shipped_order([("CUP", 1)], email=ADA)
    ada()

    for name, number in (("return-start", theirs.number), ("return", their_rma.number), ("return-label", their_rma.number),
                         ("return-slip", their_rma.number), ("order-address", theirs.number), ("order-cancel", theirs.number)):
        url = reverse(f"portal:{name}", args=[number])
        assert client.get(url).status_code == 404, url
        assert client.post(url, form_data(action="submit", **{"1": (1, "too_small")})).status_code == 404, url
    assert their_rma.number not in client.get(reverse("portal:returns")).content.decode()
    assert ReturnRequest.objects.filter(order=theirs).count() == 1


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, shipped_order):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)

    for url in (start_url(order), reverse("portal:returns")):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/portal/sign-in/?next=")


def test_a_return_cannot_be_submitted_without_the_csrf_token(shipped_order):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    browser = Client(enforce_csrf_checks=True)
    sign_in_as(browser, Customer.objects.get(email=ADA))

    answer = browser.post(start_url(order), form_data(action="submit", **{"1": (1, "too_small")}))

    assert answer.status_code == 403
    assert not ReturnRequest.objects.exists()


def test_the_return_pages_speak_german(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 2)], email=ADA)
    rma = return_request(order_id=order.pk, lines=[line(1, 1)], actor="earlier")
    ada()

    with translation.override("de"):
        start = client.get(start_url(order), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        detail = client.get(reverse("portal:return", args=[rma.number]), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert f"Artikel aus Bestellung {order.number} zurücksenden" in start
    assert "Rücksendung prüfen" in start and "Wie viele zurücksenden (bis zu 1)" in start and "Zu klein" in start
    assert "Genehmigt: Bitte senden Sie die Artikel zurück" in detail


def test_the_returns_list_reads_in_the_same_number_of_queries_for_one_return_or_several(client, shipped_order, ada):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("portal:returns")).status_code == 200
        return len(captured)

    first = shipped_order([("MUG-RED", 3), ("CUP", 2)], email=ADA)
    return_request(order_id=first.pk, lines=[line(1, 1)], actor="earlier")
    ada()
    one = queries()
    return_request(order_id=first.pk, lines=[line(1, 1), line(2, 2)], actor="earlier")
    second = shipped_order([("PLATE", 1)], email=ADA)
    return_request(order_id=second.pk, lines=[line(1, 1)], actor="earlier")

    assert queries() == one


@pytest.mark.parametrize("quantity", ["1e999", "-1", "99999999999999999999999999999", "two", "\x00"])
def test_a_hostile_quantity_is_refused_on_its_field_never_a_server_error(client, shipped_order, ada, quantity):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    ada()

    answer = client.post(start_url(order), form_data(action="submit", **{"1": (quantity, "too_small")}))

    assert answer.status_code == 200
    assert "quantity_1" in answer.context["form"].errors
    assert not ReturnRequest.objects.exists()


def test_the_policys_answer_speaks_german_too(client, shipped_order, ada):  # noqa: F811
    order = shipped_order([("MUG-RED", 1)], email=ADA)
    Product.objects.filter(sku="MUG-RED").update(is_returnable=False)
    delivered_days_ago(order, 43)
    ada()

    with translation.override("de"):
        checked = client.post(start_url(order), form_data(**{"1": (1, "too_small")}), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "43 Tage nach der Lieferung, Rückgabefrist 30 Tage" in checked
    assert "MUG-RED ist von der Rückgabe ausgeschlossen" in checked
    assert "Voraussichtliche Erstattung: 20.00 USD" in checked
