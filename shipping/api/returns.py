"""Return labels: ``POST /shipments/{id}/return-label/`` books the return of an outbound shipment.

Same access as voiding: an API key with ``shipping:write``, or signed-in staff with the
``create_return_label`` permission the console's action asks for.
"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.parsers import JSONParser
from oms.api.representation import represent, validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses

from ..models import Shipment
from ..services import shipment_return_label_create
from .serializers import ParcelSerializer, ShipmentSerializer

SHIPMENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The id of the outbound shipment to return.")
MAX_RETURN_PARCELS = 50


class ReturnParcelSerializer(serializers.Serializer):
    weight_kg = serializers.DecimalField(max_digits=9, decimal_places=3, min_value=Decimal("0.001"), help_text="Kilograms, e.g. `2.5`.")
    length_cm = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=Decimal("0"), required=False, default=Decimal("0"))
    width_cm = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=Decimal("0"), required=False, default=Decimal("0"))
    height_cm = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=Decimal("0"), required=False, default=Decimal("0"))


class ReturnLabelCreateSerializer(serializers.Serializer):
    parcels = ReturnParcelSerializer(
        many=True, required=False, allow_empty=False, max_length=MAX_RETURN_PARCELS,
        help_text="What the customer sends back, when it is not the original's parcels (e.g. part of them, in another box).",
    )
    service_code = serializers.SlugField(
        max_length=30, required=False, help_text="Another service of the same carrier, e.g. `ground`; default: the original's.",
    )


class ShipmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField()


class ReturnShipmentSerializer(ShipmentSerializer):
    return_of = ShipmentRefSerializer(help_text="The outbound shipment this return sends back.")
    parcels = ParcelSerializer(many=True)


class ShipmentReturnLabelView(APIView):
    required_scopes = {"POST": "shipping:write"}
    required_permissions = {"POST": "shipping.create_return_label"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="shipments_return_label_create",
        summary="Create a return label for a shipment",
        description="Books the return of an outbound shipment with the same carrier: from its recipient back to where it "
        "came from, with the original's service and parcels unless the body gives others (the body may be empty). The "
        "answer is the return shipment (`direction` `return`); its label is at `label_url`. A return goes on no "
        "end-of-day manifest and is never late against its quoted date. Refused with 409 for a voided shipment, for a "
        "return, or when the carrier issues no return labels through the OMS (`return_labels_unavailable`); 400 when the "
        "service cannot carry the parcels on the way back.",
        request=ReturnLabelCreateSerializer,
        parameters=[SHIPMENT_ID, IDEMPOTENCY_KEY],
        responses={201: ReturnShipmentSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, pk: int):
        data = validated(ReturnLabelCreateSerializer, request.data if request.data else {})
        parcels = data.get("parcels")
        returned = shipment_return_label_create(
            shipment_id=pk, actor=request_actor(request), service_code=data.get("service_code"),
            parcels=[dict(parcel) for parcel in parcels] if parcels is not None else None,
        )
        shipment = (
            Shipment.objects.select_related("carrier", "service", "manifest", "return_of").defer("label_pdf")
            .prefetch_related("parcels").get(pk=returned.pk)
        )
        return Response(represent(ReturnShipmentSerializer, shipment), status=status.HTTP_201_CREATED)
