"""The refund notice says where the money went: paid back, taken off the invoice, or store
credit, as the refund's breakdown records it (an invoiced order's credit notes lower what is
still owed), in English and German, by e-mail and in the SMS text."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation

from customers.models import Customer
from orders.services.invoicing import invoice_payment_record
from portal.models import Notification, NotificationKind
from portal.notifications.render import MessageFacts, frame_context, sms_render

from ..orders.test_credit_notes import invoice_of, refunded, shipped  # noqa: F401  (fixtures)
from ..orders.test_invoices import today, trade  # noqa: F401  (fixtures)
from .smtp import html_of, text_of

pytestmark = pytest.mark.django_db


def notice_of(smtp, order, *, paid=None, resolution="refund", language="en", capture=None):
    Customer.objects.filter(pk=order.customer_id).update(language=language)
    if paid is not None:
        invoice_payment_record(number=invoice_of(order).number, amount=paid, received_on=date(2026, 3, 15), actor="accounting")
    with capture(execute=True):
        refund = refunded(order, (1, 1), resolution=resolution)
    (message,) = [m for m in smtp.to("ap@acme.example") if "refund" in m["Subject"].lower() or "Erstattung" in m["Subject"]]
    return refund, message


def sms_of(refund, language) -> str:
    notification = Notification.objects.get(kind=NotificationKind.REFUND_ISSUED, context__return_id=refund.request_id, medium="email")
    facts = MessageFacts([notification])
    with translation.override(language):  # as the SMS sender reads it (``delivery._sms_send``)
        context = facts.context(notification)
    context = frame_context(context, kind=notification.kind, customer_id=notification.customer_id, channel_id=notification.channel_id)
    return sms_render(kind=notification.kind, context=context, language=language)


def test_a_refund_taken_whole_off_an_unpaid_invoice_is_not_called_money_refunded(smtp, shipped, django_capture_on_commit_callbacks):  # noqa: F811
    refund, message = notice_of(smtp, shipped, capture=django_capture_on_commit_callbacks)

    text = text_of(message)
    assert refund.breakdown["paid_back"] == "0.00"
    assert "taken off your invoice: 26.75 USD (you owe that much less)" in text and "taken off your invoice: 26.75 USD" in html_of(message)
    assert "We have refunded" not in text and "paid back to you" not in text and "bank" not in text
    sms = sms_of(refund, "en")
    assert "Taken off your invoice: 26.75 USD." in sms and "we have refunded" not in sms and "Paid back" not in sms


def test_a_refund_of_a_partly_paid_invoice_names_both_parts_in_german(smtp, shipped, django_capture_on_commit_callbacks):  # noqa: F811
    refund, message = notice_of(smtp, shipped, paid=D("120.00"), language="de", capture=django_capture_on_commit_callbacks)

    text = text_of(message)
    assert "Ihre Erstattung von 26,75 USD für Ihre Bestellung" in text
    assert "an Sie zurückgezahlt: 11,35 USD" in text and "von Ihrer Rechnung abgezogen: 15,40 USD" in text
    assert "erstattet" not in text
    sms = sms_of(refund, "de")
    assert "Zurückgezahlt: 11,35 USD." in sms and "Von Ihrer Rechnung abgezogen: 15,40 USD." in sms


def test_a_store_credit_refund_of_a_paid_invoice_says_store_credit(smtp, shipped, django_capture_on_commit_callbacks):  # noqa: F811
    refund, message = notice_of(smtp, shipped, paid=D("135.40"), resolution="store_credit", capture=django_capture_on_commit_callbacks)

    text = text_of(message)
    assert "added to your store credit: 26.75 USD" in text
    assert "We have refunded" not in text and "taken off your invoice" not in text and "paid back to you" not in text
    assert "Store credit: 26.75 USD." in sms_of(refund, "en")
