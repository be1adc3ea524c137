import django_filters
from django.db.models import Exists, OuterRef

from orders.models import HoldReason, Order, OrderHold, OrderLine, OrderStatus, PaymentStatus


def _range(field: str, bound: str, lookup: str) -> django_filters.IsoDateTimeFilter:
    inclusive = "inclusive" if lookup == "gte" else "exclusive"
    return django_filters.IsoDateTimeFilter(
        field_name=field, lookup_expr=lookup, help_text=f"ISO 8601 date-time, {inclusive}, e.g. `2025-01-31T00:00:00Z` ({bound})."
    )


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    channel = django_filters.CharFilter(field_name="channel__code", help_text="Channel code, e.g. `web`.")
    external_id = django_filters.CharFilter(help_text="The order's id in its channel (combine with `channel` for one order).")
    email = django_filters.CharFilter(lookup_expr="iexact", help_text="The customer's e-mail address, any letter case.")
    sku = django_filters.CharFilter(method="filter_sku", help_text="Orders with at least one line of this SKU.")
    hold_reason = django_filters.ChoiceFilter(
        choices=HoldReason.choices, method="filter_hold_reason", help_text="Orders with an open hold for this reason."
    )
    created_after = _range("created_at", "created at or after", "gte")
    created_before = _range("created_at", "created before", "lt")
    updated_after = _range("updated_at", "changed at or after", "gte")
    updated_before = _range("updated_at", "changed before", "lt")

    class Meta:
        model = Order
        fields = [
            "status", "payment_status", "channel", "external_id", "email", "sku", "hold_reason",
            "created_after", "created_before", "updated_after", "updated_before",
        ]

    def filter_sku(self, queryset, name, value):
        # EXISTS rather than a join: an order with the SKU on two lines is still listed once.
        return queryset.filter(Exists(OrderLine.objects.filter(order=OuterRef("pk"), sku=value)))

    def filter_hold_reason(self, queryset, name, value):
        return queryset.filter(Exists(OrderHold.objects.filter(order=OuterRef("pk"), reason=value, released_at__isnull=True)))
