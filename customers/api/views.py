"""Customer endpoints: thin views over ``customers.services`` and ``customers.selectors``."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors import customer_get, customer_store_credit, customers_with_details
from customers.services import customer_address_create, customer_create, customer_update
from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorOrderingFilter
from oms.api.parsers import JSONParser
from oms.api.representation import represent_many
from oms.api.schema import IDEMPOTENCY_KEY, IF_MATCH, error_responses
from oms.api.versioning import etag_for, expected_version, with_etag

from .filters import CustomerFilter
from .serializers import (
    CustomerAddressCreateSerializer,
    CustomerAddressSerializer,
    CustomerCreateSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    StoreCreditSerializer,
)

CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The customer's id.")


def _answer(customer, *, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(CustomerSerializer(customer).data, status=status_code)
    response["ETag"] = etag_for(customer.version)
    return response


class CustomersView(GenericAPIView):
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}
    required_permissions = {"GET": "customers.view_customer", "POST": "customers.add_customer"}
    parser_classes = [JSONParser]
    serializer_class = CustomerSerializer
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    filterset_class = CustomerFilter
    ordering_fields = ["id", "created_at", "updated_at", "email"]
    ordering = "-id"

    def get_queryset(self):
        return customers_with_details()

    @extend_schema(
        operation_id="customers_list",
        summary="List customers",
        description="Newest first unless `ordering` says otherwise (`id`, `created_at`, `updated_at`, `email`; `-` for "
        "descending); cursor-paginated (follow `next`). `updated_after` with `ordering=updated_at` picks up every change since a sync.",
        responses={200: CustomerSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(CustomerSerializer, page))

    @extend_schema(
        operation_id="customers_create",
        summary="Create a customer",
        description="Only `email` is required. An e-mail already on file is refused with 409; the message names the "
        "customer that has it.",
        request=CustomerCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: CustomerSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        serializer = CustomerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_create(actor=request_actor(request), **serializer.validated_data)
        return _answer(customer_get(customer.pk), status_code=status.HTTP_201_CREATED)


class CustomerDetailView(APIView):
    required_scopes = {"GET": "customers:read", "PATCH": "customers:write"}
    required_permissions = {"GET": "customers.view_customer", "PATCH": "customers.change_customer"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="customers_retrieve",
        summary="One customer",
        description="With its addresses. The `ETag` header holds its version: send it in `If-Match` to change the "
        "customer. `If-None-Match` with the current ETag answers 304.",
        parameters=[CUSTOMER_ID],
        responses={200: CustomerSerializer, 304: OpenApiResponse(description="Not modified since the ETag sent."), **error_responses(404)},
    )
    def get(self, request, customer_id: int):
        customer = customer_get(customer_id)
        return with_etag(request, Response(CustomerSerializer(customer).data), customer.version)

    @extend_schema(
        operation_id="customers_update",
        summary="Change a customer",
        description="Changes only the fields sent (names, company, VAT number, phone, group, notification opt-ins). "
        "`If-Match` must hold the ETag of your last read: without it 428, and 412 when the customer changed meanwhile.",
        parameters=[CUSTOMER_ID, IF_MATCH],
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer, **error_responses(400, 404, 412, 428)},
    )
    def patch(self, request, customer_id: int):
        expected = expected_version(request)
        serializer = CustomerUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_update(customer_id=customer_id, expected_version=expected, changes=serializer.validated_data, actor=request_actor(request))
        return _answer(customer_get(customer_id))


class CustomerAddressesView(APIView):
    required_scopes = {"POST": "customers:write"}
    required_permissions = {"POST": "customers.add_customeraddress"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="customers_addresses_create",
        summary="Add an address to a customer",
        description="The customer's version (its ETag) rises, since its addresses are part of it. Marked as default "
        "for shipping or billing, it takes the flag from the previous default.",
        parameters=[CUSTOMER_ID, IDEMPOTENCY_KEY],
        request=CustomerAddressCreateSerializer,
        responses={201: CustomerAddressSerializer, **error_responses(400, 404, 422)},
    )
    @idempotent
    def post(self, request, customer_id: int):
        serializer = CustomerAddressCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = customer_address_create(customer_id=customer_id, actor=request_actor(request), **serializer.validated_data)
        return Response(CustomerAddressSerializer(address).data, status=status.HTTP_201_CREATED)


class CustomerStoreCreditView(APIView):
    required_scopes = {"GET": "customers:read"}
    required_permissions = {"GET": "customers.view_storecreditaccount"}

    @extend_schema(
        operation_id="customers_store_credit_retrieve",
        summary="A customer's store credit",
        description="The balance per currency, with the newest ledger entries (credits from refunds, spends at intake).",
        parameters=[CUSTOMER_ID],
        responses={200: StoreCreditSerializer, **error_responses(404)},
    )
    def get(self, request, customer_id: int):
        accounts = customer_store_credit(customer_id)
        return Response(StoreCreditSerializer({"customer_id": customer_id, "accounts": accounts}).data)
