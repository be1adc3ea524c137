from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Location, StockMovement
from oms.api.fields import MAX_INTEGER, MoneyField
from oms.money import DECIMAL_PLACES, MAX_DIGITS, is_currency

# What the database's integer columns hold; larger values are refused here rather than by a
# database error.


def _count(**kwargs):
    return serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, default=0, **kwargs)


def _price(**kwargs):
    return serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, min_value=0, **kwargs)


# --- input -----------------------------------------------------------------------------------


class DimensionsInputSerializer(serializers.Serializer):
    length_mm = _count()
    width_mm = _count()
    height_mm = _count()


class ProductCreateSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=255)
    price = _price(help_text="Catalogue price of one unit.")
    currency = serializers.CharField(default="USD", help_text="ISO 4217 code of `price` and `cost`.")
    cost = _price(required=False, allow_null=True, default=None)
    gtin = serializers.CharField(max_length=14, required=False, allow_blank=True, default="", help_text="GTIN / EAN / UPC barcode, digits only.")
    weight_grams = _count()
    dimensions = DimensionsInputSerializer(required=False)
    is_active = serializers.BooleanField(default=True)
    is_returnable = serializers.BooleanField(default=True, help_text="Off: return requests for this product need a person to approve them.")
    category = serializers.CharField(max_length=120, required=False, allow_blank=True, default="", help_text="The product group reports split by, e.g. \"Footwear\".")

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not is_currency(value):
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code.")
        return value

    def validate_gtin(self, value: str) -> str:
        if value and not value.isdigit():
            raise serializers.ValidationError("Digits only.")
        return value

    def service_kwargs(self) -> dict:
        """The keyword arguments of ``product_create``."""
        data = dict(self.validated_data)
        data.update(data.pop("dimensions", None) or {})
        return data


class DimensionsChangeSerializer(serializers.Serializer):
    length_mm = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, required=False)
    width_mm = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, required=False)
    height_mm = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, required=False)


class ProductUpdateSerializer(serializers.Serializer):
    """A partial change: only the fields sent are changed."""

    name = serializers.CharField(max_length=255, required=False)
    price = _price(required=False, help_text="Catalogue price of one unit, in the product's currency.")
    cost = _price(required=False, allow_null=True)
    gtin = serializers.CharField(max_length=14, required=False, allow_blank=True, help_text="GTIN / EAN / UPC barcode, digits only.")
    weight_grams = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, required=False)
    dimensions = DimensionsChangeSerializer(required=False, help_text="Only the dimensions sent are changed.")
    is_active = serializers.BooleanField(required=False)
    is_returnable = serializers.BooleanField(required=False, help_text="Off: return requests for this product need a person to approve them.")
    category = serializers.CharField(max_length=120, required=False, allow_blank=True, help_text="The product group reports split by; blank: uncategorised.")
    low_stock_threshold = serializers.IntegerField(
        min_value=0, max_value=MAX_INTEGER, required=False,
        help_text="`stock.low` is recorded when available-to-promise falls to or below this; 0 turns it off.",
    )

    def validate_gtin(self, value: str) -> str:
        if value and not value.isdigit():
            raise serializers.ValidationError("Digits only.")
        return value

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs

    def changes(self) -> dict:
        """The ``changes`` of ``product_update``: dimensions flattened."""
        data = dict(self.validated_data)
        data.update(data.pop("dimensions", None) or {})
        return data


class LocationAddressInputSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=255, allow_blank=True, default="")
    line2 = serializers.CharField(max_length=255, allow_blank=True, default="")
    city = serializers.CharField(max_length=120, allow_blank=True, default="")
    region = serializers.CharField(max_length=120, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, min_length=2, help_text="ISO 3166-1 alpha-2, e.g. `DE`.")


class LocationAddressChangeSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=255, allow_blank=True, required=False)
    line2 = serializers.CharField(max_length=255, allow_blank=True, required=False)
    city = serializers.CharField(max_length=120, allow_blank=True, required=False)
    region = serializers.CharField(max_length=120, allow_blank=True, required=False)
    postal_code = serializers.CharField(max_length=20, allow_blank=True, required=False)
    country = serializers.CharField(max_length=2, min_length=2, required=False, help_text="ISO 3166-1 alpha-2, e.g. `DE`.")


class CoordinatesInputSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)


def _flatten_location(data: dict) -> dict:
    """Address and coordinates flattened into the model's fields (coordinates null: not placed)."""
    data.update(data.pop("address", None) or {})
    if "coordinates" in data:
        coordinates = data.pop("coordinates") or {"latitude": None, "longitude": None}
        data.update(coordinates)
    return data


class LocationCreateSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=32, help_text="Names the location everywhere (letters, digits, - and _); cannot change.")
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Location.Kind.choices, default=Location.Kind.WAREHOUSE)
    address = LocationAddressInputSerializer()
    coordinates = CoordinatesInputSerializer(required=False, allow_null=True, help_text="For routing by distance; omit if unknown.")
    can_ship = serializers.BooleanField(default=True)
    can_pick_up = serializers.BooleanField(default=False)
    priority = serializers.IntegerField(min_value=0, max_value=32767, default=100, help_text="Lower ships first when distances tie.")
    daily_order_capacity = serializers.IntegerField(
        min_value=0, max_value=MAX_INTEGER, required=False, allow_null=True, default=None, help_text="Orders it can ship per day; null: no limit."
    )
    is_active = serializers.BooleanField(default=True)

    def service_kwargs(self) -> dict:
        """The keyword arguments of ``location_create``."""
        return _flatten_location(dict(self.validated_data))


class LocationUpdateSerializer(serializers.Serializer):
    """A partial change: only the fields sent are changed."""

    name = serializers.CharField(max_length=120, required=False)
    kind = serializers.ChoiceField(choices=Location.Kind.choices, required=False)
    address = LocationAddressChangeSerializer(required=False, help_text="Only the address fields sent are changed.")
    coordinates = CoordinatesInputSerializer(required=False, allow_null=True, help_text="Null takes the location off the map.")
    can_ship = serializers.BooleanField(required=False)
    can_pick_up = serializers.BooleanField(required=False)
    priority = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    daily_order_capacity = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs

    def changes(self) -> dict:
        """The ``changes`` of ``location_update``: address and coordinates flattened."""
        return _flatten_location(dict(self.validated_data))


def _bin_place(**kwargs):
    return serializers.CharField(max_length=16, allow_blank=True, **kwargs)


class BinCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="The code on the bin's label, unique in its location; cannot change.")
    zone = _bin_place(default="")
    aisle = _bin_place(default="")
    shelf = _bin_place(default="")
    position = _bin_place(default="")
    pick_sequence = _count(help_text="Pickers walk bins in this order, lowest first.")

    def validate_code(self, value: str) -> str:
        if "/" in value:
            raise serializers.ValidationError("May not contain '/'.")
        return value


class BinUpdateSerializer(serializers.Serializer):
    """A partial change: only the fields sent are changed."""

    zone = _bin_place(required=False)
    aisle = _bin_place(required=False)
    shelf = _bin_place(required=False)
    position = _bin_place(required=False)
    pick_sequence = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class BinAssignmentSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    bin = serializers.CharField(max_length=32, allow_null=True, help_text="Code of a bin of this location; null takes the SKU out of its bin.")


class StockSnapshotItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    # Not bounded below here: a negative count is reported on its item, and the others still apply.
    on_hand = serializers.IntegerField(min_value=-MAX_INTEGER, max_value=MAX_INTEGER, help_text="Units counted.")


class StockSnapshotSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="Location code the count is for.")
    reference = serializers.CharField(max_length=120, allow_blank=True, default="", help_text="E.g. the ERP's count or export id.")
    counted_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="When the count was taken. On-hand movements booked after it are added to the counted numbers.",
    )
    items = serializers.ListField(child=StockSnapshotItemSerializer(), allow_empty=False, max_length=5000)


class StockMovementCreateSerializer(serializers.Serializer):
    class Type:
        RECEIPT = "receipt"
        ADJUSTMENT = "adjustment"

    sku = serializers.CharField()
    location = serializers.CharField(help_text="Location code, as listed by `/locations/`.")
    quantity = serializers.IntegerField(
        min_value=-MAX_INTEGER, max_value=MAX_INTEGER,
        help_text="Receipt: units received, above zero. Adjustment: signed change of on-hand stock, not zero.",
    )
    type = serializers.ChoiceField(choices=[Type.RECEIPT, Type.ADJUSTMENT])
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True, default="", help_text="E.g. a delivery note or count sheet.")
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Why stock is adjusted; required for adjustments."
    )


class StockQuarantineSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="Location code, as listed by `/locations/`.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER, help_text="Units, above zero.")
    reason = serializers.CharField(max_length=255, help_text="Why; kept on the ledger row.")
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True, default="", help_text="E.g. an RMA or work order.")


# --- output ----------------------------------------------------------------------------------


class DimensionsSerializer(serializers.Serializer):
    length_mm = serializers.IntegerField()
    width_mm = serializers.IntegerField()
    height_mm = serializers.IntegerField()


class ProductSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    gtin = serializers.CharField()
    price = MoneyField()
    cost = MoneyField(allow_null=True)
    currency = serializers.CharField()
    weight_grams = serializers.IntegerField()
    dimensions = DimensionsSerializer(source="*")
    is_active = serializers.BooleanField()
    is_returnable = serializers.BooleanField(help_text="False: return requests for this product need a person to approve them.")
    category = serializers.CharField(help_text="The product group reports split by; empty: uncategorised.")
    low_stock_threshold = serializers.IntegerField(help_text="`stock.low` is recorded at or below this available-to-promise; 0: never.")
    version = serializers.IntegerField(help_text="Rises with every change; the `ETag` of this product.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class LocationAddressSerializer(serializers.Serializer):
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField(source="country.code", help_text="ISO 3166-1 alpha-2.")


class CoordinatesSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class OptionalCoordinatesSerializer(CoordinatesSerializer):
    def get_attribute(self, instance):
        return instance if instance.latitude is not None and instance.longitude is not None else None


class LocationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Location.Kind.choices)
    address = LocationAddressSerializer(source="*")
    coordinates = OptionalCoordinatesSerializer(allow_null=True, help_text="Null when the location has not been placed on the map.")
    can_ship = serializers.BooleanField()
    can_pick_up = serializers.BooleanField()
    priority = serializers.IntegerField(help_text="Lower ships first when distances tie.")
    daily_order_capacity = serializers.IntegerField(allow_null=True, help_text="Orders it can ship per day; null: no limit.")
    is_active = serializers.BooleanField()
    version = serializers.IntegerField(help_text="Rises with every change; the `ETag` of this location.")


class BinSerializer(serializers.Serializer):
    code = serializers.CharField()
    location = serializers.CharField(source="location.code")
    zone = serializers.CharField()
    aisle = serializers.CharField()
    shelf = serializers.CharField()
    position = serializers.CharField()
    pick_sequence = serializers.IntegerField(help_text="Pickers walk bins in this order, lowest first.")
    skus = serializers.SerializerMethodField(help_text="The SKUs kept in this bin.")
    version = serializers.IntegerField(help_text="Rises with every change; the `ETag` of this bin.")

    def get_skus(self, bin_) -> list[str]:
        return sorted(level.product.sku for level in bin_.stock_levels.all())


class BinAssignmentResultSerializer(serializers.Serializer):
    sku = serializers.CharField(source="product.sku")
    location = serializers.CharField(source="location.code")
    bin = serializers.CharField(source="bin.code", allow_null=True, help_text="Null: in no bin.")


class StockMovementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(source="kind", choices=StockMovement.Kind.choices)
    sku = serializers.CharField(source="product.sku")
    location = serializers.CharField(source="location.code")
    quantity = serializers.IntegerField(source="on_hand_delta", help_text="Change of on-hand stock.")
    reserved_delta = serializers.IntegerField(help_text="Change of reserved stock (reservations and their release).")
    incoming_delta = serializers.IntegerField(help_text="Change of stock in transit to the location.")
    damaged_delta = serializers.IntegerField(help_text="Change of quarantined stock.")
    safety_stock_delta = serializers.IntegerField()
    reference = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    created_at = serializers.DateTimeField()


class LocationStockSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="Location code.")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    incoming = serializers.IntegerField(help_text="In transit to this location, not yet received.")
    damaged = serializers.IntegerField(help_text="Quarantined: on hand but never sold.")
    safety_stock = serializers.IntegerField()
    available = serializers.IntegerField(help_text="on_hand - reserved - damaged - safety_stock, never below zero.")


class ArrivalSerializer(serializers.Serializer):
    date = serializers.DateField(allow_null=True, help_text="When the units should arrive; null: the PO gives no date.")
    quantity = serializers.IntegerField(help_text="Units still open on the purchase order.")
    location = serializers.CharField(help_text="The location they arrive at.")
    purchase_order = serializers.CharField(help_text="The purchase order's number.")


class StockSerializer(serializers.Serializer):
    sku = serializers.CharField()
    channel = serializers.CharField(allow_null=True, help_text="The channel asked for, or null.")
    available_to_promise = serializers.IntegerField(
        help_text="Available across active locations that ship; with `channel`, what that channel may promise."
    )
    incoming = serializers.IntegerField(help_text="In transit to the locations counted.")
    incoming_arrivals = ArrivalSerializer(
        many=True, source="arrivals",
        help_text="When open purchase orders bring units to the locations counted, soonest first (undated last): "
        "available-to-promise with dates. Transfers in transit count in `incoming` but have no date here.",
    )
    locations = LocationStockSerializer(many=True, help_text="With `channel`: only the locations that sell for it.")


class StockLevelSerializer(serializers.Serializer):
    sku = serializers.CharField(source="product.sku")
    location = serializers.CharField(source="location.code")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    incoming = serializers.IntegerField(help_text="In transit to this location, not yet received.")
    damaged = serializers.IntegerField(help_text="Quarantined: on hand but never sold.")
    safety_stock = serializers.IntegerField()
    available = serializers.SerializerMethodField(help_text="on_hand - reserved - damaged - safety_stock, never below zero.")
    updated_at = serializers.DateTimeField()

    def get_available(self, level) -> int:
        return max(level.available, 0)


class SkuPromiseSerializer(serializers.Serializer):
    sku = serializers.CharField()
    available_to_promise = serializers.IntegerField()
    incoming = serializers.IntegerField()


class BulkAvailabilitySerializer(serializers.Serializer):
    channel = serializers.CharField(allow_null=True)
    results = SkuPromiseSerializer(many=True, help_text="One per SKU asked for that exists, in the order asked.")
    unknown_skus = serializers.ListField(child=serializers.CharField(), help_text="SKUs asked for that no product has.")


class SnapshotItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField(source="error_code")
    message = serializers.CharField(source="error_message")


class SnapshotItemResultSerializer(serializers.Serializer):
    sku = serializers.CharField()
    status = serializers.ChoiceField(choices=["applied", "unchanged", "skipped"])
    on_hand_before = serializers.IntegerField(allow_null=True)
    on_hand = serializers.IntegerField(allow_null=True, help_text="On hand now; null when skipped.")
    delta = serializers.IntegerField(help_text="The count correction posted to the ledger (0: none).")
    error = serializers.SerializerMethodField(help_text="Why the item was skipped; null otherwise.")

    @extend_schema_field(SnapshotItemErrorSerializer(allow_null=True))
    def get_error(self, item):
        return SnapshotItemErrorSerializer(item).data if item.status == "skipped" else None


class SnapshotResultSerializer(serializers.Serializer):
    location = serializers.CharField()
    reference = serializers.CharField()
    applied = serializers.SerializerMethodField()
    unchanged = serializers.SerializerMethodField()
    skipped = serializers.SerializerMethodField()
    items = SnapshotItemResultSerializer(many=True, help_text="One per item sent, in the order sent.")

    def get_applied(self, result) -> int:
        return result.count("applied")

    def get_unchanged(self, result) -> int:
        return result.count("unchanged")

    def get_skipped(self, result) -> int:
        return result.count("skipped")
