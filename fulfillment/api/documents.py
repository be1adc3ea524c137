"""Warehouse documents as PDF downloads, for a WMS that prints on its own floor: the same pick
list and packing slip the console prints, rendered on request (one document is quick enough to
wait for; batches go through document jobs)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from fulfillment.documents import packing_slips_pdf, pick_lists_pdf
from fulfillment.documents.sources import packing_slip_documents, pick_list_documents
from fulfillment.models import PickList
from oms.api.downloads import FileAnswerNegotiation, file_response
from oms.api.schema import error_responses
from oms.errors import NotFound

from .orders import NUMBER, _id_for

PICK_LIST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The pick list's id.")
PDF = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")}


class PickListDocumentView(APIView):
    required_scopes = {"GET": "fulfillment:read"}
    required_permissions = {"GET": "fulfillment.view_picklist"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="pick_lists_document",
        summary="A pick list as PDF",
        description="The printed pick list: its lines in walking order with bins and (for batch picking) totes.",
        parameters=[PICK_LIST_ID],
        responses={**PDF, **error_responses(404)},
    )
    def get(self, request, pk: int):
        pick_list = PickList.objects.filter(pk=pk).first()
        if pick_list is None:
            raise NotFound(f"No pick list #{pk}.")
        content = pick_lists_pdf(pick_list_documents([pk]))
        return file_response(content, filename=f"pick-list-{pick_list.number}.pdf", content_type="application/pdf")


class PackingSlipDocumentView(APIView):
    required_scopes = {"GET": "fulfillment:read"}
    required_permissions = {"GET": "fulfillment.view_fulfillmentorder"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="fulfillment_orders_packing_slip",
        summary="A fulfillment order's packing slip as PDF",
        description="The slip that goes into the parcel: once packed, what went into it; before, what is to be packed.",
        parameters=[NUMBER],
        responses={**PDF, **error_responses(404)},
    )
    def get(self, request, number: str):
        fulfillment_order_id = _id_for(number)
        content = packing_slips_pdf(packing_slip_documents([fulfillment_order_id]))
        return file_response(content, filename=f"packing-slip-{number}.pdf", content_type="application/pdf")
