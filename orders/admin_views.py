"""Admin views that move orders: each checks a permission, calls one service and reports back.

A refusal from a service (:class:`DomainError`) becomes an error message on the page the
operator came from, never a 500.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from oms.admin import form_add_domain_error
from oms.errors import DomainError, InvalidInput

from . import services
from .adapters.csv_import import COLUMNS, MAX_FILE_BYTES, MAX_ROWS, orders_import
from .forms import (
    BulkReasonForm, OrdersImportForm, PhoneOrderForm, phone_order_fill, phone_order_initial, phone_order_intake_data, phone_order_line_formset,
    phone_order_lines,
)
from .models import Order, OrderHold, OrderStatus


@dataclass(frozen=True)
class OrderAction:
    """A button on the order page. Shown only when the user holds ``permission`` and, for a
    lifecycle step, when the state machine allows ``transition`` from the order's status."""

    name: str
    label: str
    permission: str
    transition: str | None
    run: Callable[[Order, HttpRequest], Order | object]
    done: str
    danger: bool = False


def _post(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "").strip()


ORDER_ACTIONS = {
    action.name: action
    for action in (
        OrderAction(
            "allocate", "Retry allocation", "orders.transition_order", "allocate",
            lambda order, request: services.order_allocate(order_id=order.pk, actor=request.user), "Allocation retried",
        ),
        OrderAction(
            "start_fulfillment", "Start fulfillment", "orders.transition_order", "start_fulfillment",
            lambda order, request: services.order_start_fulfillment(order_id=order.pk, actor=request.user), "Sent to fulfillment",
        ),
        # Shipping and delivery are per fulfillment order (the fulfillment console): an order ships
        # from its locations one parcel at a time, and its status follows.
        OrderAction(
            "complete", "Complete", "orders.transition_order", "complete",
            lambda order, request: services.order_complete(order_id=order.pk, actor=request.user), "Completed",
        ),
        OrderAction(
            "release_holds", "Release all holds", "orders.release_hold", "release",
            lambda order, request: services.order_holds_release_all(order_id=order.pk, actor=request.user, note=_post(request, "release_note")),
            "Holds released",
        ),
        OrderAction(
            "hold", "Place hold", "orders.release_hold", "hold",
            lambda order, request: services.order_hold_place(
                order_id=order.pk, reason=_post(request, "hold_reason"), detail=_post(request, "hold_detail"), actor=request.user
            ),
            "Hold placed",
        ),
        OrderAction(
            "cancel", "Cancel order", "orders.cancel_order", "cancel",
            lambda order, request: services.order_cancel(order_id=order.pk, actor=request.user, reason=_post(request, "cancel_reason")),
            "Cancelled", danger=True,
        ),
        OrderAction(
            "payment", "Update payment", "orders.change_order", None,
            lambda order, request: services.order_payment_update(order_id=order.pk, payment_status=_post(request, "payment_status"), actor=request.user),
            "Payment status updated",
        ),
        OrderAction(
            "note", "Add note", "orders.change_order", None,
            lambda order, request: services.order_note_add(order_id=order.pk, text=_post(request, "note_text"), actor=request.user),
            "Note added",
        ),
    )
}


def order_actions_available(order: Order, user) -> dict[str, OrderAction]:
    """The buttons this user may press on this order now."""
    allowed = {transition.name for transition in order.get_available_status_transitions()}
    return {
        name: action
        for name, action in ORDER_ACTIONS.items()
        if user.has_perm(action.permission) and (action.transition is None or action.transition in allowed)
    }


def _order_page(order_id) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order_id]))


def _status_message(request: HttpRequest, order_id: int, done: str) -> None:
    order = Order.objects.only("number", "status").get(pk=order_id)
    messages.success(request, f"{order.number}: {done}. Status: {order.get_status_display()}.")


@require_POST
def order_action_view(request: HttpRequest, object_id: str, action_name: str):
    action = ORDER_ACTIONS.get(action_name)
    if action is None:
        raise Http404("No such order action.")
    if not request.user.has_perm(action.permission):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=object_id)
    try:
        action.run(order, request)
    except DomainError as error:
        messages.error(request, _refusal(error))
    else:
        _status_message(request, order.pk, action.done)
    return _order_page(order.pk)


@require_POST
def order_hold_release_view(request: HttpRequest, object_id: str, hold_id: str):
    if not (request.user.has_perm("orders.release_hold") or request.user.has_perm("orders.release_credit_hold")):
        raise PermissionDenied
    hold = get_object_or_404(OrderHold.objects.select_related("order"), pk=hold_id, order_id=object_id)
    try:
        services.order_hold_release(hold_id=hold.pk, actor=request.user, note=_post(request, "release_note"))
    except DomainError as error:
        messages.error(request, _refusal(error))
    else:
        _status_message(request, hold.order_id, f"{hold.get_reason_display()} hold released")
    return _order_page(hold.order_id)


def _refusal(error: DomainError) -> str:
    if isinstance(error, InvalidInput) and error.fields:
        details = "; ".join(f"{field}: {' '.join(problems)}" for field, problems in error.fields.items())
        return f"{error.message} ({details})"
    return error.message


def orders_bulk_apply(request: HttpRequest, orders: Iterable[Order], run: Callable[[Order], object], done: str) -> None:
    """Run a service per order; report the successes together and every refusal by order number."""
    succeeded, refused = [], []
    for order in orders:
        try:
            run(order)
        except DomainError as error:
            refused.append(f"{order.number}: {_refusal(error)}")
        else:
            succeeded.append(order.number)
    if succeeded:
        messages.success(request, f"{done} for {len(succeeded)} order(s): {', '.join(succeeded)}.")
    for line in refused:
        messages.error(request, line)


def held_orders_bulk_confirm(
    request: HttpRequest, model_admin, orders, *, action: str, title: str, submit_label: str, done: str,
    run: Callable[[Order, str], object],
):
    """A bulk action of the hold queue in two steps: a page that lists the chosen orders and asks
    why (the reason is required and goes on each order's timeline), then the service per order.
    Returns the page to show, or None when the action ran (Django then shows the queue again)."""
    form = BulkReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        orders_bulk_apply(request, orders, lambda order: run(order, reason), done)
        return None
    orders = list(orders.select_related("customer"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts, "title": title, "form": form, "orders": orders, "action": action,
        "submit_label": submit_label, "close_label": "Back to the queue, change nothing", "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/orders/heldorder/bulk_confirm.html", context)


def phone_order_view(request: HttpRequest, model_admin):
    """Customer service takes an order by phone; it goes through intake like an API order.

    What the system knows fills the blanks (see ``phone_order_fill``): "Fill in" shows it before
    recording, and recording fills the same blanks, so a careful order is not held for them."""
    if not request.user.has_perm("orders.create_phone_order"):
        raise PermissionDenied
    rows = int(request.GET["rows"]) if request.GET.get("rows", "").isdigit() else 4
    formset_class = phone_order_line_formset(rows)
    catalogue = {}
    if request.method == "POST":
        data, catalogue = phone_order_fill(request.POST)
        if "_fill" in request.POST:
            # Shown again unbound: what was filled in, without complaints about what is still missing.
            lines = phone_order_lines(data)
            form = PhoneOrderForm(initial={name: data.get(name, "") for name in PhoneOrderForm.base_fields})
            formset = phone_order_line_formset(1)(prefix="lines", initial=lines)
        else:
            form, formset = PhoneOrderForm(data), formset_class(data, prefix="lines")
            if form.is_valid() and formset.is_valid():
                intake, line_forms = phone_order_intake_data(form, formset)
                try:
                    result = services.order_intake(data=intake, actor=request.user)
                except DomainError as error:
                    _intake_errors_show(error, form, formset, line_forms)
                else:
                    return _phone_order_done(request, result)
    else:
        form, formset = PhoneOrderForm(initial=phone_order_initial(request.GET.get("customer", ""))), formset_class(prefix="lines")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Take a phone order",
        "form": form,
        "formset": formset,
        "line_rows": [(line, _catalogue_of(line, catalogue)) for line in formset],
        "submit_label": "Record order",
        "has_errors": form.is_bound and (bool(form.errors) or any(formset.errors) or bool(formset.non_form_errors())),
        "more_lines_url": f"?rows={rows + 6}" if request.method == "GET" else None,
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/orders/order/phone_order.html", context)


def _catalogue_of(line_form, catalogue: dict):
    """The catalogue entry of the SKU typed in this line, "unknown" for a SKU it lacks, None for no SKU."""
    sku = (line_form["sku"].value() or "").strip()
    return catalogue.get(sku, "unknown") if sku else None


def _intake_errors_show(error: DomainError, form: PhoneOrderForm, formset, line_forms: list[int]) -> None:
    """Put intake's field paths ("lines[0].quantity") back on the form field that holds the value."""
    form.add_error(None, error.message)
    order_fields = {}
    for path, problems in error.fields.items():
        if path.startswith("lines[") and "]." in path:
            position, field = path[len("lines["):].split("].", 1)
            line_form = formset.forms[line_forms[int(position)]]
            for problem in problems:
                line_form.add_error(field if field in line_form.fields else None, problem)
        elif path == "lines":
            for problem in problems:
                form.add_error(None, f"Lines: {problem}")
        else:
            order_fields[path] = problems
    if order_fields:
        form_add_domain_error(form, DomainError(error.message, fields=order_fields), PhoneOrderForm.error_paths)


def _phone_order_done(request: HttpRequest, result) -> HttpResponseRedirect:
    order = result.order
    if not result.created:
        messages.warning(request, f"This form was already submitted: {order.number} was recorded then; nothing new was created.")
        return _order_page(order.pk)
    if order.status == OrderStatus.ON_HOLD:
        reasons = ", ".join(hold.get_reason_display().lower() for hold in order.holds.filter(released_at__isnull=True))
        messages.warning(request, f"{order.number} recorded and put on hold: {reasons}. Release the holds once the cause is cleared.")
    else:
        messages.success(request, f"{order.number} recorded. Status: {order.get_status_display()}.")
    return _order_page(order.pk)


def may_import_orders(user) -> bool:
    return user.has_perm("orders.add_order") or user.has_perm("orders.create_phone_order")


def orders_import_view(request: HttpRequest, model_admin):
    """Marketplace orders from a CSV file; the report stays on the page."""
    if not may_import_orders(request.user):
        raise PermissionDenied
    report = None
    if request.method == "POST":
        form = OrdersImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = orders_import(channel=form.cleaned_data["channel"].code, content=upload.read(MAX_FILE_BYTES + 1), actor=request.user)
            except DomainError as error:
                form.add_error("file", _refusal(error))
            else:
                report = result.as_dict()
                summary = report["summary"]
                text = f"{summary['created']} order(s) created, {summary['already_imported']} already imported, {summary['rejected']} rejected."
                (messages.warning if summary["rejected"] else messages.success)(request, text)
    else:
        form = OrdersImportForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Import marketplace orders (CSV)",
        "form": form,
        "report": report,
        "columns": COLUMNS,
        "max_megabytes": MAX_FILE_BYTES // 1024 // 1024,
        "max_rows": MAX_ROWS,
    }
    return TemplateResponse(request, "admin/orders/order/import.html", context)
