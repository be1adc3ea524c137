"""Replay past orders under another routing configuration and report what would change."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from orders.models import Channel
from orders.routing.whatif import channel_rules, parse_weights, routing_whatif, rules_with

CHANGED_SHOWN = 50
DAYS_SHOWN = 5


class Command(BaseCommand):
    help = (
        "Replay a channel's past orders, oldest first (their lines and destination, against today's available stock "
        "plus what each order holds), under other routing weights or split rule, and compare with their stored "
        "decisions. Locations with a daily order capacity count the orders of each day as the replay sends them, "
        "on top of what orders outside the replay took that day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", required=True, help="Channel code, e.g. web.")
        parser.add_argument("--weights", default="", help="Weights to change, e.g. cost=1,split=5 (cost, distance, split, priority, store, capacity).")
        split = parser.add_mutually_exclusive_group()
        split.add_argument("--allow-split", dest="may_split", action="store_true", default=None, help="Orders may ship from several locations.")
        split.add_argument("--no-split", dest="may_split", action="store_false", help="Orders ship from one location or wait.")
        parser.add_argument("--since", help="Only orders placed on or after this day (YYYY-MM-DD).")
        parser.add_argument("--limit", type=int, default=1000, help="At most this many of the latest orders (default 1000).")

    def handle(self, *args, channel, weights, may_split, since, limit, **options):
        found = Channel.objects.filter(code=channel).first()
        if found is None:
            codes = ", ".join(Channel.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No channel {channel!r}. Channels: {codes}.")
        try:
            changes = parse_weights(weights)
        except ValueError as exc:
            raise CommandError(f"--weights: {exc}") from None
        day = None
        if since:
            try:
                day = date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since: {since!r} is not a date; use YYYY-MM-DD, e.g. 2026-10-01.") from None
        if limit < 1:
            raise CommandError("--limit must be at least 1.")

        rules = rules_with(channel_rules(found), weights=changes, may_split=may_split)
        report = routing_whatif(channel=found, rules=rules, since=day, limit=limit)

        out = self.stdout.write
        weights_text = ", ".join(f"{name}={value:g}" for name, value in rules.weights.as_dict().items())
        out(f"Channel {found.code}: {len(report.replayed)} order(s) replayed{f' (placed since {day})' if day else ''}")
        out(f"What-if: {weights_text}; {'may split' if rules.may_split else 'no split'}")
        if report.without_decision or report.not_covered:
            out(f"Skipped: {report.without_decision} without a stored routing decision, "
                f"{report.not_covered} that today's stock could not cover under the what-if")
        if report.full_days:
            full = "; ".join(f"{code} on {_days(days)}" for code, days in sorted(report.full_days.items()))
            out(f"At daily capacity: {full}")
            if report.sent_to_full:
                out(f"{report.sent_to_full} order(s) still sent to a location at capacity (no better choice)")
        if not report.replayed:
            out("Nothing to compare.")
            return
        cost_before, cost_after = report.total("cost_before"), report.total("cost_after")
        rows = [
            ("Estimated cost", f"{cost_before:,.2f}", f"{cost_after:,.2f}", _change(cost_after - cost_before, cost_before, money=True)),
            ("Shipments", str(int(report.total("shipments_before"))), str(int(report.total("shipments_after"))),
             _change(report.total("shipments_after") - report.total("shipments_before"), report.total("shipments_before"))),
            ("Split orders", str(report.splits("before")), str(report.splits("after")), _change(report.splits("after") - report.splits("before"), report.splits("before"))),
        ]
        out(f"{'':<16}{'stored':>14}{'what-if':>14}  change")
        for label, before, after, change in rows:
            out(f"{label:<16}{before:>14}{after:>14}  {change}")
        changed = report.changed
        out(f"Orders that would change: {len(changed)}")
        if changed:
            out(f"{'Order':<14}{'Stored':<28}{'What-if':<28}{'Cost change':>12}")
            for order in changed[:CHANGED_SHOWN]:
                out(f"{order.number:<14}{' + '.join(order.before):<28}{' + '.join(order.after):<28}{order.cost_after - order.cost_before:>+12.2f}")
            if len(changed) > CHANGED_SHOWN:
                out(f"... and {len(changed) - CHANGED_SHOWN} more")


def _change(delta: float, base: float, money: bool = False) -> str:
    text = f"{delta:+,.2f}" if money else f"{delta:+,.0f}"
    return f"{text} ({delta / base:+.1%})" if base else text


def _days(days) -> str:
    shown = ", ".join(str(day) for day in days[:DAYS_SHOWN])
    return f"{shown} and {len(days) - DAYS_SHOWN} more day(s)" if len(days) > DAYS_SHOWN else shown
