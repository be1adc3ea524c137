"""Notification preferences (defaults from the opt-ins, stored choices, what always goes) and the
signed links in customers' messages."""

import pytest
from django.core import signing
from django.test import override_settings

from oms.errors import InvalidInput
from portal.links import (
    PREFERENCES_PATH,
    TRACKING_PATH,
    preferences_customer_id,
    preferences_token,
    preferences_url,
    tracking_shipment_id,
    tracking_token,
    tracking_url,
)
from portal.models import Medium, NotificationKind, NotificationPreference
from portal.preferences import notification_allowed, notification_preferences_of, notification_preferences_set

from ..factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_given_no_choices_then_e_mail_follows_the_opt_in_and_sms_only_the_parcels_moments():
    customer = CustomerFactory(email_opt_in=True, sms_opt_in=True, phone="+14155550123")

    assert notification_allowed(customer=customer, kind=NotificationKind.ORDER_CONFIRMED, medium=Medium.EMAIL)
    assert notification_allowed(customer=customer, kind=NotificationKind.SHIPPED, medium=Medium.SMS)
    assert not notification_allowed(customer=customer, kind=NotificationKind.ORDER_CONFIRMED, medium=Medium.SMS)


def test_given_no_phone_or_opt_out_then_nothing_goes_there_but_a_refund_notice_still_goes_by_e_mail():
    customer = CustomerFactory(email_opt_in=False, sms_opt_in=True, phone="")

    assert not notification_allowed(customer=customer, kind=NotificationKind.SHIPPED, medium=Medium.SMS)
    assert not notification_allowed(customer=customer, kind=NotificationKind.SHIPPED, medium=Medium.EMAIL)
    assert notification_allowed(customer=customer, kind=NotificationKind.REFUND_ISSUED, medium=Medium.EMAIL)


def test_when_a_customer_turns_a_kind_off_then_only_that_kind_and_medium_stop():
    customer = CustomerFactory()

    notification_preferences_set(customer_id=customer.pk, choices={(NotificationKind.DELIVERED, Medium.EMAIL): False}, actor="portal:link")

    choices = notification_preferences_of(customer)
    assert choices[(NotificationKind.DELIVERED, Medium.EMAIL)] is False
    assert choices[(NotificationKind.SHIPPED, Medium.EMAIL)] is True
    assert not notification_allowed(customer=customer, kind=NotificationKind.DELIVERED, medium=Medium.EMAIL)
    assert NotificationPreference.objects.get().changed_by == "portal:link"


def test_a_message_that_always_goes_cannot_be_turned_off_and_a_bad_choice_changes_nothing():
    customer = CustomerFactory()

    with pytest.raises(InvalidInput) as refused:
        notification_preferences_set(customer_id=customer.pk, actor="portal:link", choices={
            (NotificationKind.DELIVERED, Medium.EMAIL): False,
            (NotificationKind.REFUND_ISSUED, Medium.EMAIL): False,
            ("postcard", Medium.EMAIL): True,
        })

    assert "always sent" in refused.value.fields["refund_issued.email"][0]
    assert "Unknown kind" in refused.value.fields["postcard.email"][0]
    assert not NotificationPreference.objects.exists()


def test_a_tracking_link_opens_its_shipment_and_nothing_else():
    token = tracking_token(42)

    assert tracking_shipment_id(token) == 42
    assert tracking_shipment_id(token[:-2] + "xx") is None
    assert tracking_shipment_id(preferences_token(42)) is None  # another purpose's token
    assert tracking_shipment_id(signing.dumps("42", salt="portal.tracking")) is None
    assert tracking_shipment_id("not a token") is None


def test_links_expire_after_their_days():
    token, choices = tracking_token(7), preferences_token(7)

    with override_settings(OMS_TRACKING_LINK_DAYS=0, OMS_PREFERENCES_LINK_DAYS=0):
        assert tracking_shipment_id(token) is None
        assert preferences_customer_id(choices) is None
    assert preferences_customer_id(choices) == 7


@override_settings(OMS_PORTAL_BASE_URL="https://shop.example.com/")
def test_links_start_at_the_portals_public_address():
    assert tracking_url(5).startswith("https://shop.example.com/portal/track/")
    assert preferences_url(5).startswith("https://shop.example.com/portal/preferences/")
    assert TRACKING_PATH.startswith("/portal/") and PREFERENCES_PATH.startswith("/portal/")
