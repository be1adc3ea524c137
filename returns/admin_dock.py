"""The returns dock and the inspection bench in the console.

The dock receives parcels by scan, without JavaScript: the clerk has a location, scans the RMA's
barcode (its number), then each item (its barcode or SKU, ``3*SKU`` for a counted stack); every
scan posts the page back, which shows what the return expects against what was scanned, what is
not on it and what is still missing. "Record receipt" hands the scans to ``return_receive``: a
partial receipt keeps the return open for the rest, "nothing more will come" records the rest as
missing. The inspection page records condition, disposition and accepted units per line through
``return_inspect``. Nothing changes anywhere but in those services.
"""

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from inventory.models import Location
from oms.errors import DomainError, NotFound
from orders.admin_views import _refusal

from . import services
from .admin_views import scanned_items
from .forms import inspection_entries, inspection_forms
from .models import RECEIVABLE, ReturnLine, ReturnRequest, ReturnStatus
from .selectors import return_id_for_number, return_lines_of

RECEIVE = "returns.receive_return"
INSPECT = "returns.inspect_return"
# The location a clerk works at, kept for their next parcel.
DOCK_LOCATION = "returns_dock_location"


@dataclass(frozen=True)
class DockRow:
    """One SKU of the return: units still expected against units scanned so far."""

    sku: str
    name: str
    gtin: str
    expected: int
    scanned: int

    @property
    def still_missing(self) -> int:
        return max(self.expected - self.scanned, 0)

    @property
    def extra(self) -> int:
        return max(self.scanned - self.expected, 0)


@dataclass(frozen=True)
class DockTally:
    rows: list[DockRow]
    unexpected: list[tuple[str, int]]  # SKUs (or unknown codes) the return does not name, with units
    items: list[services.ReceivedItem]  # what ``return_receive`` is given

    @property
    def missing(self) -> list[tuple[str, int]]:
        return [(row.sku, row.still_missing) for row in self.rows if row.still_missing]

    @property
    def extra(self) -> list[tuple[str, int]]:
        return [(row.sku, row.extra) for row in self.rows if row.extra] + self.unexpected

    @property
    def scanned_units(self) -> int:
        return sum(item.quantity for item in self.items)


def dock_tally(lines: list[ReturnLine], scans: str) -> DockTally:
    """What the scans (one per row, as :func:`scanned_items` reads them) amount to for the
    return's ``lines``: barcodes read as SKUs, units per SKU against what is still expected."""
    scanned = Counter()
    for item in scanned_items(scans, lines=lines):
        scanned[item.sku] += item.quantity
    expected: dict[str, list[ReturnLine]] = {}
    for line in lines:
        expected.setdefault(line.order_line.sku, []).append(line)
    rows = []
    for sku, same in expected.items():
        product = same[0].order_line.product
        rows.append(DockRow(
            sku=sku, name=same[0].order_line.name or (product.name if product else ""), gtin=product.gtin if product else "",
            expected=sum(line.quantity_outstanding for line in same), scanned=scanned.get(sku, 0),
        ))
    unexpected = [(sku, units) for sku, units in scanned.items() if sku not in expected]
    return DockTally(rows, unexpected, [services.ReceivedItem(sku=sku, quantity=units) for sku, units in scanned.items()])


def return_or_404(object_id: str, queryset=None) -> ReturnRequest:
    """The return a console URL names by id; 404 for anything but an id of one."""
    if not object_id.isdigit() or len(object_id) > 18:
        raise Http404("No such return.")
    return get_object_or_404(queryset if queryset is not None else ReturnRequest.objects.all(), pk=int(object_id))


def _names_a_return(code: str) -> bool:
    try:
        return_id_for_number(code)
    except NotFound:
        return False
    return True


def _rows_without_last(scans: str) -> str:
    rows = [row for row in scans.splitlines() if row.strip()]
    return "\n".join(rows[:-1])


def _dock_url(**query) -> str:
    query = {name: value for name, value in query.items() if value}
    return reverse("admin:returns_returnrequest_dock") + (f"?{urlencode(query)}" if query else "")


def _status_note(rma: ReturnRequest) -> str:
    if rma.status == ReturnStatus.REQUESTED:
        return f"{rma.number} is requested, not approved: customer service decides on it before it can be received."
    if rma.status == ReturnStatus.RECEIVED:
        return f"{rma.number} is received in full: next, inspect its units."
    return f"{rma.number} is {rma.get_status_display().lower()}: there is nothing to receive."


def return_dock_view(request: HttpRequest, model_admin):
    """The dock: pick a location, scan the RMA, scan its items, record the receipt."""
    if not request.user.has_perm(RECEIVE):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    locations = list(Location.objects.filter(is_active=True).order_by("code").values_list("code", "name"))
    known = {code for code, _ in locations}
    location = source.get("location", "").strip() or request.session.get(DOCK_LOCATION, "")
    if location not in known:
        location = locations[0][0] if len(locations) == 1 else ""
    if location and request.session.get(DOCK_LOCATION) != location:
        request.session[DOCK_LOCATION] = location
    number = source.get("rma", "").strip()
    scans = source.get("scans", "")
    context = {
        **model_admin.admin_site.each_context(request), "opts": ReturnRequest._meta, "title": "Returns dock: receive by scan",
        "locations": locations, "location": location, "number": number, "scans": scans, "errors": [],
    }
    rma = None
    if number:
        try:
            rma = ReturnRequest.objects.select_related("location").get(pk=return_id_for_number(number))
        except NotFound:
            context["errors"].append(f"No return has the number {number!r}: scan the barcode on the RMA slip, or type its number (RMA-000123).")
    if rma is not None and request.method == "POST" and rma.status in RECEIVABLE:
        scan = request.POST.get("scan", "").strip()
        if "undo" in request.POST:
            scans = _rows_without_last(scans)
        elif scan and scan != rma.number and _names_a_return(scan):
            # The next parcel's slip scanned into the item field: open that return, unless scans wait.
            if scans.strip():
                context["errors"].append(f"{scan} is another return: record or undo the scans of {rma.number} first.")
            else:
                return HttpResponseRedirect(_dock_url(location=location, rma=scan))
        elif scan:
            try:
                scanned_items(scan)
            except DomainError as error:
                context["errors"].append(_refusal(error))
            else:
                scans = "\n".join(filter(None, [scans.strip(), scan]))
        if "record" in request.POST and not context["errors"]:
            recorded = _record(request, rma, location, scans)
            if isinstance(recorded, HttpResponseRedirect):
                return recorded
            context["errors"].append(recorded)
    if rma is not None:
        lines = return_lines_of(rma.pk)
        try:
            tally = dock_tally(lines, scans)
        except DomainError as error:
            context["errors"].append(_refusal(error))
            tally = dock_tally(lines, "")
        context.update(
            rma=rma, lines=lines, tally=tally, scans=scans, receivable=rma.status in RECEIVABLE,
            status_note="" if rma.status in RECEIVABLE else _status_note(rma),
            inspect_url=reverse("admin:returns_returnrequest_inspect", args=[rma.pk])
            if rma.status == ReturnStatus.RECEIVED and request.user.has_perm(INSPECT) else "",
            partly_elsewhere=rma.location if rma.location_id and rma.location.code != location else None,
        )
    context["scans"] = scans
    return TemplateResponse(request, "admin/returns/returnrequest/dock.html", context)


def _record(request: HttpRequest, rma: ReturnRequest, location: str, scans: str):
    """Hand the scans to ``return_receive``: a redirect when recorded, else what was refused."""
    complete = request.POST.get("complete") == "on"
    try:
        if not location:
            raise DomainError("Choose the location the parcel is received at.", code="no_location")
        tally = dock_tally(return_lines_of(rma.pk), scans)
        if not tally.items:
            raise DomainError("Scan the items in the parcel first (their barcode or SKU), then record the receipt.", code="nothing_scanned")
        services.return_receive(return_id=rma.pk, location=location, items=tally.items, complete=complete, actor=request.user)
    except DomainError as error:
        return _refusal(error)
    rma = ReturnRequest.objects.get(pk=rma.pk)
    parts = [f"{rma.number}: {tally.scanned_units} unit(s) recorded at {location}."]
    if tally.extra:
        parts.append("Not on the return (recorded for a person to decide): " + ", ".join(f"{sku} × {units}" for sku, units in tally.extra) + ".")
    if tally.missing:
        parts.append(("Recorded as missing: " if complete else "Still expected: ") + ", ".join(f"{sku} × {units}" for sku, units in tally.missing) + ".")
    parts.append(f"Status: {rma.get_status_display()}." + ("" if rma.status == ReturnStatus.RECEIVED else " The return stays open for the rest."))
    messages.success(request, " ".join(parts))
    return HttpResponseRedirect(_dock_url(location=location, rma=rma.number))


def return_inspect_view(request: HttpRequest, object_id: str, model_admin):
    """The inspection bench of one received return: a row per line with units received."""
    if not request.user.has_perm(INSPECT):
        raise PermissionDenied
    rma = return_or_404(object_id)
    change_url = reverse("admin:returns_returnrequest_change", args=[rma.pk])
    if rma.status != ReturnStatus.RECEIVED:
        messages.warning(request, f"{rma.number} is {rma.get_status_display().lower()}: only a received return is inspected.")
        return HttpResponseRedirect(change_url)
    lines = return_lines_of(rma.pk)
    forms_ = inspection_forms(lines, request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST":
        try:
            services.return_inspect(return_id=rma.pk, lines=inspection_entries(forms_), actor=request.user)
        except DomainError as error:
            refusal = error.message if any(form.errors for form in forms_) else _refusal(error)
        else:
            rma = ReturnRequest.objects.get(pk=rma.pk)
            messages.success(request, f"{rma.number}: Inspected. Status: {rma.get_status_display()}.")
            return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request), "opts": ReturnRequest._meta, "title": f"Inspect {rma.number}", "rma": rma,
        "forms": forms_, "refusal": refusal, "change_url": change_url, "missing_lines": [line for line in lines if line.quantity_missing],
    }
    return TemplateResponse(request, "admin/returns/returnrequest/inspect.html", context)
