import django_filters

from inventory.models import Product, StockLevel, StockMovement
from inventory.selectors import stock_levels_below_threshold


class CodeListFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """``?sku=A,B,C``: any of the codes given."""


def _range(field_name: str, what: str) -> tuple[django_filters.IsoDateTimeFilter, django_filters.IsoDateTimeFilter]:
    return (
        django_filters.IsoDateTimeFilter(
            field_name=field_name, lookup_expr="gte", help_text=f"{what} at or after this ISO 8601 date-time, e.g. `2025-01-31T00:00:00Z`."
        ),
        django_filters.IsoDateTimeFilter(field_name=field_name, lookup_expr="lt", help_text=f"{what} before this ISO 8601 date-time."),
    )


class ProductFilter(django_filters.FilterSet):
    sku = CodeListFilter(field_name="sku", help_text="One SKU or several, comma-separated.")
    active = django_filters.BooleanFilter(field_name="is_active")
    gtin = django_filters.CharFilter(field_name="gtin", help_text="Exact GTIN / barcode.")
    updated_after, updated_before = _range("updated_at", "Changed")

    class Meta:
        model = Product
        fields = ["sku", "active", "gtin", "updated_after", "updated_before"]


class StockLevelFilter(django_filters.FilterSet):
    sku = CodeListFilter(field_name="product__sku", help_text="One SKU or several, comma-separated.")
    location = CodeListFilter(field_name="location__code", help_text="One location code or several, comma-separated.")
    below_threshold = django_filters.BooleanFilter(
        method="filter_below_threshold",
        help_text="true: only SKUs whose available-to-promise is at or below their low-stock threshold (set above 0); "
        "false: all the others.",
    )
    updated_after, updated_before = _range("updated_at", "Changed")

    class Meta:
        model = StockLevel
        fields = ["sku", "location", "below_threshold", "updated_after", "updated_before"]

    def filter_below_threshold(self, queryset, name, value):
        return stock_levels_below_threshold(queryset, value)


class StockMovementFilter(django_filters.FilterSet):
    sku = CodeListFilter(field_name="product__sku", help_text="One SKU or several, comma-separated.")
    location = CodeListFilter(field_name="location__code", help_text="One location code or several, comma-separated.")
    type = django_filters.ChoiceFilter(field_name="kind", choices=StockMovement.Kind.choices)
    reference = django_filters.CharFilter(field_name="reference", help_text="Exact reference, e.g. an order number or a delivery note.")
    created_after, created_before = _range("created_at", "Booked")

    class Meta:
        model = StockMovement
        fields = ["sku", "location", "type", "reference", "created_after", "created_before"]
