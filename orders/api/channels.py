"""Channel endpoints: platform order webhooks (Shopify, WooCommerce) and marketplace CSV imports.

The webhook endpoints take no API key: the platform signs each body with the channel's
``webhook_secret`` and that signature is the authentication, checked over the raw bytes before
anything is parsed.
"""

import csv
import hashlib
import itertools
from decimal import Decimal

from django.http import HttpResponseNotModified, StreamingHttpResponse
from django.utils.http import http_date, parse_http_date_safe

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.selectors import channel_stock_feed, channel_stock_feed_version
from oms import json_input
from oms.api.downloads import FileAnswerNegotiation
from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.parsers import RawBodyParser, body_read_limited
from oms.api.schema import IDEMPOTENCY_KEY, ErrorSerializer, error_responses
from oms.errors import InvalidInput, NotFound
from orders.adapters import SHOPIFY, WOOCOMMERCE
from orders.adapters.csv_import import COLUMNS, MAX_FILE_BYTES, MAX_ROWS, orders_import
from orders.adapters.mapping import external_id_of
from orders.adapters.webhooks import DELETE, Adapter, channel_webhook_apply, signature_verify
from orders.models import Channel
from orders.services.shopify_compliance import TOPICS as COMPLIANCE_TOPICS
from orders.services.shopify_compliance import shopify_compliance_apply
from orders.services.stock_sync import channel_stock_resync_request

CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The channel's code, e.g. `shopify-eu`.")


# --- parsers: the raw bytes, read no further than needed (over the limit: 413) ----------------

MAX_WEBHOOK_BYTES = 2 * 1024 * 1024
CSV_ADVICE = "split the file into smaller files."


class WebhookBodyParser(RawBodyParser):
    """The body as bytes: a signature is over exactly what was sent. Over 2 MB a 413, before the
    signature is checked."""

    limit = MAX_WEBHOOK_BYTES
    advice = "no platform order is that large: check what the platform sends to this URL."


class CsvTextParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"file": body_read_limited(stream, limit=MAX_FILE_BYTES, what="The CSV file", advice=CSV_ADVICE, field="file")}


class CsvUploadParser(MultiPartParser):
    """A multipart upload with the file in field ``file``, read into ``request.data["file"]``
    as bytes (so the Idempotency-Key fingerprint covers the file's content, not its name)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        upload = parsed.files.get("file")
        if upload is None:
            return {}
        return {"file": body_read_limited(upload, limit=MAX_FILE_BYTES, what="The CSV file", advice=CSV_ADVICE, field="file")}


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
    # A platform that sends no delivery id still gets its exact repeats recognised.
    webhook_id = request.headers.get(adapter.webhook_id_header, "").strip() or f"sha256:{hashlib.sha256(body).hexdigest()}"
    if adapter is SHOPIFY and topic in COMPLIANCE_TOPICS:
        # Shopify's mandatory privacy webhooks: data requests and redaction (customers.data_requests).
        done = shopify_compliance_apply(channel=channel, topic=topic, payload=payload, webhook_id=webhook_id)
        return _answer(done.outcome, duplicate=done.duplicate)
    action = adapter.actions.get(topic)
    if action is None:
        return _answer(f"topic {topic!r} is not one this endpoint acts on; ignored")
    external_id = external_id_of(payload)
    result = channel_webhook_apply(
        channel=channel, webhook_id=webhook_id, topic=topic, action=action, external_id=external_id,
        platform_order=None if action == DELETE else adapter.parse(payload), actor=f"{adapter.code}:{channel.code}",
    )
    return _answer(result.outcome, result.order, result.duplicate)


def _webhook_schema(adapter: Adapter, operation_id: str):
    return extend_schema(
        operation_id=operation_id,
        summary=f"Receive a {adapter.label} order webhook",
        description=f"Point the {adapter.label} order webhooks ({', '.join(f'`{t}`' for t in adapter.actions)}) here"
        + (" (and Shopify's compliance webhooks `customers/data_request`, `customers/redact`, `shop/redact`)" if adapter is SHOPIFY else "")
        + "; the "
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
            413: OpenApiResponse(ErrorSerializer, description="The body is over 2 MB (checked before the signature); nothing was recorded."),
        },
        auth=[],
    )


class _WebhookView(APIView):
    # No @idempotent: platforms send no Idempotency-Key, their webhook id plays its part (see
    # channel_webhook_apply), and an unauthenticated caller must not be able to claim keys.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [WebhookBodyParser]


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
        "errors by column. A file that cannot be read (encoding, missing columns) is a 400, a file over "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB a 413; either records nothing.",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request={"multipart/form-data": CsvUploadSerializer, "text/csv": OpenApiTypes.STR},
        responses={200: ImportReportSerializer, **error_responses(400, 404, 409, 413, 422)},
    )
    @idempotent
    def post(self, request, code: str):
        content = request.data.get("file") if isinstance(request.data, dict) else None
        if not isinstance(content, bytes):
            raise InvalidInput("Send the CSV file as multipart field `file` or as a text/csv body.", fields={"file": ["This field is required."]})
        report = orders_import(channel=code, content=content, actor=request_actor(request))
        return Response(report.as_dict())


# --- stock out to channels -----------------------------------------------------------------------


def _channel(code: str) -> Channel:
    channel = Channel.objects.filter(code=code).first()
    if channel is None:
        raise NotFound(f"No channel with code {code!r}.")
    return channel


class _CsvEcho:
    def write(self, value):
        return value


class ChannelStockFeedView(APIView):
    """What a marketplace without a stock API reads on its schedule: one CSV row per active SKU."""

    required_scopes = {"GET": "stock:read"}
    required_permissions = {"GET": "inventory.view_stocklevel"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="channels_stock_feed",
        summary="Stock feed of a channel (CSV)",
        description="Header `sku,quantity`, then one row per active product by SKU: the available-to-promise the channel "
        "may sell under its stock rule (its locations, share and buffer), the figure its orders can reserve. Streamed "
        "(tens of thousands of SKUs in constant memory). Send `If-None-Match` with the last `ETag` (or `If-Modified-Since`): "
        "304 when no stock, product, location or rule changed since.",
        parameters=[CODE],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The feed."), 304: OpenApiResponse(description="Unchanged."),
                   **error_responses(404)},
    )
    def get(self, request, code: str):
        channel = _channel(code)
        etag, modified = channel_stock_feed_version(channel.code)
        quoted = f'"{etag}"'
        match = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",") if tag.strip()]
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", "")) if "If-None-Match" not in request.headers else None
        if quoted in match or "*" in match or (since is not None and modified is not None and int(modified.timestamp()) <= since):
            response = HttpResponseNotModified()
        else:
            writer = csv.writer(_CsvEcho())
            rows = itertools.chain([("sku", "quantity")], channel_stock_feed(channel.code))
            response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="stock-{channel.code}.csv"'
        response["ETag"] = quoted
        if modified is not None:
            response["Last-Modified"] = http_date(modified.timestamp())
        response["Cache-Control"] = "private, no-cache"
        return response


class ResyncQueuedSerializer(serializers.Serializer):
    channel = serializers.CharField()
    queued = serializers.BooleanField()
    detail = serializers.CharField()


class ChannelStockResyncView(APIView):
    required_scopes = {"POST": "stock:write"}
    required_permissions = {"POST": "orders.change_channel"}

    @extend_schema(
        operation_id="channels_stock_resync",
        summary="Resync a channel's stock figures",
        description="Queue a full resync: every active SKU's figure on the platform is read, corrected where it differs "
        "from what the channel may promise, and the drift is recorded as a stock sync run (admin: Channel stock sync runs). "
        "Answers 202 at once. 409 when the channel does not push stock (turn on “push stock” in its connection settings).",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request=None,
        responses={202: ResyncQueuedSerializer, **error_responses(404, 409, 422)},
    )
    @idempotent
    def post(self, request, code: str):
        channel = _channel(code)
        channel_stock_resync_request(channel=channel.code, actor=request_actor(request))
        return Response(
            {"channel": channel.code, "queued": True, "detail": "The resync is queued; its run appears under Channel stock sync runs."},
            status=202,
        )
