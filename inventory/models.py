from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_countries.fields import CountryField

from oms.money import DECIMAL_PLACES, MAX_DIGITS, validate_currency


class Product(models.Model):
    """A stock-keeping unit. ``sku`` is the code every other system uses to name it."""

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=255)
    gtin = models.CharField("GTIN / barcode", max_length=14, blank=True, db_index=True)
    weight_grams = models.PositiveIntegerField(default=0)
    length_mm = models.PositiveIntegerField(default=0)
    width_mm = models.PositiveIntegerField(default=0)
    height_mm = models.PositiveIntegerField(default=0)
    price = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    cost = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Goes up by one with every change: the API's ETag, and what If-Match is compared with.
    version = models.PositiveIntegerField(default=1)
    # Stock at or below this across shipping locations raises ``stock.low`` (0: never).
    low_stock_threshold = models.PositiveIntegerField(default=0, help_text="Available-to-promise at or below this raises a low-stock event; 0 turns it off.")
    # Hygiene products, made-to-measure goods...: a return request for them needs a person.
    is_returnable = models.BooleanField("returnable", default=True, help_text="Off: return requests for this product need a person to approve them.")
    # The merchandising group reports split by ("Footwear", "Home / Kitchen"); free text, blank = uncategorised.
    category = models.CharField(max_length=120, blank=True, db_index=True, help_text="The product group reports split by, e.g. \"Footwear\".")
    # By value moved (``inventory.abc``): A the few products that move most of the value, C the
    # many that move little or nothing. Recomputed nightly; it sets how often the product is counted.
    abc_class = models.CharField(
        "ABC class", max_length=1, choices=[("A", "A"), ("B", "B"), ("C", "C")], default="C", db_index=True,
        help_text="Set by the nightly ABC classification from the value shipped; not edited by hand.",
    )
    abc_classified_at = models.DateTimeField("ABC classified at", null=True, blank=True)

    class Meta:
        ordering = ["sku"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")]

    def __str__(self):
        return f"{self.sku} · {self.name}"


class Location(models.Model):
    """A place that holds stock: a warehouse, a store or a dropshipper."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", "Warehouse"
        STORE = "store", "Store"
        DROPSHIPPER = "dropshipper", "Dropshipper"

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WAREHOUSE)
    line1 = models.CharField(max_length=255, blank=True)
    line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    can_ship = models.BooleanField(default=True)
    can_pick_up = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower ships first when distances tie.")
    daily_order_capacity = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Orders this location can ship per day; once reached, routing prefers other locations. Empty: no limit.",
    )
    is_active = models.BooleanField(default=True)
    # Rises with every change made through the services: the API's ETag, compared with If-Match.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self):
        return f"{self.code} · {self.name}"


class Bin(models.Model):
    """A storage place inside a location; pickers walk bins in ``pick_sequence`` order."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="bins")
    code = models.CharField(max_length=32)
    zone = models.CharField(max_length=16, blank=True)
    aisle = models.CharField(max_length=16, blank=True)
    shelf = models.CharField(max_length=16, blank=True)
    position = models.CharField(max_length=16, blank=True)
    pick_sequence = models.PositiveIntegerField(default=0)
    # Rises with every change made through the services: the API's ETag, compared with If-Match.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["location", "pick_sequence", "code"]
        constraints = [models.UniqueConstraint(fields=["location", "code"], name="bin_code_unique_per_location")]

    def __str__(self):
        return f"{self.location.code}/{self.code}"


class StockLevel(models.Model):
    """The typed quantities of one SKU at one location.

    The counters change only through inventory services, each change paired with a
    ``StockMovement`` row, so they always equal the ledger's sums.
    ``available = on_hand - reserved - damaged - safety_stock``.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    bin = models.ForeignKey(Bin, null=True, blank=True, on_delete=models.SET_NULL, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    incoming = models.IntegerField(default=0)
    damaged = models.IntegerField(default=0, help_text="Quarantined: counted in on hand, never sold.")
    safety_stock = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            ("receive_stock", "Can book receipts"),
            ("adjust_stock", "Can adjust stock and post count corrections"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["product", "location"], name="stock_level_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(incoming__gte=0), name="stock_incoming_not_negative"),
            models.CheckConstraint(condition=Q(damaged__gte=0), name="stock_damaged_not_negative"),
            models.CheckConstraint(condition=Q(safety_stock__gte=0), name="stock_safety_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand") - F("damaged")), name="stock_reserved_within_sellable"
            ),
        ]

    def __str__(self):
        return f"{self.product.sku} @ {self.location.code}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.damaged - self.safety_stock


class StockMovement(models.Model):
    """The append-only stock ledger: one row per change of any StockLevel counter."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        SHIPMENT = "shipment", "Sale / shipment"
        RETURN_RESTOCK = "return_restock", "Return restock"
        ADJUSTMENT = "adjustment", "Adjustment"
        COUNT_CORRECTION = "count_correction", "Count correction"
        TRANSFER_OUT = "transfer_out", "Transfer out"
        TRANSFER_IN = "transfer_in", "Transfer in"
        SCRAP = "scrap", "Scrap"
        DAMAGE = "damage", "Quarantine"
        RESERVATION = "reservation", "Reservation"
        RELEASE = "release", "Reservation release"
        SAFETY_STOCK = "safety_stock", "Safety stock change"
        RETURN_TO_VENDOR = "return_to_vendor", "Return to vendor"
        QUARANTINE_RELEASE = "quarantine_release", "Released from quarantine"
        # Incoming only: a purchase order sent (units expected) or closed/cancelled (no longer expected).
        PURCHASE_ORDER = "purchase_order", "Purchase order (incoming)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Indexed by movement_stock_idx, which starts with it.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    incoming_delta = models.IntegerField(default=0)
    damaged_delta = models.IntegerField(default=0)
    safety_stock_delta = models.IntegerField(default=0)
    reference = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True, help_text="Who, when not a user: an API key or a job.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["product", "location", "id"], name="movement_stock_idx"),
            models.Index(fields=["reference"], name="movement_reference_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.product_id}@{self.location_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("Stock movements are append-only; post a correcting movement instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Stock movements are append-only; post a correcting movement instead.")


class Transfer(models.Model):
    """Stock moving between two locations; in transit it shows as ``incoming`` at the destination."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_TRANSIT = "in_transit", "In transit"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=20, unique=True, blank=True)
    source = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_out")
    destination = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    reference = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("destination")), name="transfer_between_two_locations")
        ]

    def __str__(self):
        return self.number or f"Transfer #{self.pk}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transfer", "product"], name="transfer_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_received__lte=F("quantity")), name="transfer_received_within_sent"),
        ]


class ChannelStockRule(models.Model):
    """Which stock a sales channel may promise: the locations that sell for it, units held back
    per SKU and an optional share of what is left.

    The channel is named by its code (inventory sits below orders and cannot refer to a Channel).
    A channel without a rule promises the plain available-to-promise of every shipping location.
    """

    channel_code = models.SlugField(max_length=32, unique=True, help_text="The channel's code, e.g. `web`.")
    locations = models.ManyToManyField(
        Location, blank=True, related_name="channel_stock_rules",
        help_text="Locations whose stock this channel sells. Empty: every active location that ships.",
    )
    buffer_units = models.PositiveIntegerField(
        default=0, help_text="Units of each SKU held back from this channel (after the share is taken)."
    )
    share_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)],
        help_text="Percentage of the pooled stock this channel may promise, rounded down. Empty: all of it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True) | Q(share_percent__lte=100), name="channel_stock_share_at_most_100"
            )
        ]

    def __str__(self):
        return f"Stock rule for {self.channel_code}"


from .models_counts import AbcRun, CycleCount, CycleCountEvent, CycleCountLine  # noqa: E402,F401  (models of this app)
# Suppliers and purchase orders live in their own module; imported here so Django finds the models.
from .models_purchasing import (  # noqa: E402, F401
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    Supplier,
    SupplierProduct,
)
