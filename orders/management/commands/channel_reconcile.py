"""``manage.py channel_reconcile <channel code> [--since ISO]``: catch up a channel's missed orders now."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oms.errors import DomainError
from orders.models import ChannelReconciliation, Channel
from orders.services.channel_reconcile import channel_reconcile

OUTCOME_LABELS = dict(ChannelReconciliation.Outcome.choices)


def since_parse(value: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is in the server's time zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since: {value!r} is not an ISO 8601 time; use e.g. 2026-12-01T08:00:00Z or 2026-12-01.") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now():
        raise CommandError(f"--since: {value} is in the future; give a past time.")
    return moment


class Command(BaseCommand):
    help = (
        "List the channel's orders changed on its platform (Shopify or WooCommerce) since the last good catch-up, less "
        "the overlap (or since --since), and take in through the webhook path those the OMS lacks or holds out of date. "
        "Prints the report; exits non-zero when the run failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", help="Channel code, e.g. shop-us.")
        parser.add_argument("--since", help="Start of the window instead of the computed one (ISO 8601, e.g. 2026-12-01T08:00:00Z).")

    def handle(self, *args, channel, since, **options):
        found = Channel.objects.filter(code=channel).first()
        if found is None:
            codes = ", ".join(Channel.objects.exclude(adapter="").values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No channel {channel!r}. Channels with a platform: {codes}.")
        start = since_parse(since) if since else None
        try:
            run = channel_reconcile(channel_id=found.pk, actor="command:channel_reconcile", since=start)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Channel {found.code}, orders changed {run.window_from:%Y-%m-%d %H:%M:%S%z} to {run.window_to:%Y-%m-%d %H:%M:%S%z}:")
        self.stdout.write(f"  {run.summary}")
        for line in run.lines:
            order = f" → {line['order']}" if line["order"] else ""
            self.stdout.write(f"  {OUTCOME_LABELS[line['outcome']]}: {line['name'] or line['external_id']} (id {line['external_id']}){order}: {line['detail']}")
        if run.status == ChannelReconciliation.Status.FAILED:
            raise CommandError(f"The catch-up failed: {run.error}")
