"""Shipping endpoints: shipments (list, detail, label, void, labels in batches), manifests (list,
detail, PDF, CSV, close), and the tracking events a carrier posts, signed with its tracking secret.

Shipments and manifests take an API key with ``shipping:read`` / ``shipping:write``; signed-in
staff need the model permission the console asks for (``view_shipment``, ``void_shipment``,
``view_manifest``, ``close_manifest``). The carrier tracking endpoint takes no API key: the
signature is the authentication, an HMAC-SHA256 of the raw body with the carrier's
``tracking_secret``, checked in constant time before anything is parsed.
"""

import dataclasses
import hashlib
import hmac

import django_filters
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Sum
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from oms import json_input
from oms.api.authentication import request_actor
from oms.api.documents import DocumentJobSerializer, document_job_answer
from oms.api.downloads import FileAnswerNegotiation, file_response
from oms.api.idempotency import idempotent
from oms.api.pagination import CursorOrderingFilter
from oms.api.parsers import JSONParser, RawBodyParser
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, ErrorSerializer, error_responses
from oms.documents import document_job_start
from oms.errors import DomainError, InvalidInput, NotFound

from ..documents import KIND as LABELS_KIND
from ..documents import label_batch_check, shipments_labels_batch_pdf
from ..manifests import manifest_csv, manifest_pdf, manifest_sheet
from ..models import Carrier, Manifest, Shipment, ShipmentDirection, ShipmentParcel, ShipmentStatus, TrackingCode, TrackingEvent
from ..services import MAX_TRACKING_EVENTS, manifest_close, shipment_label, shipment_void, tracking_events_record
from .serializers import (
    ManifestCloseSerializer,
    ManifestDetailSerializer,
    ManifestSerializer,
    ShipmentDetailSerializer,
    ShipmentSerializer,
    ShipmentsLabelsSerializer,
)

SIGNATURE_HEADER = "X-OMS-Signature"
MAX_BODY_BYTES = 2 * 1024 * 1024


class SignatureInvalid(DomainError):
    code = "invalid_signature"
    status_code = 401


def tracking_signature(*, body: bytes, secret: str) -> str:
    """The header value a carrier sends: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def tracking_signature_verify(*, body: bytes, secret: str, signature: str) -> None:
    """Raise :class:`SignatureInvalid` unless ``signature`` signs ``body`` with ``secret`` (constant time)."""
    if not secret:
        raise SignatureInvalid("This carrier has no tracking secret set; its tracking events are refused. Set one in the admin.")
    expected = tracking_signature(body=body, secret=secret).encode()
    if not signature or not hmac.compare_digest(expected, signature.strip().lower().encode("latin-1", "replace")):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the body (expected sha256=<hex HMAC-SHA256 of the raw body>); nothing was recorded.")


class TrackingBodyParser(RawBodyParser):
    """The raw body (the signature is over exactly what was sent); over 2 MB a 413."""

    limit = MAX_BODY_BYTES
    advice = f"send fewer events at once (at most {MAX_TRACKING_EVENTS} per post)."


class TrackingEventInSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100, help_text="The carrier's id of this event; a repeat is recognised and changes nothing.")
    tracking_number = serializers.CharField(max_length=40, help_text="The parcel's tracking number.")
    code = serializers.ChoiceField(
        choices=TrackingCode.choices,
        help_text="Normalized code. `in_transit`, `out_for_delivery`, `delivered`, `exception` and `returned_to_sender` set the "
        "shipment's status; the others are scans that show it moving (`label_created` and `info` are not scans).",
    )
    status_text = serializers.CharField(max_length=255, required=False, allow_blank=True, help_text="The carrier's own words.")
    location = serializers.CharField(max_length=255, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(help_text="When it happened, ISO 8601 with its offset.")


class TrackingEventResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    tracking_number = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["recorded", "duplicate", "unknown_tracking_number"])
    status = serializers.ChoiceField(choices=[("", "(unknown shipment)"), *ShipmentStatus.choices], help_text="The shipment's status after this call.")
    message = serializers.CharField(help_text="What the event did, e.g. `now delivered` or why the status stayed.")


class TrackingEventResultsSerializer(serializers.Serializer):
    results = TrackingEventResultSerializer(many=True, help_text="One per event sent, in the same order.")


class CarrierTrackingView(APIView):
    # No @idempotent: carriers send no Idempotency-Key; their event ids make repeats harmless.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [TrackingBodyParser]

    @extend_schema(
        operation_id="carriers_tracking_events",
        summary="Receive a carrier's tracking events",
        description=f"The carrier posts a JSON list of events (at most {MAX_TRACKING_EVENTS}). Authenticated by "
        f"`{SIGNATURE_HEADER}: sha256=<hex>`, the HMAC-SHA256 of the raw body with the carrier's tracking secret (set in the "
        "admin; without one every post is refused), not by an API key. Events are kept in the shipment's timeline; they move "
        "its status forward only (an event older than the one that set the current status changes nothing), and an event id "
        "already recorded answers `duplicate`. A tracking number without a shipment of this carrier is answered "
        "`unknown_tracking_number` and does not fail the others (`outcome` per event). A malformed event refuses the whole body (400, nothing "
        "recorded) with the path of each problem, e.g. `[2].occurred_at`.",
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The carrier's code, e.g. `oms-post`."),
                    OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                     description="`sha256=` followed by the hex HMAC-SHA256 of the raw body with the carrier's tracking secret.")],
        request={"application/json": TrackingEventInSerializer(many=True)},
        responses={
            200: TrackingEventResultsSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Not JSON, not a list, or malformed events: see `error.fields`."),
            401: OpenApiResponse(ErrorSerializer, description="Missing or wrong signature, or the carrier has no tracking secret; nothing was recorded."),
            404: OpenApiResponse(ErrorSerializer, description="No carrier with this code."),
            413: OpenApiResponse(ErrorSerializer, description="The body is over 2 MB (checked before the signature); send fewer events at once."),
        },
        auth=[],
    )
    def post(self, request, code: str):
        carrier = Carrier.objects.filter(code=code).first()
        if carrier is None:
            raise NotFound(f"No carrier {code!r}.")
        body = request.data if isinstance(request.data, bytes) else b""
        tracking_signature_verify(body=body, secret=carrier.tracking_secret, signature=request.headers.get(SIGNATURE_HEADER, ""))
        try:
            events = json_input.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidInput(f"The body is not JSON: {error}.", fields={"body": [str(error)]}) from None
        results = tracking_events_record(carrier_code=carrier.code, events=events, actor=f"carrier:{carrier.code}")
        return Response({"results": [dataclasses.asdict(result) for result in results]})


# ---------------------------------------------------------------------------- shipments

SHIPMENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The shipment's id.")
MANIFEST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The manifest's id.")
# The first bytes of the label formats carriers hand out, and what each is served as.
LABEL_TYPES = ((b"%PDF-", "application/pdf", "pdf"), (b"\x89PNG", "image/png", "png"), (b"^XA", "application/zpl", "zpl"))
LABEL_MEDIA = {media: OpenApiResponse(OpenApiTypes.BINARY) for _, media, _ in LABEL_TYPES}


def labels_inline_max() -> int:
    """Most shipments whose labels are rendered while the caller waits; more become a document job."""
    return getattr(settings, "OMS_LABELS_INLINE_MAX", 200)


def shipments_listed():
    """Shipments as the list shows them, in a constant number of queries (the label itself stays in the database)."""
    return Shipment.objects.select_related("carrier", "service", "manifest").defer("label_pdf", "quote")


def shipments_with_details():
    """Shipments with their parcels and tracking timeline, in a constant number of queries."""
    return Shipment.objects.select_related("carrier", "service", "manifest").defer("label_pdf").prefetch_related(
        Prefetch("parcels", queryset=ShipmentParcel.objects.order_by("sequence")),
        Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")),
    )


def _shipment(pk: int) -> Shipment:
    found = shipments_with_details().filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No shipment with id {pk}.")
    return found


def _date_range(field: str, lookup: str, text: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(field_name=field, lookup_expr=lookup, help_text=f"YYYY-MM-DD, {text}.")


def _time_range(field: str, lookup: str, text: str) -> django_filters.IsoDateTimeFilter:
    return django_filters.IsoDateTimeFilter(field_name=field, lookup_expr=lookup, help_text=f"ISO 8601 date-time, {text}, e.g. `2026-03-02T00:00:00Z`.")


class ShipmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ShipmentStatus.choices)
    carrier = django_filters.CharFilter(field_name="carrier__code", help_text="The carrier's code, e.g. `oms-post`.")
    tracking_number = django_filters.CharFilter(method="filter_tracking_number", help_text="The shipment's or any of its parcels' tracking number.")
    reference = django_filters.CharFilter(help_text="The caller's id, e.g. a fulfillment order number.")
    late = django_filters.BooleanFilter()
    direction = django_filters.ChoiceFilter(choices=ShipmentDirection.choices)
    created_after = _time_range("created_at", "gte", "inclusive (booked at or after)")
    created_before = _time_range("created_at", "lt", "exclusive (booked before)")
    collection_from = _date_range("collection_date", "gte", "inclusive (collected on or after)")
    collection_to = _date_range("collection_date", "lte", "inclusive (collected on or before)")

    class Meta:
        model = Shipment
        fields = [
            "status", "carrier", "tracking_number", "reference", "late", "direction",
            "created_after", "created_before", "collection_from", "collection_to",
        ]

    def filter_tracking_number(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(Exists(ShipmentParcel.objects.filter(shipment=OuterRef("pk"), tracking_number=value)))


class ShipmentsView(GenericAPIView):
    required_scopes = {"GET": "shipping:read"}
    required_permissions = {"GET": "shipping.view_shipment"}
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    ordering_fields = ["created_at", "collection_date", "promised_delivery_date"]

    def get_queryset(self):
        return shipments_listed()

    @extend_schema(
        operation_id="shipments_list",
        summary="List shipments",
        description="Newest first unless `ordering` says otherwise; cursor-paginated (follow `next`). Filters combine "
        "with AND. Parcels, the tracking timeline and the quote are in the detail.",
        responses={200: ShipmentSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(ShipmentSerializer, page))


class ShipmentDetailView(APIView):
    required_scopes = {"GET": "shipping:read"}
    required_permissions = {"GET": "shipping.view_shipment"}

    @extend_schema(
        operation_id="shipments_retrieve",
        summary="One shipment",
        description="With its parcels, the tracking timeline (newest first), the quote's explanation, its manifest and its label's path.",
        parameters=[SHIPMENT_ID],
        responses={200: ShipmentDetailSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        return Response(represent(ShipmentDetailSerializer, _shipment(pk)))


def _label_type(content: bytes) -> tuple[str, str]:
    for magic, media, extension in LABEL_TYPES:
        if content.lstrip()[: len(magic)] == magic:
            return media, extension
    return "application/octet-stream", "bin"


class ShipmentLabelView(APIView):
    required_scopes = {"GET": "shipping:read"}
    required_permissions = {"GET": "shipping.view_shipment"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="shipments_label",
        summary="A shipment's label",
        description="The stored label: the OMS's 4x6 PDF (a page per parcel), rendered and stored first when there is "
        "none yet, or the label the carrier supplied, served as it came (PDF, PNG or ZPL, with that content type). A "
        "voided shipment's label must not be used: 409.",
        parameters=[SHIPMENT_ID],
        responses={**{(200, media): response for media, response in LABEL_MEDIA.items()}, **error_responses(404, 409)},
    )
    def get(self, request, pk: int):
        shipment = shipment_label(shipment_id=pk, actor=request_actor(request))
        content = bytes(shipment.label_pdf)
        media, extension = _label_type(content)
        return file_response(content, filename=f"label-{shipment.tracking_number}.{extension}", content_type=media)


class ShipmentVoidView(APIView):
    required_scopes = {"POST": "shipping:write"}
    required_permissions = {"POST": "shipping.void_shipment"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="shipments_void",
        summary="Void a shipment",
        description="Only before the carrier's first scan and before its manifest was handed over; the carrier is told "
        "first, and a refusal there changes nothing. Voiding a voided shipment again changes nothing. Too late: 409.",
        request=None,
        parameters=[SHIPMENT_ID, IDEMPOTENCY_KEY],
        responses={200: ShipmentDetailSerializer, **error_responses(404, 409, 422)},
    )
    @idempotent
    def post(self, request, pk: int):
        shipment_void(shipment_id=pk, actor=request_actor(request))  # NotFound: 404
        return Response(represent(ShipmentDetailSerializer, _shipment(pk)))


class ShipmentsLabelsView(APIView):
    required_scopes = {"POST": "shipping:read"}
    required_permissions = {"POST": "shipping.view_shipment"}
    parser_classes = [JSONParser]
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="shipments_labels",
        summary="Print the labels of many shipments",
        description="One 4x6 PDF of every parcel label of the shipments named, in that order. Up to "
        "`OMS_LABELS_INLINE_MAX` shipments (default 200) the answer is the PDF; more are rendered in the background: "
        "202 with the document job, to follow at its `url` (scope `documents:read`) and download from its "
        "`download_url` when done. Ids that are no shipment: 400; voided shipments or labels the carrier supplied "
        "(download those one by one): 409, each named in `error.fields`, and nothing is printed.",
        request=ShipmentsLabelsSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The labels."),
            202: OpenApiResponse(DocumentJobSerializer, description="Too many to render now: the document job that renders them."),
            **error_responses(400, 409, 422),
        },
    )
    @idempotent
    def post(self, request):
        ids = label_batch_check(validated(ShipmentsLabelsSerializer, request.data)["shipment_ids"])
        if len(ids) > labels_inline_max():
            job = document_job_start(
                kind=LABELS_KIND, payload={"shipment_ids": ids}, actor=request_actor(request), title=f"Shipping labels ({len(ids)})"
            )
            return Response(document_job_answer(job), status=status.HTTP_202_ACCEPTED)
        rendered = shipments_labels_batch_pdf(ids)
        return file_response(rendered.content, filename=f"labels-{timezone.localtime():%Y%m%d-%H%M%S}.pdf", content_type="application/pdf")


# ---------------------------------------------------------------------------- manifests


def manifests_listed():
    return Manifest.objects.select_related("carrier").annotate(shipment_count=Count("shipments"))


def _manifest(pk: int) -> Manifest:
    shipments = Shipment.objects.select_related("service").defer("label_pdf", "quote").annotate(
        parcel_count=Count("parcels"), parcel_weight=Sum("parcels__weight_kg")
    ).order_by("tracking_number")
    found = manifests_listed().prefetch_related(Prefetch("shipments", queryset=shipments, to_attr="listed_shipments")).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No manifest with id {pk}.")
    return found


class ManifestFilter(django_filters.FilterSet):
    carrier = django_filters.CharFilter(field_name="carrier__code", help_text="The carrier's code, e.g. `oms-post`.")
    date_from = _date_range("date", "gte", "inclusive (collection date on or after)")
    date_to = _date_range("date", "lte", "inclusive (collection date on or before)")

    class Meta:
        model = Manifest
        fields = ["carrier", "date_from", "date_to"]


class ManifestsView(GenericAPIView):
    required_scopes = {"GET": "shipping:read", "POST": "shipping:write"}
    required_permissions = {"GET": "shipping.view_manifest", "POST": "shipping.close_manifest"}
    parser_classes = [JSONParser]
    serializer_class = ManifestSerializer
    filterset_class = ManifestFilter
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    ordering_fields = ["date", "closed_at"]

    def get_queryset(self):
        return manifests_listed()

    @extend_schema(
        operation_id="manifests_list",
        summary="List closed manifests",
        description="Newest first unless `ordering` says otherwise; cursor-paginated (follow `next`).",
        responses={200: ManifestSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(ManifestSerializer, page))

    @extend_schema(
        operation_id="manifests_close",
        summary="Close a carrier's manifest for a day",
        description="Every shipment the carrier collects that day (collection date), not voided and on no manifest yet, "
        "goes on a new manifest `CARRIER-YYYYMMDD-n` (201); from then on they can no longer be voided. Nothing left to "
        "hand over that day: 409 `nothing_to_manifest`. An unknown carrier or a malformed day: 400.",
        request=ManifestCloseSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ManifestDetailSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(ManifestCloseSerializer, request.data)
        code = data["carrier_code"]
        if "\x00" in code or not Carrier.objects.filter(code=code).exists():
            raise InvalidInput(f"No carrier with code {code!r}.", fields={"carrier_code": ["Unknown carrier."]})
        manifest = manifest_close(carrier_code=code, day=data["day"], actor=request_actor(request))
        return Response(represent(ManifestDetailSerializer, _manifest(manifest.pk)), status=status.HTTP_201_CREATED)


class ManifestDetailView(APIView):
    required_scopes = {"GET": "shipping:read"}
    required_permissions = {"GET": "shipping.view_manifest"}

    @extend_schema(
        operation_id="manifests_retrieve",
        summary="One manifest with its shipments",
        parameters=[MANIFEST_ID],
        responses={200: ManifestDetailSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        return Response(represent(ManifestDetailSerializer, _manifest(pk)))


class ManifestDownloadView(APIView):
    required_scopes = {"GET": "shipping:read"}
    required_permissions = {"GET": "shipping.view_manifest"}
    content_negotiation_class = FileAnswerNegotiation
    kind = "pdf"

    def get(self, request, pk: int):
        manifest = Manifest.objects.select_related("carrier").filter(pk=pk).first()
        if manifest is None:
            raise NotFound(f"No manifest with id {pk}.")
        sheet = manifest_sheet(manifest)
        if self.kind == "csv":
            return file_response(manifest_csv(sheet).encode(), filename=f"manifest-{manifest.number}.csv", content_type="text/csv; charset=utf-8")
        return file_response(manifest_pdf(sheet), filename=f"manifest-{manifest.number}.pdf", content_type="application/pdf")


class ManifestPdfView(ManifestDownloadView):
    kind = "pdf"

    @extend_schema(
        operation_id="manifests_pdf",
        summary="A manifest as PDF",
        description="A4: the table of shipments with totals and a line for the driver's signature.",
        parameters=[MANIFEST_ID],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The manifest."), **error_responses(404)},
    )
    def get(self, request, pk: int):
        return super().get(request, pk)


class ManifestCsvView(ManifestDownloadView):
    kind = "csv"

    @extend_schema(
        operation_id="manifests_csv",
        summary="A manifest as CSV",
        description="A header (tracking_number, reference, destination, parcels, weight_kg, service), a row per "
        "shipment in tracking number order, and a last row `TOTAL` with the shipment count, parcels and weight.",
        parameters=[MANIFEST_ID],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The manifest."), **error_responses(404)},
    )
    def get(self, request, pk: int):
        return super().get(request, pk)
