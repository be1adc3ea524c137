import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils.deconstruct import deconstructible
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from oms.models import HoldRecord
from oms.money import DECIMAL_PLACES, MAX_DIGITS
from shipping.models import Carrier, ServiceLevel
from shipping.shopping import CHEAPEST_ON_TIME, FASTEST_WITHIN_CAP, ShoppingPolicy

# The longest delivery promise a channel may make (calendar days).
MAX_DELIVERY_DAYS = 365
# The longest an allocated order may wait for re-planning (a week).
MAX_RELEASE_DELAY_MINUTES = 7 * 24 * 60


def shipping_allowed_keys(text: str) -> list[str]:
    """The carrier codes and ``carrier:service`` keys of a channel's ``shipping_allowed`` text
    (separated by commas or spaces), each once, in the order written."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text or "") if part))


def default_shipping_policy() -> ShoppingPolicy:
    """The policy of channels that set no goal of their own: ``settings.OMS_SHIPPING_POLICY``."""
    return ShoppingPolicy.from_dict(dict(getattr(settings, "OMS_SHIPPING_POLICY", None) or {}))


class Channel(models.Model):
    """Where orders come from. ``(channel, external_id)`` identifies an order for its channel."""

    class Kind(models.TextChoices):
        WEB = "web", "Web shop"
        POS = "pos", "Point of sale"
        MARKETPLACE = "marketplace", "Marketplace"
        PHONE = "phone", "Phone"
        B2B = "b2b", "B2B portal"
        API = "api", "API"

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    class Adapter(models.TextChoices):
        NONE = "", "None (orders come through the OMS API)"
        SHOPIFY = "shopify", "Shopify webhooks"
        WOOCOMMERCE = "woocommerce", "WooCommerce webhooks"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WEB)
    is_active = models.BooleanField(default=True)
    integration = models.ForeignKey(
        "oms.Integration", null=True, blank=True, on_delete=models.SET_NULL, related_name="channels",
        help_text="The external system that sends this channel's orders.",
    )
    adapter = models.CharField(max_length=16, choices=Adapter.choices, blank=True, default=Adapter.NONE)
    webhook_secret = models.CharField(
        max_length=255, blank=True, help_text="Shared secret the platform signs its webhooks with (Shopify: the app's client secret)."
    )

    class ShippingGoal(models.TextChoices):
        DEFAULT = "", "Default (the OMS_SHIPPING_POLICY setting)"
        CHEAPEST_ON_TIME = CHEAPEST_ON_TIME, "Cheapest that delivers by the promised date"
        FASTEST_WITHIN_CAP = FASTEST_WITHIN_CAP, "Fastest within the cost cap"

    # Rate shopping when a fulfillment order of this channel ships (fulfillment's _service_choose).
    shipping_goal = models.CharField(
        "rate shopping goal", max_length=20, choices=ShippingGoal.choices, blank=True, default=ShippingGoal.DEFAULT,
        help_text="How the carrier service is chosen when a fulfillment order ships without one named.",
    )
    shipping_cost_cap = models.DecimalField(
        "cost cap", max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True,
        validators=[MinValueValidator(0, message="The cost cap must be 0 or more; leave it blank for no cap.")],
        help_text="Fastest within the cap: the most a shipment may cost, in the carriers' currency. Blank: no cap (simply the fastest).",
    )
    shipping_allowed = models.CharField(
        "allowed carriers and services", max_length=500, blank=True,
        help_text="Carrier codes or carrier:service keys, separated by commas or spaces (e.g. oms-post, europarcel:express). Blank: all.",
    )
    delivery_days = models.PositiveSmallIntegerField(
        "promised delivery (days)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_DELIVERY_DAYS)],
        help_text="Promise delivery within this many calendar days of the order; rate shopping then ships to meet it. "
        "Blank: no promise unless the order brings its own.",
    )
    handling_days = models.PositiveSmallIntegerField(
        "ships within (working days)", null=True, blank=True, validators=[MaxValueValidator(MAX_DELIVERY_DAYS)],
        help_text="Promise to ship this many working days (Monday to Friday) after the order: 0 the same day. Blank: no ship-by "
        "promise. The on-time shipping report and the late-to-ship queue measure against it.",
    )
    ship_cutoff = models.TimeField(
        "same-day cutoff", null=True, blank=True,
        help_text="Orders placed after this local time count from the next working day (e.g. 14:00). Blank: the whole day counts.",
    )
    insure_shipments = models.BooleanField(
        "insure parcels for their value", default=False,
        help_text="Buy the carrier's declared-value cover for the goods in each parcel (e.g. OMS Post charges 1% of the value). "
        "Off: the value is declared on the label and for customs only, at no charge.",
    )
    # Rolling re-planning (orders.services.replanning). Off by default: an existing merchant's
    # reservations only move once someone turns it on for the channel.
    replan_enabled = models.BooleanField(
        "re-plan open orders", default=False,
        help_text="Allocated orders not yet sent to the floor are re-planned together every few minutes; a reservation moves "
        "to another allowed location when that saves more than the threshold (OMS_REPLAN_THRESHOLD).",
    )
    release_delay_minutes = models.PositiveIntegerField(
        "release delay (minutes)", default=30, validators=[MaxValueValidator(MAX_RELEASE_DELAY_MINUTES)],
        help_text="How long an allocated order may wait for a better plan: only orders placed this recently are re-planned. "
        "Nothing sends orders to the floor on a timer; an order started in fulfillment is never moved, whatever its age.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shipping_cost_cap__isnull=True) | Q(shipping_cost_cap__gte=0), name="channel_shipping_cost_cap_not_negative",
                violation_error_message="The cost cap must be 0 or more.",
            ),
            models.CheckConstraint(
                condition=Q(delivery_days__isnull=True) | Q(delivery_days__gte=1), name="channel_delivery_days_positive",
                violation_error_message="Promised delivery days must be at least 1.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if not self.shipping_goal:
            if self.shipping_cost_cap is not None:
                errors["shipping_cost_cap"] = "A cost cap needs a goal: choose one, or clear the cap to use the OMS_SHIPPING_POLICY default."
            if self.shipping_allowed.strip():
                errors["shipping_allowed"] = "Allowed carriers need a goal: choose one, or clear them to use the OMS_SHIPPING_POLICY default."
        keys = shipping_allowed_keys(self.shipping_allowed)
        unknown = _unknown_shipping_keys(keys)
        if unknown:
            errors["shipping_allowed"] = unknown
        elif keys:
            self.shipping_allowed = ", ".join(keys)
        if errors:
            raise ValidationError(errors)

    def shipping_policy(self) -> ShoppingPolicy:
        """The rate shopping policy for this channel's shipments: its own when it sets a goal, else
        the ``OMS_SHIPPING_POLICY`` default (whose ``currency`` the channel's cap is compared in)."""
        default = default_shipping_policy()
        if not self.shipping_goal:
            return default
        return ShoppingPolicy(
            goal=self.shipping_goal, cost_cap=self.shipping_cost_cap, allowed=frozenset(shipping_allowed_keys(self.shipping_allowed)),
            currency=default.currency,
        )

    @property
    def shipping_policy_source(self) -> str:
        """Where :meth:`shipping_policy` comes from, in words: ``channel <code>`` or ``default``."""
        return f"channel {self.code}" if self.shipping_goal else "default"


def _unknown_shipping_keys(keys: list[str]) -> list[str]:
    """Why each of ``keys`` names no carrier or service that exists (messages for the form)."""
    if not keys:
        return []
    carriers = set(Carrier.objects.filter(code__in={key.split(":", 1)[0] for key in keys}).values_list("code", flat=True))
    services: dict[str, list[str]] = {}
    for carrier, service in ServiceLevel.objects.filter(carrier__code__in=carriers).order_by("code").values_list("carrier__code", "code"):
        services.setdefault(carrier, []).append(service)
    problems = []
    known = None
    for key in keys:
        carrier, _, service = key.partition(":")
        if carrier not in carriers:
            if known is None:  # read once, for every key naming no carrier
                known = ", ".join(Carrier.objects.order_by("code").values_list("code", flat=True)) or "none set up yet"
            problems.append(f"{key!r}: there is no carrier {carrier!r}; use a carrier code ({known}) or carrier:service.")
        elif ":" in key and service not in services.get(carrier, []):
            problems.append(f"{key!r}: {carrier} has no service {service!r} (its services: {', '.join(services.get(carrier, [])) or 'none'}).")
    return problems


class ChannelWebhookReceipt(models.Model):
    """A platform webhook already taken in: its id is recorded so a redelivery is not applied twice."""

    # Indexed by the (channel, webhook_id) unique constraint.
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="webhook_receipts", db_index=False)
    webhook_id = models.CharField(max_length=255)
    topic = models.CharField(max_length=60, blank=True)
    order = models.ForeignKey("Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "webhook_id"], name="channel_webhook_id_unique")]

    def __str__(self):
        return f"{self.topic} {self.webhook_id}"


# A recent stable Admin API version (Shopify releases one per quarter and supports each for at least a year).
SHOPIFY_API_VERSION = "2026-07"
SHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
SHOPIFY_VERSION = re.compile(r"^20\d\d-(01|04|07|10)$")


def shopify_domain_validate(value: str) -> None:
    if not SHOPIFY_DOMAIN.match(value or ""):
        raise ValidationError(
            "Enter the shop's permanent domain, like my-shop.myshopify.com (not its custom domain, no https://).", code="shopify_domain"
        )


def shopify_version_validate(value: str) -> None:
    if not SHOPIFY_VERSION.match(value or ""):
        raise ValidationError("Enter a stable API version as YYYY-MM with a quarter month, like 2026-07.", code="shopify_version")


def https_url_validate(value: str) -> None:
    if value and not value.lower().startswith("https://"):
        raise ValidationError("The shop's address must start with https:// (the consumer key and secret travel with every call).", code="not_https")


SHOPIFY_LOCATION = re.compile(r"^(gid://shopify/Location/)?\d+$")


def shopify_location_validate(value: str) -> None:
    if value and not SHOPIFY_LOCATION.match(value.strip()):
        raise ValidationError("Enter the location's id, like gid://shopify/Location/124656943 or 124656943.", code="shopify_location")


WOOCOMMERCE_URL_HELP = "The WordPress site's base address, like https://shop.example.com (the REST API is under /wp-json/wc/v3/)."


class ChannelConnection(models.Model):
    """How the OMS calls a channel's platform back (stock, fulfillments, missed orders). The
    secrets are write-only: the admin shows their last characters, the API and logs never."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="connection")
    shopify_shop_domain = models.CharField(
        "shop domain", max_length=255, blank=True, validators=[shopify_domain_validate],
        help_text="The permanent domain, like my-shop.myshopify.com.",
    )
    shopify_access_token = models.CharField("Admin API access token", max_length=255, blank=True)
    shopify_api_version = models.CharField(
        "API version", max_length=7, default=SHOPIFY_API_VERSION, validators=[shopify_version_validate],
        help_text="The Admin API version the OMS speaks, YYYY-MM. Move it forward before Shopify retires it (a year after release).",
    )
    woocommerce_url = models.URLField(
        "site address", max_length=255, blank=True, validators=[https_url_validate],
        help_text=WOOCOMMERCE_URL_HELP,
    )
    woocommerce_consumer_key = models.CharField("consumer key", max_length=255, blank=True)
    woocommerce_consumer_secret = models.CharField("consumer secret", max_length=255, blank=True)
    connect_timeout = models.PositiveSmallIntegerField(
        "connect timeout (seconds)", default=5, validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    read_timeout = models.PositiveSmallIntegerField(
        "read timeout (seconds)", default=30, validators=[MinValueValidator(1), MaxValueValidator(300)],
        help_text="How long to wait for the platform's answer before trying again.",
    )
    push_fulfillments = models.BooleanField(
        "push fulfillments", default=False,
        help_text="Pass shipments (carrier, tracking, the lines in each parcel), deliveries and cancellations made in the OMS "
        "on to the shop's order. Off: nothing is sent and nothing is recorded.",
    )
    push_refunds = models.BooleanField(
        "refund through the shop", default=False,
        help_text="Shopify: refunds of this channel's returns are created on the shop's order (refundCreate), which pays "
        "the customer back through the shop's payment gateway. Off: the OMS records refunds and the money moves outside it.",
    )
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.CharField(max_length=500, blank=True)
    catch_up_missed_orders = models.BooleanField(
        "catch up missed orders", default=False,
        help_text="Every 15 minutes, list the platform's recently changed orders and take in any whose webhook never arrived.",
    )
    stock_push_enabled = models.BooleanField(
        "push stock", default=False,
        help_text="Publish this channel's available-to-promise to the platform within seconds of every stock change, "
        "and resync it nightly. Off: the platform's stock figures are left alone.",
    )
    shopify_location_id = models.CharField(
        "Shopify location", max_length=80, blank=True, validators=[shopify_location_validate],
        help_text="The Shopify location whose available quantity the OMS sets, gid://shopify/Location/… or its number "
        "(Settings → Locations, the number at the end of the location's address). Not used once Shopify locations are mapped "
        "(Channel location maps): each mapped location then gets its own figure.",
    )
    woocommerce_requests_per_second = models.PositiveSmallIntegerField(
        "requests per second", default=5, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="At most this many stock calls per second to the shop (a self-hosted WordPress sets its own limit; ask its host).",
    )

    def __str__(self):
        return f"Connection of {self.channel}"

    @property
    def shopify_location_gid(self) -> str:
        return shopify_location_gid(self.shopify_location_id)


def shopify_location_gid(value: str) -> str:
    """A Shopify location id as its gid (a bare number, as Settings → Locations shows it, becomes one)."""
    value = (value or "").strip()
    return f"gid://shopify/Location/{value}" if value.isdigit() else value


class ChannelLocationMap(models.Model):
    """One of a Shopify channel's locations and the OMS locations whose stock it shows: the OMS
    publishes, at that platform location, what the channel may promise from those locations
    (under the channel's stock rule). A channel with no active map publishes one figure at its
    connection's Shopify location."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="location_maps")
    platform_location_id = models.CharField(
        "Shopify location", max_length=120, validators=[shopify_location_validate],
        help_text="gid://shopify/Location/… or its number (Settings → Locations, the number at the end of the location's address).",
    )
    name = models.CharField(max_length=120, help_text="The location's name on Shopify, to recognise it here.")
    locations = models.ManyToManyField(
        "inventory.Location", related_name="channel_location_maps",
        help_text="The OMS locations whose stock this Shopify location shows; only locations the channel's stock rule sells from.",
    )
    is_active = models.BooleanField("active", default=True, help_text="Off: nothing is published at this location.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "name"]
        verbose_name = "channel location map"
        constraints = [
            models.UniqueConstraint(fields=["channel", "platform_location_id"], name="channel_location_map_unique",
                                    violation_error_message="This Shopify location is already mapped for the channel."),
        ]

    def __str__(self):
        return f"{self.name} ({self.channel.code})"

    def clean(self):
        super().clean()
        self.platform_location_id = shopify_location_gid(self.platform_location_id)  # one spelling, so the unique check sees it
        if self.channel_id and self.channel.adapter != Channel.Adapter.SHOPIFY:
            raise ValidationError({"channel": "Only a Shopify channel has locations to map; a WooCommerce shop takes one figure per product."})

    def save(self, *args, **kwargs):
        self.platform_location_id = shopify_location_gid(self.platform_location_id)
        super().save(*args, **kwargs)


class ChannelListing(models.Model):
    """One product as a channel's platform lists it at one platform location: where it is there,
    and the stock figure the OMS last published. ``platform_location_id`` is a mapped Shopify
    location's gid (:class:`ChannelLocationMap`), or empty for the one figure of a channel without
    maps (Shopify: at the connection's location; WooCommerce has no locations). ``dirty`` says the
    figure may be stale; ``marks`` counts the notes that made it so, and a push clears ``dirty``
    only if no note came while it was under way."""

    class Status(models.TextChoices):
        NEW = "new", "Not looked up yet"
        IN_SYNC = "in_sync", "In sync"
        FAILING = "failing", "Failing"
        UNKNOWN_SKU = "unknown_sku", "Not on the platform"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="listings")
    product = models.ForeignKey("inventory.Product", on_delete=models.CASCADE, related_name="channel_listings")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    platform_item_id = models.CharField(
        max_length=120, blank=True, help_text="Shopify inventory item id; WooCommerce product id.",
    )
    platform_variant_id = models.CharField(max_length=120, blank=True, help_text="WooCommerce variation id.")
    platform_location_id = models.CharField(
        max_length=120, blank=True, help_text="The mapped Shopify location's gid; empty: the connection's own location (or no locations).",
    )
    last_pushed_quantity = models.IntegerField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    dirty = models.BooleanField(default=True)
    dirty_since = models.DateTimeField(null=True, blank=True)
    marks = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "product"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "product", "platform_location_id"], name="channel_listing_location_unique"),
        ]
        indexes = [models.Index(fields=["channel", "dirty", "next_attempt_at"], name="channel_listing_due_idx")]

    def __str__(self):
        return f"{self.product} on {self.channel}"


class ChannelStockSyncRun(models.Model):
    """A full resync of one channel's stock figures: what the platform showed, what was corrected."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="stock_sync_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    skus_checked = models.PositiveIntegerField(default=0)
    drifted = models.PositiveIntegerField(default=0, help_text="SKUs whose platform figure differed from the OMS's.")
    pushed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0, help_text="SKUs the platform does not know.")
    drift_sample = models.JSONField(default=list, blank=True, help_text="Up to 50 SKUs: platform figure, OMS figure (and location).")
    by_location = models.JSONField(
        default=dict, blank=True, help_text="Per platform location: its name, SKUs checked, drifted and corrected.",
    )
    message = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Stock resync of {self.channel} at {self.started_at:%Y-%m-%d %H:%M}"


class StockSyncState(models.Model):
    """Bookkeeping of the stock sync: ``sweep`` holds the ledger cursor; ``channel:<code>`` the
    lease that lets one runner at a time push a channel."""

    key = models.CharField(max_length=60, unique=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    movement_cursor = models.BigIntegerField(default=0)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.key


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ON_HOLD = "on_hold", "On hold"
    BACKORDERED = "backordered", "Backordered"
    ALLOCATED = "allocated", "Allocated"
    IN_FULFILLMENT = "in_fulfillment", "In fulfillment"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AUTHORIZED = "authorized", "Authorized"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    VOIDED = "voided", "Voided"


class HoldReason(models.TextChoices):
    PAYMENT = "payment", "Payment not authorised"
    FRAUD_RISK = "fraud_risk", "Fraud risk"
    ADDRESS = "address", "Address incomplete or implausible"
    CREDIT_LIMIT = "credit_limit", "Credit limit exceeded"
    STOCK = "stock", "Unknown or inactive SKU"
    QUANTITY_PRICE = "quantity_price", "Quantity or price out of bounds"
    MANUAL = "manual", "Manual"


# The statuses in which an order still holds, or waits for, stock and may be cancelled.
CANCELLABLE = [
    OrderStatus.PENDING,
    OrderStatus.ON_HOLD,
    OrderStatus.BACKORDERED,
    OrderStatus.ALLOCATED,
    OrderStatus.IN_FULFILLMENT,
]
HOLDABLE = [OrderStatus.PENDING, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED]


@deconstructible(path="orders.models.OrderNumberDefault")
class OrderNumberDefault(Func):
    """The order number as a column default.

    On PostgreSQL it is drawn from a sequence inside the INSERT and returned with it, so intake
    spends no extra query on it and concurrent orders never contend for a counter row. Other
    databases (the SQLite demo) store NULL and the service sets the number from the id.
    """

    output_field = models.CharField()

    def __init__(self):
        super().__init__()

    def as_sql(self, compiler, connection, **extra):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra):
        return "('SO-' || lpad(nextval('orders_order_number_seq')::text, 7, '0'))", []


def order_number_for(pk: int) -> str:
    return f"SO-{pk:07d}"


class Order(FSMModelMixin, models.Model):
    """A customer's order. Its ``status`` moves only through the transitions below, which the
    services in ``orders.services`` call; the field is protected against direct assignment."""

    number = models.CharField(max_length=20, null=True, blank=True, db_default=OrderNumberDefault())
    # Indexed by the (channel, external_id) unique constraint, which starts with it.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="orders", db_index=False)
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    email = models.EmailField(blank=True)
    status = FSMField(default=OrderStatus.PENDING, choices=OrderStatus.choices, protected=True)
    payment_status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    shipping_price = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    discount_total = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    tax_total = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    grand_total = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    shipping_address = models.JSONField(default=dict, help_text="Snapshot taken at intake.")
    billing_address = models.JSONField(default=dict, blank=True)
    ship_country = models.CharField(max_length=2, blank=True)
    destination_latitude = models.FloatField(null=True, blank=True)
    destination_longitude = models.FloatField(null=True, blank=True)
    placed_at = models.DateTimeField(default=timezone.now, help_text="When the customer ordered.")
    promised_ship_date = models.DateField(null=True, blank=True)
    promised_delivery_date = models.DateField(
        null=True, blank=True, help_text="The day the customer was promised delivery by: from the order, else the channel's delivery days."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Goes up by one with every change to the order (its status, lines, holds, addresses, notes):
    # the API's ETag, and what If-Match is compared with.
    version = models.PositiveIntegerField(default=1)
    note = models.TextField(blank=True, help_text="Instructions for the people handling the order.")
    # The buyer's own number for the order (B2B): printed on invoices' references, required for
    # customers whose account says so (``customers.models.po_reference_required_for``).
    po_reference = models.CharField("purchase-order reference", max_length=64, blank=True)
    # Where the stock comes from and why: the routing decisions (orders.routing), newest last.
    routing = models.JSONField(default=dict, blank=True, help_text="Routing decisions: candidates, score terms, winner and reason.")
    # The sales platform's own fraud verdict when it sent one (Shopify order risk): low, medium or high.
    platform_risk = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-id"]
        # Declared here rather than with db_index/unique on the fields: those also build a
        # LIKE-pattern index per text column on PostgreSQL, which no query here uses and every
        # intake would pay for.
        indexes = [
            models.Index(fields=["status"], name="order_status_idx"),
            models.Index(fields=["ship_country"], name="order_ship_country_idx"),
            # Reports roll orders up by the day they were placed (reports.rollups).
            models.Index(fields=["placed_at"], name="order_placed_at_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="order_number_unique"),
            models.UniqueConstraint(fields=["channel", "external_id"], name="order_channel_external_id_unique"),
            models.CheckConstraint(condition=Q(grand_total__gte=0), name="order_total_not_negative"),
        ]
        permissions = [
            ("transition_order", "Can move orders through their lifecycle"),
            ("cancel_order", "Can cancel orders"),
            ("release_hold", "Can place and release order holds"),
            ("release_credit_hold", "Can release credit-limit holds"),
            ("create_phone_order", "Can take phone orders"),
        ]

    def __str__(self):
        return self.number or f"Order #{self.pk}"

    # --- transitions: guards and field changes only; services do the rest ---

    @transition(field=status, source=[OrderStatus.PENDING, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED, OrderStatus.ON_HOLD], target=OrderStatus.ON_HOLD)
    def hold(self):
        pass

    @transition(field=status, source=OrderStatus.ON_HOLD, target=OrderStatus.PENDING)
    def release(self):
        pass

    @transition(field=status, source=[OrderStatus.PENDING, OrderStatus.BACKORDERED], target=OrderStatus.BACKORDERED)
    def backorder(self):
        pass

    @transition(field=status, source=[OrderStatus.PENDING, OrderStatus.BACKORDERED], target=OrderStatus.ALLOCATED)
    def allocate(self):
        pass

    @transition(field=status, source=OrderStatus.ALLOCATED, target=OrderStatus.IN_FULFILLMENT)
    def start_fulfillment(self):
        pass

    @transition(field=status, source=[OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED], target=OrderStatus.PARTIALLY_SHIPPED)
    def ship_partially(self):
        pass

    @transition(field=status, source=[OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED], target=OrderStatus.SHIPPED)
    def ship(self):
        pass

    @transition(field=status, source=OrderStatus.SHIPPED, target=OrderStatus.DELIVERED)
    def deliver(self):
        pass

    @transition(field=status, source=OrderStatus.DELIVERED, target=OrderStatus.COMPLETED)
    def complete(self):
        pass

    @transition(field=status, source=CANCELLABLE, target=OrderStatus.CANCELLED)
    def cancel(self):
        pass


class HeldOrder(Order):
    """Orders waiting for a person: the admin's hold queue works through them, oldest first."""

    class Meta:
        proxy = True
        verbose_name = "held order"
        verbose_name_plural = "hold queue"


class OrderLine(models.Model):
    # Indexed by the (order, line_number) unique constraint.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_number = models.PositiveSmallIntegerField()
    sku = models.CharField("SKU", max_length=64, help_text="As the channel sent it.")
    product = models.ForeignKey("inventory.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines")
    name = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    discount = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    tax = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    line_total = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    quantity_reserved = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)
    # The platform's own id of the line (Shopify line item id, WooCommerce line item id): what a
    # fulfillment passed back to the channel names the line by.
    external_line_id = models.CharField(max_length=64, blank=True, default="")
    # The contract price list and quantity break that priced the line (B2B), or that the given
    # price matched; empty for lines priced by the channel alone.
    price_list = models.ForeignKey("customers.PriceList", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    price_break = models.PositiveIntegerField(null=True, blank=True, help_text="The list's quantity break the price came from.")

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="order_line_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity_reserved__lte=F("quantity") - F("quantity_shipped")), name="order_line_reserved_within_open"
            ),
            models.CheckConstraint(condition=Q(quantity_shipped__lte=F("quantity")), name="order_line_shipped_within_ordered"),
            models.CheckConstraint(condition=Q(quantity_returned__lte=F("quantity_shipped")), name="order_line_returned_within_shipped"),
        ]

    def __str__(self):
        return f"{self.sku} × {self.quantity}"

    @property
    def quantity_open(self) -> int:
        """Ordered, not shipped, not yet reserved: what still waits for stock."""
        return self.quantity - self.quantity_shipped - self.quantity_reserved


class Allocation(models.Model):
    """Stock of one order line held at one location."""

    # Indexed by the (line, location) unique constraint.
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations", db_index=False)
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "location"], name="allocation_line_location_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} @ {self.location_id}"


class OrderHold(HoldRecord):
    """Why an order waits for a person. The order is on hold while any hold is unreleased."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(max_length=20, choices=HoldReason.choices, db_index=True)

    class Meta(HoldRecord.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["order", "reason"], condition=Q(released_at__isnull=True), name="one_open_hold_per_reason"
            )
        ]


class OrderEvent(models.Model):
    """The audit trail: every change to an order, who made it and when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        HOLD_PLACED = "hold_placed", "Hold placed"
        HOLD_RELEASED = "hold_released", "Hold released"
        RESERVED = "reserved", "Stock reserved"
        RELEASED = "released", "Reservation released"
        PAYMENT = "payment", "Payment status changed"
        LINE = "line", "Line changed"
        NOTE = "note", "Note"
        SCREENED = "screened", "Screened"
        INVOICED = "invoiced", "Invoiced"
        CREDITED = "credited", "Credit note"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.message}"


class RoutingStrategy(models.Model):
    """How the routing engine weighs its candidates for one channel (no channel: the default).

    Each weight multiplies one term of a candidate's score; the lowest score wins. Changes apply
    to orders routed after them (processes re-read strategies within seconds).
    """

    class Shortage(models.TextChoices):
        BACKORDER = "backorder", "Backorder: reserve what there is, wait for the rest"
        HOLD = "hold", "Hold: reserve nothing, a person decides"

    name = models.CharField(max_length=120)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_strategies",
        help_text="Empty: the default for every channel without its own strategy.",
    )
    cost_weight = models.FloatField(default=1.0, validators=[MinValueValidator(0)], help_text="Per unit of estimated shipping cost.")
    distance_weight = models.FloatField(
        default=0.01, validators=[MinValueValidator(0)], help_text="Per km between location and destination (averaged over the units)."
    )
    split_weight = models.FloatField(default=1000.0, validators=[MinValueValidator(0)], help_text="Per shipment beyond the first.")
    priority_weight = models.FloatField(default=0.0, validators=[MinValueValidator(0)], help_text="Per point of location priority (lower priority numbers win).")
    store_weight = models.FloatField(default=0.0, validators=[MinValueValidator(0)], help_text="Per shipment from a store rather than a warehouse.")
    capacity_weight = models.FloatField(
        default=1000.0, validators=[MinValueValidator(0)], help_text="Per shipment from a location that has reached its daily order capacity."
    )
    allowed_locations = models.ManyToManyField(
        "inventory.Location", blank=True, related_name="routing_strategies",
        help_text="Locations this channel may ship from. Empty: every active location that ships.",
    )
    may_split = models.BooleanField(default=True, help_text="May an order ship from several locations?")
    on_shortage = models.CharField(
        max_length=12, choices=Shortage.choices, default=Shortage.BACKORDER,
        help_text="When the stock cannot cover the order (in one shipment, if splitting is not allowed).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [F("channel").asc(nulls_first=True), "name"]
        verbose_name_plural = "routing strategies"
        constraints = [
            # One strategy per channel, and one default (channel left empty).
            models.UniqueConstraint(
                Coalesce("channel", Value(0)), name="routing_strategy_one_per_channel",
                violation_error_message="There is already a strategy for this channel (or, with no channel, a default one): edit that one.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.channel.code if self.channel_id else 'default'})"


class ScreeningRule(models.Model):
    """One check intake runs on every new order (of its channel, or of every channel). When the
    scores of the rules that fire add up to the hold threshold, the order is held for fraud risk.

    Rules are data: the console changes them, and processes pick up a change within
    ``OMS_SCREENING_CACHE_SECONDS``. Each kind reads only the parameters it names.
    """

    class Kind(models.TextChoices):
        PLATFORM_RISK = "platform_risk", "Platform's risk verdict at or above a level"
        COUNTRY_MISMATCH = "country_mismatch", "Billing and shipping countries differ"
        FIRST_ORDER_VALUE = "first_order_value", "Customer's first order above a value"
        ORDER_VELOCITY = "order_velocity", "Many orders from one customer within a window"
        ADDRESS_VELOCITY = "address_velocity", "Many shipping addresses from one customer within a window"
        BLOCKED_CONTACT = "blocked_contact", "E-mail or phone on the block list"
        QUANTITY_SPIKE = "quantity_spike", "Line quantity far above the SKU's usual per order"

    # Which parameters each kind needs (the form refuses a rule without them).
    NEEDS = {
        Kind.PLATFORM_RISK: ("risk_level",),
        Kind.FIRST_ORDER_VALUE: ("amount",),
        Kind.ORDER_VELOCITY: ("count", "window_hours"),
        Kind.ADDRESS_VELOCITY: ("count", "window_hours"),
        Kind.QUANTITY_SPIKE: ("factor", "window_hours"),
    }

    class RiskLevel(models.TextChoices):
        MEDIUM = "medium", "Medium or high"
        HIGH = "high", "High"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="screening_rules",
        help_text="Empty: the rule screens orders of every channel.",
    )
    score = models.PositiveIntegerField(default=50, help_text="Added to the order's risk score when the rule fires.")
    is_active = models.BooleanField(default=True)
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True, help_text="Platform risk: the lowest verdict that fires.")
    amount = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="First order: fires above this grand total (in the order's currency).",
    )
    count = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Velocity: fires when the customer reaches more than this many orders (or addresses) in the window, this order included.",
    )
    window_hours = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(24 * 366)],
        help_text="Velocity: the window looked back over. Quantity spike: the history the usual quantity comes from.",
    )
    factor = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Quantity spike: fires when a line's quantity exceeds this many times the SKU's usual per-order quantity.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        missing = {name: "Required for this kind of rule." for name in self.NEEDS.get(self.kind, ()) if getattr(self, name) in (None, "")}
        if missing:
            raise ValidationError(missing)


class ScreeningThreshold(models.Model):
    """The risk score at which screening holds an order, per channel (no channel: every other one).
    Without any row the ``OMS_SCREENING_HOLD_SCORE`` setting applies."""

    channel = models.OneToOneField(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="screening_threshold",
        help_text="Empty: the threshold of every channel without its own.",
    )
    hold_score = models.PositiveIntegerField(validators=[MinValueValidator(1)], help_text="Orders scoring this much or more are held for fraud risk.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Coalesce("channel", Value(0)), name="screening_threshold_one_per_channel",
                violation_error_message="There is already a threshold for this channel (or, with no channel, a default one): edit that one.",
            ),
        ]

    def __str__(self):
        return f"Hold at {self.hold_score} ({self.channel.code if self.channel_id else 'default'})"


class ScreeningBlock(models.Model):
    """An e-mail address or phone number whose orders screening flags (block list rules)."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="E-mail (any case) or phone in E.164, e.g. +14155550123.")
    note = models.CharField(max_length=200, blank=True, help_text="Why it is blocked.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="screening_block_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"

    def clean(self):
        self.value = (self.value or "").strip()
        if self.kind == self.Kind.EMAIL:
            self.value = self.value.lower()
        elif self.kind == self.Kind.PHONE and not re.fullmatch(r"\+[1-9]\d{6,14}", self.value):
            raise ValidationError({"value": "Give the phone in E.164: + and country code, digits only, e.g. +14155550123."})


class ChannelFulfillmentSync(models.Model):
    """One thing the OMS passes on to a channel's platform about an order: a parcel shipped (with
    exactly its lines), a parcel delivered, the order cancelled. One row per (order, fulfillment
    order, action), so a redelivered event or a retried task never sends the same thing twice."""

    class Action(models.TextChoices):
        SHIP = "ship", "Shipment"
        DELIVER = "deliver", "Delivery"
        CANCEL = "cancel", "Cancellation"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Failed, will retry"
        REFUSED = "refused", "Refused by the platform"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="fulfillment_syncs")
    # Indexed by the (order, fulfillment_ref, action) unique constraint.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="channel_syncs", db_index=False)
    fulfillment_ref = models.CharField(
        "fulfillment order", max_length=40, blank=True, help_text="The fulfillment order's number; blank for the whole order (cancellation).",
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    payload = models.JSONField(default=dict, blank=True, help_text="What is passed on: carrier, tracking number and URL, lines and quantities.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When the sweep sends it (again).")
    platform_id = models.CharField(max_length=255, blank=True, help_text="What the platform calls the result (Shopify fulfillment id, Woo note id).")
    last_error = models.CharField(max_length=1000, blank=True, help_text="The platform's reason, as it gave it.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "channel fulfillment sync"
        constraints = [
            models.UniqueConstraint(fields=["order", "fulfillment_ref", "action"], name="channel_fulfillment_sync_unique"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="channel_sync_due_idx", condition=Q(status__in=["pending", "retrying"])),
        ]
        permissions = [("retry_channelfulfillmentsync", "Can send refused channel fulfillment syncs again")]

    def __str__(self):
        return f"{self.get_action_display()} of {self.fulfillment_ref or 'the order'} to {self.channel_id}"


class PlatformCancellation(models.Model):
    """A channel cancelled an order the OMS had already shipped (part of). Not applied: a person
    decides (refund, return, tell the customer) and marks it handled."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="platform_cancellations")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=255, blank=True)
    order_status = models.CharField("order status then", max_length=20, choices=OrderStatus.choices)
    received_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.CharField(max_length=120, blank=True)
    resolution = models.CharField(max_length=500, blank=True, help_text="What was decided.")

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = "cancellation on the platform after shipping"
        verbose_name_plural = "cancelled on the platform after shipping"
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(handled_at__isnull=True), name="one_open_platform_cancellation_per_order"),
        ]
        permissions = [("handle_platformcancellation", "Can mark cancellations on the platform after shipping handled")]

    def __str__(self):
        return f"{self.order} cancelled on {self.channel_id} after shipping"
class ChannelReconciliation(models.Model):
    """One catch-up run of a channel: the platform's orders changed in a window, compared with the
    OMS's, and what the run did about each (see ``orders.services.channel_reconcile``)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    class Outcome(models.TextChoices):
        INGESTED = "ingested", "Taken in"
        UPDATED = "updated", "Brought up to date"
        PRESENT = "present", "Already here"
        FAILED = "failed", "Failed"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="reconciliations")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_by = models.CharField(max_length=120, blank=True, help_text="Who started the run: a user, or the schedule.")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_from = models.DateTimeField(help_text="Orders changed on the platform from this time on were listed.")
    window_to = models.DateTimeField(help_text="When the listing started; the next run starts from here, less the overlap.")
    listed = models.PositiveIntegerField(default=0, help_text="Orders the platform listed as changed in the window.")
    already_present = models.PositiveIntegerField("already here", default=0)
    ingested = models.PositiveIntegerField("taken in", default=0, help_text="Orders the OMS lacked, now recorded.")
    updated = models.PositiveIntegerField("brought up to date", default=0, help_text="Changes the OMS had missed (a cancellation, a payment).")
    failed = models.PositiveIntegerField(default=0, help_text="Orders that could not be taken in; the report says why.")
    # [{"external_id", "name", "outcome" (Outcome), "order" (number or ""), "detail"}] for every order
    # that was not simply already here.
    lines = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True, help_text="Why the run failed, when it did.")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "missed-orders catch-up"
        verbose_name_plural = "missed-orders catch-ups"
        indexes = [models.Index(fields=["channel", "status", "-window_to"], name="reconciliation_last_good")]
        constraints = [
            # The lock: one running catch-up per channel (an abandoned one is closed before a new start).
            models.UniqueConstraint(fields=["channel"], condition=Q(status="running"), name="reconciliation_one_running_per_channel"),
        ]

    def __str__(self):
        return f"Catch-up of {self.channel.code} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        if self.status == self.Status.RUNNING:
            return "running"
        counts = (f"{self.listed} listed, {self.already_present} already here, {self.ingested} taken in, "
                  f"{self.updated} brought up to date, {self.failed} failed")
        return counts if self.status == self.Status.OK else f"failed: {self.error} ({counts} before that)"


from .models_invoices import (  # noqa: E402,F401  (models of this app)
    CreditNote, CreditNoteLine, CreditNoteNumberCounter, Invoice, InvoiceLine, InvoiceNumberCounter, InvoicePayment, InvoiceStatus,
    invoice_open_balance_expression,
)


class ReplanRun(models.Model):
    """One pass of rolling re-planning (``orders.services.replanning``): the window it looked at,
    what it moved and what that saved, in the routing engine's score."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_by = models.CharField(max_length=120, blank=True, help_text="Who ran it: a user, the schedule or the command.")
    channel_codes = models.CharField("channels", max_length=500, blank=True, help_text="The channels re-planned (re-planning on).")
    threshold = models.FloatField(help_text="A move had to save more than this per order it moves.")
    orders_in_window = models.PositiveIntegerField(default=0)
    orders_moved = models.PositiveIntegerField(default=0)
    orders_skipped = models.PositiveIntegerField(default=0, help_text="Orders that changed (held, sent to the floor) before they were locked.")
    saving = models.FloatField("saving", default=0.0, help_text="Routing score saved by the moves, summed.")
    method = models.CharField("solver", max_length=16, blank=True, help_text="exact (HiGHS) or heuristic.")
    fallback_reason = models.CharField(max_length=200, blank=True, help_text="Why the heuristic decided, when it did.")
    seconds = models.FloatField("duration (s)", default=0.0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "re-planning run"

    def __str__(self):
        return f"Re-planning #{self.pk}: {self.orders_moved} of {self.orders_in_window} moved"
