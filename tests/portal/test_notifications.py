"""E-mail notifications: each cause sends its message once, to whom it may, as the channel and the
customer's language say; the log follows sending, retries and the provider's reports.

Every message goes through a real SMTP server on localhost (tests/portal/smtp.py)."""

import datetime
import uuid

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer
from oms.models import DomainEvent
from orders.models import Order, OrderStatus
from orders.services import order_cancel
from portal.links import preferences_customer_id, tracking_shipment_id
from portal.models import ChannelBranding, Notification, NotificationKind, NotificationStatus, NotificationTemplateOverride
from portal.notifications.delivery import notifications_sweep
from portal.notifications.events import SUBSCRIBERS, backorder_delays_notify
from portal.notifications.log import notification_status_update, notifications_resend
from portal.preferences import notification_preferences_set
from portal.sms import SmsOutcome, sms_segments
from portal.sms.adapters import local_outbox
from shipping.services import shipments_flag_late

from ..factories import CustomerFactory, place_order
from ..fulfillment.fulfillment_support import carriers, ship_in_one_box  # noqa: F401 (carriers: a fixture)
from .smtp import html_of, text_of

BUYER = "buyer@example.com"


@pytest.fixture
def order_placed(stocked, django_capture_on_commit_callbacks):
    """``order_placed()``: an order placed by the buyer, its events dispatched and messages sent as after commit."""

    def make(lines=(("SKU-A", 1),), **overrides):
        for sku, quantity in lines:
            stocked(sku, quantity)
        with django_capture_on_commit_callbacks(execute=True):
            return place_order(list(lines), **overrides)

    return make


def replay(name: str, order: Order | None = None, capture=None) -> None:
    """Hand the latest event of that name to its subscriber again (what the outbox sweep does)."""
    query = DomainEvent.objects.filter(name=name)
    if order is not None:
        query = query.filter(payload__order_id=order.pk)
    with capture(execute=True):
        SUBSCRIBERS[name](query.latest("id"))


def test_an_order_placed_sends_one_confirmation_and_a_replayed_event_sends_nothing(smtp, order_placed, django_capture_on_commit_callbacks):
    order = order_placed()

    assert len(smtp.to(BUYER)) == 1
    message = smtp.messages[0]
    assert order.number in message["Subject"] and "Thank you" in message["Subject"]
    assert "SKU-A" in text_of(message) and order.number in html_of(message)
    log = Notification.objects.get()
    assert (log.kind, log.medium, log.status, log.attempts, log.recipient) == (NotificationKind.ORDER_CONFIRMED, "email", NotificationStatus.SENT, 1, BUYER)
    assert log.provider_message_id == message["Message-ID"] == log.message_id
    assert log.subject == message["Subject"] and log.template == "default" and log.order_id == order.pk

    replay("order.created", order, django_capture_on_commit_callbacks)

    assert len(smtp.messages) == 1 and Notification.objects.count() == 1


def test_every_message_carries_the_one_click_preferences_link_and_list_unsubscribe(smtp, order_placed):
    order_placed()

    message = smtp.messages[0]
    customer = Customer.objects.get(email=BUYER)
    assert "/portal/unsubscribe/" in message["List-Unsubscribe"]  # one kind off in one click (tests/portal/test_unsubscribe.py)
    (link,) = [line.split('"')[0] for line in html_of(message).split('href="')[1:] if "/portal/preferences/" in line]
    assert preferences_customer_id(link.rstrip("/").rsplit("/", 1)[-1]) == customer.pk
    assert link in text_of(message) and link in html_of(message)
    assert "always sent" not in text_of(message)


def test_a_customer_who_turned_a_kind_off_gets_none_of_it_and_a_refund_notice_still_goes(smtp, order_placed, django_capture_on_commit_callbacks):
    customer = CustomerFactory(email=BUYER)
    notification_preferences_set(customer_id=customer.pk, choices={("order_confirmed", "email"): False}, actor="customer")
    Customer.objects.filter(pk=customer.pk).update(email_opt_in=False)
    order = order_placed()
    assert smtp.messages == [] and not Notification.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        event = DomainEvent.objects.create(
            name="return.refund_succeeded", payload={"order_id": order.pk, "return_id": None, "amount": "12.50", "currency": "USD"},
        )
        SUBSCRIBERS["return.refund_succeeded"](event)

    (message,) = smtp.messages
    assert "refund" in message["Subject"].lower()
    assert "12.50 USD" in text_of(message)
    assert "always sent" in text_of(message)


def test_a_german_customer_is_written_to_in_german(smtp, order_placed):
    CustomerFactory(email=BUYER, language="de")

    order = order_placed()

    (message,) = smtp.messages
    assert message["Subject"] == f"Danke für Ihre Bestellung {order.number}"
    assert "Hallo Ada," in text_of(message) and "Wählen Sie, welche Nachrichten Sie erhalten" in html_of(message)
    assert Notification.objects.get().language == "de"


def test_the_channels_branding_and_its_override_shape_the_message(smtp, order_placed, web_channel):
    ChannelBranding.objects.create(
        channel=web_channel, shop_name="Nordlicht Wear", primary_colour="#0b3d2e", accent_colour="#e4572e",
        sender_email="hello@nordlicht.example", sender_name="Nordlicht Wear", reply_to="care@nordlicht.example",
        footer_text="Nordlicht GmbH, Hafenstraße 1, Hamburg", logo_url="https://cdn.nordlicht.example/logo.png",
    )
    override = NotificationTemplateOverride.objects.create(
        channel=web_channel, kind="order_confirmed", language="en", subject="{{ order_number }} is in, {{ customer_name }}!",
        html_body="<p>Cheers for order <b>{{ order_number }}</b>.</p>", text_body="",
    )

    order = order_placed()

    (message,) = smtp.messages
    assert message["Subject"] == f"{order.number} is in, Ada!"
    assert message["From"] == "Nordlicht Wear <hello@nordlicht.example>" and message["Reply-To"] == "care@nordlicht.example"
    html = html_of(message)
    assert "Cheers for order <b>" in html and "#0b3d2e" in html and "https://cdn.nordlicht.example/logo.png" in html
    assert "Hafenstraße 1" in text_of(message) and "Thank you for your order" in text_of(message)  # the default text part
    assert Notification.objects.get().template == f"override:{override.pk}"


def test_a_broken_override_is_refused_with_the_template_error(web_channel):
    override = NotificationTemplateOverride(channel=web_channel, kind="shipped", language="de", subject="{% if %}", html_body="<p>{{ order_number|nofilter }}</p>")

    with pytest.raises(ValidationError) as refused:
        override.full_clean()

    problems = refused.value.message_dict
    assert "subject" in problems and "html_body" in problems
    assert "nofilter" in problems["html_body"][0]


def test_a_shipped_parcel_tells_carrier_tracking_number_link_and_items_and_a_replay_sends_nothing(
    smtp, carriers, stocked, django_capture_on_commit_callbacks,  # noqa: F811
):
    stocked("SKU-A", 2)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order([("SKU-A", 2)])
    with django_capture_on_commit_callbacks(execute=True):
        shipment = ship_in_one_box(order, django_capture_on_commit_callbacks)

    shipped = [m for m in smtp.messages if "on its way" in m["Subject"]]
    assert len(shipped) == 1
    text = text_of(shipped[0])
    assert shipment.tracking_number in text and shipment.carrier.name in text and "2 × " in text
    token = text.split("/portal/track/")[1].split("/")[0]
    assert tracking_shipment_id(token) == shipment.pk

    replay("fulfillment.shipped", order, django_capture_on_commit_callbacks)
    assert len([m for m in smtp.messages if "on its way" in m["Subject"]]) == 1


def test_a_late_parcel_gets_one_delay_notice_per_cause_with_a_new_estimate(smtp, carriers, stocked, django_capture_on_commit_callbacks):  # noqa: F811
    stocked("SKU-A", 1)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order([("SKU-A", 1)])
    with django_capture_on_commit_callbacks(execute=True):
        shipment = ship_in_one_box(order, django_capture_on_commit_callbacks)
    later = timezone.now() + datetime.timedelta(days=30)

    with django_capture_on_commit_callbacks(execute=True):
        shipments_flag_late(now=later, actor="test")
    with django_capture_on_commit_callbacks(execute=True):
        shipments_flag_late(now=later + datetime.timedelta(days=1), actor="test")
    replay("shipment.late", None, django_capture_on_commit_callbacks)

    delays = Notification.objects.filter(kind=NotificationKind.DELAYED)
    causes = sorted(delays.values_list("cause", flat=True))
    assert causes and all(cause.startswith(f"shipment:{shipment.pk}:") for cause in causes)
    assert len(causes) == len(set(causes))  # one per reason
    delayed = [m for m in smtp.messages if "delayed" in m["Subject"]]
    assert len(delayed) == len(causes)
    assert "Our new estimate:" in text_of(delayed[0])


def test_an_overdue_backorder_gets_one_delay_notice_per_date(smtp, order_placed, django_capture_on_commit_callbacks):
    order = order_placed()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.BACKORDERED, promised_ship_date=datetime.date(2026, 1, 5))

    with django_capture_on_commit_callbacks(execute=True):
        assert backorder_delays_notify(today=datetime.date(2026, 1, 8)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        backorder_delays_notify(today=datetime.date(2026, 1, 9))

    delays = [m for m in smtp.messages if "delayed" in m["Subject"]]
    assert len(delays) == 1
    assert "taking longer than we expected" in text_of(delays[0])


def test_a_cancelled_order_is_announced(smtp, order_placed, django_capture_on_commit_callbacks):
    order = order_placed()

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, reason="customer asked", actor="test")

    assert [m["Subject"] for m in smtp.messages][-1] == f"Order {order.number} has been cancelled"


def test_a_server_that_refuses_for_a_while_gets_the_message_on_a_later_attempt(smtp, order_placed):
    smtp.refuse = 2

    order = order_placed()

    log = Notification.objects.get()
    assert (log.status, log.attempts, smtp.refused) == (NotificationStatus.SENT, 3, 2)
    assert len(smtp.messages) == 1 and Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED


def test_a_server_that_keeps_refusing_leaves_the_message_failed_and_the_order_unharmed(smtp, order_placed, settings, django_capture_on_commit_callbacks):
    settings.OMS_NOTIFICATION_ATTEMPTS = 3
    smtp.refuse = 10

    order = order_placed()

    log = Notification.objects.get()
    assert (log.status, log.attempts) == (NotificationStatus.FAILED, 3) and "451" in log.last_error
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED and smtp.messages == []

    smtp.refuse = 0
    with django_capture_on_commit_callbacks(execute=True):
        notifications_resend(notification_ids=[log.pk], actor="cs")
    assert Notification.objects.get().status == NotificationStatus.SENT and len(smtp.messages) == 1


def test_a_permanent_refusal_fails_at_once(smtp, order_placed):
    smtp.refuse, smtp.refuse_code = 1, "550 5.1.1 No such user"

    order_placed()

    log = Notification.objects.get()
    assert (log.status, log.attempts) == (NotificationStatus.FAILED, 1) and "550" in log.last_error


def test_a_message_left_sending_by_a_dead_worker_goes_again_with_the_same_message_id(smtp, order_placed, django_capture_on_commit_callbacks):
    order_placed()
    log = Notification.objects.get()
    first_id = smtp.messages[0]["Message-ID"]
    # The worker died after the server took the message, before the log said so; its lease ran out.
    Notification.objects.filter(pk=log.pk).update(status=NotificationStatus.SENDING, lease_until=timezone.now() - datetime.timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_sweep() == 1

    assert [m["Message-ID"] for m in smtp.messages] == [first_id, first_id]
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_a_message_held_by_a_live_worker_is_not_sent_by_anyone_else(smtp, order_placed, django_capture_on_commit_callbacks):
    order_placed()
    log = Notification.objects.get()
    Notification.objects.filter(pk=log.pk).update(status=NotificationStatus.SENDING, lease_until=timezone.now() + datetime.timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_sweep() == 0

    assert len(smtp.messages) == 1


def test_a_hard_bounce_reported_by_the_provider_flags_the_address_and_stops_e_mail(smtp, order_placed):
    order_placed()
    log = Notification.objects.get()

    event = AnymailTrackingEvent(
        event_type="bounced", message_id=log.provider_message_id, recipient=BUYER, reject_reason="bounced",
        description="The server was unable to deliver your message (ex: unknown user, mailbox not found).", timestamp=timezone.now(),
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")

    assert Notification.objects.get().status == NotificationStatus.BOUNCED
    customer = Customer.objects.get(email=BUYER)
    assert customer.email_bounced_at is not None and "unknown user" in customer.email_bounce_reason

    order_placed(lines=(("SKU-B", 1),))
    assert len(smtp.messages) == 1 and Notification.objects.count() == 1


def test_provider_reports_move_the_log_forward_only(smtp, order_placed):
    order_placed()
    log = Notification.objects.get()

    assert notification_status_update(provider_message_id=log.provider_message_id, status="delivered") is True
    assert notification_status_update(provider_message_id=log.provider_message_id, status="sent") is False
    assert notification_status_update(provider_message_id="<unknown@x>", status="delivered") is False

    assert Notification.objects.get().status == NotificationStatus.DELIVERED


def test_an_sms_customer_gets_the_shipped_sms_through_the_adapter_with_the_tracking_link(
    smtp, carriers, stocked, django_capture_on_commit_callbacks, settings,  # noqa: F811
):
    settings.OMS_SMS_BACKEND = "local"
    local_outbox.clear()
    CustomerFactory(email=BUYER, phone="(415) 555-0123", sms_opt_in=True)  # written without its country
    stocked("SKU-A", 1)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order([("SKU-A", 1)])
    with django_capture_on_commit_callbacks(execute=True):
        ship_in_one_box(order, django_capture_on_commit_callbacks)

    sms = Notification.objects.get(medium="sms", kind=NotificationKind.SHIPPED)
    assert sms.status == NotificationStatus.SENT and sms.provider_message_id
    (sent,) = local_outbox
    assert sent.to == "+14155550123"  # read as a US number: the order ships to the US
    assert order.number in sent.body and "/portal/track/" in sent.body and "/portal/preferences/" in sent.body
    assert sms_segments(sent.body)[0] <= 3 and sent.provider_message_id == sms.provider_message_id
    assert Notification.objects.get(medium="email", kind=NotificationKind.SHIPPED).status == NotificationStatus.SENT


def test_an_sms_the_provider_refuses_is_failed_with_its_words_and_not_retried(
    smtp, carriers, stocked, django_capture_on_commit_callbacks, monkeypatch,  # noqa: F811
):
    import portal.sms

    monkeypatch.setattr(portal.sms, "sms_send", lambda **_: SmsOutcome("", "failed", reason="21610: the recipient unsubscribed"))
    CustomerFactory(email=BUYER, phone="+14155550123", sms_opt_in=True)
    stocked("SKU-A", 1)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order([("SKU-A", 1)])
    with django_capture_on_commit_callbacks(execute=True):
        ship_in_one_box(order, django_capture_on_commit_callbacks)

    sms = Notification.objects.get(medium="sms", kind=NotificationKind.SHIPPED)
    assert (sms.status, sms.next_attempt_at) == (NotificationStatus.FAILED, None)
    assert sms.last_error == "PermanentFailure: 21610: the recipient unsubscribed"


def test_a_guest_order_without_a_customer_records_nothing(smtp, order_placed):
    order = order_placed()
    Notification.objects.all().delete()
    Order.objects.filter(pk=order.pk).update(customer=None)

    SUBSCRIBERS["order.created"](DomainEvent(uuid=uuid.uuid4(), name="order.created", payload={"order_id": order.pk}))

    assert not Notification.objects.exists()


def test_a_burst_goes_out_in_one_batch_and_the_others_tasks_find_nothing_left(smtp, order_placed, settings):
    from portal.tasks import notification_send

    settings.OMS_NOTIFICATION_BATCH = 10
    order = order_placed()
    customer = Customer.objects.get(email=BUYER)
    rows = Notification.objects.bulk_create([
        Notification(event_uuid=uuid.uuid4(), event_name="order.created", kind=NotificationKind.ORDER_CONFIRMED, medium="email",
                     recipient=BUYER, customer=customer, order=order, channel_id=order.channel_id, message_id=f"<{n}@oms.local>")
        for n in range(3)
    ])
    before = len(smtp.messages)

    assert notification_send(rows[0].pk) == 3
    assert notification_send(rows[1].pk) == 0 and notification_send(rows[2].pk) == 0

    assert sorted(m["Message-ID"] for m in smtp.messages[before:]) == ["<0@oms.local>", "<1@oms.local>", "<2@oms.local>"]
    assert set(Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", "attempts")) == {(NotificationStatus.SENT, 1)}
