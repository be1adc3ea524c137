"""Catalogue and stock endpoints: thin views over ``inventory.services`` and ``inventory.selectors``."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Location, Product, StockMovement
from inventory.selectors import (
    available_to_promise_for_skus,
    bins_listing,
    products_by_sku,
    stock_for_sku,
    stock_levels_listing,
    stock_movements_listing,
)
from inventory.services import (
    bin_create,
    bin_update,
    location_create,
    location_get,
    location_update,
    product_create,
    product_get,
    product_update,
    stock_adjust,
    stock_bin_assign,
    stock_quarantine,
    stock_quarantine_release,
    stock_receive,
    stock_scrap,
    stock_snapshot_apply,
)
from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorOrderingFilter, CursorPagination
from oms.api.permissions import staff_permission_require
from oms.api.parsers import JSONParser
from oms.api.representation import represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, IF_MATCH, error_responses
from oms.api.versioning import etag_for, expected_version, with_etag
from oms.errors import InvalidInput, NotFound

from .filters import ProductFilter, StockLevelFilter, StockMovementFilter
from .serializers import (
    BinAssignmentResultSerializer,
    BinAssignmentSerializer,
    BinCreateSerializer,
    BinSerializer,
    BinUpdateSerializer,
    BulkAvailabilitySerializer,
    LocationCreateSerializer,
    LocationSerializer,
    LocationUpdateSerializer,
    ProductCreateSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    SnapshotResultSerializer,
    StockLevelSerializer,
    StockMovementCreateSerializer,
    StockMovementSerializer,
    StockQuarantineSerializer,
    StockSerializer,
    StockSnapshotSerializer,
)

SKU = OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH, description="The product's SKU code.")
CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The location's code.")
BIN_CODE = OpenApiParameter("bin_code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The bin's code in that location.")
CHANNEL = OpenApiParameter(
    "channel", OpenApiTypes.STR, OpenApiParameter.QUERY,
    description="A channel code, e.g. `web`: what that channel may promise under its stock rule (no rule: the plain figure).",
)
MAX_BULK_SKUS = 500


class LedgerPagination(CursorPagination):
    """Oldest first, so a system following the ledger keeps the last `next` and asks again later.

    ``next`` is given on the last page too (it points after the last row, or stays where it was
    on an empty page): the ledger keeps growing, and a follower needs somewhere to continue from.
    """

    ordering = "id"
    max_page_size = 1000

    def get_next_link(self):
        self.has_next = True
        return super().get_next_link()


class ProductsView(GenericAPIView):
    required_scopes = {"GET": "products:read", "POST": "products:write"}
    required_permissions = {"GET": "inventory.view_product", "POST": "inventory.add_product"}
    parser_classes = [JSONParser]
    serializer_class = ProductSerializer
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    filterset_class = ProductFilter
    ordering_fields = ["sku", "created_at", "updated_at"]
    ordering = "sku"

    def get_queryset(self):
        return Product.objects.all()

    @extend_schema(
        operation_id="products_list",
        summary="List products",
        description="By SKU unless `ordering` says otherwise (`sku`, `created_at`, `updated_at`, `-` for descending); "
        "cursor-paginated (follow `next`). `updated_after` with `ordering=updated_at` picks up every change since a sync.",
        responses={200: ProductSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(ProductSerializer, page))

    @extend_schema(
        operation_id="products_create",
        summary="Create a product",
        description="Only `sku`, `name` and `price` are required. A SKU that exists already is refused with 409.",
        request=ProductCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ProductSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = product_create(actor=request_actor(request), **serializer.service_kwargs())
        response = Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)
        response["ETag"] = etag_for(product.version)
        return response


class ProductDetailView(APIView):
    required_scopes = {"GET": "products:read", "PATCH": "products:write"}
    required_permissions = {"GET": "inventory.view_product", "PATCH": "inventory.change_product"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="products_retrieve",
        summary="One product",
        description="The `ETag` header holds its version: send it in `If-Match` to change the product. "
        "`If-None-Match` with the current ETag answers 304.",
        parameters=[SKU],
        responses={200: ProductSerializer, 304: OpenApiResponse(description="Not modified since the ETag sent."), **error_responses(404)},
    )
    def get(self, request, sku: str):
        product = product_get(sku)
        return with_etag(request, Response(ProductSerializer(product).data), product.version)

    @extend_schema(
        operation_id="products_update",
        summary="Change a product",
        description="Changes only the fields sent. `If-Match` must hold the ETag of your last read: without it 428, "
        "and 412 when the product changed meanwhile. A change to nothing keeps the version. SKU and currency cannot change.",
        parameters=[SKU, IF_MATCH],
        request=ProductUpdateSerializer,
        responses={200: ProductSerializer, **error_responses(400, 404, 412, 428)},
    )
    def patch(self, request, sku: str):
        expected = expected_version(request)
        serializer = ProductUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = product_update(sku=sku, expected_version=expected, changes=serializer.changes(), actor=request_actor(request))
        response = Response(ProductSerializer(product).data)
        response["ETag"] = etag_for(product.version)
        return response


class LocationsView(APIView):
    required_scopes = {"GET": "products:read", "POST": "products:write"}
    required_permissions = {"GET": "inventory.view_location", "POST": "inventory.add_location"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="locations_list",
        summary="List locations",
        description="Every warehouse, store and dropshipper, in shipping priority order; use `code` to name one.",
        responses={200: LocationSerializer(many=True), **error_responses()},
    )
    def get(self, request):
        return Response(LocationSerializer(Location.objects.order_by("priority", "code"), many=True).data)

    @extend_schema(
        operation_id="locations_create",
        summary="Create a location",
        description="A warehouse, store or dropshipper; `code`, `name` and `address.country` are required. A code in "
        "use is refused with 409 `duplicate_location`. Coordinates let routing compare distances.",
        request=LocationCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LocationSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        serializer = LocationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = location_create(actor=request_actor(request), **serializer.service_kwargs())
        return Response(LocationSerializer(location).data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(location.version)})


class LocationDetailView(APIView):
    required_scopes = {"GET": "products:read", "PATCH": "products:write"}
    required_permissions = {"GET": "inventory.view_location", "PATCH": "inventory.change_location"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="locations_retrieve",
        summary="One location",
        description="The `ETag` header holds its version: send it in `If-Match` to change the location.",
        parameters=[CODE],
        responses={200: LocationSerializer, 304: OpenApiResponse(description="Not modified since the ETag sent."), **error_responses(404)},
    )
    def get(self, request, code: str):
        location = location_get(code)
        return with_etag(request, Response(LocationSerializer(location).data), location.version)

    @extend_schema(
        operation_id="locations_update",
        summary="Change a location",
        description="Changes only the fields sent (within `address`, only the address fields sent; `coordinates: null` "
        "takes it off the map). `If-Match` must hold the ETag of your last read: without it 428, and 412 when the "
        "location changed meanwhile. The code cannot change.",
        parameters=[CODE, IF_MATCH],
        request=LocationUpdateSerializer,
        responses={200: LocationSerializer, **error_responses(400, 404, 412, 428)},
    )
    def patch(self, request, code: str):
        expected = expected_version(request)
        serializer = LocationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = location_update(code=code, expected_version=expected, changes=serializer.changes(), actor=request_actor(request))
        return Response(LocationSerializer(location).data, headers={"ETag": etag_for(location.version)})


class LocationBinsView(GenericAPIView):
    required_scopes = {"GET": "products:read", "POST": "products:write"}
    required_permissions = {"GET": "inventory.view_bin", "POST": "inventory.add_bin"}
    parser_classes = [JSONParser]
    serializer_class = BinSerializer
    filter_backends = [CursorOrderingFilter]
    ordering_fields = ["pick_sequence", "code"]
    ordering = "pick_sequence"

    def get_queryset(self):
        return bins_listing(location_id=location_get(self.kwargs["code"]).pk)

    @extend_schema(
        operation_id="location_bins_list",
        summary="List a location's bins",
        description="In walking order (`pick_sequence`) unless `ordering` says otherwise, with the SKUs kept in each; "
        "cursor-paginated (follow `next`).",
        parameters=[CODE],
        responses={200: BinSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, code: str):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(BinSerializer, page))

    @extend_schema(
        operation_id="location_bins_create",
        summary="Create a bin",
        description="A storage place in the location, with its place (zone, aisle, shelf, position) and the order "
        "pickers walk it in. A code the location already has is refused with 409 `duplicate_bin`.",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request=BinCreateSerializer,
        responses={201: BinSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, code: str):
        data = validated(BinCreateSerializer, request.data)
        created = bin_create(location=code, actor=request_actor(request), **data)
        bin_ = bins_listing(location_id=created.location_id).get(pk=created.pk)
        return Response(BinSerializer(bin_).data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(bin_.version)})


class LocationBinDetailView(APIView):
    required_scopes = {"GET": "products:read", "PATCH": "products:write"}
    required_permissions = {"GET": "inventory.view_bin", "PATCH": "inventory.change_bin"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="location_bins_retrieve",
        summary="One bin",
        description="With the SKUs kept in it; the `ETag` header holds its version, for `If-Match` on a change.",
        parameters=[CODE, BIN_CODE],
        responses={200: BinSerializer, 304: OpenApiResponse(description="Not modified since the ETag sent."), **error_responses(404)},
    )
    def get(self, request, code: str, bin_code: str):
        bin_ = _bin(code, bin_code)
        return with_etag(request, Response(BinSerializer(bin_).data), bin_.version)

    @extend_schema(
        operation_id="location_bins_update",
        summary="Change a bin",
        description="Changes only the fields sent (place and pick sequence; the code cannot change). `If-Match` must "
        "hold the ETag of your last read: without it 428, and 412 when the bin changed meanwhile.",
        parameters=[CODE, BIN_CODE, IF_MATCH],
        request=BinUpdateSerializer,
        responses={200: BinSerializer, **error_responses(400, 404, 412, 428)},
    )
    def patch(self, request, code: str, bin_code: str):
        expected = expected_version(request)
        data = validated(BinUpdateSerializer, request.data)
        bin_update(location=code, code=bin_code, expected_version=expected, changes=dict(data), actor=request_actor(request))
        bin_ = _bin(code, bin_code)
        return Response(BinSerializer(bin_).data, headers={"ETag": etag_for(bin_.version)})


def _bin(location_code: str, bin_code: str):
    found = bins_listing(location_id=location_get(location_code).pk).filter(code=bin_code).first()
    if found is None:
        raise NotFound(f"Location {location_code!r} has no bin {bin_code!r}.", code="unknown_bin")
    return found


class LocationBinAssignmentsView(APIView):
    required_scopes = {"POST": "products:write"}
    required_permissions = {"POST": "inventory.change_bin"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="location_bin_assignments_create",
        summary="Put a SKU in a bin",
        description="Where the SKU is kept at this location: its pick lists send pickers to that bin. `bin: null` takes "
        "it out of any bin. A SKU has one bin per location, so this replaces the one it had. An unknown SKU or bin is "
        "refused with 400 naming it.",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request=BinAssignmentSerializer,
        responses={200: BinAssignmentResultSerializer, **error_responses(400, 404, 422)},
    )
    @idempotent
    def post(self, request, code: str):
        data = validated(BinAssignmentSerializer, request.data)
        location_get(code)  # the URL's location: 404
        try:
            level = stock_bin_assign(sku=data["sku"], location=code, bin_code=data["bin"], actor=request_actor(request))
        except NotFound as exc:
            # A SKU or bin named in the body: the request is wrong, the URL is not.
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields) from None
        return Response(BinAssignmentResultSerializer(level).data)


class StockMovementsView(GenericAPIView):
    required_scopes = {"GET": "stock:read", "POST": "stock:write"}
    required_permissions = {"GET": "inventory.view_stockmovement", "POST": "inventory.receive_stock"}
    parser_classes = [JSONParser]
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter
    pagination_class = LedgerPagination

    def get_queryset(self):
        return stock_movements_listing()

    @extend_schema(
        operation_id="stock_movements_list",
        summary="Follow the stock ledger",
        description="Every change of every stock counter, oldest first, cursor-paginated. The ledger only grows: keep "
        "the last `next` link and ask it again later to get what was booked since (an empty page means nothing yet).",
        responses={200: StockMovementSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(StockMovementSerializer, page))

    @extend_schema(
        operation_id="stock_movements_create",
        summary="Book a receipt or an adjustment",
        description="`receipt` adds units received to on-hand stock; `adjustment` changes on-hand stock by a signed "
        "quantity and needs a `reason`. An adjustment that would leave less on hand than is reserved is refused (409).",
        request=StockMovementCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: StockMovementSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        serializer = StockMovementCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = request_actor(request)
        common = dict(sku=data["sku"], location=data["location"], quantity=data["quantity"], reference=data["reference"], actor=actor)
        try:
            if data["type"] == StockMovementCreateSerializer.Type.RECEIPT:
                movement = stock_receive(**common)
            else:
                staff_permission_require(request, "inventory.adjust_stock")
                movement = stock_adjust(reason=data["reason"], **common)
        except NotFound as exc:
            # A SKU or location named in the body: the request is wrong, the URL is not.
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields) from None
        movement = StockMovement.objects.select_related("product", "location").get(pk=movement.pk)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class StockLevelsView(GenericAPIView):
    required_scopes = {"GET": "stock:read"}
    required_permissions = {"GET": "inventory.view_stocklevel"}
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter

    def get_queryset(self):
        return stock_levels_listing()

    @extend_schema(
        operation_id="stock_levels_list",
        summary="List stock per SKU and location",
        description="The typed quantities of every stock row, newest row first, cursor-paginated. "
        "`updated_after` picks up the rows changed since a sync.",
        responses={200: StockLevelSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(StockLevelSerializer, page))


class StockSnapshotsView(APIView):
    required_scopes = {"GET": "stock:read", "POST": "stock:write"}
    required_permissions = {"GET": "inventory.view_stocklevel", "POST": "inventory.adjust_stock"}
    parser_classes = [JSONParser]

    @extend_schema(exclude=True)  # the stock of the SKU "snapshots", listed as stock/{sku}/
    def get(self, request):
        return _stock_answer(request, "snapshots")

    @extend_schema(
        operation_id="stock_snapshots_create",
        summary="Upload a stock count",
        description="Sets on-hand stock at one location to the numbers counted by another system (up to 5,000 SKUs), "
        "each difference booked as a count correction on the ledger. Items that cannot apply (unknown SKU, a SKU sent "
        "twice, a negative count, a count below what is reserved plus quarantined there) are skipped and reported in "
        "`items`; the others apply together. Send an `Idempotency-Key`: a retry then changes nothing twice.",
        request=StockSnapshotSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: SnapshotResultSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        serializer = StockSnapshotSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = stock_snapshot_apply(
                location=data["location"], reference=data["reference"], counted_at=data["counted_at"],
                items=[(item["sku"], item["on_hand"]) for item in data["items"]], actor=request_actor(request),
            )
        except NotFound as exc:
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields) from None
        return Response(SnapshotResultSerializer(result).data)


def _channel_param(request) -> str | None:
    channel = request.query_params.get("channel")
    if channel is None:
        return None
    channel = channel.strip()
    if not channel:
        raise InvalidInput("channel must be a channel code.", fields={"channel": ["Not a channel code."]})
    return channel


class StockView(APIView):
    required_scopes = {"GET": "stock:read"}
    required_permissions = {"GET": "inventory.view_stocklevel"}

    @extend_schema(
        operation_id="stock_retrieve",
        summary="Stock of one SKU",
        description="Available-to-promise across locations that ship, and the typed quantities per location. "
        "With `channel`: what that channel may promise under its stock rule, from the locations that sell for it.",
        parameters=[SKU, CHANNEL],
        responses={200: StockSerializer, **error_responses(400, 404)},
    )
    def get(self, request, sku: str):
        return _stock_answer(request, sku)


def _stock_answer(request, sku: str) -> Response:
    return Response(StockSerializer(stock_for_sku(product_get(sku), channel=_channel_param(request))).data)


class StockLookupView(StockView):
    """``stock/lookup/?sku=``: the stock of any SKU, whatever it spells; also the SKU ``lookup``
    itself when no ``sku`` is given (a fixed path never hides a SKU)."""

    @extend_schema(
        operation_id="stock_lookup",
        summary="Stock of one SKU, named in the query",
        description="The same answer as `GET stock/{sku}/`, for a SKU named in `sku` (percent-encoded as any query value): "
        "one that spells a fixed path (`movements`), or holds `%` followed by two hex digits, which no URL path may hold.",
        parameters=[OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="The product's SKU code."),
                    CHANNEL],
        responses={200: StockSerializer, **error_responses(400, 404)},
    )
    def get(self, request):
        if "sku" not in request.query_params:
            return _stock_answer(request, "lookup")
        sku = request.query_params["sku"]
        if not sku.strip():
            raise InvalidInput("Name the SKU: ?sku=<code>.", fields={"sku": ["A SKU is required."]})
        return _stock_answer(request, sku)


class StockQuarantineStepView(APIView):
    """One step of quarantine for a SKU at a location (POST ``stock/<sku>/<step>/``): the
    subclasses name the service and the step. A GET of that URL reads the stock of the SKU that
    ends in ``/<step>`` (the whole path): a SKU such as ``CABLE/release`` is read at
    ``stock/CABLE/release/`` and released at ``stock/CABLE/release/release/``."""

    required_scopes = {"GET": "stock:read", "POST": "stock:write"}
    required_permissions = {"GET": "inventory.view_stocklevel", "POST": "inventory.adjust_stock"}
    parser_classes = [JSONParser]
    service = staticmethod(stock_quarantine)
    step_name = "quarantine"

    @extend_schema(exclude=True)  # listed once, as stock/{sku}/
    def get(self, request, sku: str):
        return _stock_answer(request, f"{sku}/{self.step_name}")

    def step(self, request, sku: str) -> Response:
        serializer = StockQuarantineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        product_get(sku)  # an unknown SKU is the URL's fault: 404
        try:
            self.service(
                sku=sku, location=data["location"], quantity=data["quantity"], reason=data["reason"],
                reference=data["reference"], actor=request_actor(request),
            )
        except NotFound as exc:
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields) from None
        level = stock_levels_listing().get(product__sku=sku, location__code=data["location"])
        return Response(StockLevelSerializer(level).data)


QUARANTINE_STEP = dict(request=StockQuarantineSerializer, parameters=[SKU, IDEMPOTENCY_KEY], responses={200: StockLevelSerializer, **error_responses(400, 404, 409, 422)})


class StockQuarantineView(StockQuarantineStepView):
    @extend_schema(
        operation_id="stock_quarantine",
        summary="Quarantine units",
        description="Sets `quantity` units of the SKU at `location` aside: still on hand, no longer sellable (`damaged` "
        "rises). Refused (409) when fewer units are free to set aside. Answers the stock level after the change.",
        **QUARANTINE_STEP,
    )
    @idempotent
    def post(self, request, sku: str):
        return self.step(request, sku)


class StockQuarantineReleaseView(StockQuarantineStepView):
    service = staticmethod(stock_quarantine_release)
    step_name = "release"

    @extend_schema(
        operation_id="stock_quarantine_release",
        summary="Release units from quarantine",
        description="Makes `quantity` quarantined units sellable again (refurbished, or cleared): `damaged` falls, on hand "
        "stays, and orders waiting for the SKU are served as after a receipt. Refused (409, `not_quarantined`) when fewer "
        "units are quarantined there. Answers the stock level after the change.",
        **QUARANTINE_STEP,
    )
    @idempotent
    def post(self, request, sku: str):
        return self.step(request, sku)


class StockQuarantineScrapView(StockQuarantineStepView):
    service = staticmethod(stock_scrap)
    step_name = "scrap"

    @extend_schema(
        operation_id="stock_quarantine_scrap",
        summary="Scrap quarantined units",
        description="Writes off `quantity` quarantined units: they leave on hand and quarantine together. Refused (409, "
        "`not_quarantined`) when fewer units are quarantined there. Answers the stock level after the change.",
        **QUARANTINE_STEP,
    )
    @idempotent
    def post(self, request, sku: str):
        return self.step(request, sku)


class AvailabilityView(APIView):
    required_scopes = {"GET": "stock:read"}
    required_permissions = {"GET": "inventory.view_stocklevel"}

    @extend_schema(
        operation_id="availability_list",
        summary="Available-to-promise of many SKUs",
        description=f"For a storefront: what can be promised of each SKU asked for (up to {MAX_BULK_SKUS}), per channel "
        "when `channel` is given, in a fixed number of queries. Unknown SKUs are listed in `unknown_skus`.",
        parameters=[
            OpenApiParameter("skus", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="Comma-separated SKUs."),
            CHANNEL,
        ],
        responses={200: BulkAvailabilitySerializer, **error_responses(400)},
    )
    def get(self, request):
        channel = _channel_param(request)
        skus = list(dict.fromkeys(s.strip() for s in request.query_params.get("skus", "").split(",") if s.strip()))
        if not skus:
            raise InvalidInput("Name the SKUs: ?skus=A,B,C.", fields={"skus": ["At least one SKU is required."]})
        if len(skus) > MAX_BULK_SKUS:
            raise InvalidInput(f"At most {MAX_BULK_SKUS} SKUs per request.", fields={"skus": [f"At most {MAX_BULK_SKUS}."]})
        products = products_by_sku(skus)
        found = [products[sku] for sku in skus if sku in products]
        body = {
            "channel": channel,
            "results": available_to_promise_for_skus(found, channel=channel),
            "unknown_skus": [sku for sku in skus if sku not in products],
        }
        return Response(BulkAvailabilitySerializer(body).data)
