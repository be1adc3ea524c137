"""One-click unsubscribe (RFC 8058): every e-mail that may be turned off carries the signed link in
``List-Unsubscribe`` with ``List-Unsubscribe-Post``; the mail provider's POST turns that kind off,
a person following the link gets a page with a button, a forged link changes nothing."""

import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from customers.models import Customer
from oms.models import DomainEvent
from portal.links import UNSUBSCRIBE_PATH, preferences_token, unsubscribe_token
from portal.models import Notification, NotificationPreference
from portal.notifications.events import SUBSCRIBERS

from ..factories import place_order

BUYER = "buyer@example.com"


@pytest.fixture
def order_placed(stocked, django_capture_on_commit_callbacks):
    def make():
        stocked("SKU-A", 1)
        with django_capture_on_commit_callbacks(execute=True):
            return place_order([("SKU-A", 1)], email=BUYER)

    return make


def _link(message) -> str:
    return message["List-Unsubscribe"].strip().removeprefix("<").removesuffix(">")


def test_a_confirmation_carries_the_one_click_unsubscribe_headers(smtp, order_placed, settings):
    settings.OMS_PORTAL_BASE_URL = "https://shop.example"
    order_placed()

    (message,) = smtp.messages
    link = _link(message)
    assert link.startswith("https://shop.example/portal/unsubscribe/") and link.endswith("/")
    assert "," not in message["List-Unsubscribe"]  # one https address, as RFC 8058 asks
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    customer = Customer.objects.get(email=BUYER)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert signing.loads(token, salt="portal.unsubscribe") == {"c": customer.pk, "k": "order_confirmed", "m": "email"}


def test_the_providers_one_click_post_turns_that_kind_off_and_the_next_one_is_not_sent(smtp, order_placed):
    order_placed()
    path = _link(smtp.messages[0]).split("localhost:8000", 1)[-1]

    response = Client(enforce_csrf_checks=True).post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    preference = NotificationPreference.objects.get(customer__email=BUYER)
    assert (preference.kind, preference.medium, preference.enabled, preference.changed_by) == ("order_confirmed", "email", False, "portal:unsubscribe-link")
    order_placed()
    assert len(smtp.messages) == 1 and Notification.objects.filter(kind="order_confirmed").count() == 1


def test_a_refund_notice_always_goes_and_carries_no_unsubscribe_header(smtp, order_placed, django_capture_on_commit_callbacks):
    order = order_placed()
    with django_capture_on_commit_callbacks(execute=True):
        event = DomainEvent.objects.create(
            name="return.refund_succeeded", payload={"order_id": order.pk, "return_id": None, "amount": "12.50", "currency": "USD"},
        )
        SUBSCRIBERS["return.refund_succeeded"](event)

    refund = smtp.messages[-1]
    assert "refund" in refund["Subject"].lower()
    assert refund["List-Unsubscribe"] is None and refund["List-Unsubscribe-Post"] is None


def test_a_person_following_the_link_gets_a_page_with_a_button_that_unsubscribes(db, client):
    customer = Customer.objects.create(email=BUYER, first_name="Ada")
    path = f"/portal/unsubscribe/{unsubscribe_token(customer.pk, 'shipped', 'email')}/"

    page = client.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Parcel shipped" in html and '<form method="post">' in html and 'value="One-Click"' in html
    assert not NotificationPreference.objects.exists()
    done = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Done" in done.content.decode()
    assert NotificationPreference.objects.get().enabled is False


@pytest.mark.parametrize("token", [
    "forged:token",
    preferences_token(1),  # a link of another purpose
    signing.dumps({"c": 1, "k": "refund_issued", "m": "email"}, salt="portal.unsubscribe"),  # a message that always goes
    signing.dumps({"c": 1, "k": "no_such_kind", "m": "email"}, salt="portal.unsubscribe"),
    signing.dumps([1, "shipped", "email"], salt="portal.unsubscribe"),
], ids=["forged", "other-purpose", "always-sent", "unknown-kind", "not-a-dict"])
def test_a_forged_or_foreign_token_changes_nothing_and_says_so(db, client, token):
    Customer.objects.create(pk=1, email=BUYER)

    for response in (client.get(f"/portal/unsubscribe/{token}/"), client.post(f"/portal/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})):
        assert response.status_code == 404 and "Nothing was changed" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_an_expired_link_is_refused(db, client, settings, monkeypatch):
    customer = Customer.objects.create(email=BUYER)
    signed_at = time.time() - (settings.OMS_PREFERENCES_LINK_DAYS + 1) * 86400
    monkeypatch.setattr(signing.time, "time", lambda: signed_at)
    token = unsubscribe_token(customer.pk, "shipped", "email")
    monkeypatch.undo()

    assert client.post(f"/portal/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert not NotificationPreference.objects.exists()


def test_a_post_without_the_one_click_body_changes_nothing(db, client):
    customer = Customer.objects.create(email=BUYER)

    response = client.post(f"/portal/unsubscribe/{unsubscribe_token(customer.pk, 'shipped', 'email')}/", {"other": "x"})

    assert response.status_code == 400 and not NotificationPreference.objects.exists()


def test_the_links_path_is_the_one_the_portal_serves():
    assert UNSUBSCRIBE_PATH.format(token="abc") == reverse("portal:unsubscribe", args=["abc"])
