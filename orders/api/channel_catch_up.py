"""Catching up a channel's missed orders through the API: start a run, read the runs and their reports."""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import request_actor
from oms.api.idempotency import idempotent
from oms.api.parsers import JSONParser
from oms.api.representation import represent_many
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.errors import NotFound
from orders.models import Channel, ChannelReconciliation
from orders.services.channel_reconcile import channel_reconcile_start
from orders.tasks import channel_reconcile_continue

from .channels import CODE

RUN_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The run's id.")


class CatchUpLineSerializer(serializers.Serializer):
    external_id = serializers.CharField(help_text="The platform's order id.")
    name = serializers.CharField(allow_blank=True, help_text="The platform's order name, e.g. `#1001`.")
    outcome = serializers.ChoiceField(choices=ChannelReconciliation.Outcome.choices)
    order = serializers.CharField(allow_blank=True, help_text="The OMS order number, when there is one.")
    detail = serializers.CharField(allow_blank=True, help_text="What the run did, or why it failed for this order.")


class CatchUpSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ChannelReconciliation
        fields = (
            "id", "channel", "status", "error", "started_by", "started_at", "finished_at", "window_from", "window_to",
            "listed", "already_present", "ingested", "updated", "failed",
        )
        read_only_fields = fields


class CatchUpDetailSerializer(CatchUpSerializer):
    lines = CatchUpLineSerializer(many=True, read_only=True, help_text="Every listed order that was not simply already here.")

    class Meta(CatchUpSerializer.Meta):
        fields = (*CatchUpSerializer.Meta.fields, "lines")
        read_only_fields = fields


class CatchUpStartSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="Start of the window (ISO 8601). Left out: the last good run's end less the overlap.",
    )


def _channel(code: str) -> Channel:
    channel = Channel.objects.filter(code=code).first()
    if channel is None:
        raise NotFound(f"No channel {code!r}.")
    return channel


class ChannelCatchUpsView(GenericAPIView):
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    required_permissions = {"GET": "orders.view_channel", "POST": "orders.change_channel"}
    parser_classes = [JSONParser]
    serializer_class = CatchUpSerializer
    queryset = ChannelReconciliation.objects.none()  # for the schema; the channel's runs are below

    def get_queryset(self):
        return ChannelReconciliation.objects.select_related("channel").filter(channel=_channel(self.kwargs["code"]))

    @extend_schema(
        operation_id="channel_catch_ups_list",
        summary="List a channel's catch-up runs",
        description="Newest first, cursor-paginated: each run's window and counts (the orders themselves are in one run's answer).",
        parameters=[CODE],
        responses={200: CatchUpSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, code: str):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(represent_many(CatchUpSerializer, page))

    @extend_schema(
        operation_id="channel_catch_ups_start",
        summary="Catch up a channel's missed orders now",
        description="Lists the orders changed on the channel's platform (Shopify or WooCommerce) since `since` or since "
        "the last good run (less the overlap) and takes in, through the webhook path, every order the OMS lacks or holds "
        "out of date. Answers 202 with the run as it starts; it carries on in the background, and its answer at "
        "`/channels/{code}/catch-ups/{id}/` gives the report. 409 while another run of the channel is going; 404 when the "
        "channel has no platform connection.",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request=CatchUpStartSerializer,
        responses={202: CatchUpSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, code: str):
        channel = _channel(code)
        serializer = CatchUpStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = channel_reconcile_start(channel_id=channel.pk, actor=request_actor(request), since=serializer.validated_data.get("since"))
        transaction.on_commit(lambda: channel_reconcile_continue.delay(run.pk))
        return Response(CatchUpSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ChannelCatchUpDetailView(APIView):
    required_scopes = {"GET": "orders:read"}
    required_permissions = {"GET": "orders.view_channel"}

    @extend_schema(
        operation_id="channel_catch_ups_retrieve",
        summary="One catch-up run with its report",
        parameters=[CODE, RUN_ID],
        responses={200: CatchUpDetailSerializer, **error_responses(404)},
    )
    def get(self, request, code: str, pk: int):
        run = ChannelReconciliation.objects.select_related("channel").filter(channel=_channel(code), pk=pk).first()
        if run is None:
            raise NotFound(f"No catch-up run {pk} of channel {code!r}.")
        return Response(CatchUpDetailSerializer(run).data)
