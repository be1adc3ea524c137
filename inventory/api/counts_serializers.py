"""Cycle count input and output. Output hides each line's expected quantity (and what would
betray it) unless ``context["approver"]`` and the line is counted: counting is blind."""

from rest_framework import serializers

from inventory.models_counts import CycleCountLineStatus, CycleCountStatus
from inventory.selectors_counts import expected_visible
from oms.api.fields import MAX_INTEGER

HIDDEN = ("expected", "variance", "within_tolerance", "correction", "first_counted", "first_expected")


class CycleCountLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField(help_text="Place along the pick path, from 1.")
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    gtin = serializers.CharField(source="product.gtin")
    bin = serializers.CharField(source="bin.code", allow_null=True, default=None)
    abc_class = serializers.CharField()
    status = serializers.ChoiceField(choices=CycleCountLineStatus.choices)
    scanned = serializers.IntegerField(help_text="Units scanned so far in this round.")
    counted = serializers.IntegerField(allow_null=True)
    counted_at = serializers.DateTimeField(allow_null=True)
    expected = serializers.IntegerField(allow_null=True, help_text="On hand at the snapshot: null unless the line is counted and you may approve counts.")
    variance = serializers.IntegerField(allow_null=True, help_text="Counted less expected (hidden like `expected`).")
    within_tolerance = serializers.BooleanField(allow_null=True)
    first_counted = serializers.IntegerField(allow_null=True, help_text="The first count of a recounted line (hidden like `expected`).")
    first_expected = serializers.IntegerField(allow_null=True)
    correction = serializers.IntegerField(allow_null=True, help_text="Units the ledger was corrected by (hidden like `expected`).")
    posted_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, line):
        data = super().to_representation(line)
        if not expected_visible(line, approver=self.context.get("approver", False)):
            for name in HIDDEN:
                data[name] = None
        return data


class CycleCountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    location = serializers.CharField(source="location.code")
    scheduled_for = serializers.DateField()
    status = serializers.ChoiceField(choices=CycleCountStatus.choices)
    planned = serializers.BooleanField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    lines_total = serializers.IntegerField()
    lines_open = serializers.IntegerField(help_text="Lines still to count or to approve.")


class CycleCountDetailSerializer(CycleCountSerializer):
    lines = CycleCountLineSerializer(many=True, source="ordered_lines")


class ScanSerializer(serializers.Serializer):
    barcode = serializers.CharField(max_length=64, help_text="The unit's GTIN, or its SKU.")


class LineCountSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER, help_text="The line's `id`.")
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, help_text="Units counted at the line's bin.")


class CountSubmitSerializer(serializers.Serializer):
    lines = LineCountSerializer(many=True, allow_empty=False, max_length=1000)
    counted_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="When a paper count was taken (lines not yet started take their snapshot then). Default: now.",
    )


class LinesChoiceSerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_INTEGER), required=False, allow_null=True, default=None, max_length=1000,
        help_text="Line ids; omitted: every line awaiting approval.",
    )


class CountCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
