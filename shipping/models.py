"""Carriers and their rate cards: services, zones, rate tables with weight bands, surcharges;
shipments with their parcels and tracking events.

The quoting engine (``shipping.rating``) never reads these rows on its hot path: it works on a
snapshot (:class:`shipping.rating.RateCard`) loaded once by ``shipping.selectors.rate_card``.
Every model here carries ``updated_at``, which is how the snapshot knows it is out of date.
"""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from oms.money import DECIMAL_PLACES, MAX_DIGITS, validate_currency

COUNTRY = RegexValidator(r"^[A-Z]{2}$", "An ISO 3166 alpha-2 country code in capitals, e.g. US or DE.")
POSTAL = RegexValidator(r"^[A-Z0-9]*$", "Capital letters and digits only, no spaces or dashes (e.g. 10001, SW1A).")
WEEKDAYS = RegexValidator(r"^[1-7]{1,7}$", "ISO weekday numbers, 1 = Monday ... 7 = Sunday, e.g. 12345.")
S10_LETTERS = RegexValidator(r"^[A-Z]{2}$", "Two capital letters, e.g. CP (parcel post) or EE (EMS).")


def money_field(**kwargs):
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def weight_field(**kwargs):
    return models.DecimalField(max_digits=9, decimal_places=3, **kwargs)


def percent_field(**kwargs):
    return models.DecimalField(max_digits=6, decimal_places=3, default=0, **kwargs)


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. America/Chicago, Europe/Berlin).") from None


def validate_holidays(value) -> None:
    if not isinstance(value, list):
        raise ValidationError('A list of dates, e.g. ["2026-12-25", "2027-01-01"].')
    for item in value:
        try:
            datetime.date.fromisoformat(str(item))
        except ValueError:
            raise ValidationError(f"{item!r} is not a date written YYYY-MM-DD.") from None


class Carrier(models.Model):
    """A carrier and the rules every one of its services shares."""

    class Adapter(models.TextChoices):
        TABLE_RATE = "table_rate", "Built-in table rates (offline)"
        DHL_EXPRESS = "dhl_express", "DHL Express (MyDHL API)"
        # The merchant's own carrier account: shipments booked outside the OMS and recorded by
        # hand (``shipment_manual_create``); never quoted, booked, voided at or polled.
        MANUAL = "manual", "Own carrier (booked outside the OMS)"

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    adapter = models.CharField(max_length=30, choices=Adapter.choices, default=Adapter.TABLE_RATE)
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    active = models.BooleanField(default=True)
    # Weight: billable = max(actual, L×W×H / divisor), rounded up to the next step.
    dim_divisor = models.PositiveIntegerField(default=5000, help_text="cm³ per kg of dimensional weight (5000 is common, 6000 for some services).")
    weight_step_kg = weight_field(default=0.5, help_text="Billable weight is rounded up to a multiple of this (e.g. 0.5 or 1 kg).")
    fuel_surcharge_percent = percent_field(help_text="Applied to the base rate plus the other surcharges.")
    # Dates: parcels handed over after the cut-off leave on the next working day.
    time_zone = models.CharField(max_length=60, default="UTC", validators=[validate_time_zone])
    cutoff_time = models.TimeField(default=datetime.time(16, 0))
    working_days = models.CharField(max_length=7, default="12345", validators=[WEEKDAYS], help_text="ISO weekdays the carrier collects and delivers, 1 = Monday.")
    holidays = models.JSONField(default=list, blank=True, validators=[validate_holidays], help_text='Days without collection or delivery, e.g. ["2026-12-25"].')
    # UPU S10 tracking numbers (built-in carrier): letters + 8-digit serial + check digit + country.
    s10_service_indicator = models.CharField(max_length=2, blank=True, validators=[S10_LETTERS])
    s10_country = models.CharField(max_length=2, blank=True, validators=[COUNTRY])
    s10_serial_first = models.PositiveIntegerField(default=1)
    s10_serial_last = models.PositiveIntegerField(default=99_999_999)
    # Signs the tracking events the carrier posts to /api/v1/carriers/<code>/tracking/.
    tracking_secret = models.CharField(
        max_length=255, blank=True, help_text="Shared secret the carrier signs its tracking events with (HMAC-SHA256); blank refuses them."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(dim_divisor__gt=0), name="carrier_dim_divisor_positive"),
            models.CheckConstraint(condition=Q(weight_step_kg__gt=0), name="carrier_weight_step_positive"),
            models.CheckConstraint(condition=Q(fuel_surcharge_percent__gte=0), name="carrier_fuel_not_negative"),
            models.CheckConstraint(
                condition=Q(s10_serial_first__lte=F("s10_serial_last")) & Q(s10_serial_last__lte=99_999_999),
                name="carrier_s10_range_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if bool(self.s10_service_indicator) != bool(self.s10_country):
            raise ValidationError({"s10_country": "Tracking numbers need both the service indicator letters and the country."})


class DeliveryKind(models.TextChoices):
    """Where a service leaves the parcel. Rate shopping gives an address a pickup-point service
    only when the address names the pickup point the customer chose (``pickup_point``), and such an
    address only pickup-point services."""

    HOME = "home", "To the address (door delivery)"
    PICKUP_POINT = "pickup_point", "To a pickup point or locker the recipient collects from"


class ServiceLevel(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="services")
    code = models.SlugField(max_length=30, help_text="e.g. ground, express, overnight, pickup_point")
    name = models.CharField(max_length=100)
    delivery_kind = models.CharField(
        max_length=20, choices=DeliveryKind.choices, default=DeliveryKind.HOME,
        help_text="Pickup point services are chosen only for addresses that name the pickup point the customer chose.",
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["carrier__code", "code"]
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="service_code_unique_per_carrier")]

    def __str__(self):
        return f"{self.carrier.code}:{self.code}"


class Zone(models.Model):
    """Where a parcel goes, as the carrier prices it. Which zone applies is decided by its rules
    (:class:`ZoneRule`): the most specific rule that matches wins."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="zones")
    code = models.SlugField(max_length=30)
    name = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["carrier__code", "code"]
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="zone_code_unique_per_carrier")]

    def __str__(self):
        return f"{self.carrier.code}:{self.code}"


class ZoneRule(models.Model):
    """One lane into a zone: from an origin country (blank: anywhere), optionally only from
    origin postal codes ``origin_postal_from``–``origin_postal_to``, to a destination country,
    optionally only for destination postal codes ``postal_from``–``postal_to``.

    Postal codes are compared on their first ``len(postal_from)`` characters, so ``100``–``149``
    covers every code starting 100 to 149. Precedence: a destination postal range beats a whole
    country, a narrower range beats a wider one; then likewise for the origin (an origin postal
    range, a named origin country, any origin); the oldest rule breaks ties.
    """

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="rules")
    origin_country = models.CharField(max_length=2, blank=True, validators=[COUNTRY], help_text="Blank: from any country.")
    origin_postal_from = models.CharField(
        max_length=10, blank=True, validators=[POSTAL], help_text="Blank: from anywhere in the origin country (needs an origin country)."
    )
    origin_postal_to = models.CharField(max_length=10, blank=True, validators=[POSTAL])
    destination_country = models.CharField(max_length=2, validators=[COUNTRY])
    postal_from = models.CharField(max_length=10, blank=True, validators=[POSTAL])
    postal_to = models.CharField(max_length=10, blank=True, validators=[POSTAL])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["zone", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(postal_from="") & Q(postal_to="")) | (~Q(postal_from="") & Q(postal_from__lte=F("postal_to"))),
                name="zone_rule_postal_range_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(origin_postal_from="") & Q(origin_postal_to=""))
                | (~Q(origin_postal_from="") & ~Q(origin_country="") & Q(origin_postal_from__lte=F("origin_postal_to"))),
                name="zone_rule_origin_postal_range_ordered",
            ),
        ]

    def __str__(self):
        origin_postal = f" {self.origin_postal_from}–{self.origin_postal_to}" if self.origin_postal_from else ""
        postal = f" {self.postal_from}–{self.postal_to}" if self.postal_from else ""
        return f"{self.origin_country or 'any'}{origin_postal} → {self.destination_country}{postal}"

    def clean(self):
        _clean_postal_range(self.postal_from, self.postal_to)
        _clean_postal_range(self.origin_postal_from, self.origin_postal_to, field="origin_postal_to")
        if self.origin_postal_from and not self.origin_country:
            raise ValidationError({"origin_country": "An origin postal range needs the origin country it belongs to."})


def _clean_postal_range(postal_from: str, postal_to: str, field: str = "postal_to") -> None:
    if bool(postal_from) != bool(postal_to):
        raise ValidationError({field: "Give both ends of the postal code range, or neither."})
    if postal_from and len(postal_from) != len(postal_to):
        raise ValidationError({field: "Both ends of the range need the same number of characters (e.g. 100 to 149)."})
    if postal_from and postal_from > postal_to:
        raise ValidationError({field: "The range ends before it starts."})


class RateTable(models.Model):
    """The price list of one service into one zone, and how long it takes there.

    A parcel's billable weight is priced by the first band whose ``up_to_kg`` it does not exceed
    (bands include their upper edge). Above the last band: ``per_kg_above_last`` for every
    started kilogram beyond it, up to ``max_weight_kg``; without it, no service."""

    service = models.ForeignKey(ServiceLevel, on_delete=models.CASCADE, related_name="rate_tables")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="rate_tables")
    transit_days = models.PositiveSmallIntegerField(help_text="Working days from collection to delivery.")
    per_kg_above_last = money_field(null=True, blank=True, help_text="Price per started kg above the last band; blank: no service above it.")
    max_weight_kg = weight_field(null=True, blank=True, help_text="No service above this billable weight (blank: no limit).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service", "zone"]
        constraints = [
            models.UniqueConstraint(fields=["service", "zone"], name="rate_table_unique_per_service_zone"),
            models.CheckConstraint(condition=Q(per_kg_above_last__isnull=True) | Q(per_kg_above_last__gte=0), name="rate_table_per_kg_not_negative"),
            models.CheckConstraint(condition=Q(max_weight_kg__isnull=True) | Q(max_weight_kg__gt=0), name="rate_table_max_weight_positive"),
        ]

    def __str__(self):
        return f"{self.service} → {self.zone.code}"

    def clean(self):
        if self.service_id and self.zone_id and self.service.carrier_id != self.zone.carrier_id:
            raise ValidationError({"zone": "The zone belongs to another carrier than the service."})


class RateBand(models.Model):
    table = models.ForeignKey(RateTable, on_delete=models.CASCADE, related_name="bands")
    up_to_kg = weight_field()
    price = money_field()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["table", "up_to_kg"]
        constraints = [
            models.UniqueConstraint(fields=["table", "up_to_kg"], name="rate_band_weight_unique_per_table"),
            models.CheckConstraint(condition=Q(up_to_kg__gt=0), name="rate_band_weight_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="rate_band_price_not_negative"),
        ]

    def __str__(self):
        return f"≤ {self.up_to_kg} kg: {self.price}"


class Surcharge(models.Model):
    """An extra charge per parcel: ``amount`` plus ``percent`` of the base rate (of the declared
    value for ``declared_value``). Limited to one service, or for every service when blank.

    Each kind applies at most once per parcel; when several rows of a kind match, the largest
    charge applies. Fuel is not a row here: it is the carrier's percentage, applied last."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", "Residential delivery"
        REMOTE_AREA = "remote_area", "Remote area (destination postal codes)"
        OVERSIZE = "oversize", "Oversize (longest side or length + girth)"
        DECLARED_VALUE = "declared_value", "Declared value cover"

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="surcharges")
    service = models.ForeignKey(ServiceLevel, on_delete=models.CASCADE, null=True, blank=True, related_name="surcharges", help_text="Blank: every service.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = money_field(default=0)
    percent = percent_field()
    # remote_area: destination postal codes (compared like zone rules).
    country = models.CharField(max_length=2, blank=True, validators=[COUNTRY])
    postal_from = models.CharField(max_length=10, blank=True, validators=[POSTAL])
    postal_to = models.CharField(max_length=10, blank=True, validators=[POSTAL])
    # oversize: when the longest side, or length + girth (L + 2W + 2H), is over the threshold.
    longest_side_over_cm = models.PositiveIntegerField(null=True, blank=True)
    length_girth_over_cm = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["carrier", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(percent__gte=0), name="surcharge_not_negative"),
            models.CheckConstraint(condition=Q(amount__gt=0) | Q(percent__gt=0), name="surcharge_charges_something"),
            models.CheckConstraint(
                condition=~Q(kind="remote_area") | (~Q(country="") & ~Q(postal_from="") & Q(postal_from__lte=F("postal_to"))),
                name="surcharge_remote_area_has_postal_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="oversize") | Q(longest_side_over_cm__isnull=False) | Q(length_girth_over_cm__isnull=False),
                name="surcharge_oversize_has_threshold",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.carrier.code})"

    def clean(self):
        if self.kind == self.Kind.REMOTE_AREA:
            if not self.country or not self.postal_from:
                raise ValidationError({"postal_from": "A remote area surcharge needs a country and a postal code range."})
            _clean_postal_range(self.postal_from, self.postal_to)
        if self.kind == self.Kind.OVERSIZE and self.longest_side_over_cm is None and self.length_girth_over_cm is None:
            raise ValidationError({"longest_side_over_cm": "An oversize surcharge needs a longest side or a length + girth threshold."})
        if self.service_id and self.carrier_id and self.service.carrier_id != self.carrier_id:
            raise ValidationError({"service": "The service belongs to another carrier."})
        if not self.amount and not self.percent:
            raise ValidationError({"amount": "Give an amount, a percentage, or both."})


class TrackingSerial(models.Model):
    """The next S10 serial of a carrier: a counter row of its own, advanced by one conditional
    ``UPDATE`` per tracking number, so concurrent shipments never share a number and saving the
    carrier in the admin can never rewind it."""

    carrier = models.OneToOneField(Carrier, on_delete=models.CASCADE, related_name="tracking_serial")
    next_serial = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(next_serial__lte=100_000_000), name="tracking_serial_within_eight_digits")]

    def __str__(self):
        return f"{self.carrier.code}: next {self.next_serial:08d}"


# ---------------------------------------------------------------------------- shipments


class ShipmentStatus(models.TextChoices):
    LABEL_CREATED = "label_created", "Label created"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    EXCEPTION = "exception", "Exception"
    RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"
    VOIDED = "voided", "Voided"


# The carrier no longer moves these; no scan changes them and they are never late.
FINAL_STATUSES = (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER, ShipmentStatus.VOIDED)
OPEN_STATUSES = tuple(status for status in ShipmentStatus if status not in FINAL_STATUSES)
# What needs a person: the "Exceptions and late" queue.
TROUBLE_STATUSES = (ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED_TO_SENDER)


class ShipmentDirection(models.TextChoices):
    """Which way the parcels travel. A return goes from the customer back to a returns location:
    same tracking lifecycle, but the customer hands it over (so it is on no end-of-day manifest)
    whenever they choose (so its quoted delivery date is no promise it can be late against)."""

    OUTBOUND = "outbound", "Outbound"
    RETURN = "return", "Return"


class Manifest(models.Model):
    """A carrier's end-of-day list: the shipments it collects on one day, closed once and printed
    (PDF) or sent (CSV). A shipment is on one manifest at most (``Shipment.manifest``)."""

    number = models.CharField(max_length=60, unique=True, help_text="CARRIER-YYYYMMDD-n: the n-th manifest of the carrier that day.")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="manifests")
    date = models.DateField(help_text="The collection date of its shipments.")
    closed_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_by_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["carrier", "date"], name="manifest_carrier_date_idx")]
        permissions = [("close_manifest", "Can close a carrier's manifest for a day")]

    def __str__(self):
        return self.number


class Shipment(FSMModelMixin, models.Model):
    """What one carrier carries under one tracking number: one or more parcels (multi-piece: each
    parcel has its own tracking number; the first parcel's is the shipment's).

    ``reference`` is the caller's id (e.g. a fulfillment order number): the shipping app knows
    nothing of orders. ``status`` is protected: it moves only through the transitions below,
    which ``shipping.services`` calls with the row locked. ``direction`` tells a return (customer
    back to a returns location, ``return_of`` the outbound shipment it returns) from an outbound one.
    """

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    service = models.ForeignKey(ServiceLevel, on_delete=models.PROTECT, related_name="shipments")
    tracking_number = models.CharField(max_length=40, unique=True)
    status = FSMField(default=ShipmentStatus.LABEL_CREATED, choices=ShipmentStatus.choices, protected=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True, help_text="The caller's id, e.g. a fulfillment order number.")
    origin = models.JSONField(help_text="Address as given: country, postal_code, residential and any lines, city, name.")
    destination = models.JSONField()
    declared_value = money_field(default=0, help_text="The value of the goods, in declared_currency; printed on the label.")
    declared_currency = models.CharField(
        max_length=3, blank=True, validators=[validate_currency], help_text="The declared value's currency (blank: the shipment's currency).",
    )
    declared_value_insured = models.BooleanField(
        default=False, help_text="The declared value is insured with the carrier (its declared-value cover is in the price).",
    )
    price = money_field(help_text="The carrier's quote when the shipment was created.")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    quote = models.JSONField(default=dict, blank=True, help_text="The quote's explanation: zone, weights, each charge and why.")
    collection_date = models.DateField()
    promised_delivery_date = models.DateField()
    # When the carrier's events say it happened (not when we heard of it).
    shipped_at = models.DateTimeField(null=True, blank=True, help_text="First scan.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_scan_at = models.DateTimeField(null=True, blank=True)
    # The time of the event that set the current status: an older event never moves it back.
    status_changed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)
    late_reason = models.CharField(max_length=255, blank=True)
    # Each reason is flagged once per shipment.
    late_promise_flagged_at = models.DateTimeField(null=True, blank=True)
    late_no_scan_flagged_at = models.DateTimeField(null=True, blank=True)
    # Filled by the label renderer (not by the carrier adapters of the shipping app).
    label_pdf = models.BinaryField(null=True, blank=True, editable=False)
    label_format = models.CharField(max_length=20, blank=True, help_text="e.g. pdf-4x6; manual: the carrier's own, not held by the OMS")
    tracking_url = models.URLField(max_length=500, blank=True, help_text="Where the parcel can be followed (given with a manual shipment).")
    created_by_label = models.CharField(max_length=120, blank=True)
    # Set once, by ``manifest_close``: a shipment is handed over on one manifest only.
    manifest = models.ForeignKey(Manifest, on_delete=models.PROTECT, null=True, blank=True, related_name="shipments")
    direction = models.CharField(max_length=10, choices=ShipmentDirection.choices, default=ShipmentDirection.OUTBOUND, db_index=True)
    return_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="returns",
        help_text="The outbound shipment this return sends back (blank for an outbound shipment, or a return of no shipment of ours).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "promised_delivery_date"], name="shipment_status_promised_idx"),
            models.Index(fields=["status", "last_scan_at"], name="shipment_status_scan_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0) & Q(declared_value__gte=0), name="shipment_amounts_not_negative"),
            models.CheckConstraint(condition=Q(return_of__isnull=True) | Q(direction="return"), name="shipment_only_returns_return_something"),
        ]
        permissions = [
            ("void_shipment", "Can void shipments before their first scan"),
            ("create_return_label", "Can create return labels for shipments"),
        ]

    def __str__(self):
        return self.tracking_number

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_return(self) -> bool:
        return self.direction == ShipmentDirection.RETURN

    @property
    def is_manual(self) -> bool:
        """Booked outside the OMS with the merchant's own carrier and recorded by hand."""
        return self.carrier.adapter == Carrier.Adapter.MANUAL

    # --- transitions: guards and field changes only; services do the rest ---

    @transition(field=status, source=[ShipmentStatus.LABEL_CREATED, ShipmentStatus.EXCEPTION], target=ShipmentStatus.IN_TRANSIT)
    def mark_in_transit(self):
        pass

    @transition(field=status, source=[ShipmentStatus.IN_TRANSIT, ShipmentStatus.EXCEPTION], target=ShipmentStatus.OUT_FOR_DELIVERY)
    def mark_out_for_delivery(self):
        pass

    @transition(field=status, source=[ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.EXCEPTION], target=ShipmentStatus.DELIVERED)
    def mark_delivered(self):
        pass

    @transition(field=status, source=[ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY], target=ShipmentStatus.EXCEPTION)
    def mark_exception(self):
        pass

    @transition(field=status, source=[ShipmentStatus.IN_TRANSIT, ShipmentStatus.EXCEPTION], target=ShipmentStatus.RETURNED_TO_SENDER)
    def mark_returned_to_sender(self):
        pass

    @transition(field=status, source=ShipmentStatus.LABEL_CREATED, target=ShipmentStatus.VOIDED)
    def void(self):
        self.voided_at = timezone.now()


class ShipmentExceptionQueue(Shipment):
    """The shipments that need a person: exceptions, returns to sender and late ones (a console queue)."""

    class Meta:
        proxy = True
        verbose_name = "exception or late shipment"
        verbose_name_plural = "exceptions and late"


class ShipmentParcel(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="parcels")
    sequence = models.PositiveSmallIntegerField(help_text="1, 2, 3... within the shipment; parcel 1 carries the shipment's tracking number.")
    tracking_number = models.CharField(max_length=40, unique=True)
    weight_kg = weight_field()
    length_cm = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    width_cm = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    height_cm = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    # A multi-piece shipment is delivered when its last parcel is.
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shipment", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "sequence"], name="shipment_parcel_sequence_unique"),
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="shipment_parcel_weight_positive"),
        ]

    def __str__(self):
        return f"{self.tracking_number} ({self.weight_kg} kg)"


class TrackingCode(models.TextChoices):
    """Normalized tracking event codes: the statuses a carrier can report, and scans that only inform."""

    LABEL_CREATED = "label_created", "Label created"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    EXCEPTION = "exception", "Exception"
    RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"
    ACCEPTED = "accepted", "Accepted by the carrier"
    ARRIVED_AT_FACILITY = "arrived_at_facility", "Arrived at facility"
    DEPARTED_FACILITY = "departed_facility", "Departed facility"
    CUSTOMS = "customs", "Customs"
    DELIVERY_ATTEMPTED = "delivery_attempted", "Delivery attempted"
    INFO = "info", "Information"


# Codes that set a status; the others are scans that only show the parcel is moving.
STATUS_CODES = {
    TrackingCode.IN_TRANSIT: ShipmentStatus.IN_TRANSIT,
    TrackingCode.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
    TrackingCode.DELIVERED: ShipmentStatus.DELIVERED,
    TrackingCode.EXCEPTION: ShipmentStatus.EXCEPTION,
    TrackingCode.RETURNED_TO_SENDER: ShipmentStatus.RETURNED_TO_SENDER,
}


class TrackingEvent(models.Model):
    """One event a carrier reported, kept as received (the timeline), whatever it did to the status."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    carrier_event_id = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=40, help_text="The parcel's number the carrier reported it for.")
    code = models.CharField(max_length=30, choices=TrackingCode.choices)
    status_text = models.CharField(max_length=255, blank=True, help_text="The carrier's own words.")
    location = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=255, blank=True, help_text="What the event did to the shipment.")
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="tracking_event_timeline_idx")]
        constraints = [models.UniqueConstraint(fields=["shipment", "carrier_event_id"], name="tracking_event_unique_per_shipment")]

    def __str__(self):
        return f"{self.tracking_number} {self.code} {self.occurred_at:%Y-%m-%d %H:%M}"


class CarrierCharge(models.Model):
    """What a carrier billed for a shipment, one row per invoice line (an adjustment or a credit
    is a line of its own, negative for a credit): the billed cost is their sum, set against the
    quote the shipment was bought at (``Shipment.price``). Written only by ``carrier_charges_record``."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="carrier_charges")
    invoice = models.CharField(max_length=64, help_text="The carrier's invoice number.")
    amount = money_field(help_text="Billed on this invoice, in the shipment's currency; negative for a credit.")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.CharField(max_length=120, blank=True, editable=False)

    class Meta:
        ordering = ["shipment_id", "recorded_at"]
        constraints = [models.UniqueConstraint(fields=["shipment", "invoice"], name="carrier_charge_once_per_invoice")]

    def __str__(self):
        return f"{self.invoice}: {self.amount} {self.currency}"
