"""The return approval notice carries the RMA slip and the return label as PDFs; a return
cancelled before its notice went out fails that notice at once, with the reason, rather than
retrying a message that can no longer be true."""

import pytest

from portal.models import Notification, NotificationKind, NotificationStatus
from returns.models import ReturnPolicy
from returns.services import ReturnLineData, return_cancel, return_label_issue, return_request

pytestmark = pytest.mark.django_db


def _attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def _return_of(order):
    return return_request(order_id=order.pk, lines=[ReturnLineData(line_number=1, quantity=1, reason="too_small")], actor="portal")


def test_the_approval_notice_carries_the_slip_and_the_label(smtp, shipped, warehouse, django_capture_on_commit_callbacks):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=True)
    order, _ = shipped("ada@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        rma = _return_of(order)
        return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location=warehouse.code, actor="cs")

    [notice] = [m for m in smtp.to("ada@example.com") if rma.number in m["Subject"]]
    files = _attachments(notice)
    assert set(files) == {f"{rma.number}-slip.pdf", f"{rma.number}-label.pdf"}
    assert all(content.startswith(b"%PDF") for content in files.values())


def test_a_return_cancelled_before_its_notice_went_out_fails_the_notice_at_once(smtp, shipped, warehouse, django_capture_on_commit_callbacks):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=True)
    order, _ = shipped("ada@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        rma = _return_of(order)
        return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location=warehouse.code, actor="cs")
        return_cancel(return_id=rma.pk, reason="changed my mind", actor="cs")

    notice = Notification.objects.get(kind=NotificationKind.RETURN_APPROVED, context__return_id=rma.pk)
    assert notice.status == NotificationStatus.FAILED and notice.attempts == 1
    assert "documents" in notice.last_error
    assert not [m for m in smtp.to("ada@example.com") if rma.number in m["Subject"]]
