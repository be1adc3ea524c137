import django_filters
from django.db.models import Exists, OuterRef

from ..models import Resolution, ReturnLine, ReturnRequest, ReturnStatus


class ReturnFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReturnStatus.choices)
    resolution = django_filters.ChoiceFilter(choices=Resolution.choices)
    channel = django_filters.CharFilter(field_name="order__channel__code", help_text="Channel code, e.g. `web`.")
    order = django_filters.CharFilter(field_name="order__number", help_text="The order number.")
    reason = django_filters.CharFilter(method="filter_reason", help_text="Returns with at least one line for this reason code.")
    needs_attention = django_filters.BooleanFilter(method="filter_attention", help_text="Only returns that need (true) or do not need (false) a person.")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="ISO 8601 date-time, inclusive.")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="ISO 8601 date-time, exclusive.")

    class Meta:
        model = ReturnRequest
        fields = ["status", "resolution", "channel", "order", "reason", "needs_attention", "created_after", "created_before"]

    def filter_reason(self, queryset, name, value):
        return queryset.filter(Exists(ReturnLine.objects.filter(request=OuterRef("pk"), reason__code=value)))

    def filter_attention(self, queryset, name, value):
        return queryset.exclude(needs_attention="") if value else queryset.filter(needs_attention="")
