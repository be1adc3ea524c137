"""How messages reach the workers and the SMTP server at volume: a burst asks for one task, a task
sends batch after batch, the MIME the worker writes is what Django's backend would send, and the
compiled templates keep every translation and the operators' sandbox."""

import email
import re
import time
import uuid
from email import policy

import pytest
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.utils import translation

from customers.models import Customer
from portal.models import Notification, NotificationKind, NotificationStatus, NotificationTemplateOverride
from portal.notifications import log
from portal.notifications.mime import message_bytes
from portal.notifications.render import override_check
from portal.notifications.templating import TEMPLATES, message_templates

from ..factories import place_order

pytestmark = pytest.mark.django_db


def _both_ways(message: EmailMultiAlternatives):
    """The message as this project writes it and as Django's email package does, both parsed."""
    ours = email.message_from_bytes(message_bytes(message), policy=policy.default)
    django = email.message_from_bytes(message.message().as_bytes(linesep="\r\n"), policy=policy.default)
    return ours, django


def _message(**overrides) -> EmailMultiAlternatives:
    fields = {
        "subject": "Ihre Bestellung WEB-1001 ist unterwegs: Größe M, Farbe Marineblau, dazu Socken",
        "body": "Hallo Jürgen,\n\nIhre Bestellung ist unterwegs.\n\n- 1 × Pullover (MER-NAVY-M)\n",
        "from_email": "Nordlicht Wäsche <hello@nordlicht.example>", "to": ["jurgen@example.com"],
        "reply_to": ["care@nordlicht.example"],
        "headers": {"Message-ID": "<abc123@nordlicht.example>", "List-Unsubscribe": "<https://oms.example/portal/preferences/x:y:z/>"},
    }
    fields.update(overrides)
    html = fields.pop("html", "<p>Hallo J&uuml;rgen, Ihre Bestellung ist <b>unterwegs</b>.</p>")
    message = EmailMultiAlternatives(**fields)
    message.attach_alternative(html, "text/html")
    return message


def test_the_worker_writes_the_mime_that_djangos_backend_would_send():
    ours, django = _both_ways(_message())

    for header in ("Subject", "From", "To", "Reply-To", "Message-ID", "List-Unsubscribe"):
        # (Django folds a long encoded subject after "Subject:", which reads back with a leading space.)
        assert str(ours[header]) == str(django[header]).strip(), header
    assert ours["Message-ID"] == "<abc123@nordlicht.example>"
    assert ours.get_content_type() == "multipart/alternative"
    assert ours.get_body(("plain",)).get_content() == django.get_body(("plain",)).get_content()
    assert ours.get_body(("html",)).get_content() == django.get_body(("html",)).get_content()


def test_a_line_longer_than_smtp_allows_is_quoted_printable_and_reads_back_whole():
    html = "<p>" + "Größe " * 400 + "</p>"  # one line of about 2,800 bytes

    ours, django = _both_ways(_message(html=html))
    raw = message_bytes(_message(html=html))

    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    assert ours.get_body(("html",)).get_content() == django.get_body(("html",)).get_content() == html


def test_messages_of_another_shape_are_left_to_djangos_email_package():
    with_file = _message()
    with_file.attach("slip.pdf", b"%PDF-1.7", "application/pdf")

    assert message_bytes(with_file) is None
    assert message_bytes(_message(to=["jürgen@bücher.example"])) is None  # an address that needs IDNA or SMTPUTF8
    assert message_bytes(_message(headers={"List-Unsubscribe": "<https://x>\r\nBcc: victim@example.com"})) is None
    assert message_bytes(_message(to=["a@example.com", "b@example.com"])) is None


@pytest.fixture
def sent_tasks(monkeypatch):
    """The send tasks asked for, in order (none runs)."""
    from portal.tasks import notification_send

    asked = []
    monkeypatch.setattr(notification_send, "apply_async", lambda args, countdown=None, **_: asked.append((args, countdown)))
    cache.delete(log.PENDING_KEY)
    yield asked
    cache.delete(log.PENDING_KEY)


def test_a_burst_of_messages_asks_for_one_task_until_a_worker_starts_it(sent_tasks):
    for notification_id in range(1, 501):
        log._enqueue(notification_id)

    assert sent_tasks == [((1,), None)]

    cache.delete(log.PENDING_KEY)  # what the task does when it starts
    log._enqueue(501)
    log._enqueue(502)

    assert sent_tasks == [((1,), None), ((501,), None)]


def test_a_burst_of_failures_asks_for_one_task_at_the_soonest_retry(sent_tasks, smtp, settings, order_placed):
    from portal.tasks import notification_send

    settings.OMS_NOTIFICATION_BATCH, settings.OMS_NOTIFICATION_RETRY_SECONDS = 2, 30
    cache.delete(log.RETRY_WAKE_KEY)
    order = order_placed()  # its confirmation is asked for, not sent: the tasks only record here
    customer = Customer.objects.get(email=order.email)
    Notification.objects.bulk_create([
        Notification(event_uuid=uuid.uuid4(), event_name="order.created", kind=NotificationKind.ORDER_CONFIRMED, medium="email",
                     recipient=customer.email, customer=customer, order=order, channel_id=order.channel_id, message_id=f"<r{n}@oms.local>")
        for n in range(4)
    ])
    smtp.refuse = 100  # the mail server is down
    sent_tasks.clear()

    assert notification_send(None) == 5

    assert set(Notification.objects.values_list("status", "attempts")) == {(NotificationStatus.QUEUED, 1)}
    retries = [countdown for _, countdown in sent_tasks if countdown]
    assert len(retries) == 1 and 28 < retries[0] <= 30  # one task wakes for all five
    log._retries_wake()  # a later failure whose retry comes no sooner asks for nothing
    assert len([c for _, c in sent_tasks if c]) == 1

    cache.set(log.RETRY_WAKE_KEY, time.time() - 1)  # that task has woken (and these still wait)
    log._retries_wake()
    assert len([c for _, c in sent_tasks if c]) == 2


def test_one_task_sends_batch_after_batch_until_nothing_is_due(smtp, settings, order_placed):
    from portal.tasks import notification_send

    settings.OMS_NOTIFICATION_BATCH = 2
    order = order_placed()
    customer = Customer.objects.get(email=order.email)
    rows = Notification.objects.bulk_create([
        Notification(event_uuid=uuid.uuid4(), event_name="order.created", kind=NotificationKind.ORDER_CONFIRMED, medium="email",
                     recipient=customer.email, customer=customer, order=order, channel_id=order.channel_id, message_id=f"<b{n}@oms.local>")
        for n in range(5)
    ])
    before = len(smtp.messages)

    notification_send(None)

    ids = [r.pk for r in rows]
    assert sorted(m["Message-ID"] for m in smtp.messages[before:]) == [f"<b{n}@oms.local>" for n in range(5)]
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", "attempts")) == {(NotificationStatus.SENT, 1)}


@pytest.fixture
def order_placed(stocked, django_capture_on_commit_callbacks):
    def make():
        stocked("SKU-A", 1)
        with django_capture_on_commit_callbacks(execute=True):
            return place_order([("SKU-A", 1)])

    return make


def _msgids() -> set[str]:
    found = set()
    environment = message_templates()
    for path in (TEMPLATES / "email").glob("*.j2"):
        for _, _, message in environment.extract_translations(path.read_text()):
            found.add(message[0] if isinstance(message, tuple) else message)  # (msgid, None): a sentence with variables
    return found


def test_every_sentence_of_the_message_templates_is_translated_into_german():
    msgids = _msgids()
    german = translation.trans_real.translation("de")

    assert len(msgids) > 20  # the templates were read (a test that found nothing would pass)
    assert {msgid for msgid in msgids if german.gettext(msgid) == msgid} == set()


def test_the_template_sentences_are_the_msgids_django_would_extract():
    # Jinja2's {% trans %} turns {{ number }} into %(number)s, as Django's blocktranslate does.
    assert "Good news: your order %(number)s is on its way." in _msgids()
    assert not [msgid for msgid in _msgids() if re.search(r"\{\{|\}\}|\n", msgid)]


@pytest.mark.parametrize("source", [
    "{{ order_number.__class__.__mro__[1].__subclasses__() }}",
    "{{ shop.__class__.__init__.__globals__ }}{{ ''.format.__self__.__class__.__base__.__subclasses__() }}",
])
def test_an_override_cannot_reach_outside_the_message_context(source):
    problems = override_check(NotificationTemplateOverride(kind=NotificationKind.SHIPPED, language="en", subject="Hi", html_body=source))

    assert "html_body" in problems and ("unsafe" in problems["html_body"][0] or "Undefined" in problems["html_body"][0])
