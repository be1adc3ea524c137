"""The console's cycle counts: today's counts per location, the count page the floor works on
(scan box and a quantity per line, blind), the manager's approval and recount, the count sheet
PDF, ABC runs, and the lines the accuracy KPI drills into. Warehouse counts; the Operations
manager approves (``inventory.approve_cyclecount``). Imported at the end of ``inventory/admin.py``."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from oms.admin import AuditTrailInline, ReadOnlyAdmin
from oms.api.downloads import file_response
from oms.errors import DomainError

from . import counts
from .documents_counts import count_sheet_pdf
from .models_counts import AbcRun, CycleCount, CycleCountEvent, CycleCountLine, CycleCountLineStatus
from .selectors_counts import count_event_shown, cycle_count_with_lines, cycle_counts_listing, expected_visible

COUNT = "inventory.count_cyclecount"
APPROVE = "inventory.approve_cyclecount"


def _refusal(error: DomainError) -> str:
    details = [f"{field}: {' '.join(map(str, problems))}" for field, problems in error.fields.items()]
    return " ".join([error.message, *details])


def _quantities(request: HttpRequest, lines) -> list[counts.LineCount]:
    """The quantities typed on the page, per line still to count; a blank box is no count yet."""
    entries, bad = [], []
    for line in lines:
        raw = request.POST.get(f"quantity-{line.pk}", "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            bad.append(f"{line.product.sku}: {raw!r} is not a whole number of units.")
            continue
        entries.append(counts.LineCount(line.pk, int(raw)))
    if bad:
        raise DomainError("Nothing was recorded. " + " ".join(bad), code="invalid")
    if not entries:
        raise DomainError("Type the units counted for at least one line.", code="invalid")
    return entries


class CycleCountEventInline(AuditTrailInline):
    """The count's timeline (the same inline as an order's), blind like the rest of the page:
    figures that betray an expected quantity show only where :func:`count_event_shown` allows."""

    model = CycleCountEvent
    fk_name = "count"
    fields = readonly_fields = ("created_at", "kind", "message_shown", "figures", "actor_display")

    def has_view_permission(self, request, obj=None):
        # Whoever may see the count sees its timeline: no separate permission on its rows.
        return request.user.has_perm("inventory.view_cyclecount")

    def get_queryset(self, request):
        self.approver = request.user.has_perm(APPROVE)
        return super().get_queryset(request).select_related("line__product")

    @admin.display(description="What happened")
    def message_shown(self, event):
        return count_event_shown(event, approver=self.approver)[0]

    @admin.display(description="Figures")
    def figures(self, event):
        return count_event_shown(event, approver=self.approver)[1] or "—"


@admin.register(CycleCount)
class CycleCountAdmin(ReadOnlyAdmin):
    list_display = ("count_link", "location", "scheduled_for", "status", "lines_total", "lines_open", "sheet_link")
    list_filter = ("status", ("scheduled_for", admin.DateFieldListFilter), "location")
    list_select_related = ("location",)
    date_hierarchy = "scheduled_for"
    list_per_page = 100
    # Rendered on the count page (the change page redirects there), as on an order's page.
    inlines = (CycleCountEventInline,)

    def get_queryset(self, request):
        return cycle_counts_listing()

    def changelist_view(self, request, extra_context=None):
        # The floor's first question is "what do we count today": the list opens on today.
        if not request.GET and not request.META.get("QUERY_STRING"):
            today = timezone.localdate()
            return HttpResponseRedirect(f"{request.path}?scheduled_for__day={today.day}&scheduled_for__month={today.month}"
                                        f"&scheduled_for__year={today.year}")
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:count_id>/count/", view(self.count_page_view), name="inventory_cyclecount_count"),
            path("<int:count_id>/sheet.pdf", view(self.sheet_view), name="inventory_cyclecount_sheet"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit() or len(str(object_id)) > 18:
            raise Http404("No such cycle count.")
        return HttpResponseRedirect(reverse("admin:inventory_cyclecount_count", args=[object_id]))

    @admin.display(description="Count", ordering="pk")
    def count_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:inventory_cyclecount_count", args=[obj.pk]), obj.number)

    @admin.display(description="Lines")
    def lines_total(self, obj):
        return obj.lines_total

    @admin.display(description="Still open")
    def lines_open(self, obj):
        return obj.lines_open

    @admin.display(description="Count sheet")
    def sheet_link(self, obj):
        return format_html('<a href="{}">PDF</a>', reverse("admin:inventory_cyclecount_sheet", args=[obj.pk]))

    def _count_or_404(self, request, count_id: int) -> CycleCount:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return cycle_count_with_lines(count_id)
        except DomainError:
            raise Http404("No such cycle count.") from None

    def sheet_view(self, request, count_id: int):
        count = self._count_or_404(request, count_id)
        response = file_response(count_sheet_pdf(count.pk), filename=f"count-sheet-{count.number}.pdf", content_type="application/pdf")
        response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
        return response

    def count_page_view(self, request, count_id: int):
        count = self._count_or_404(request, count_id)
        may_count, may_approve = request.user.has_perm(COUNT), request.user.has_perm(APPROVE)
        if request.method == "POST":
            self._act(request, count, may_count=may_count, may_approve=may_approve)
            return HttpResponseRedirect(request.path)
        lines = count.ordered_lines
        to_count = [line for line in lines if line.status in (CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT)]
        awaiting = [line for line in lines if line.status == CycleCountLineStatus.AWAITING_APPROVAL]
        rows = [{"line": line, "reveal": expected_visible(line, approver=may_approve)} for line in lines]
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "title": f"{count.number} · {count.location.code} · {count.scheduled_for:%Y-%m-%d}",
            "count": count, "rows": rows, "to_count": to_count, "awaiting": awaiting, "may_count": may_count and bool(to_count),
            "may_approve": may_approve, "finished": count.status in counts.FINISHED_COUNT,
            "sheet_url": reverse("admin:inventory_cyclecount_sheet", args=[count.pk]),
            "changelist_url": reverse("admin:inventory_cyclecount_changelist"),
            "inline_admin_formsets": self._timeline(request, count),
        }
        return TemplateResponse(request, "admin/inventory/cyclecount/count.html", context)

    def _timeline(self, request, count: CycleCount):
        """The page's inlines (the timeline) as Django's change form builds them, read-only."""
        formsets, inline_instances = [], []
        for formset_class, inline in self.get_formsets_with_inlines(request, count):
            formsets.append(formset_class(instance=count, prefix=formset_class.get_default_prefix(), queryset=inline.get_queryset(request)))
            inline_instances.append(inline)
        return self.get_inline_formsets(request, formsets, inline_instances, count)

    def _act(self, request, count: CycleCount, *, may_count: bool, may_approve: bool) -> None:
        action = request.POST.get("action", "")
        needs = COUNT if action in ("scan", "submit") else APPROVE
        if action not in ("scan", "submit", "approve", "recount", "cancel"):
            messages.error(request, "Choose what to do: scan, enter counts, approve, recount or cancel.")
            return
        if not (may_count if needs == COUNT else may_approve):
            raise PermissionDenied
        chosen = [int(pk) for pk in request.POST.getlist("line") if pk.isdigit()] or None
        try:
            if action == "scan":
                line = counts.cycle_count_scan(count_id=count.pk, barcode=request.POST.get("barcode", ""), actor=request.user)
                messages.success(request, f"{line.product.sku}: {line.scanned} scanned.")
            elif action == "submit":
                lines = [line for line in count.ordered_lines if line.status in (CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT)]
                entries = _quantities(request, lines)
                counts.cycle_count_submit(count_id=count.pk, entries=entries, actor=request.user)
                again = CycleCountLine.objects.filter(pk__in=[e.line_id for e in entries], status=CycleCountLineStatus.RECOUNT).count()
                messages.success(request, f"{len(entries)} count(s) recorded." + (f" Count {again} line(s) again." if again else ""))
            elif action == "approve":
                counts.cycle_count_approve(count_id=count.pk, line_ids=chosen, actor=request.user)
                messages.success(request, "Approved: the corrections are posted to the ledger.")
            elif action == "recount":
                counts.cycle_count_recount(count_id=count.pk, line_ids=chosen, actor=request.user)
                messages.success(request, "Sent back to be counted again.")
            else:
                counts.cycle_count_cancel(count_id=count.pk, reason=request.POST.get("reason", ""), actor=request.user)
                messages.success(request, f"{count.number} cancelled.")
        except DomainError as error:
            messages.error(request, _refusal(error))


@admin.register(CycleCountLine)
class CycleCountLineAdmin(ReadOnlyAdmin):
    """Count lines as a list (what the accuracy KPI drills into). Expected quantities show only to
    those who approve counts, and only for counted lines."""

    list_display = ("count", "product", "bin", "abc_class", "status", "counted", "posted_at")
    list_filter = ("status", "abc_class", "within_tolerance", "count__location")
    list_select_related = ("count", "product", "bin")
    search_fields = ("product__sku",)
    fields = ("count", "product", "bin", "sequence", "abc_class", "status", "counted", "counted_at", "counted_by_label",
              "approved_by_label", "posted_at")

    def get_list_display(self, request):
        if request.user.has_perm(APPROVE):
            return (*self.list_display, "expected_shown", "correction")
        return self.list_display

    @admin.display(description="Expected")
    def expected_shown(self, obj):
        return obj.expected if expected_visible(obj, approver=True) else "—"


@admin.register(AbcRun)
class AbcRunAdmin(ReadOnlyAdmin):
    list_display = ("ran_at", "actor_label", "window_days", "products_a", "products_b", "products_c", "changed")
    fields = ("ran_at", "actor_label", "window_days", "thresholds", "products_a", "products_b", "products_c", "changed", "changes")
