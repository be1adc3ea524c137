"""Returns in the portal: start one for a shipped order (checked against the policy before it is
sent), follow them, download the return label and the RMA slip. Only the signed-in customer's
own orders and returns are reached; anyone else's number is a 404."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from oms.api.downloads import file_response
from oms.errors import DomainError, InvalidInput
from oms.money import money_text
from returns.documents import rma_slip_pdf
from returns.models import Resolution, ReturnEvent, ReturnReason, ReturnRequest
from returns.selectors import exchange_candidates, order_lines_returnable, return_policy_for, returns_with_details
from returns.services import line_policy_findings, return_policy_preview, return_refund_estimate, return_request
from returns.services.requests import RETURNABLE_ORDER_STATUSES
from shipping.services import shipment_label

from ..auth import customer_required
from ..forms_returns import ReturnStartForm
from ..order_actions import portal_actor
from ..return_status import finding_words, label_downloadable, label_words, reason_words, refund_views, return_timeline, slip_downloadable, status_words
from .order_actions import customer_order


def customer_return(request, number: str, queryset=None) -> ReturnRequest:
    """The signed-in customer's return with this RMA number; 404 for anyone else's or none."""
    queryset = queryset if queryset is not None else ReturnRequest.objects.all()
    return get_object_or_404(queryset, number=number, order__customer_id=request.customer.pk)


def _start_context(order, form, returnable) -> dict:
    policy = return_policy_for(order.channel_id)
    # Lines that need a person whatever is asked (not returnable, final sale), and lines with nothing left.
    blocked = []
    for item in returnable:
        if item.left <= 0:
            blocked.append({"item": item, "why": _("Nothing left to return: %(returned)s returned, %(open)s on open returns.") % {
                "returned": item.line.quantity_returned, "open": item.on_open_returns}})
    notes = {item.line.line_number: [finding_words(finding) for finding in line_policy_findings(policy=policy, line=item.line)]
             for item in returnable}
    rows = [{**row, "notes": notes.get(row["item"].line.line_number, [])} for row in form.rows()]
    return {"order": order, "form": form, "rows": rows, "blocked": blocked, "window_days": policy.window_days}


@customer_required
@require_http_methods(["GET", "POST"])
def return_start(request, number: str):
    order = customer_order(request, number)
    if order.status not in RETURNABLE_ORDER_STATUSES:
        return render(request, "portal/returns/not_returnable.html", {"order": order}, status=409 if request.method == "POST" else 200)
    returnable = order_lines_returnable(order.pk)
    reasons = list(ReturnReason.objects.filter(is_active=True))
    candidates = exchange_candidates({item.line.sku for item in returnable if item.left > 0}, currency=order.currency)
    form = ReturnStartForm(request.POST or None, returnable=returnable, reasons=reasons, candidates=candidates)
    context = _start_context(order, form, returnable)
    if not form.returnable:
        return render(request, "portal/returns/not_returnable.html", {**context, "all_returned": True})
    if request.method == "POST" and form.is_valid():
        lines = form.lines()
        if request.POST.get("action") == "submit":
            try:
                rma = return_request(
                    order_id=order.pk, lines=lines, resolution=form.cleaned_data["resolution"],
                    customer_comment=form.cleaned_data["comment"], actor=portal_actor(request.customer.pk),
                )
            except InvalidInput as error:
                form.add_service_errors(error.fields or {"__all__": [error.message]}, lines)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your return %(number)s is recorded.") % {"number": rma.number})
                return redirect(reverse("portal:return", args=[rma.number]))
        else:
            context["preview"] = _preview(order, lines, form.cleaned_data["resolution"])
    return render(request, "portal/returns/start.html", context)


def _preview(order, lines, resolution) -> dict:
    """The policy's answer and the estimated refund, before anything is sent."""
    answer = return_policy_preview(order_id=order.pk, lines=lines)
    preview = {"answer": answer, "findings": [finding_words(finding) for finding in answer.findings], "resolution": resolution}
    if resolution != Resolution.EXCHANGE:
        estimate = return_refund_estimate(order_id=order.pk, units={line.line_number: (line.quantity, line.reason) for line in lines})
        preview["estimate"] = money_text(estimate.amount, estimate.currency)
        preview["label_deducted"] = estimate.customer_pays_label
    return preview


@customer_required
def returns_list(request):
    rmas = list(returns_with_details().filter(order__customer_id=request.customer.pk).order_by("-created_at", "-id"))
    rows = [{"rma": rma, "words": status_words(rma), "refunds": refund_views(rma)} for rma in rmas]
    return render(request, "portal/returns/list.html", {"rows": rows})


@customer_required
def return_detail(request, number: str):
    rma = customer_return(request, number, returns_with_details().select_related("shipment"))
    events = ReturnEvent.objects.filter(request_id=rma.pk, kind=ReturnEvent.Kind.STATUS).order_by("id")
    for line in rma.line_list:
        line.reason_words = reason_words(line.reason)
    return render(request, "portal/returns/detail.html", {
        "rma": rma, "words": status_words(rma), "timeline": return_timeline(rma, events), "refunds": refund_views(rma),
        "label_words": label_words(rma), "label_downloadable": label_downloadable(rma), "slip_downloadable": slip_downloadable(rma),
    })


def _back_with(request, rma, text: str):
    messages.error(request, text)
    return redirect(reverse("portal:return", args=[rma.number]))


@customer_required
def return_label(request, number: str):
    rma = customer_return(request, number, ReturnRequest.objects.select_related("shipment"))
    if not label_downloadable(rma):
        return _back_with(request, rma, _("There is no return label to print for %(number)s: %(why)s") % {"number": rma.number, "why": label_words(rma)})
    try:
        shipment = shipment_label(shipment_id=rma.shipment_id, actor=portal_actor(request.customer.pk))
    except DomainError:
        return _back_with(request, rma, _("The return label of %(number)s cannot be printed. Please contact us.") % {"number": rma.number})
    return file_response(bytes(shipment.label_pdf), filename=f"return-label-{rma.number}.pdf", content_type="application/pdf")


@customer_required
def return_slip(request, number: str):
    rma = customer_return(request, number)
    if not slip_downloadable(rma):
        return _back_with(request, rma, _("%(number)s has no return slip: %(status)s.") % {"number": rma.number, "status": status_words(rma)})
    try:
        content = rma_slip_pdf(rma.pk)
    except DomainError:
        return _back_with(request, rma, _("The return slip of %(number)s cannot be printed. Please contact us.") % {"number": rma.number})
    return file_response(content, filename=f"return-slip-{rma.number}.pdf", content_type="application/pdf")
