"""Supplier and purchase-order endpoints: thin views over ``inventory.purchasing`` and its selectors."""

from collections.abc import Callable

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import purchasing as services
from inventory.models_purchasing import PurchaseOrderEvent, PurchaseOrderStatus
from inventory.selectors_purchasing import (
    purchase_order_events,
    purchase_order_shortfall,
    purchase_orders_listing,
    supplier_products_listing,
    suppliers_listing,
)
from oms.api.authentication import request_actor
from oms.api.fields import MAX_INTEGER, MoneyField
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorOrderingFilter
from oms.api.parsers import JSONParser
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, IF_MATCH, error_responses
from oms.api.versioning import etag_for, expected_version, with_etag
from oms.errors import InvalidInput, NotFound

CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The supplier's code.")
NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The PO number, e.g. `PO-000123`.")
MAX_QUANTITY = 100_000_000


# --- serializers -------------------------------------------------------------------------------


class SupplierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    contact_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, or empty.")
    currency = serializers.CharField(help_text="ISO 4217: the supplier's prices and POs are in it.")
    lead_time_days = serializers.IntegerField(help_text="Average days from sending a PO to its arrival.")
    lead_time_spread_days = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="Standard deviation of the lead time, in days.")
    minimum_order_value = MoneyField(allow_null=True, help_text="Smallest order accepted, in the supplier's currency; null: none.")
    minimum_order_units = serializers.IntegerField(allow_null=True, help_text="Fewest units per order; null: none.")
    pack_size = serializers.IntegerField(help_text="Units per pack unless a product says otherwise.")
    is_active = serializers.BooleanField()
    version = serializers.IntegerField(help_text="The `ETag`; send it as `If-Match` to change the supplier.")


def _supplier_fields(required: bool) -> dict:
    optional = {"required": False}
    return {
        "name": serializers.CharField(max_length=255, **({} if required else optional)),
        "contact_name": serializers.CharField(max_length=255, allow_blank=True, **optional),
        "email": serializers.EmailField(max_length=254, allow_blank=True, help_text="Sent POs are e-mailed here as a PDF.", **optional),
        "phone": serializers.CharField(max_length=40, allow_blank=True, **optional),
        "line1": serializers.CharField(max_length=255, allow_blank=True, **optional),
        "line2": serializers.CharField(max_length=255, allow_blank=True, **optional),
        "city": serializers.CharField(max_length=120, allow_blank=True, **optional),
        "region": serializers.CharField(max_length=120, allow_blank=True, **optional),
        "postal_code": serializers.CharField(max_length=20, allow_blank=True, **optional),
        "country": serializers.CharField(max_length=2, allow_blank=True, help_text="ISO 3166-1 alpha-2.", **optional),
        "currency": serializers.CharField(max_length=3, min_length=3, help_text="ISO 4217, e.g. `EUR`.", **optional),
        "lead_time_days": serializers.IntegerField(min_value=0, max_value=32767, **optional),
        "lead_time_spread_days": serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, **optional),
        "minimum_order_value": serializers.DecimalField(max_digits=14, decimal_places=3, min_value=0, allow_null=True, **optional),
        "minimum_order_units": serializers.IntegerField(min_value=1, max_value=MAX_INTEGER, allow_null=True, **optional),
        "pack_size": serializers.IntegerField(min_value=1, max_value=MAX_INTEGER, **optional),
        "is_active": serializers.BooleanField(**optional),
    }


SupplierCreateSerializer = type("SupplierCreateSerializer", (serializers.Serializer,), {
    "code": serializers.SlugField(max_length=32, help_text="Names the supplier everywhere; cannot change."), **_supplier_fields(True),
})


class _SupplierChange(serializers.Serializer):
    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


SupplierUpdateSerializer = type("SupplierUpdateSerializer", (_SupplierChange,), _supplier_fields(False))


class SupplierProductSerializer(serializers.Serializer):
    supplier = serializers.CharField(source="supplier.code")
    sku = serializers.CharField(source="product.sku")
    supplier_sku = serializers.CharField()
    unit_cost = MoneyField(currency="supplier.currency", help_text="In the supplier's currency.")
    currency = serializers.CharField(source="supplier.currency")
    pack_size = serializers.IntegerField(source="effective_pack_size", help_text="Units per pack (the supplier's default when the product sets none).")
    minimum_quantity = serializers.IntegerField()
    lead_time_days = serializers.IntegerField(source="effective_lead_time_days", help_text="Days to arrive (the supplier's unless overridden).")
    is_preferred = serializers.BooleanField()


class SupplierProductSetSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    unit_cost = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=0, help_text="Per unit, in the supplier's currency.")
    supplier_sku = serializers.CharField(max_length=64, allow_blank=True, default="")
    pack_size = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER, allow_null=True, default=None, help_text="Null: the supplier's.")
    minimum_quantity = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER, default=1)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=32767, allow_null=True, default=None, help_text="Null: the supplier's.")
    is_preferred = serializers.BooleanField(default=False, help_text="True takes the mark from the product's other supplier.")


class PurchaseOrderLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField()
    sku = serializers.CharField(source="product.sku")
    supplier_sku = serializers.CharField()
    quantity_ordered = serializers.IntegerField()
    quantity_received = serializers.IntegerField(help_text="May exceed what was ordered (over-receipt).")
    quantity_open = serializers.IntegerField(help_text="Still expected: incoming at the destination while the PO is sent.")
    quantity_over = serializers.IntegerField(help_text="Received beyond what was ordered.")
    quantity_short = serializers.IntegerField(help_text="Given up when the PO was closed or cancelled.")
    unit_cost = MoneyField(currency="purchase_order.currency")
    expected_date = serializers.DateField(allow_null=True)


class PurchaseOrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=PurchaseOrderStatus.choices)
    supplier = serializers.CharField(source="supplier.code")
    location = serializers.CharField(source="location.code", help_text="Where the goods are delivered.")
    currency = serializers.CharField()
    expected_date = serializers.DateField(allow_null=True)
    notes = serializers.CharField()
    lines = PurchaseOrderLineSerializer(many=True, source="line_list")
    below_minimum = serializers.SerializerMethodField(
        help_text="A draft below its supplier's minimum order: what is missing (sending it needs `allow_below_minimum`); null otherwise.",
    )
    version = serializers.IntegerField(help_text="The `ETag`.")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True, help_text="Closed or cancelled.")
    emailed_at = serializers.DateTimeField(allow_null=True, help_text="When the PDF was e-mailed to the supplier.")

    def get_below_minimum(self, po) -> str | None:
        shortfall = purchase_order_shortfall(po, po.line_list) if po.status == PurchaseOrderStatus.DRAFT else None
        return shortfall.note if shortfall else None


class PurchaseOrderLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=0, required=False, allow_null=True, default=None,
        help_text="In the supplier's currency; omitted: the supplier's cost for the SKU.",
    )
    supplier_sku = serializers.CharField(max_length=64, required=False, allow_null=True, default=None, help_text="Omitted: the supplier's.")
    expected_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="Omitted: today plus the lead time.")


class PurchaseOrderCreateSerializer(serializers.Serializer):
    supplier = serializers.CharField(max_length=32)
    location = serializers.CharField(max_length=32, help_text="The destination's location code.")
    expected_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="Omitted: the latest line's.")
    notes = serializers.CharField(max_length=5000, allow_blank=True, default="")
    lines = PurchaseOrderLineInputSerializer(many=True, allow_empty=False, max_length=1000)


class PurchaseOrderLineEditSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, allow_null=True, default=None, help_text="The line to change; omitted or null: a new line.",
    )
    sku = serializers.CharField(max_length=64, help_text="A SKU the PO's supplier sells.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=0, required=False, allow_null=True, default=None,
        help_text="In the PO's currency; omitted: the line's cost (a new line: the supplier's).",
    )
    currency = serializers.CharField(max_length=3, required=False, allow_null=True, default=None, help_text="If sent, must be the PO's currency.")
    expected_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="Omitted: unchanged (a new line: the lead time).")


class PurchaseOrderLinesSetSerializer(serializers.Serializer):
    lines = PurchaseOrderLineEditSerializer(many=True, max_length=1000, help_text="Every line the draft should have; lines left out are removed.")


class PurchaseOrderReceiveLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=32767)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class PurchaseOrderReceiveSerializer(serializers.Serializer):
    lines = PurchaseOrderReceiveLineSerializer(many=True, allow_empty=False, max_length=1000)
    note = serializers.CharField(max_length=300, allow_blank=True, default="", help_text="E.g. the delivery note's number.")


class PurchaseOrderSendSerializer(serializers.Serializer):
    allow_below_minimum = serializers.BooleanField(default=False, help_text="Confirms sending a draft below the supplier's minimum order.")


class PurchaseOrderReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")


class PurchaseOrderEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PurchaseOrderEvent.Kind.choices)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    message = serializers.CharField()
    data = serializers.JSONField()
    actor = serializers.CharField(source="actor_label")
    created_at = serializers.DateTimeField()


# --- views -------------------------------------------------------------------------------------


class SuppliersView(GenericAPIView):
    required_scopes = {"GET": "purchasing:read", "POST": "purchasing:write"}
    required_permissions = {"GET": "inventory.view_supplier", "POST": "inventory.add_supplier"}
    parser_classes = [JSONParser]
    serializer_class = SupplierSerializer
    filter_backends = [CursorOrderingFilter]
    ordering_fields = ["code"]
    ordering = "code"

    def get_queryset(self):
        return suppliers_listing()

    @extend_schema(operation_id="suppliers_list", summary="List suppliers", description="By code; cursor-paginated (follow `next`).",
                   responses={200: SupplierSerializer(many=True), **error_responses(400)})
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(SupplierSerializer, page))

    @extend_schema(
        operation_id="suppliers_create", summary="Create a supplier",
        description="Only `code` and `name` are required; the currency defaults to USD. A code in use: 409.",
        request=SupplierCreateSerializer, parameters=[IDEMPOTENCY_KEY], responses={201: SupplierSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(SupplierCreateSerializer, request.data)
        supplier = services.supplier_create(actor=request_actor(request), **data)
        return Response(represent(SupplierSerializer, supplier), status=status.HTTP_201_CREATED, headers={"ETag": etag_for(supplier.version)})


class SupplierDetailView(APIView):
    required_scopes = {"GET": "purchasing:read", "PATCH": "purchasing:write"}
    required_permissions = {"GET": "inventory.view_supplier", "PATCH": "inventory.change_supplier"}
    parser_classes = [JSONParser]

    @extend_schema(operation_id="suppliers_retrieve", summary="One supplier", parameters=[CODE],
                   responses={200: SupplierSerializer, 304: OpenApiResponse(description="Not modified since the ETag sent."), **error_responses(404)})
    def get(self, request, code: str):
        supplier = services.supplier_get(code)
        return with_etag(request, Response(represent(SupplierSerializer, supplier)), supplier.version)

    @extend_schema(
        operation_id="suppliers_update", summary="Change a supplier",
        description="Changes only the fields sent. `If-Match` must hold the ETag of your last read (428 without, 412 when stale).",
        parameters=[CODE, IF_MATCH], request=SupplierUpdateSerializer, responses={200: SupplierSerializer, **error_responses(400, 404, 412, 428)},
    )
    def patch(self, request, code: str):
        expected = expected_version(request)
        changes = validated(SupplierUpdateSerializer, request.data)
        supplier = services.supplier_update(code=code, expected_version=expected, changes=changes, actor=request_actor(request))
        return Response(represent(SupplierSerializer, supplier), headers={"ETag": etag_for(supplier.version)})


class SupplierProductsView(GenericAPIView):
    required_scopes = {"GET": "purchasing:read", "POST": "purchasing:write"}
    required_permissions = {"GET": "inventory.view_supplierproduct", "POST": "inventory.add_supplierproduct"}
    parser_classes = [JSONParser]
    serializer_class = SupplierProductSerializer
    filter_backends = [CursorOrderingFilter]
    ordering_fields = ["id"]
    ordering = "id"

    def get_queryset(self):
        return supplier_products_listing().filter(supplier=services.supplier_get(self.kwargs["code"]))

    @extend_schema(operation_id="supplier_products_list", summary="Products a supplier sells", parameters=[CODE],
                   responses={200: SupplierProductSerializer(many=True), **error_responses(400, 404)})
    def get(self, request, code: str):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(SupplierProductSerializer, page))

    @extend_schema(
        operation_id="supplier_products_set", summary="Set how a supplier sells a SKU",
        description="Creates the supplier's offer for the SKU or replaces it. `is_preferred: true` makes this the SKU's "
        "preferred supplier (the mark leaves its other supplier). Unknown SKU: 400.",
        request=SupplierProductSetSerializer, parameters=[CODE, IDEMPOTENCY_KEY],
        responses={200: SupplierProductSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, code: str):
        data = validated(SupplierProductSetSerializer, request.data)
        supplier = services.supplier_get(code)  # an unknown supplier is the URL's fault: 404
        try:
            offer = services.supplier_product_set(supplier=supplier.code, actor=request_actor(request), **data)
        except NotFound as exc:
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields) from None
        return Response(represent(SupplierProductSerializer, offer))


def _po_answer(purchase_order_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    po = purchase_orders_listing().get(pk=purchase_order_id)
    return Response(represent(PurchaseOrderSerializer, po), status=status_code, headers={"ETag": etag_for(po.version)})


class PurchaseOrdersView(GenericAPIView):
    required_scopes = {"GET": "purchasing:read", "POST": "purchasing:write"}
    required_permissions = {"GET": "inventory.view_purchaseorder", "POST": "inventory.add_purchaseorder"}
    parser_classes = [JSONParser]
    serializer_class = PurchaseOrderSerializer
    filter_backends = [CursorOrderingFilter]
    ordering_fields = ["created_at"]  # cursor pages need a non-null order: expected_date may be empty
    ordering = "-created_at"

    def get_queryset(self):
        queryset = purchase_orders_listing()
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in PurchaseOrderStatus.values:
                raise InvalidInput(
                    f"Unknown status {wanted!r}; one of {', '.join(PurchaseOrderStatus.values)}.", fields={"status": ["Unknown status."]}
                )
            queryset = queryset.filter(status=wanted)
        supplier = self.request.query_params.get("supplier")
        return queryset.filter(supplier__code=supplier) if supplier else queryset

    @extend_schema(
        operation_id="purchase_orders_list", summary="List purchase orders",
        description="Newest first; cursor-paginated. `status` and `supplier` (a code) filter.",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=PurchaseOrderStatus.values),
            OpenApiParameter("supplier", OpenApiTypes.STR, OpenApiParameter.QUERY, description="A supplier's code."),
        ],
        responses={200: PurchaseOrderSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(PurchaseOrderSerializer, page))

    @extend_schema(
        operation_id="purchase_orders_create", summary="Draft a purchase order",
        description="A draft for one supplier and destination, in the supplier's currency. Lines without `unit_cost` take the "
        "supplier's cost for the SKU (none: 400 naming the line); without `expected_date`, today plus the lead time. A draft "
        "moves no stock: send it to put its quantities on `incoming`.",
        request=PurchaseOrderCreateSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={201: PurchaseOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(PurchaseOrderCreateSerializer, request.data)
        try:
            po = services.purchase_order_create(
                supplier=data["supplier"], location=data["location"], expected_date=data["expected_date"], notes=data["notes"],
                lines=[services.DraftLine(**line) for line in data["lines"]], actor=request_actor(request),
            )
        except NotFound as exc:  # a supplier or location named in the body: the body's fault
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields) from None
        return _po_answer(po.pk, status_code=status.HTTP_201_CREATED)


class PurchaseOrderDetailView(APIView):
    required_scopes = {"GET": "purchasing:read"}
    required_permissions = {"GET": "inventory.view_purchaseorder"}

    @extend_schema(operation_id="purchase_orders_retrieve", summary="One purchase order", parameters=[NUMBER],
                   responses={200: PurchaseOrderSerializer, 304: OpenApiResponse(description="Not modified since the ETag sent."), **error_responses(404)})
    def get(self, request, number: str):
        po = purchase_orders_listing().get(pk=services.purchase_order_id_for_number(number))
        return with_etag(request, Response(represent(PurchaseOrderSerializer, po)), po.version)


class PurchaseOrderLinesView(APIView):
    required_scopes = {"PATCH": "purchasing:write"}
    required_permissions = {"PATCH": "inventory.add_purchaseorder"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="purchase_orders_lines_set", summary="Change a draft purchase order's lines",
        description="`lines` is every line the draft should have: a line with `line_number` is changed, one without is added, "
        "one left out is removed. Each SKU must be sold by the PO's supplier, quantities above zero, costs in the PO's currency. "
        "Every change is in the PO's audit trail. `If-Match` must hold the PO's ETag (428 without, 412 when stale). A PO already "
        "sent: 400 (its lines are read-only).",
        parameters=[NUMBER, IF_MATCH], request=PurchaseOrderLinesSetSerializer, responses={200: PurchaseOrderSerializer, **error_responses(400, 404, 412, 428)},
    )
    def patch(self, request, number: str):
        expected = expected_version(request)
        data = validated(PurchaseOrderLinesSetSerializer, request.data)
        purchase_order_id = services.purchase_order_id_for_number(number)
        services.purchase_order_lines_set(
            purchase_order_id=purchase_order_id, lines=[services.LineEdit(**line) for line in data["lines"]], expected_version=expected,
            actor=request_actor(request),
        )
        return _po_answer(purchase_order_id)


class PurchaseOrderEventsView(APIView):
    required_scopes = {"GET": "purchasing:read"}
    required_permissions = {"GET": "inventory.view_purchaseorderevent"}

    @extend_schema(operation_id="purchase_orders_events", summary="A purchase order's audit trail", description="Oldest first.",
                   parameters=[NUMBER], responses={200: PurchaseOrderEventSerializer(many=True), **error_responses(404)})
    def get(self, request, number: str):
        return Response(represent_many(PurchaseOrderEventSerializer, purchase_order_events(services.purchase_order_id_for_number(number))))


def purchase_order_action_view(
    *, operation_id: str, summary: str, description: str, permission: str, serializer, run: Callable[[int, dict, object], object],
) -> type[APIView]:
    """A ``POST /purchase-orders/{number}/<action>/`` view: validates ``serializer``, calls one
    service and answers the PO as it is now, with its ETag."""

    @extend_schema(
        operation_id=operation_id, summary=summary, description=description, parameters=[NUMBER, IDEMPOTENCY_KEY], request=serializer,
        responses={200: PurchaseOrderSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(serializer, request.data) if serializer is not None else {}
        purchase_order_id = services.purchase_order_id_for_number(number)
        run(purchase_order_id, data, request_actor(request))
        return _po_answer(purchase_order_id)

    name = "".join(part.title() for part in operation_id.split("_")) + "View"
    return type(name, (APIView,), {
        "required_scopes": {"POST": "purchasing:write"}, "required_permissions": {"POST": permission}, "parser_classes": [JSONParser],
        "post": post, "__doc__": summary,
    })


PurchaseOrderSendView = purchase_order_action_view(
    operation_id="purchase_orders_send", summary="Send a draft purchase order", permission="inventory.send_purchaseorder",
    serializer=PurchaseOrderSendSerializer,
    description="Its quantities become `incoming` at the destination (on the stock ledger, the PO number as reference) and, "
    "after commit, the PDF is e-mailed to the supplier when it has an address. Not a draft: 409. A draft below the supplier's "
    "minimum order (`below_minimum`) is refused (409, `below_supplier_minimum`) unless the body confirms `allow_below_minimum: true`.",
    run=lambda pk, data, actor: services.purchase_order_send(purchase_order_id=pk, actor=actor, allow_below_minimum=data["allow_below_minimum"]),
)
PurchaseOrderReceiveView = purchase_order_action_view(
    operation_id="purchase_orders_receive", summary="Receive goods against a purchase order", permission="inventory.receive_purchaseorder",
    serializer=PurchaseOrderReceiveSerializer,
    description="Units counted per line (`line_number`): on hand rises by them, incoming falls by what was still open. "
    "Units beyond the open quantity are received and recorded as over. Waiting backorders are served. The PO becomes "
    "`partially_received`, or `received` when nothing is open. All lines or none; a line the PO lacks: 400; a PO not sent "
    "or already received, closed or cancelled: 409. Send an `Idempotency-Key`: a retried receipt is then not booked twice.",
    run=lambda pk, data, actor: services.purchase_order_receive(
        purchase_order_id=pk, quantities=[(line["line_number"], line["quantity"]) for line in data["lines"]], note=data["note"], actor=actor,
    ),
)
PurchaseOrderCancelView = purchase_order_action_view(
    operation_id="purchase_orders_cancel", summary="Cancel a purchase order", permission="inventory.send_purchaseorder",
    serializer=PurchaseOrderReasonSerializer,
    description="A draft, or a sent PO before anything arrived: its incoming is released. Anything else: 409 (close it instead).",
    run=lambda pk, data, actor: services.purchase_order_cancel(purchase_order_id=pk, reason=data["reason"], actor=actor),
)
PurchaseOrderCloseView = purchase_order_action_view(
    operation_id="purchase_orders_close", summary="Close a (partially) received purchase order", permission="inventory.send_purchaseorder",
    serializer=PurchaseOrderReasonSerializer,
    description="What is still open is given up: recorded per line as `quantity_short` and taken off `incoming`. Draft or sent: 409.",
    run=lambda pk, data, actor: services.purchase_order_close(purchase_order_id=pk, reason=data["reason"], actor=actor),
)
