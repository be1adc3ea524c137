"""Admin views that move returns: each checks a permission, calls one service and reports back.

A refusal from a service (:class:`DomainError`) becomes an error message on the RMA page, never a 500.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from oms.errors import DomainError, InvalidInput
from orders.admin_views import _refusal

from . import services
from .forms import inspection_entries, inspection_forms
from .models import Refund, RefundStatus, ReturnLine, ReturnRequest, ReturnStatus
from .selectors import return_lines_of, scanned_codes_as_skus


@dataclass(frozen=True)
class ReturnAction:
    """A button on the RMA page, shown only when the user holds ``permission`` and the return's
    status allows it (``statuses``)."""

    name: str
    label: str
    permission: str
    statuses: tuple[str, ...]
    run: Callable[[ReturnRequest, HttpRequest], object]
    done: str
    danger: bool = False
    # A further condition on the return (beyond its status) for the button to show.
    shown: Callable[[ReturnRequest], bool] | None = None


def _post(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "").strip()


# One scanned item per line of the text box: "SKU", "SKU quantity" or "quantity*SKU" (a scanner
# types the code and Enter; a person counting a stack types "3*" first).
_SCAN = re.compile(r"^\s*(?:(\d+)\s*\*\s*)?([^\s*]+)(?:\s+(\d+))?\s*$")


def scanned_items(text: str, *, lines: list[ReturnLine] | None = None) -> list[services.ReceivedItem]:
    """The items a dock worker scanned, one per line, the same SKU scanned twice counting twice;
    with the return's ``lines``, product barcodes are read as the SKUs they name."""
    items, bad = [], []
    for number, row in enumerate(text.splitlines(), start=1):
        if not row.strip():
            continue
        match = _SCAN.match(row)
        if match is None or (match.group(1) and match.group(3)):
            bad.append(f"row {number}: {row.strip()!r}")
            continue
        quantity = int(match.group(1) or match.group(3) or 1)
        if quantity < 1:
            bad.append(f"row {number}: {row.strip()!r} (a quantity above zero)")
            continue
        items.append(services.ReceivedItem(sku=match.group(2), quantity=quantity))
    if bad:
        raise InvalidInput("Scans are a SKU or barcode, optionally with a quantity (SKU 3, or 3*SKU), one per row.", fields={"items": bad})
    if lines is not None:
        as_sku = scanned_codes_as_skus([item.sku for item in items], lines=lines)
        items = [services.ReceivedItem(sku=as_sku[item.sku], quantity=item.quantity) for item in items]
    return items


def _inspection(rma: ReturnRequest, request: HttpRequest) -> list[services.InspectionData]:
    return inspection_entries(inspection_forms(return_lines_of(rma.pk), request.POST))


def _refund(rma: ReturnRequest, request: HttpRequest) -> Refund:
    amount = _post(request, "refund_amount")
    return services.return_refund(return_id=rma.pk, amount=amount or None, reason=_post(request, "refund_reason"), actor=request.user)


def _failed_refund(rma: ReturnRequest) -> int | None:
    return Refund.objects.filter(request_id=rma.pk, status=RefundStatus.FAILED).order_by("-id").values_list("pk", flat=True).first()


def _refund_retry(rma: ReturnRequest, request: HttpRequest) -> Refund:
    refund_id = _failed_refund(rma)
    if refund_id is None:
        raise InvalidInput(f"Return {rma.number} has no failed refund to retry.", fields={"refund": ["Nothing to retry."]})
    return services.refund_retry(refund_id=refund_id, actor=request.user)


RETURN_ACTIONS = {
    action.name: action
    for action in (
        ReturnAction("approve", "Approve", "returns.approve_return", (ReturnStatus.REQUESTED,),
                     lambda rma, request: services.return_approve(return_id=rma.pk, note=_post(request, "decision_note"), actor=request.user),
                     "Approved"),
        ReturnAction("reject", "Reject", "returns.approve_return", (ReturnStatus.REQUESTED,),
                     lambda rma, request: services.return_reject(return_id=rma.pk, reason=_post(request, "decision_note"), actor=request.user),
                     "Rejected", danger=True),
        ReturnAction("receive", "Receive", "returns.receive_return", (ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED, ReturnStatus.IN_TRANSIT),
                     lambda rma, request: services.return_receive(
                         return_id=rma.pk, location=_post(request, "location"), items=scanned_items(request.POST.get("scans", ""), lines=return_lines_of(rma.pk)),
                         complete=request.POST.get("complete") == "on", actor=request.user),
                     "Receipt recorded"),
        ReturnAction("inspect", "Record inspection", "returns.inspect_return", (ReturnStatus.RECEIVED,),
                     lambda rma, request: services.return_inspect(return_id=rma.pk, lines=_inspection(rma, request), actor=request.user),
                     "Inspected"),
        ReturnAction("close", "Close", "returns.approve_return", (ReturnStatus.INSPECTED,),
                     lambda rma, request: services.return_close(return_id=rma.pk, note=_post(request, "decision_note"), actor=request.user),
                     "Closed"),
        ReturnAction("cancel", "Cancel return", "returns.cancel_return",
                     (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED, ReturnStatus.IN_TRANSIT),
                     lambda rma, request: services.return_cancel(return_id=rma.pk, reason=_post(request, "decision_note"), actor=request.user),
                     "Cancelled", danger=True),
        ReturnAction("refund", "Refund", "returns.refund_return", services.REFUNDABLE_STATUSES, _refund, "Refund sent",
                     shown=lambda rma: rma.resolution != "exchange" and not rma.refunds.exists()),
        ReturnAction("retry_refund", "Retry refund", "returns.refund_return", tuple(ReturnStatus.values), _refund_retry, "Refund sent again",
                     shown=lambda rma: _failed_refund(rma) is not None),
        ReturnAction("note", "Add note", "returns.approve_return", tuple(ReturnStatus.values),
                     lambda rma, request: services.return_note_add(return_id=rma.pk, text=_post(request, "note_text"), actor=request.user),
                     "Note added"),
    )
}


def return_actions_available(rma: ReturnRequest, user) -> dict[str, ReturnAction]:
    """The buttons this user may press on this return now."""
    return {
        name: action for name, action in RETURN_ACTIONS.items()
        if rma.status in action.statuses and user.has_perm(action.permission) and (action.shown is None or action.shown(rma))
    }


@require_POST
def return_action_view(request: HttpRequest, object_id: str, action_name: str):
    action = RETURN_ACTIONS.get(action_name)
    if action is None:
        raise Http404("No such return action.")
    if not request.user.has_perm(action.permission):
        raise PermissionDenied
    rma = get_object_or_404(ReturnRequest, pk=object_id)
    try:
        result = action.run(rma, request)
    except DomainError as error:
        messages.error(request, _refusal(error))
    else:
        if isinstance(result, Refund) and result.status == RefundStatus.FAILED:
            messages.error(request, f"{rma.number}: refund #{result.pk} failed: {result.provider_reason} Retry it when the cause is fixed.")
            return HttpResponseRedirect(reverse("admin:returns_returnrequest_change", args=[rma.pk]))
        rma = ReturnRequest.objects.only("number", "status").get(pk=rma.pk)
        messages.success(request, f"{rma.number}: {action.done}. Status: {rma.get_status_display()}.")
    return HttpResponseRedirect(reverse("admin:returns_returnrequest_change", args=[rma.pk]))



def returns_bulk_approve(request: HttpRequest, returns) -> None:
    """Approve each return through ``return_approve`` and say, per RMA, what happened: approved,
    or why not (already decided, a refusal of the service). None is skipped silently."""
    approved, refused = [], []
    for rma in returns:
        if rma.status != ReturnStatus.REQUESTED:
            refused.append(f"{rma.number}: not approved, it is {rma.get_status_display().lower()} (only requested returns are).")
            continue
        try:
            services.return_approve(return_id=rma.pk, note="Approved from the returns queue", actor=request.user)
        except DomainError as error:
            refused.append(f"{rma.number}: not approved: {_refusal(error)}")
        else:
            approved.append(rma.number)
    if approved:
        messages.success(request, f"Approved {len(approved)}: {', '.join(approved)}.")
    for text in refused:
        messages.warning(request, text)
