"""The preferences page: one click from a message's link, or signed in; the messages that always
go shown on and fixed, with why; every change only the link's own customer's."""

import pytest
from django.test import Client

from customers.models import Customer
from portal.links import PREFERENCES_PATH, preferences_token
from portal.models import Medium, NotificationKind, NotificationPreference
from portal.preferences import notification_preferences_of

from ..factories import CustomerFactory
from .portal_client import portal_sign_in_by_link

pytestmark = pytest.mark.django_db


def everything_but(customer, *off: tuple[str, str]) -> dict:
    """The form's boxes: each choice the customer may make, ticked but ``off``."""
    return {f"{kind}.{medium}": "on" for (kind, medium), on in notification_preferences_of(customer).items() if (kind, medium) not in off and on}


def test_the_link_shows_every_kind_by_medium_with_the_refund_notice_fixed_on_and_why(client):
    customer = CustomerFactory(email="ada@example.com", phone="+14155550123", sms_opt_in=True)

    page = client.get(PREFERENCES_PATH.format(token=preferences_token(customer.pk))).content.decode()

    assert page.count('type="checkbox"') == len(NotificationKind.values) * len(Medium.values)
    assert 'name="refund_issued.email" checked disabled' in page
    assert "Always sent by e-mail: it tells you that money moved." in page
    assert 'name="shipped.sms" checked' in page and 'name="order_confirmed.sms" disabled' not in page


def test_a_customer_without_a_phone_sees_sms_off_and_why(client):
    customer = CustomerFactory(email="ada@example.com", phone="")

    page = client.get(PREFERENCES_PATH.format(token=preferences_token(customer.pk))).content.decode()

    assert 'name="shipped.sms" disabled aria-describedby="why-no-sms"' in page
    assert page.count("We have no mobile number for you, so no message goes by SMS.") == 1


def test_unticking_a_box_turns_that_message_off_and_says_so(client):
    customer = CustomerFactory(email="ada@example.com")
    url = PREFERENCES_PATH.format(token=preferences_token(customer.pk))

    saved = client.post(url, everything_but(customer, (NotificationKind.DELIVERED, Medium.EMAIL)), follow=True)

    assert "Your choices are saved." in saved.content.decode()
    choices = notification_preferences_of(customer)
    assert choices[(NotificationKind.DELIVERED, Medium.EMAIL)] is False
    assert choices[(NotificationKind.SHIPPED, Medium.EMAIL)] is True
    assert choices[(NotificationKind.REFUND_ISSUED, Medium.EMAIL)] is True  # its box was not even sent
    assert NotificationPreference.objects.filter(customer=customer).values_list("changed_by", flat=True).distinct().get() == "portal:link"


def test_a_link_changes_only_its_own_customers_choices_and_a_forged_one_nothing(client):
    ada = CustomerFactory(email="ada@example.com")
    grace = CustomerFactory(email="grace@example.com")
    token = preferences_token(ada.pk)

    client.post(PREFERENCES_PATH.format(token=token), {})
    forged = client.post(PREFERENCES_PATH.format(token=token.replace(token.split(":")[0], preferences_token(grace.pk).split(":")[0])), {})

    assert forged.status_code == 404
    assert client.get(PREFERENCES_PATH.format(token="nothing")).status_code == 404
    assert NotificationPreference.objects.filter(customer=grace).count() == 0
    assert NotificationPreference.objects.filter(customer=ada, enabled=False).exists()


def test_a_signed_in_customer_sets_their_own_preferences(client, ordered):
    ordered("ada@example.com")
    customer = Customer.objects.get(email="ada@example.com")
    portal_sign_in_by_link(client, "ada@example.com")

    page = client.get("/portal/my-preferences/")
    client.post("/portal/my-preferences/", everything_but(customer, (NotificationKind.ORDER_CONFIRMED, Medium.EMAIL)))

    assert page.status_code == 200 and "Messages we send you" in page.content.decode()
    assert notification_preferences_of(customer)[(NotificationKind.ORDER_CONFIRMED, Medium.EMAIL)] is False
    assert NotificationPreference.objects.filter(customer=customer).values_list("changed_by", flat=True).distinct().get() == "portal:customer"


def test_preferences_without_the_forms_csrf_token_change_nothing():
    customer = CustomerFactory(email="ada@example.com")

    refused = Client(enforce_csrf_checks=True).post(PREFERENCES_PATH.format(token=preferences_token(customer.pk)), {})

    assert refused.status_code == 403
    assert not NotificationPreference.objects.exists()
