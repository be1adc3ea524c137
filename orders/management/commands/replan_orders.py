"""``manage.py replan_orders [--channel CODE ...] [--threshold X] [--dry-run]``: re-plan the open
orders of channels with re-planning on now (what the beat job does every few minutes)."""

from django.core.management.base import BaseCommand, CommandError

from orders.models import Channel
from orders.services.replanning import replan_open_orders


class Command(BaseCommand):
    help = (
        "Re-plan together the allocated orders not yet sent to the floor of channels with re-planning on, and move "
        "the reservations whose saving beats the threshold. --dry-run prints what would move and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", action="append", default=[], help="Only this channel (code); repeat for several.")
        parser.add_argument("--threshold", type=float, help="Saving a move needs per order moved (default OMS_REPLAN_THRESHOLD).")
        parser.add_argument("--time-limit", type=float, help="Seconds for the exact solver (default OMS_REPLAN_TIME_LIMIT_SECONDS).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would move; write nothing.")

    def handle(self, *args, channel, threshold, time_limit, dry_run, **options):
        if threshold is not None and threshold < 0:
            raise CommandError(f"--threshold: {threshold} is below zero; give a saving of 0 or more.")
        if time_limit is not None and time_limit <= 0:
            raise CommandError(f"--time-limit: {time_limit} must be above zero (seconds).")
        channel_ids = None
        if channel:
            found = dict(Channel.objects.filter(code__in=channel).values_list("code", "pk"))
            unknown = sorted(set(channel) - set(found))
            if unknown:
                raise CommandError(f"No channel {', '.join(map(repr, unknown))}. Channels: {', '.join(Channel.objects.values_list('code', flat=True)) or 'none yet'}.")
            off = sorted(Channel.objects.filter(pk__in=found.values(), replan_enabled=False).values_list("code", flat=True))
            if off:
                self.stdout.write(f"Re-planning is off for {', '.join(off)}: turn it on in the channel's settings; skipped.")
            channel_ids = list(found.values())
        result = replan_open_orders(channel_ids=channel_ids, actor="command:replan_orders", threshold=threshold, time_limit=time_limit, dry_run=dry_run)
        verb = "would move" if dry_run else "moved"
        solver = f", {result.method}" + (f" ({result.fallback_reason})" if result.fallback_reason else "") if result.method else ""
        plan = f" (plan #{result.run.pk})" if result.run else ""
        self.stdout.write(
            f"{result.orders_in_window} order(s) in the window, {len(result.moved)} {verb}, saving {result.saving:.2f}{solver}{plan}"
            + (f"; {result.skipped} changed before they were locked, skipped" if result.skipped else "")
        )
        for order in result.moved:
            self.stdout.write(f"  {order.number}: saved {order.saving:.2f}: {order.summary()}")
