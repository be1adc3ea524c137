"""Channel endpoints: platform order webhooks (Shopify, WooCommerce) and marketplace CSV imports.

The webhook endpoints take no API key: the platform signs each body with the channel's
``webhook_secret`` and that signature is the authentication, checked over the raw bytes before
anything is parsed.
"""

import hashlib
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from oms import json_input
from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.schema import IDEMPOTENCY_KEY, ErrorSerializer, error_responses
from oms.errors import InvalidInput, NotFound
from orders.adapters import SHOPIFY, WOOCOMMERCE
from orders.adapters.csv_import import COLUMNS, MAX_FILE_BYTES, MAX_ROWS, orders_import
from orders.adapters.mapping import external_id_of
from orders.adapters.webhooks import DELETE, Adapter, channel_webhook_apply, signature_verify
from orders.models import Channel

CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The channel's code, e.g. `shopify-eu`.")


# --- parsers: the raw bytes, read no further than needed --------------------------------------


def _read_limited(stream, limit: int) -> bytes:
    # One byte past the limit is enough to tell that a body is too large.
    return stream.read(limit + 1) if stream is not None else b""


class RawBodyParser(BaseParser):
    """The body as bytes: a signature is over exactly what was sent."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return _read_limited(stream, MAX_FILE_BYTES)


class CsvTextParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"file": _read_limited(stream, MAX_FILE_BYTES)}


class CsvUploadParser(MultiPartParser):
    """A multipart upload with the file in field ``file``, read into ``request.data["file"]``
    as bytes (so the Idempotency-Key fingerprint covers the file's content, not its name)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        upload = parsed.files.get("file")
        return {"file": _read_limited(upload, MAX_FILE_BYTES)} if upload is not None else {}


# --- webhooks ---------------------------------------------------------------------------------


class WebhookAnswerSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="What the webhook did, e.g. `created SO-0000042 (on hold: stock)` or `no change`.")
    order = serializers.CharField(allow_null=True, help_text="Number of the order it concerns, if any.")
    duplicate = serializers.BooleanField(help_text="True when this webhook id was received before; nothing was changed.")


def _answer(outcome: str, order=None, duplicate: bool = False) -> Response:
    return Response({"outcome": outcome, "order": order.number if order is not None else None, "duplicate": duplicate})


def webhook_receive(request, code: str, adapter: Adapter) -> Response:
    channel = Channel.objects.filter(code=code, is_active=True).first()
    if channel is None or channel.adapter != adapter.code:
        raise NotFound(f"No active channel {code!r} taking {adapter.label} webhooks.")
    body = request.data if isinstance(request.data, bytes) else b""
    if adapter.is_ping(body):
        return _answer("ping")
    signature_verify(body=body, secret=channel.webhook_secret, signature=request.headers.get(adapter.signature_header, ""))
    try:
        payload = json_input.loads(body, parse_float=Decimal)  # amounts never pass through float
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"The body is not JSON: {error}.", fields={"body": [str(error)]}) from None
    topic = request.headers.get(adapter.topic_header, "").strip()
    action = adapter.actions.get(topic)
    if action is None:
        return _answer(f"topic {topic!r} is not one this endpoint acts on; ignored")
    external_id = external_id_of(payload)
    # A platform that sends no delivery id still gets its exact repeats recognised.
    webhook_id = request.headers.get(adapter.webhook_id_header, "").strip() or f"sha256:{hashlib.sha256(body).hexdigest()}"
    result = channel_webhook_apply(
        channel=channel, webhook_id=webhook_id, topic=topic, action=action, external_id=external_id,
        platform_order=None if action == DELETE else adapter.parse(payload), actor=f"{adapter.code}:{channel.code}",
    )
    return _answer(result.outcome, result.order, result.duplicate)


def _webhook_schema(adapter: Adapter, operation_id: str):
    return extend_schema(
        operation_id=operation_id,
        summary=f"Receive a {adapter.label} order webhook",
        description=f"Point the {adapter.label} order webhooks ({', '.join(f'`{t}`' for t in adapter.actions)}) here; the "
        f"trailing slash is optional. Authenticated by `{adapter.signature_header}` (base64 HMAC-SHA256 of the raw body "
        f"with the channel's webhook secret), not by an API key. A repeat of `{adapter.webhook_id_header}` answers 200 and "
        "changes nothing; the same platform order under a new id never records a second order. Odd orders (unknown or "
        "missing SKU, no address, no e-mail) are recorded on hold, not refused.",
        parameters=[CODE],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: WebhookAnswerSerializer,
            400: OpenApiResponse(ErrorSerializer, description="The body is not JSON, or holds no order id."),
            401: OpenApiResponse(ErrorSerializer, description="Missing or wrong signature; nothing was recorded."),
            404: OpenApiResponse(ErrorSerializer, description=f"No active channel with this code takes {adapter.label} webhooks."),
            409: OpenApiResponse(ErrorSerializer, description="Refused by a business rule; nothing was recorded."),
        },
        auth=[],
    )


class _WebhookView(APIView):
    # No @idempotent: platforms send no Idempotency-Key, their webhook id plays its part (see
    # channel_webhook_apply), and an unauthenticated caller must not be able to claim keys.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]


class ShopifyOrdersWebhookView(_WebhookView):
    @_webhook_schema(SHOPIFY, "channels_shopify_orders_webhook")
    def post(self, request, code: str):
        return webhook_receive(request, code, SHOPIFY)


class WooCommerceOrdersWebhookView(_WebhookView):
    @_webhook_schema(WOOCOMMERCE, "channels_woocommerce_orders_webhook")
    def post(self, request, code: str):
        return webhook_receive(request, code, WOOCOMMERCE)


def unlisted(view_class: type[_WebhookView]) -> type[_WebhookView]:
    """The same endpoint under its URL without trailing slash, left out of the schema (listed once)."""
    return extend_schema_view(post=extend_schema(exclude=True))(type(f"{view_class.__name__}WithoutSlash", (view_class,), {}))


# --- CSV import -------------------------------------------------------------------------------


class CsvUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file (UTF-8).")


class ImportSummarySerializer(serializers.Serializer):
    orders = serializers.IntegerField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    already_imported = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number as a spreadsheet shows it (the header is row 1).")
    column = serializers.CharField()
    message = serializers.CharField()


RESULTS = ["created", "already_imported", "rejected"]


class ImportOrderSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    result = serializers.ChoiceField(choices=RESULTS)
    number = serializers.CharField(allow_null=True, help_text="The OMS order number, when recorded (now or before).")
    status = serializers.CharField(allow_blank=True)
    holds = serializers.ListField(child=serializers.CharField(), help_text="Open hold reasons of the recorded order.")
    rows = serializers.ListField(child=serializers.IntegerField())
    errors = ImportErrorSerializer(many=True)


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    order_id = serializers.CharField(allow_blank=True)
    result = serializers.ChoiceField(choices=RESULTS)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), help_text="Column name → problems.")


class ImportReportSerializer(serializers.Serializer):
    summary = ImportSummarySerializer()
    orders = ImportOrderSerializer(many=True)
    rows = ImportRowSerializer(many=True)


class ChannelOrdersImportView(APIView):
    required_scopes = {"POST": "orders:write"}
    required_permissions = {"POST": "orders.create_phone_order"}
    parser_classes = [CsvUploadParser, CsvTextParser]

    @extend_schema(
        operation_id="channels_orders_import",
        summary="Import marketplace orders from CSV",
        description=f"Send the file as multipart field `file` or as a `text/csv` body (UTF-8, at most "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB and {MAX_ROWS} order lines). Header row with the columns "
        f"{', '.join(f'`{c}`' for c in COLUMNS)}; rows with the same `order_id` are one order's lines. Every row is "
        "checked first; an order with a bad row is rejected whole, every other order is recorded (each on its own). "
        "The report says per order and per row what happened: `created`, `already_imported` or `rejected` with the "
        "errors by column. A file that cannot be read (size, encoding, missing columns) is a 400 and records nothing.",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request={"multipart/form-data": CsvUploadSerializer, "text/csv": OpenApiTypes.STR},
        responses={200: ImportReportSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, code: str):
        content = request.data.get("file") if isinstance(request.data, dict) else None
        if not isinstance(content, bytes):
            raise InvalidInput("Send the CSV file as multipart field `file` or as a text/csv body.", fields={"file": ["This field is required."]})
        report = orders_import(channel=code, content=content, actor=request_actor(request))
        return Response(report.as_dict())
