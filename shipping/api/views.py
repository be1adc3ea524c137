"""Carrier endpoints: tracking events a carrier posts, signed with the carrier's tracking secret.

No API key: the signature is the authentication, an HMAC-SHA256 of the raw body with the
carrier's ``tracking_secret``, checked in constant time before anything is parsed.
"""

import dataclasses
import hashlib
import hmac
import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.schema import ErrorSerializer
from oms.errors import DomainError, InvalidInput, NotFound

from ..models import Carrier, ShipmentStatus, TrackingCode
from ..services import MAX_TRACKING_EVENTS, tracking_events_record

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


class RawBodyParser(BaseParser):
    """The body as bytes (one past the limit, to tell it is too large): the signature is over exactly what was sent."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""


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
    parser_classes = [RawBodyParser]

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
            400: OpenApiResponse(ErrorSerializer, description="Not JSON, not a list, too large, or malformed events: see `error.fields`."),
            401: OpenApiResponse(ErrorSerializer, description="Missing or wrong signature, or the carrier has no tracking secret; nothing was recorded."),
            404: OpenApiResponse(ErrorSerializer, description="No carrier with this code."),
        },
        auth=[],
    )
    def post(self, request, code: str):
        carrier = Carrier.objects.filter(code=code).first()
        if carrier is None:
            raise NotFound(f"No carrier {code!r}.")
        body = request.data if isinstance(request.data, bytes) else b""
        tracking_signature_verify(body=body, secret=carrier.tracking_secret, signature=request.headers.get(SIGNATURE_HEADER, ""))
        if len(body) > MAX_BODY_BYTES:
            raise InvalidInput(f"The body is larger than {MAX_BODY_BYTES // 1024 // 1024} MB; send fewer events at once.", fields={"body": ["too large"]})
        try:
            events = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidInput(f"The body is not JSON: {error}.", fields={"body": [str(error)]}) from None
        results = tracking_events_record(carrier_code=carrier.code, events=events, actor=f"carrier:{carrier.code}")
        return Response({"results": [dataclasses.asdict(result) for result in results]})
