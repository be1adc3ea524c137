"""The RMA slip in the console: one return's slip (with its label) from its page, and "Print slip
+ label" for the returns selected in the queue, as one PDF."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from fulfillment.documents.rendering import pdfs_join
from oms.api.downloads import file_response
from oms.errors import DomainError
from orders.admin_views import _refusal

from .admin_dock import return_or_404
from .documents import NOT_PRINTABLE, rma_slip_pdf, rma_slip_with_label_pdf
from .models import ReturnRequest

VIEW = "returns.view_returnrequest"


def _pdf(content: bytes, name: str):
    response = file_response(content, filename=f"{name}.pdf", content_type="application/pdf")
    # Opened in the browser's viewer to print, rather than saved.
    response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
    return response


def return_slip_view(request: HttpRequest, object_id: str):
    """``?label=1``: the slip followed by the return label; else the slip alone."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    rma = return_or_404(object_id, ReturnRequest.objects.only("pk", "number"))
    with_label = request.GET.get("label") == "1"
    try:
        content = rma_slip_with_label_pdf(return_id=rma.pk, actor=request.user) if with_label else rma_slip_pdf(rma.pk)
    except DomainError as error:
        messages.error(request, _refusal(error))
        return HttpResponseRedirect(reverse("admin:returns_returnrequest_change", args=[rma.pk]))
    return _pdf(content, f"{'return-slip-and-label' if with_label else 'return-slip'}-{rma.number}")


def returns_slips_with_labels(request: HttpRequest, returns):
    """One PDF: each return's slip, then its label, in the queue's order. Refused as a whole,
    naming every return that cannot print (not approved or no longer sendable, or no label yet)."""
    returns = list(returns)
    refused = [
        f"{rma.number}: {rma.get_status_display().lower()}, the parcel must not be sent." if rma.status in NOT_PRINTABLE
        else f"{rma.number}: no return label yet; issue one first, or print its slip from its page."
        for rma in returns if rma.status in NOT_PRINTABLE or rma.shipment_id is None
    ]
    if refused:
        messages.error(request, "Nothing was printed. Leave out: " + " ".join(refused))
        return None
    try:
        parts = [rma_slip_with_label_pdf(return_id=rma.pk, actor=request.user) for rma in returns]
    except DomainError as error:
        messages.error(request, f"Nothing was printed: {_refusal(error)}")
        return None
    name = returns[0].number if len(returns) == 1 else f"{len(returns)}-returns"
    return _pdf(pdfs_join(parts), f"return-slips-and-labels-{name}")
