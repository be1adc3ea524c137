"""The WMS API: pick lists (build, read the tasks in path order, confirm picks and shorts) and
packing by scan. Thin views over ``fulfillment.services.picking`` and ``.packing``."""

import django_filters
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from fulfillment.models import FulfillmentOrder, FulfillmentStatus, PickList, PickListKind, PickListLine, PickListStatus, ShortPickReason
from fulfillment.picking import PathRule, WaveRules
from fulfillment.services.packing import PackageData, fulfillment_order_pack_scans
from fulfillment.services.picking import PickConfirmation, pick_list_build, pick_list_confirm
from oms.api.authentication import request_actor
from oms.api.fields import MAX_BIGINT, MAX_INTEGER
from oms.api.idempotency import idempotent
from oms.api.parsers import JSONParser
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.errors import InvalidInput, NotFound

PICK_LIST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The pick list's id.")
NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The fulfillment order number, e.g. `SO-0000042-1`.")


def pick_lists_with_tasks():
    """Pick lists with their lines in path order, in a constant number of queries."""
    lines = PickListLine.objects.select_related("bin", "product", "fulfillment_line__fulfillment_order").order_by("sequence")
    return PickList.objects.select_related("location").prefetch_related(Prefetch("lines", queryset=lines))


# --- shapes ----------------------------------------------------------------------------------


class PickTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Send it back in a confirmation.")
    sequence = serializers.IntegerField(help_text="Place along the pick path, from 1.")
    bin = serializers.CharField(source="bin.code", allow_null=True, help_text="Bin code; null when no bin is known.")
    zone = serializers.CharField(source="bin.zone", allow_null=True)
    aisle = serializers.CharField(source="bin.aisle", allow_null=True)
    shelf = serializers.CharField(source="bin.shelf", allow_null=True)
    position = serializers.CharField(source="bin.position", allow_null=True)
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    gtin = serializers.CharField(source="product.gtin")
    quantity = serializers.IntegerField()
    slot = serializers.IntegerField(help_text="Tote or cart slot: one per fulfillment order on the list.")
    fulfillment_order = serializers.CharField(source="fulfillment_line.fulfillment_order.number")
    quantity_picked = serializers.IntegerField()
    short = serializers.BooleanField()
    short_reason = serializers.CharField(help_text="Why a short pick was short: one of `not_found`, `damaged`, `wrong_item`, `other`; empty when not said.")
    short_note = serializers.CharField(help_text="The picker's words about a short pick.")
    confirmed_at = serializers.DateTimeField(allow_null=True)


class PickListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    location = serializers.CharField(source="location.code")
    kind = serializers.ChoiceField(choices=PickListKind.choices)
    zone = serializers.CharField(help_text="The zone a zone pick list covers; empty otherwise.")
    status = serializers.ChoiceField(choices=PickListStatus.choices)
    walking_distance_m = serializers.FloatField(help_text="Metres along the path, from the depot and back.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    lines = PickTaskSerializer(many=True, help_text="The tasks in walking order.")


class WaveRulesSerializer(serializers.Serializer):
    max_orders = serializers.IntegerField(min_value=1, max_value=500, default=WaveRules.max_orders)
    max_units = serializers.IntegerField(min_value=1, max_value=100_000, default=WaveRules.max_units)
    same_zone_set = serializers.BooleanField(default=False, help_text="Only orders needing exactly the same zones share a wave.")


class PickListBuildSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="Code of the location picked in.")
    kind = serializers.ChoiceField(choices=PickListKind.choices)
    fulfillment_orders = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=500, help_text="Numbers of pending fulfillment orders at that location."
    )
    rules = WaveRulesSerializer(required=False, help_text="How orders are grouped into waves (batch and zone lists).")
    path_rule = serializers.ChoiceField(choices=[(rule.value, rule.value) for rule in PathRule], default=PathRule.SHORTEST.value)


class PickListsBuiltSerializer(serializers.Serializer):
    pick_lists = PickListSerializer(many=True)


class PickConfirmLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_BIGINT, help_text="The task's id.")
    quantity_picked = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER, help_text="Units picked; fewer than asked is a short pick.")
    short_reason = serializers.ChoiceField(
        choices=ShortPickReason.choices, required=False, allow_blank=True, default="",
        help_text="Optional, for a short pick: why the units are missing. Said in the hold, the ledger's write-off and the order's "
        "audit trail; ignored for a full pick.",
    )
    short_note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255, help_text="The picker's words about a short pick; required with `other`."
    )


class PickConfirmSerializer(serializers.Serializer):
    lines = PickConfirmLineSerializer(many=True, min_length=1, max_length=1000)


class ScannedItemSerializer(serializers.Serializer):
    barcode = serializers.CharField(max_length=64, help_text="GTIN or SKU as scanned.")
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, default=1)


class DimensionsSerializer(serializers.Serializer):
    length_mm = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)
    width_mm = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)
    height_mm = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)


class PackageCloseSerializer(serializers.Serializer):
    package_type = serializers.CharField(help_text="Code of the box used.")
    weight_grams = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)
    dimensions = DimensionsSerializer(required=False, help_text="Outer size; the box's size when left out.")


class PackSerializer(serializers.Serializer):
    items = ScannedItemSerializer(many=True, required=False, max_length=1000)
    package = PackageCloseSerializer(required=False, help_text="Close the package after the scans.")


class PackedLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    picked = serializers.IntegerField()
    packed = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="Picked but not yet packed.")


class PackResultSerializer(serializers.Serializer):
    fulfillment_order = serializers.CharField()
    status = serializers.ChoiceField(choices=FulfillmentStatus.choices)
    lines = PackedLineSerializer(many=True)


class PickListFilter(django_filters.FilterSet):
    location = django_filters.CharFilter(field_name="location__code", help_text="Location code, e.g. `chicago`.")
    status = django_filters.ChoiceFilter(choices=PickListStatus.choices)
    kind = django_filters.ChoiceFilter(choices=PickListKind.choices)

    class Meta:
        model = PickList
        fields = ["location", "status", "kind"]


# --- views -----------------------------------------------------------------------------------


def _pick_list(pick_list_id: int) -> PickList:
    found = pick_lists_with_tasks().filter(pk=pick_list_id).first()
    if found is None:
        raise NotFound(f"No pick list #{pick_list_id}.")
    return found


class PickListsView(GenericAPIView):
    required_scopes = {"GET": "fulfillment:read", "POST": "fulfillment:write"}
    required_permissions = {"GET": "fulfillment.view_picklist", "POST": "fulfillment.confirm_picklist"}
    parser_classes = [JSONParser]
    serializer_class = PickListSerializer
    filterset_class = PickListFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return pick_lists_with_tasks()

    @extend_schema(
        operation_id="pick_lists_list",
        summary="List pick lists",
        description="Newest first, cursor-paginated (follow `next`), each with its tasks in walking order. "
        "A WMS polls `?location=<code>&status=open` for work.",
        responses={200: PickListSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(PickListSerializer, page))

    @extend_schema(
        operation_id="pick_lists_create",
        summary="Build pick lists",
        description="`single`: one list per fulfillment order. `batch`: orders grouped into waves by `rules`, one walk per "
        "wave, each order in its own slot. `zone`: waves as for batch, one list per zone of each wave; an order keeps its "
        "slot in every zone. The fulfillment orders go to picking. All or nothing: one that is not pending, is held or ships "
        "from another location refuses the whole call (409), naming it.",
        request=PickListBuildSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: PickListsBuiltSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(PickListBuildSerializer, request.data)
        numbers = list(dict.fromkeys(data["fulfillment_orders"]))
        ids = dict(FulfillmentOrder.objects.filter(number__in=numbers).values_list("number", "pk"))
        unknown = [number for number in numbers if number not in ids]
        if unknown:
            raise InvalidInput(
                f"Unknown fulfillment order(s): {', '.join(unknown)}.", fields={"fulfillment_orders": [f"Unknown {n!r}." for n in unknown]}
            )
        try:
            built = pick_list_build(
                location=data["location"], fulfillment_order_ids=[ids[number] for number in numbers], kind=data["kind"],
                rules=WaveRules(**data["rules"]) if data.get("rules") else None, path_rule=PathRule(data["path_rule"]),
                actor=request_actor(request),
            )
        except NotFound as exc:  # the location named in the body
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields or {"location": ["Unknown location."]}) from None
        lists = pick_lists_with_tasks().filter(pk__in=[pick_list.pk for pick_list in built]).order_by("pk")
        return Response({"pick_lists": represent_many(PickListSerializer, lists)}, status=status.HTTP_201_CREATED)


class PickListDetailView(APIView):
    required_scopes = {"GET": "fulfillment:read"}
    required_permissions = {"GET": "fulfillment.view_picklist"}

    @extend_schema(
        operation_id="pick_lists_retrieve",
        summary="One pick list",
        description="The tasks in walking order: bin, product, quantity and slot.",
        parameters=[PICK_LIST_ID],
        responses={200: PickListSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        return Response(represent(PickListSerializer, _pick_list(pk)))


class PickListConfirmView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.confirm_picklist"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="pick_lists_confirm",
        summary="Confirm picks",
        description="Units picked per task, in one call, all or nothing. Fewer than asked is a short pick: the missing "
        "units are written off at the location on the ledger, the fulfillment order keeps what was found and is held "
        "(`short_pick`; packing and shipping go on), and the missing units are routed again: to another location that has them, "
        "or they wait for stock. A short task may say why (`short_reason`, `short_note`): the hold, the ledger's write-off and "
        "the audit trail repeat it. Confirming a task again with the same count changes nothing; with another, 409. The list is done "
        "when every task is confirmed.",
        parameters=[PICK_LIST_ID, IDEMPOTENCY_KEY],
        request=PickConfirmSerializer,
        responses={200: PickListSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, pk: int):
        data = validated(PickConfirmSerializer, request.data)
        if not PickList.objects.filter(pk=pk).exists():
            raise NotFound(f"No pick list #{pk}.")
        pick_list_confirm(
            pick_list_id=pk, confirmations=[
                PickConfirmation(line["id"], line["quantity_picked"], line["short_reason"], line["short_note"]) for line in data["lines"]
            ],
            actor=request_actor(request),
        )
        return Response(represent(PickListSerializer, _pick_list(pk)))


class FulfillmentOrderPackView(APIView):
    required_scopes = {"POST": "fulfillment:write"}
    required_permissions = {"POST": "fulfillment.confirm_picklist"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="fulfillment_orders_pack",
        summary="Pack by scan",
        description="Scanned items (GTIN or SKU) go into the fulfillment order's open package; `package` then closes it "
        "with its box, weight and size. All or nothing: an item not on the order or more than was picked is refused (409 "
        "`wrong_item` / `exceeds_picked`, the message names what was scanned and what is expected) and nothing is packed. "
        "When every picked unit is packed and the package closed, the fulfillment order is packed.",
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=PackSerializer,
        responses={200: PackResultSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(PackSerializer, request.data)
        fulfillment_order_id = FulfillmentOrder.objects.filter(number=number).values_list("pk", flat=True).first()
        if fulfillment_order_id is None:
            raise NotFound(f"No fulfillment order {number!r}.")
        package = data.get("package")
        dimensions = package.get("dimensions") if package else None
        lines = fulfillment_order_pack_scans(
            fulfillment_order_id=fulfillment_order_id,
            items=[(item["barcode"], item["quantity"]) for item in data.get("items", [])],
            package=PackageData(
                package_type=package["package_type"], weight_grams=package["weight_grams"],
                dimensions=(dimensions["length_mm"], dimensions["width_mm"], dimensions["height_mm"]) if dimensions else None,
            ) if package else None,
            actor=request_actor(request),
        )
        stored = FulfillmentOrder.objects.get(pk=fulfillment_order_id)
        body = {"fulfillment_order": stored.number, "status": stored.status, "lines": lines}
        return Response(PackResultSerializer(body).data)
