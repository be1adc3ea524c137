"""Catalogue and stock endpoints: thin views over ``inventory.services`` and ``inventory.selectors``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Location, StockMovement
from inventory.selectors import stock_for_sku
from inventory.services import product_create, product_get, stock_adjust, stock_receive
from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.errors import InvalidInput, NotFound

from .serializers import (
    LocationSerializer,
    ProductCreateSerializer,
    ProductSerializer,
    StockMovementCreateSerializer,
    StockMovementSerializer,
    StockSerializer,
)

SKU = OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH, description="The product's SKU code.")


def _product(sku: str):
    if "\x00" in sku:  # in no stored SKU, and PostgreSQL refuses it in a query
        raise NotFound(f"No product with SKU {sku!r}.", code="unknown_sku")
    return product_get(sku)


class ProductsView(APIView):
    required_scopes = {"POST": "products:write"}
    parser_classes = [JSONParser]

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
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailView(APIView):
    required_scopes = {"GET": "products:read"}

    @extend_schema(operation_id="products_retrieve", summary="One product", parameters=[SKU], responses={200: ProductSerializer, **error_responses(404)})
    def get(self, request, sku: str):
        return Response(ProductSerializer(_product(sku)).data)


class LocationsView(APIView):
    required_scopes = {"GET": "products:read"}

    @extend_schema(
        operation_id="locations_list",
        summary="List locations",
        description="Every warehouse, store and dropshipper, in shipping priority order; use `code` to name one.",
        responses={200: LocationSerializer(many=True), **error_responses()},
    )
    def get(self, request):
        return Response(LocationSerializer(Location.objects.order_by("priority", "code"), many=True).data)


class StockMovementsView(APIView):
    required_scopes = {"POST": "stock:write"}
    parser_classes = [JSONParser]

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
                movement = stock_adjust(reason=data["reason"], **common)
        except NotFound as exc:
            # A SKU or location named in the body: the request is wrong, the URL is not.
            raise InvalidInput(exc.message, code=exc.code, fields=exc.fields) from None
        movement = StockMovement.objects.select_related("product", "location").get(pk=movement.pk)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class StockView(APIView):
    required_scopes = {"GET": "stock:read"}

    @extend_schema(
        operation_id="stock_retrieve",
        summary="Stock of one SKU",
        description="Available-to-promise across locations that ship, and the typed quantities per location.",
        parameters=[SKU],
        responses={200: StockSerializer, **error_responses(404)},
    )
    def get(self, request, sku: str):
        return Response(StockSerializer(stock_for_sku(_product(sku))).data)
