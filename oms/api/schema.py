"""OpenAPI pieces every app's API views share: the error body and the Idempotency-Key and If-Match headers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .idempotency import HEADER


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `invalid`, `not_found`, `invalid_transition`.")
    message = serializers.CharField(help_text="What went wrong and what to do, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Field paths such as `lines[0].quantity` mapped to what to fix; `{}` when the error is not about a field.',
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ErrorDetailSerializer()


IDEMPOTENCY_KEY = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A key you choose per request (a UUID is fine). A retry with the same key and body gets the first "
    "answer (header `Idempotent-Replayed: true`) instead of acting twice; the same key with another body is 422, "
    "and while the first request is still running, 409.",
)

_ERRORS = {
    400: "Malformed request: see `error.fields`.",
    401: "Missing, unknown or revoked API key.",
    403: "The API key lacks the scope this operation needs.",
    404: "Not found.",
    409: "Refused by a business rule, or the same Idempotency-Key is still in flight.",
    412: "If-Match names no current version (or only a weak ETag, which never matches): read the resource again.",
    413: "The body (or the uploaded file) is larger than this endpoint takes: `error.message` says the limit and what to send instead.",
    422: "This Idempotency-Key was already used for a different request.",
    428: "If-Match is missing: send the ETag you last read.",
    429: "Too many requests for this API key: wait `Retry-After` seconds.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``responses=`` entries in the error shape; 401 and 403 are always added."""
    wanted = sorted({401, 403, 429, *statuses})
    return {status: OpenApiResponse(ErrorSerializer, description=_ERRORS[status]) for status in wanted}


IF_MATCH = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="The `ETag` of your last read of this resource, e.g. `\"3\"` (several, comma-separated: any one current "
    "will do; `*`: whatever version exists). Missing: 428. No longer current: 412 (someone changed it meanwhile; read it "
    "again and re-apply your change). Compared strongly, as RFC 9110 says: a weak ETag (`W/\"3\"`) never matches (412).",
)
