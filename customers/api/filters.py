import django_filters

from customers.models import Customer


class CustomerFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(method="filter_email", help_text="Exact e-mail, in any case.")
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    group = django_filters.CharFilter(field_name="group__code", help_text="Customer group code.")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="ISO 8601 date-time, inclusive.")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="ISO 8601 date-time, exclusive.")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time, inclusive.")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt", help_text="ISO 8601 date-time, exclusive.")

    class Meta:
        model = Customer
        fields = ["email", "kind", "group", "created_after", "created_before", "updated_after", "updated_before"]

    def filter_email(self, queryset, name, value):
        # Stored lower-case (Customer.save), so an exact match on the lowered value uses the unique index.
        return queryset.filter(email=value.strip().lower())
