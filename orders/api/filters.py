import django_filters
from django.db.models import Exists, OuterRef

from orders.models import Order, OrderLine, OrderStatus


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    channel = django_filters.CharFilter(field_name="channel__code", help_text="Channel code, e.g. `web`.")
    sku = django_filters.CharFilter(method="filter_sku", help_text="Orders with at least one line of this SKU.")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601 date-time, inclusive, e.g. `2025-01-31T00:00:00Z`."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601 date-time, exclusive."
    )

    class Meta:
        model = Order
        fields = ["status", "channel", "sku", "created_after", "created_before"]

    def filter_sku(self, queryset, name, value):
        # EXISTS rather than a join: an order with the SKU on two lines is still listed once.
        return queryset.filter(Exists(OrderLine.objects.filter(order=OuterRef("pk"), sku=value)))
