"""Operator console for orders: the list, the order page with its lifecycle buttons, the hold
queue and phone orders. Every change goes through ``orders.services`` (see admin_views)."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.timezone import localtime

from inventory.models import Location
from oms.admin import AuditTrailInline, ConfigAuditAdmin, FormOnlyFieldsMixin, ReadOnlyAdmin, ReadOnlyInline
from oms.admin_links import console_link
from oms.errors import DomainError
from oms.masking import PersonalDataMaskingMixin
from oms.money import quantize

from oms.admin_saved_filters import SavedFiltersMixin

from . import admin_views, services
from .admin_panels import order_page_panels
from .forms import ChannelAdminForm, ChannelConnectionForm, ChannelLocationMapForm, HoldPlaceForm, PaymentUpdateForm
from .models import (
    Allocation, Channel, ChannelConnection, ChannelListing, ChannelLocationMap, ChannelReconciliation, ChannelStockSyncRun, ChannelWebhookReceipt, HeldOrder, ReplanRun,
    HoldReason, Order, OrderEvent, OrderHold, OrderLine, OrderStatus, RoutingStrategy, ScreeningBlock, ScreeningRule, ScreeningThreshold,
)
from .routing.explain import replan_text
from .selectors import WAITING_FOR_STOCK, order_lines_expected_attach
from .services.channel_reconcile import channel_reconcile_start, reconciliation_window_start
from .services.screening import screening_blocks_changed, screening_forget
from .services.stock_sync import channel_listings_push_again, channel_stock_resync_request, channel_stock_status, stock_push_channels_forget
from .tasks import channel_reconcile_continue


def status_badge(order: Order) -> str:
    """The status as a coloured badge (colours per status in orders/admin.css)."""
    return format_html('<span class="order-status status-{}">{}</span>', order.status, order.get_status_display())


# Hold reasons as a dense list shows them (the full label is in the cell's title).
HOLD_SHORT = {
    HoldReason.PAYMENT: "Payment", HoldReason.FRAUD_RISK: "Fraud", HoldReason.ADDRESS: "Address", HoldReason.CREDIT_LIMIT: "Credit",
    HoldReason.STOCK: "SKU", HoldReason.QUANTITY_PRICE: "Qty/price", HoldReason.MANUAL: "Manual",
}


def money_display(amount, currency: str) -> str:
    return f"{quantize(amount, currency):,} {currency}"


def active_holds_prefetch() -> Prefetch:
    return Prefetch("holds", queryset=OrderHold.objects.filter(released_at__isnull=True).order_by("created_at", "id"), to_attr="active_holds")


class ActiveHoldReasonFilter(admin.SimpleListFilter):
    """Orders with an unreleased hold of the chosen reason."""

    title = "hold reason"
    parameter_name = "hold_reason"

    def lookups(self, request, model_admin):
        return HoldReason.choices

    def queryset(self, request, queryset):
        if self.value() in HoldReason.values:
            held = OrderHold.objects.filter(reason=self.value(), released_at__isnull=True).values("order_id")
            return queryset.filter(pk__in=held)
        return queryset


class AllocationLocationFilter(admin.SimpleListFilter):
    """Orders holding stock at a location."""

    title = "location"
    parameter_name = "location"

    def lookups(self, request, model_admin):
        return [(str(pk), code) for pk, code in Location.objects.order_by("priority", "code").values_list("pk", "code")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(pk__in=Allocation.objects.filter(location_id=self.value()).values("line__order_id"))
        return queryset


class OrderListMixin(PersonalDataMaskingMixin):
    """What every list of orders shows, fetched in a fixed number of queries."""

    list_select_related = ("channel", "customer")

    class Media:
        css = {"all": ("orders/admin.css", "orders/console.css")}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(active_holds_prefetch())

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj)

    @admin.display(description="Total", ordering="grand_total")
    def total(self, obj):
        return money_display(obj.grand_total, obj.currency)

    @admin.display(description="Holds")
    def hold_reasons(self, obj):
        if not obj.active_holds:
            return "—"
        return format_html(
            '<span class="clip" title="{}">{}</span>',
            "; ".join(hold.get_reason_display() for hold in obj.active_holds), ", ".join(HOLD_SHORT[hold.reason] for hold in obj.active_holds),
        )

    @admin.display(description="Age", ordering="-placed_at")
    def age(self, obj):
        return format_html('<span title="Placed {}">{}</span>', date_format(localtime(obj.placed_at), "DATETIME_FORMAT"), timesince(obj.placed_at, depth=1))

    @admin.display(description="Channel", ordering="channel__name")
    def channel_display(self, obj):
        return format_html('<span class="clip" title="{}">{}</span>', obj.channel.name, obj.channel.name)

    @admin.display(description="Customer", ordering="customer__email")
    def customer_display(self, obj):
        # One line: the name, the email on hover (and searchable); a guest order shows its email.
        name = obj.customer.display_name if obj.customer is not None else obj.email
        return format_html('<span class="clip" title="{}">{}</span>', obj.customer.email if obj.customer is not None else obj.email, name)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = (
        "line_number", "sku", "name", "quantity", "price", "discount_display", "tax_display", "total", "reserved", "shipped", "returned",
        "expected",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    @admin.display(description="Expected")
    def expected(self, line):
        """For units still missing: when open purchase orders bring them (the inline lives for one
        request, so the order's dates are worked out once, in two queries, and only if a line is short)."""
        if line.quantity - line.quantity_reserved - line.quantity_shipped <= 0 or line.order.status not in WAITING_FOR_STOCK:
            return "—"
        cached = getattr(self, "_expected_of", None)
        if cached is None or cached[0] != line.order_id:
            lines = list(OrderLine.objects.filter(order_id=line.order_id).select_related("order"))
            order_lines_expected_attach(lines)
            cached = self._expected_of = (line.order_id, {other.pk: other.expected_date for other in lines})
        when = cached[1].get(line.pk)
        return f"{when:%Y-%m-%d} (purchase order)" if when else "not on order"

    @admin.display(description="Unit price")
    def price(self, line):
        return money_display(line.unit_price, line.order.currency)

    @admin.display(description="Discount")
    def discount_display(self, line):
        return money_display(line.discount, line.order.currency)

    @admin.display(description="Tax")
    def tax_display(self, line):
        return money_display(line.tax, line.order.currency)

    @admin.display(description="Total")
    def total(self, line):
        return money_display(line.line_total, line.order.currency)

    @admin.display(description="Reserved")
    def reserved(self, line):
        return line.quantity_reserved

    @admin.display(description="Shipped")
    def shipped(self, line):
        return line.quantity_shipped

    @admin.display(description="Returned")
    def returned(self, line):
        return line.quantity_returned


class OrderHoldInline(ReadOnlyInline):
    model = OrderHold
    verbose_name_plural = "holds"
    fields = readonly_fields = ("reason", "detail", "created_at", "released_at", "released_by", "release_note", "release_button")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("released_by")

    def get_formset(self, request, obj=None, **kwargs):
        # Inline instances live for one request: remember whether this user may release holds.
        on_hold = obj is not None and obj.status == OrderStatus.ON_HOLD
        self.may_release = request.user.has_perm("orders.release_hold") and on_hold
        self.may_release_credit = request.user.has_perm("orders.release_credit_hold") and on_hold
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="")
    def release_button(self, hold):
        # Credit-limit holds are accounting's; every other hold is customer service's.
        may = getattr(self, "may_release_credit" if hold.reason == HoldReason.CREDIT_LIMIT else "may_release", False)
        if not hold.is_active or not may:
            return ""
        url = reverse("admin:orders_order_hold_release", args=[hold.order_id, hold.pk])
        return format_html('<button type="submit" class="button" formaction="{}" name="release_hold" value="{}">Release</button>', url, hold.pk)


class OrderEventInline(AuditTrailInline):
    model = OrderEvent


@admin.register(Order)
class OrderAdmin(SavedFiltersMixin, OrderListMixin, admin.ModelAdmin):
    # Fits 1440 px beside the navigation and the filters: the placed time is the age's hover text.
    list_display = ("number", "status_badge", "channel_display", "customer_display", "total", "hold_reasons", "age")
    list_filter = ("status", "channel", ActiveHoldReasonFilter, AllocationLocationFilter, "payment_status", "created_at")
    search_fields = ("number", "external_id", "email", "=lines__sku")
    search_help_text = "Order number, external id, customer email or an exact SKU."
    date_hierarchy = "placed_at"
    list_per_page = 50
    show_full_result_count = False
    inlines = (OrderLineInline, OrderHoldInline, OrderEventInline)
    readonly_fields = (
        "number", "status_display", "channel", "external_id", "po_reference", "customer_link", "email", "payment_status", "currency",
        "subtotal_display", "shipping_display", "discount_display", "tax_display", "grand_total_display",
        "shipping_address_display", "billing_address_display", "ship_country", "placed_at", "promised_ship_date", "promised_delivery_date", "created_at", "updated_at",
        "screening_display",
    )
    fieldsets = (
        (None, {"fields": (("number", "status_display"), ("channel", "external_id"), ("customer_link", "email", "po_reference"), ("placed_at", "promised_ship_date", "promised_delivery_date"))}),
        ("Money", {"fields": (("currency", "payment_status"), ("subtotal_display", "shipping_display"), ("discount_display", "tax_display"), "grand_total_display")}),
        ("Addresses", {"fields": ("shipping_address_display", "billing_address_display", "ship_country")}),
        ("Screening", {"fields": ("screening_display",)}),
        ("Record", {"fields": (("created_at", "updated_at"),), "classes": ("collapse",)}),
    )
    change_form_template = "admin/orders/order/change_form.html"

    # Orders change only through the lifecycle buttons, never by editing a form.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return request.user.has_perm("orders.create_phone_order")

    def add_view(self, request, form_url="", extra_context=None):
        return admin_views.phone_order_view(request, self)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/action/<str:action_name>/", wrap(admin_views.order_action_view), name="orders_order_action"),
            path("<path:object_id>/hold/<int:hold_id>/release/", wrap(admin_views.order_hold_release_view), name="orders_order_hold_release"),
            path("import/", wrap(lambda request: admin_views.orders_import_view(request, self)), name="orders_order_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if admin_views.may_import_orders(request.user):
            extra_context["import_url"] = reverse("admin:orders_order_import")
        return super().changelist_view(request, extra_context)

    @admin.display(description="Status")
    def status_display(self, obj):
        return status_badge(obj)

    @admin.display(description="Customer")
    def customer_link(self, obj):
        # Linked only for roles that may open customers (the warehouse may not); named as masked for it.
        if obj.customer_id is None:
            return "-"
        return console_link("admin:customers_customer_change", obj.customer_id, text=str(obj.customer))

    @admin.display(description="Subtotal")
    def subtotal_display(self, obj):
        return money_display(obj.subtotal, obj.currency)

    @admin.display(description="Shipping")
    def shipping_display(self, obj):
        return money_display(obj.shipping_price, obj.currency)

    @admin.display(description="Discounts")
    def discount_display(self, obj):
        return money_display(obj.discount_total, obj.currency)

    @admin.display(description="Tax")
    def tax_display(self, obj):
        return money_display(obj.tax_total, obj.currency)

    @admin.display(description="Grand total")
    def grand_total_display(self, obj):
        return format_html("<strong>{}</strong>", money_display(obj.grand_total, obj.currency))

    @admin.display(description="Shipping address")
    def shipping_address_display(self, obj):
        address = obj.shipping_address or {}
        if not address.get("pickup_point"):
            return address_lines(address)
        # The carrier delivers to the point the customer chose, never to the door.
        point = " ".join(part for part in (address.get("pickup_point_name"), f"({address['pickup_point']})") if part)
        return format_html("<strong>To the pickup point {}</strong><br>{}", point, address_lines(address))

    @admin.display(description="Billing address")
    def billing_address_display(self, obj):
        return address_lines(obj.billing_address) if obj.billing_address else "Same as shipping"

    @admin.display(description="Risk at intake")
    def screening_display(self, obj):
        return screening_table(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if order is not None:
            urls = {
                name: reverse("admin:orders_order_action", args=[order.pk, name])
                for name in admin_views.order_actions_available(order, request.user)
            }
            panels = order_page_panels(request, order)
            extra_context.update(
                # What apps above orders show here (fulfillment orders, shipments): see admin_panels.
                panels=[(panel.title, render_to_string(panel.template, panel.context, request=request)) for panel in panels],
                # Below the lines, folded: why the order ships from where it does.
                routing=routing_table(order.routing),
                routing_reason=routing_summary(order.routing),
                lifecycle_buttons=[
                    (admin_views.ORDER_ACTIONS[name].label, url) for name, url in urls.items() if name not in ("hold", "cancel", "payment", "note")
                ],
                cancel_url=urls.get("cancel"),
                hold_url=urls.get("hold"),
                payment_url=urls.get("payment"),
                note_url=urls.get("note"),
                hold_form=HoldPlaceForm(),
                payment_form=PaymentUpdateForm(initial={"payment_status": order.payment_status}),
                allocations=(
                    Allocation.objects.filter(line__order=order).select_related("line", "location").order_by("line__line_number", "location__code")
                    if request.user.has_perm("orders.view_allocation") else None
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)


ROUTING_TERMS = ("cost", "distance", "split", "priority", "store", "capacity")


def routing_table(routing: dict) -> str:
    """The order's routing decisions, latest first: the latest in full (every candidate with
    each term of its score), earlier ones by their one-line reason."""
    decisions = (routing or {}).get("decisions") or []
    if not decisions:
        return "No routing decision recorded (the order was held before routing, or predates routing)."
    latest, earlier = decisions[-1], decisions[:-1]
    head = format_html_join("", "<th>{}</th>", ((label,) for label in ("", "Locations", "Shipments", "Units", "Est. cost", "km", *ROUTING_TERMS, "Score")))
    rows = format_html_join(
        "", '<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>' + "<td>{}</td>" * len(ROUTING_TERMS) + "<td><strong>{}</strong></td></tr>",
        (
            (
                mark_safe(' class="routing-winner"') if index == latest.get("winner") else "",
                "✔ winner" if index == latest.get("winner") else "", " + ".join(c["locations"]), c["shipments"], c["units"],
                f'{c["estimated_cost"]:.2f}', f'{c["km"]:,.0f}', *(f'{c["terms"].get(term, 0):.2f}' for term in ROUTING_TERMS), f'{c["score"]:.2f}',
            )
            for index, c in enumerate(latest.get("candidates", []))
        ),
    )
    weights = ", ".join(f"{term} {latest['weights'][term]:g}" for term in ROUTING_TERMS if term in latest.get("weights", {}))
    notes = [
        f'{latest.get("at", "")} · {latest.get("trigger", "")} → {latest.get("outcome", "")}',
        f'Strategy: {latest.get("strategy")} · weights {weights}; {"may split" if latest.get("may_split") else "one shipment only"}; '
        f'when short: {latest.get("on_shortage")}',
        f'{latest.get("considered", 0)} candidate(s) considered'
        + (f'; not allowed for this channel: {", ".join(latest["excluded"])}' if latest.get("excluded") else "")
        + (f'; missing: {", ".join(f"{sku} × {units}" for sku, units in latest["missing"].items())}' if latest.get("missing") else ""),
        *(f"Shipping cost from {code}: {source}" for code, source in (latest.get("cost_sources") or {}).items()),
    ]
    history = format_html_join("", "<li>{} · {} → {}: {}</li>", ((d.get("at", ""), d.get("trigger", ""), d.get("outcome", ""), d.get("reason", "")) for d in reversed(earlier)))
    return format_html(
        '<p class="routing-reason"><strong>{}</strong></p><p class="help">{}</p>'
        '<table class="routing-candidates"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}',
        latest.get("reason", ""), format_html_join(mark_safe("<br>"), "{}", ((note,) for note in notes)), head, rows,
        format_html("<p>Earlier decisions:</p><ul>{}</ul>", history) if earlier else "",
    )


def routing_summary(routing: dict) -> str:
    """The latest routing decision in one line (the folded table's title)."""
    decisions = (routing or {}).get("decisions") or []
    reason = decisions[-1].get("reason", "") if decisions else "none recorded"
    replanned = replan_text(routing)
    return f"{replanned} · {reason}" if replanned else reason


def screening_table(order: Order) -> str:
    """The screening decision at intake: the score against the threshold and each rule that fired, with why."""
    platform = f"Platform verdict: {order.platform_risk} risk. " if order.platform_risk else ""
    event = order.events.filter(kind=OrderEvent.Kind.SCREENED).order_by("-id").first()
    if event is None:
        return f"{platform}Not screened (no screening rule applied when the order came in)."
    decision = event.data or {}
    rows = format_html_join(
        "", "<tr><td>{}</td><td>+{}</td><td>{}</td></tr>", ((hit.get("rule"), hit.get("score"), hit.get("why")) for hit in decision.get("hits", []))
    )
    outcome = "held for fraud risk" if decision.get("held") else "not held"
    return format_html(
        '<p>{}Score <strong>{}</strong> of {} to hold: {}.</p>{}', platform, decision.get("score", 0), decision.get("threshold", 0), outcome,
        format_html('<table class="screening-hits"><thead><tr><th>Rule</th><th>Score</th><th>Why</th></tr></thead><tbody>{}</tbody></table>', rows)
        if rows else "No rule fired.",
    )


def address_lines(address: dict) -> str:
    parts = [
        address.get("name"), address.get("line1"), address.get("line2"),
        " ".join(p for p in (address.get("postal_code"), address.get("city"), address.get("region")) if p),
        address.get("country"), address.get("phone"),
    ]
    return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts if part)) or "—"


class HoldQueueReasonFilter(ActiveHoldReasonFilter):
    """Hold reasons with how many held orders wait for each."""

    def lookups(self, request, model_admin):
        counts = dict(
            OrderHold.objects.filter(released_at__isnull=True, order__status=OrderStatus.ON_HOLD)
            .values_list("reason")
            .annotate(n=Count("id"))
            .values_list("reason", "n")
        )
        return [(value, f"{label} ({counts.get(value, 0)})") for value, label in HoldReason.choices]


@admin.register(HeldOrder)
class HeldOrderAdmin(SavedFiltersMixin, OrderListMixin, ReadOnlyAdmin):
    # One line per held order: its holds with their details, clipped (the whole is the hover text).
    list_display = ("order_link", "hold_summary", "held_for", "customer_display", "total", "channel_display")
    list_filter = (HoldQueueReasonFilter, "channel")
    search_fields = ("number", "external_id", "email")
    list_per_page = 100
    actions = ("release_holds", "cancel_orders")
    change_list_template = "admin/orders/heldorder/change_list.html"

    def get_queryset(self, request):
        # Built here rather than by ModelAdmin, which would order by "held_since" before it exists.
        oldest_hold = OrderHold.objects.filter(order=OuterRef("pk"), released_at__isnull=True).order_by("created_at").values("created_at")[:1]
        return (
            HeldOrder._default_manager.filter(status=OrderStatus.ON_HOLD)
            .annotate(held_since=Subquery(oldest_hold))
            .prefetch_related(active_holds_prefetch())
            .order_by("held_since", "id")
        )

    def get_ordering(self, request):
        return ("held_since", "id")

    # The queue is a view over orders: whoever may see orders may work it.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order")

    def has_release_permission(self, request):
        return request.user.has_perm("orders.release_hold")

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.cancel_order")

    def get_list_display_links(self, request, list_display):
        return None

    @admin.display(description="Order", ordering="number")
    def order_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.pk]), obj.number)

    @admin.display(description="Holds")
    def hold_summary(self, obj):
        parts = [(HOLD_SHORT[hold.reason], hold.detail) for hold in obj.active_holds]
        whole = " · ".join(f"{hold.get_reason_display()}: {hold.detail}" if hold.detail else hold.get_reason_display() for hold in obj.active_holds)
        shown = format_html_join(" · ", "<strong>{}</strong> {}", parts)
        return format_html('<span class="clip" title="{}">{}</span>', whole, shown)

    @admin.display(description="Waiting", ordering="held_since")
    def held_for(self, obj):
        if not obj.held_since:
            return "—"
        return format_html('<span title="On hold since {}">{}</span>', date_format(localtime(obj.held_since), "DATETIME_FORMAT"), timesince(obj.held_since, depth=1))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[object_id]))

    @admin.action(description="Release holds…", permissions=["release"])
    def release_holds(self, request, queryset):
        return admin_views.held_orders_bulk_confirm(
            request, self, queryset.order_by("held_since", "id"), action="release_holds", title="Release the holds of these orders",
            submit_label="Release holds", done="Holds released",
            run=lambda order, reason: services.order_holds_release_all(order_id=order.pk, actor=request.user, note=reason),
        )

    @admin.action(description="Cancel orders…", permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        return admin_views.held_orders_bulk_confirm(
            request, self, queryset.order_by("held_since", "id"), action="cancel_orders", title="Cancel these orders",
            submit_label="Cancel orders", done="Cancelled",
            run=lambda order, reason: services.order_cancel(order_id=order.pk, actor=request.user, reason=reason),
        )


RECENT_RECEIPTS = 20


def secret_masked(secret: str, *, unset: str) -> str:
    """A stored secret as the console shows it: its last four characters at most."""
    if not secret:
        return unset
    return f"{'•' * 8}{secret[-4:]}" if len(secret) > 8 else "•" * 8


def connection_test_result(connection: ChannelConnection) -> str:
    if connection.last_tested_at is None:
        return "Not tested yet."
    verdict = "Works" if connection.last_test_ok else "Failed"
    return f"{verdict} ({localtime(connection.last_tested_at):%Y-%m-%d %H:%M}): {connection.last_test_message}"


def catch_up_result(channel_id: int) -> str:
    """The channel's latest catch-up run, in a line."""
    run = ChannelReconciliation.objects.filter(channel_id=channel_id).order_by("-started_at", "-id").first()
    if run is None:
        return "Never run."
    return f"{localtime(run.started_at):%Y-%m-%d %H:%M}: {run.summary}"


class ChannelConnectionInline(admin.StackedInline):
    """How the OMS calls the platform back; only the fields of the channel's adapter are shown."""

    model = ChannelConnection
    form = ChannelConnectionForm
    extra = 1
    max_num = 1
    verbose_name = "platform connection"
    verbose_name_plural = "Platform connection (stock, fulfillments and missed orders go back through it)"
    readonly_fields = ("shopify_access_token_display", "woocommerce_consumer_secret_display", "connection_test", "catch_up", "stock_sync_status")
    PLATFORM_FIELDS = {
        Channel.Adapter.SHOPIFY: ("shopify_shop_domain", "shopify_access_token_display", "new_shopify_access_token", "shopify_api_version"),
        Channel.Adapter.WOOCOMMERCE: ("woocommerce_url", "woocommerce_consumer_key", "woocommerce_consumer_secret_display",
                                      "new_woocommerce_consumer_secret"),
    }
    STOCK_FIELDS = {
        Channel.Adapter.SHOPIFY: ("stock_push_enabled", "shopify_location_id", "stock_sync_status"),
        Channel.Adapter.WOOCOMMERCE: ("stock_push_enabled", "woocommerce_requests_per_second", "stock_sync_status"),
    }

    # The connection is part of the channel: whoever may see or change the channel may see or change it.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_channel") or request.user.has_perm("orders.change_channel")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("orders.change_channel")

    has_change_permission = has_delete_permission = has_add_permission

    def get_fieldsets(self, request, obj=None):
        self._request = request  # the test button is shown to those who may change the channel
        adapter = obj.adapter if obj else ""
        fieldsets = [(None, {"fields": (
            *self.PLATFORM_FIELDS.get(adapter, ()), ("connect_timeout", "read_timeout"), "connection_test", "push_fulfillments",
            *(("push_refunds",) if adapter == Channel.Adapter.SHOPIFY else ()), "catch_up_missed_orders", "catch_up",
        )})]
        if adapter in self.STOCK_FIELDS:
            fieldsets.append(("Stock out to the platform", {"fields": self.STOCK_FIELDS[adapter]}))
        return fieldsets

    @admin.display(description="Stock sync")
    def stock_sync_status(self, obj):
        if not obj.pk:
            return "Save the connection first."
        status = channel_stock_status(obj)
        counts = status["counts"]
        run = status["last_run"]
        last_run = (
            format_html('<a href="{}">{} ({}): {} checked, {} drifted, {} corrected, {} failed</a>',
                        reverse("admin:orders_channelstocksyncrun_change", args=[run.pk]), run.get_status_display(),
                        localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
                        run.skus_checked, run.drifted, run.pushed, run.failed)
            if run else "none yet"
        )
        listings = reverse("admin:orders_channellisting_changelist") + f"?channel__id__exact={obj.channel_id}"
        return format_html(
            '{}. <a href="{}">{} listings</a>: {} in sync, {} failing, {} not on the platform, {} waiting to be pushed; last push {}.'
            '<div class="help">Last resync: {}. Resync from the channel list (action “Resync stock now”).</div>{}',
            "Pushing" if obj.stock_push_enabled else "Off", listings, sum(counts.values()), counts["in_sync"], counts["failing"],
            counts["unknown_sku"], status["dirty"],
            localtime(status["last_pushed_at"]).strftime("%Y-%m-%d %H:%M:%S") if status["last_pushed_at"] else "never", last_run,
            self._locations_line(obj, status["locations"]),
        )

    def _locations_line(self, obj, mapped: int) -> str:
        if obj.channel.adapter != Channel.Adapter.SHOPIFY:
            return ""
        maps = reverse("admin:orders_channellocationmap_changelist") + f"?channel__id__exact={obj.channel_id}"
        if not mapped:
            return format_html(
                '<div class="help">One figure per product, at the Shopify location above, from every location the stock rule sells from. '
                '<a href="{}">Map Shopify locations</a> to publish a figure per location.</div>', maps,
            )
        return format_html(
            '<div class="help">Published per location: <a href="{}">{} Shopify location(s) mapped</a> (the Shopify location above is not used).</div>',
            maps, mapped,
        )

    def get_formset(self, request, obj=None, **kwargs):
        if self.has_change_permission(request, obj):
            kwargs["fields"] = None  # the form names its fields, the new secrets among them
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="Current token")
    def shopify_access_token_display(self, obj):
        return secret_masked(obj.shopify_access_token, unset="Not set: the OMS cannot call the shop.")

    @admin.display(description="Current secret")
    def woocommerce_consumer_secret_display(self, obj):
        return secret_masked(obj.woocommerce_consumer_secret, unset="Not set: the OMS cannot call the shop.")

    @admin.display(description="Connection")
    def connection_test(self, obj):
        result = connection_test_result(obj)
        if not obj.pk or not self.has_change_permission(self._request, obj.channel):
            return result
        url = reverse("admin:orders_channel_test_connection", args=[obj.channel_id])
        return format_html(
            '{} <a class="button" href="{}">Test connection…</a><div class="help">Calls the platform with the saved settings '
            '(save your changes first).</div>', result, url,
        )

    @admin.display(description="Last catch-up")
    def catch_up(self, obj):
        if not obj.pk:
            return "Never run."
        runs = reverse("admin:orders_channelreconciliation_changelist") + f"?channel__id__exact={obj.channel_id}"
        if not self.has_change_permission(self._request, obj.channel):
            return format_html('{} <a href="{}">All runs</a>', catch_up_result(obj.channel_id), runs)
        url = reverse("admin:orders_channel_catch_up", args=[obj.channel_id])
        return format_html(
            '{} <a href="{}">All runs</a> <a class="button" href="{}">Catch up missed orders now…</a>',
            catch_up_result(obj.channel_id), runs, url,
        )


@admin.register(Channel)
class ChannelAdmin(FormOnlyFieldsMixin, admin.ModelAdmin):
    form = ChannelAdminForm
    inlines = (ChannelConnectionInline,)
    list_display = ("code", "name", "kind", "adapter", "integration", "shipping_goal", "delivery_days", "is_active")
    list_filter = ("kind", "adapter", "is_active")
    list_select_related = ("integration",)
    search_fields = ("code", "name")
    readonly_fields = ("webhook_secret_display", "webhook_url", "recent_receipts")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "is_active", "integration")}),
        ("Platform webhooks", {"fields": ("adapter", "webhook_url", "webhook_secret_display", "new_webhook_secret", "clear_webhook_secret")}),
        ("Shipping", {
            "fields": ("shipping_goal", "shipping_cost_cap", "shipping_allowed", "delivery_days", ("handling_days", "ship_cutoff"), "insure_shipments"),
            "description": "Rate shopping when this channel's fulfillment orders ship without a named service, and the delivery "
            "and ship-by dates promised to its customers. With no goal, the OMS_SHIPPING_POLICY setting applies.",
        }),
        ("Re-planning", {
            "fields": ("replan_enabled", "release_delay_minutes"),
            "description": "Allocated orders not yet sent to the floor are re-planned together every few minutes; a reservation moves to "
            "a cheaper allowed location when the saving beats OMS_REPLAN_THRESHOLD. Each move is in the order's history.",
        }),
        ("Received webhooks", {"fields": ("recent_receipts",)}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # nothing received yet, and the URL needs the code
            return [(name, {**options, "fields": [f for f in options["fields"] if f not in ("webhook_url", "webhook_secret_display", "recent_receipts")]})
                    for name, options in self.fieldsets if name != "Received webhooks"]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        self._request = request  # the webhook URL is absolute, on the host the operator uses
        return super().get_readonly_fields(request, obj)

    actions = ("stock_resync",)

    @admin.action(description="Resync stock now (read the platform's figures and correct them)", permissions=["change"])
    def stock_resync(self, request, queryset):
        for channel in queryset:
            try:
                channel_stock_resync_request(channel=channel.code, actor=request.user)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Stock resync of {channel.code} queued; its run appears under Channel stock sync runs.")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        stock_push_channels_forget()  # the push switch applies in this process at once

    def get_inline_instances(self, request, obj=None):
        # A connection needs a platform: it appears once the channel is saved with an adapter.
        return super().get_inline_instances(request, obj) if obj is not None and obj.adapter else []

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/test-connection/", wrap(self.connection_test_view), name="orders_channel_test_connection"),
            path("<int:object_id>/catch-up/", wrap(self.catch_up_view), name="orders_channel_catch_up"),
            *super().get_urls(),
        ]

    def connection_test_view(self, request, object_id):
        """GET: what will happen and the last outcome; POST: test now, back to the channel page."""
        channel = get_object_or_404(Channel.objects.select_related("connection"), pk=object_id)
        if not self.has_change_permission(request, channel):
            return HttpResponseForbidden("Testing a channel's connection needs the permission “Can change channel”.")
        if request.method != "POST":
            connection = getattr(channel, "connection", None)
            return TemplateResponse(request, "admin/orders/channel/test_connection.html", {
                **self.admin_site.each_context(request), "opts": self.opts, "title": f"Test the connection of {channel.name}",
                "channel": channel, "platform": channel.get_adapter_display().split()[0], "submit_label": "Test connection",
                "last_result": connection_test_result(connection) if connection else "None: the channel has no connection settings yet.",
            })
        try:
            connection = services.channel_connection_test(channel_id=channel.pk, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            (messages.success if connection.last_test_ok else messages.error)(request, connection.last_test_message)
        return HttpResponseRedirect(reverse("admin:orders_channel_change", args=[channel.pk]))

    def catch_up_view(self, request, object_id):
        """GET: what will happen and the last run; POST: start a run (a background job), on to the runs."""
        channel = get_object_or_404(Channel.objects.select_related("connection"), pk=object_id)
        if not self.has_change_permission(request, channel):
            return HttpResponseForbidden("Catching up a channel's missed orders needs the permission “Can change channel”.")
        if getattr(channel, "connection", None) is None or not channel.adapter:
            messages.error(request, "This channel has no platform connection: fill in the connection settings and save first.")
            return HttpResponseRedirect(reverse("admin:orders_channel_change", args=[channel.pk]))
        if request.method != "POST":
            return TemplateResponse(request, "admin/orders/channel/catch_up.html", {
                **self.admin_site.each_context(request), "opts": self.opts, "title": f"Catch up missed orders of {channel.name}",
                "channel": channel, "platform": channel.get_adapter_display().split()[0], "submit_label": "Catch up missed orders now",
                "last_run": catch_up_result(channel.pk),
                "window_from": localtime(reconciliation_window_start(channel_id=channel.pk, now=timezone.now())).strftime("%Y-%m-%d %H:%M"),
            })
        try:
            run = channel_reconcile_start(channel_id=channel.pk, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            transaction.on_commit(lambda: channel_reconcile_continue.delay(run.pk))
            messages.success(request, f"The catch-up of {channel.name} has started; its report appears in this list when it ends.")
        return HttpResponseRedirect(reverse("admin:orders_channelreconciliation_changelist") + f"?channel__id__exact={channel.pk}")

    @admin.display(description="Current secret")
    def webhook_secret_display(self, obj):
        return secret_masked(obj.webhook_secret, unset="Not set: webhooks are refused.")

    @admin.display(description="Webhook URL")
    def webhook_url(self, obj):
        if not obj.adapter:
            return "Choose an adapter to receive platform webhooks."
        url = self._request.build_absolute_uri(reverse(f"api-channel-{obj.adapter}-orders", args=[obj.code]))
        topics = "orders/create, orders/updated, orders/cancelled" if obj.adapter == Channel.Adapter.SHOPIFY else "order.created, order.updated, order.deleted"
        return format_html('<code>{}</code><div class="help">Paste into the platform for the topics {} (JSON).</div>', url, topics)

    @admin.display(description="Latest")
    def recent_receipts(self, obj):
        receipts = obj.webhook_receipts.select_related("order").order_by("-received_at", "-id")[:RECENT_RECEIPTS]
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((r.received_at.strftime("%Y-%m-%d %H:%M:%S"), r.topic, r.webhook_id, r.order or "—", r.outcome) for r in receipts),
        )
        if not rows:
            return "None yet."
        link = reverse("admin:orders_channelwebhookreceipt_changelist") + f"?channel__id__exact={obj.pk}"
        return format_html(
            '<table><thead><tr><th>Received</th><th>Topic</th><th>Webhook id</th><th>Order</th><th>Outcome</th></tr></thead>'
            '<tbody>{}</tbody></table><a href="{}">All received webhooks of this channel</a>', rows, link,
        )


@admin.register(RoutingStrategy)
class RoutingStrategyAdmin(ConfigAuditAdmin, admin.ModelAdmin):
    """Strategies are configuration: edited here, read by the routing engine on the next order."""

    list_display = ("name", "channel_display", "may_split", "on_shortage", "cost_weight", "distance_weight", "split_weight", "updated_at")
    list_select_related = ("channel",)
    filter_horizontal = ("allowed_locations",)
    fieldsets = (
        (None, {"fields": ("name", "channel")}),
        ("Score weights (the lowest score wins)", {"fields": (
            ("cost_weight", "distance_weight"), ("split_weight", "priority_weight"), ("store_weight", "capacity_weight"),
        )}),
        ("Rules", {"fields": ("allowed_locations", "may_split", "on_shortage")}),
    )

    @admin.display(description="Channel", ordering="channel__code")
    def channel_display(self, obj):
        return obj.channel or "Default (every other channel)"


@admin.register(ChannelWebhookReceipt)
class ChannelWebhookReceiptAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "channel", "topic", "webhook_id", "order", "outcome")
    list_filter = ("channel", "topic")
    list_select_related = ("channel", "order")
    search_fields = ("webhook_id", "order__number", "outcome")
    date_hierarchy = "received_at"
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_channel")


@admin.register(ReplanRun)
class ReplanRunAdmin(ReadOnlyAdmin):
    """Rolling re-planning runs: the window each looked at, what it moved and what that saved."""

    list_display = ("started_at", "started_by", "channel_codes", "orders_in_window", "orders_moved", "orders_skipped", "saving_shown", "method",
                    "fallback_reason", "seconds_shown", "threshold")
    list_filter = ("method",)
    date_hierarchy = "started_at"
    show_full_result_count = False

    @admin.display(description="Saving", ordering="saving")
    def saving_shown(self, obj):
        return f"{obj.saving:.2f}"

    @admin.display(description="Duration (s)", ordering="seconds")
    def seconds_shown(self, obj):
        return f"{obj.seconds:.2f}"


@admin.register(ChannelReconciliation)
class ChannelReconciliationAdmin(ReadOnlyAdmin):
    """Catch-up runs of missed orders: what each listed, took in, brought up to date or failed on."""

    list_display = ("started_at", "channel", "status", "window", "listed", "already_present", "ingested", "updated", "failed", "started_by")
    list_filter = ("status", "channel")
    list_select_related = ("channel",)
    date_hierarchy = "started_at"
    show_full_result_count = False
    fields = ("channel", "status", "error", "started_by", ("started_at", "finished_at"), ("window_from", "window_to"),
              ("listed", "already_present", "ingested", "updated", "failed"), "report")
    readonly_fields = ("report",)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_channel")

    @admin.display(description="Window")
    def window(self, obj):
        start, end = localtime(obj.window_from), localtime(obj.window_to)
        return f"{start:%Y-%m-%d %H:%M} – {end:%H:%M}" if start.date() == end.date() else f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"

    @admin.display(description="Orders not simply already here")
    def report(self, obj):
        if not obj.lines:
            return "None: every listed order was here and up to date." if obj.status != obj.Status.RUNNING else "Running…"
        outcomes = dict(ChannelReconciliation.Outcome.choices)
        order_ids = dict(Order.objects.filter(channel_id=obj.channel_id, number__in=[line["order"] for line in obj.lines if line["order"]])
                         .values_list("number", "pk"))
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (outcomes.get(line["outcome"], line["outcome"]), line["name"] or "—", line["external_id"],
             format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[order_ids[line["order"]]]), line["order"])
             if line["order"] in order_ids else "—", line["detail"])
            for line in obj.lines
        ))
        return format_html(
            "<table><thead><tr><th>Outcome</th><th>Platform order</th><th>Platform id</th><th>OMS order</th><th>What happened</th></tr>"
            "</thead><tbody>{}</tbody></table>", rows,
        )


class ScreeningConfigAdmin(ConfigAuditAdmin, admin.ModelAdmin):
    """Screening configuration: a save takes effect at intake's next order in every process (it
    compares the rules' version, ``orders.services.screening``)."""

    changed = staticmethod(screening_forget)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.changed()


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(ScreeningConfigAdmin):
    list_display = ("name", "kind", "channel_display", "score", "is_active", "updated_at")
    list_filter = ("kind", "is_active", "channel")
    list_select_related = ("channel",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "channel", ("score", "is_active"))}),
        ("Parameters (each kind uses its own; see the help under each)", {"fields": ("risk_level", "amount", ("count", "window_hours"), "factor")}),
    )

    @admin.display(description="Channel", ordering="channel__code")
    def channel_display(self, obj):
        return obj.channel or "Every channel"


@admin.register(ScreeningThreshold)
class ScreeningThresholdAdmin(ScreeningConfigAdmin):
    list_display = ("__str__", "hold_score", "updated_at")
    list_select_related = ("channel",)


@admin.register(ScreeningBlock)
class ScreeningBlockAdmin(ScreeningConfigAdmin):
    changed = staticmethod(screening_blocks_changed)  # the list has no version of its own
    list_display = ("value", "kind", "note", "created_at")
    list_filter = ("kind",)
    search_fields = ("value", "note")


from . import admin_channel_sync  # noqa: E402, F401  (registers the channel sync pages)
from . import admin_invoices  # noqa: E402, F401  (registers the invoices)
@admin.register(ChannelLocationMap)
class ChannelLocationMapAdmin(ConfigAuditAdmin, admin.ModelAdmin):
    """A Shopify channel's locations and the OMS locations whose stock each one shows. Part of the
    channel's connection: whoever may see or change the channel may see or change them."""

    form = ChannelLocationMapForm
    list_display = ("name", "channel", "platform_location_id", "location_codes", "is_active")
    list_filter = ("channel", "is_active")
    list_select_related = ("channel",)
    search_fields = ("name", "platform_location_id")
    fields = ("channel", "platform_location_id", "name", "locations", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(Prefetch("locations", queryset=Location.objects.order_by("code")))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_channel") or request.user.has_perm("orders.change_channel")

    def has_add_permission(self, request):
        return request.user.has_perm("orders.change_channel")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("orders.change_channel")

    has_delete_permission = has_change_permission

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description="OMS locations")
    def location_codes(self, obj):
        return ", ".join(location.code for location in obj.locations.all())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.changed_data:
            self._resync(request, form.instance.channel)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._resync(request, obj.channel)

    def _resync(self, request, channel: Channel) -> None:
        """Where the channel publishes changed: a resync sets every platform location's figure now."""
        connection = getattr(channel, "connection", None)
        if connection is not None and connection.stock_push_enabled:
            channel_stock_resync_request(channel=channel.code, actor=request.user)
            messages.info(request, f"A stock resync of {channel.code} is queued: every Shopify location it publishes at gets its figure.")


@admin.register(ChannelListing)
class ChannelListingAdmin(admin.ModelAdmin):
    """Each product as a channel's platform lists it, per platform location: the figure last pushed
    and what went wrong."""

    list_display = ("product", "channel", "location", "status", "last_pushed_quantity", "last_pushed_at", "dirty", "attempts",
                    "next_attempt_at", "last_error_code", "last_error")
    list_filter = ("channel", "status", "dirty", "last_error_code", "platform_location_id")
    list_select_related = ("product", "channel")
    search_fields = ("product__sku", "last_error")
    readonly_fields = [f.name for f in ChannelListing._meta.fields]
    actions = ("push_again",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Platform location", ordering="platform_location_id")
    def location(self, obj):
        return obj.platform_location_id or "The connection's location"

    @admin.action(description="Push again (forget errors and backoff, look the SKU up again)", permissions=["change"])
    def push_again(self, request, queryset):
        marked = channel_listings_push_again(listing_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        messages.success(request, f"{marked} listing(s) will be pushed at the next run (within seconds).")


@admin.register(ChannelStockSyncRun)
class ChannelStockSyncRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "channel", "status", "skus_checked", "drifted", "pushed", "failed", "unknown", "finished_at", "message")
    list_filter = ("channel", "status")
    list_select_related = ("channel",)
    readonly_fields = ("channel", "status", "started_at", "finished_at", "skus_checked", "drifted", "pushed", "failed", "unknown",
                       "location_table", "drift_table", "message", "actor_label")
    exclude = ("drift_sample", "by_location")

    @admin.display(description="Per platform location")
    def location_table(self, obj):
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (tally.get("name"), gid, tally.get("checked"), tally.get("drifted"), tally.get("pushed")) for gid, tally in sorted(obj.by_location.items())
        ))
        if not rows:
            return "—"
        return format_html(
            "<table><thead><tr><th>Location</th><th>Shopify id</th><th>Checked</th><th>Drifted</th><th>Corrected</th></tr></thead>"
            "<tbody>{}</tbody></table>", rows,
        )

    @admin.display(description="Drift found (sample)")
    def drift_table(self, obj):
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (d.get("sku"), d.get("location") or "—", "—" if d.get("platform") is None else d.get("platform"), d.get("oms"))
            for d in obj.drift_sample
        ))
        if not rows:
            return "No drift."
        return format_html(
            "<table><thead><tr><th>SKU</th><th>Location</th><th>Platform showed</th><th>OMS publishes</th></tr></thead><tbody>{}</tbody></table>", rows,
        )
