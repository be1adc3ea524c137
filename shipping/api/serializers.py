"""Shapes of the shipment and manifest endpoints (read-only; the tracking webhook keeps its own in views)."""

from django.urls import reverse
from rest_framework import serializers

from oms.api.fields import MoneyField

from ..models import ShipmentDirection, ShipmentStatus, TrackingCode

class PathField(serializers.CharField):
    """The path of one of the object's endpoints (``url_name`` with its id), or null where ``when`` says it has none."""

    def __init__(self, url_name: str, *, when=None, **kwargs):
        super().__init__(read_only=True, allow_null=when is not None, source="*", **kwargs)
        self.url_name, self.when = url_name, when

    def get_attribute(self, instance):
        if self.when is not None and not self.when(instance):
            return None
        return reverse(self.url_name, args=[instance.pk])


class ShipmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField(help_text="The first parcel's; each parcel has its own (see the detail).")
    reference = serializers.CharField(help_text="The caller's id, e.g. a fulfillment order number.")
    status = serializers.ChoiceField(choices=ShipmentStatus.choices)
    direction = serializers.ChoiceField(choices=ShipmentDirection.choices, help_text="`outbound` to a customer, `return` from one.")
    carrier = serializers.CharField(source="carrier.code", help_text="The carrier's code, e.g. `oms-post`.")
    service = serializers.CharField(source="service.code", help_text="The carrier's service code, e.g. `ground`.")
    origin = serializers.DictField(help_text="The address as given: country, postal_code, residential, lines, city, name.")
    destination = serializers.DictField()
    price = MoneyField(help_text="The carrier's quote when it was booked.")
    declared_value = MoneyField(help_text="The value of the goods, in `declared_currency`; 0 when none was declared.")
    declared_currency = serializers.SerializerMethodField(help_text="The declared value's currency.")
    declared_value_insured = serializers.BooleanField(help_text="Whether the declared value is insured with the carrier (its cover is in the price).")
    currency = serializers.CharField()
    collection_date = serializers.DateField()
    promised_delivery_date = serializers.DateField()
    shipped_at = serializers.DateTimeField(allow_null=True, help_text="The first scan.")
    last_scan_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    voided_at = serializers.DateTimeField(allow_null=True)
    late = serializers.BooleanField()
    late_reason = serializers.CharField()
    label_format = serializers.CharField(help_text="`pdf-4x6` (rendered by the OMS), `pdf-carrier` (the carrier's own), empty before the first render.")
    label_url = PathField(
        "api-shipment-label", when=lambda shipment: shipment.status != ShipmentStatus.VOIDED,
        help_text="Its label (rendered first when missing); null when voided (the label must not be used).",
    )
    manifest = serializers.CharField(source="manifest.number", allow_null=True, help_text="The manifest it was handed over on; null before.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_declared_currency(self, shipment) -> str:
        return shipment.declared_currency or shipment.currency


class ParcelSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(help_text="1, 2, 3... within the shipment.")
    tracking_number = serializers.CharField()
    weight_kg = serializers.DecimalField(max_digits=9, decimal_places=3)
    length_cm = serializers.DecimalField(max_digits=7, decimal_places=1)
    width_cm = serializers.DecimalField(max_digits=7, decimal_places=1)
    height_cm = serializers.DecimalField(max_digits=7, decimal_places=1)
    delivered_at = serializers.DateTimeField(allow_null=True)


class TrackingEventSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField(help_text="When the carrier says it happened.")
    code = serializers.ChoiceField(choices=TrackingCode.choices)
    status_text = serializers.CharField(help_text="The carrier's own words.")
    location = serializers.CharField()
    tracking_number = serializers.CharField(help_text="The parcel's number it was reported for.")
    outcome = serializers.CharField(help_text="What it did to the shipment.")
    received_at = serializers.DateTimeField()


class ShipmentDetailSerializer(ShipmentSerializer):
    parcels = ParcelSerializer(many=True)
    tracking_events = TrackingEventSerializer(many=True, help_text="The timeline, newest first.")
    quote = serializers.DictField(help_text="The quote's explanation: zone, weights, each charge and why.")
    created_by = serializers.CharField(source="created_by_label")


class ShipmentsLabelsSerializer(serializers.Serializer):
    shipment_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False, max_length=10_000,
        help_text="Shipments whose labels to print, in this order (a repeat prints once).",
    )


class ManifestCloseSerializer(serializers.Serializer):
    carrier_code = serializers.CharField(max_length=30, help_text="The carrier's code, e.g. `oms-post`.")
    day = serializers.DateField(help_text="The collection date, YYYY-MM-DD.")


class ManifestShipmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ShipmentStatus.choices)
    service = serializers.CharField(source="service.code")
    parcels = serializers.IntegerField(source="parcel_count")
    weight_kg = serializers.DecimalField(source="parcel_weight", max_digits=12, decimal_places=3, allow_null=True)


class ManifestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="CARRIER-YYYYMMDD-n: the n-th manifest of the carrier that day.")
    carrier = serializers.CharField(source="carrier.code")
    date = serializers.DateField(help_text="The collection date of its shipments.")
    closed_at = serializers.DateTimeField()
    closed_by = serializers.CharField(source="closed_by_label")
    shipment_count = serializers.IntegerField()
    pdf_url = PathField("api-manifest-pdf", help_text="The manifest as the driver signs it (A4 PDF).")
    csv_url = PathField("api-manifest-csv", help_text="The manifest as carriers' systems import it (CSV).")


class ManifestDetailSerializer(ManifestSerializer):
    shipments = ManifestShipmentSerializer(many=True, source="listed_shipments", help_text="In tracking number order.")
