"""``manage.py setup_periodic_tasks``: the schedule beat runs, kept in the database (idempotent).

Run it once per deployment (and again after upgrading); beat's DatabaseScheduler picks up the
rows. Operators may change a schedule in the admin afterwards; re-running resets it to these.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

# name, task, schedule: ("every", n, period) or ("cron", minute, hour), description
SCHEDULE = [
    ("Dispatch lost domain events", "oms.tasks.events_sweep", ("every", 1, IntervalSchedule.MINUTES),
     "Re-dispatch events that committed but were never handed to their subscribers."),
    ("Reconcile stock with the ledger", "inventory.tasks.stock_reconcile", ("cron", "17", "3"),
     "Nightly: every stock counter must equal the sum of its ledger rows; differences are logged as errors."),
    ("Class products A/B/C", "inventory.tasks.abc_classify_nightly", ("cron", "5", "2"),
     "Nightly: rank products by value shipped over OMS_ABC_WINDOW_DAYS and class them A/B/C (OMS_ABC_THRESHOLDS)."),
    ("Plan today's cycle counts", "inventory.tasks.cycle_counts_plan_daily", ("cron", "30", "4"),
     "Daily, after the ABC run: each location's stock levels due by their class's count frequency, levelled, capped "
     "(OMS_COUNT_DAILY_CAP) and in pick-path order."),
    ("Serve backorders that have stock", "orders.tasks.backorders_sweep", ("every", 5, IntervalSchedule.MINUTES),
     "Allocate backordered orders whose missing products are available again (a safety net for lost events)."),
    ("Re-plan open orders", "orders.tasks.orders_replan", ("every", 5, IntervalSchedule.MINUTES),
     "Channels with re-planning on: allocated orders not yet sent to the floor, placed within the channel's release delay, "
     "are re-planned together; reservations move where the saving beats OMS_REPLAN_THRESHOLD per order (Re-planning runs)."),
    ("Send due webhook deliveries", "oms.tasks.webhooks_sweep", ("every", 1, IntervalSchedule.MINUTES),
     "Enqueue webhook deliveries whose retry is due, whose message was lost or whose worker died."),
    ("Resume abandoned exports", "reports.tasks.export_jobs_sweep", ("every", 5, IntervalSchedule.MINUTES),
     "Queue again the accountants' exports whose message was lost or whose worker died (lease run out)."),
    ("Purge old Idempotency-Key answers", "oms.tasks.idempotency_records_purge", ("every", 1, IntervalSchedule.HOURS),
     "Forget answers older than OMS_IDEMPOTENCY_TTL_HOURS."),
    ("Flag late shipments", "shipping.tasks.shipments_flag_late", ("every", 1, IntervalSchedule.HOURS),
     "Flag shipments past their promised delivery date or without a scan for OMS_SHIPPING_NO_SCAN_DAYS working days (once per reason)."),
    ("Push stock to channels (sweep)", "orders.tasks.stock_ledger_sweep", ("every", 1, IntervalSchedule.MINUTES),
     "Mark dirty the products the stock ledger changed since the last sweep and push every channel with push stock on "
     "(a safety net for lost nudges, and the retry of listings whose backoff is over)."),
    ("Resync channel stock", "orders.tasks.channels_stock_resync", ("cron", "40", "2"),
     "Nightly: read every pushing channel's stock figures on its platform, correct the drift and record it."),
    ("Poll carriers for tracking", "shipping.tasks.shipments_track_poll", ("every", 30, IntervalSchedule.MINUTES),
     "Ask carriers that do not post tracking events about open shipments (least recently scanned first, 200 a run)."),
    ("Pass fulfillments on to channels", "orders.tasks.channel_fulfillments_sweep", ("every", 1, IntervalSchedule.MINUTES),
     "Send the shipments, deliveries and cancellations due to Shopify and WooCommerce (retries after 429/5xx, lost tasks)."),
    ("Catch up missed channel orders", "orders.tasks.channels_reconcile_due", ("every", 15, IntervalSchedule.MINUTES),
     "For channels with “catch up missed orders” on: list the platform's recently changed orders and take in those whose webhook was lost."),
    ("Expire returns never sent", "returns.tasks.returns_expire", ("every", 1, IntervalSchedule.HOURS),
     "Approved returns (label issued or not) whose parcel the carrier has not scanned by their expiry become expired."),
    ("Send refunds left pending", "returns.tasks.refunds_pending_resend", ("every", 15, IntervalSchedule.MINUTES),
     "Refunds still pending 15 minutes after they were sent (the process died before the provider's answer was recorded) "
     "are sent again with their idempotency key, and recorded."),
    ("Complete orders past their return window", "returns.tasks.orders_complete_after_returns", ("every", 1, IntervalSchedule.HOURS),
     "Delivered orders whose return window has closed with no return open become completed (500 a run, oldest first)."),
    ("Send notifications due", "portal.tasks.notifications_sweep", ("every", 1, IntervalSchedule.MINUTES),
     "Customer messages whose retry is due, whose task was lost, or whose worker died mid-send (sent again with the same Message-ID)."),
    ("Tell customers of overdue backorders", "portal.tasks.backorder_delays_notify", ("cron", "30", "7"),
     "Daily: backordered orders past their expected ship date get one delay notice per date, with a new estimate."),
    ("E-mail scheduled reports", "reports.tasks.report_subscriptions_send", ("every", 1, IntervalSchedule.HOURS),
     "Hourly: render each subscribed dashboard whose day or week is due to PDF and e-mail it (each period once)."),
    ("Forecast demand", "reports.tasks.forecasts_nightly", ("cron", "50", "1"),
     "Nightly: forecast every active SKU's daily and weekly demand (per SKU and per location) from the ledger up to yesterday; once a day."),
    ("Suggest replenishment", "reports.tasks.replenishment_nightly", ("cron", "40", "3"),
     "Nightly, after the forecast: what to buy or move per SKU x warehouse (the Replenishment suggestions list); once a day."),
    ("Refresh report rollups", "reports.tasks.rollups_refresh", ("every", 10, IntervalSchedule.MINUTES),
     "Re-roll the daily KPI rollups of the days whose orders, shipments, returns or refunds changed since the last run."),
    ("Erase personal data past retention", "customers.tasks.personal_data_retention", ("cron", "20", "4"),
     "Nightly: anonymise customers with no order, return or change for OMS_PERSONAL_DATA_RETENTION_YEARS years and nothing open "
     "(each recorded as a data request from the retention job)."),
]


class Command(BaseCommand):
    help = "Create or update the periodic tasks beat runs (django-celery-beat DatabaseScheduler). Safe to run again."

    def handle(self, *args, **options):
        for name, task, schedule, description in SCHEDULE:
            kind, first, second = schedule
            if kind == "every":
                interval, _ = IntervalSchedule.objects.get_or_create(every=first, period=second)
                timing = {"interval": interval, "crontab": None}
            else:
                crontab, _ = CrontabSchedule.objects.get_or_create(
                    minute=first, hour=second, day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
                )
                timing = {"interval": None, "crontab": crontab}
            wanted = {"task": task, "description": description, "enabled": True, **timing}
            existing = PeriodicTask.objects.filter(name=name).first()
            if existing is None:
                PeriodicTask.objects.create(name=name, **wanted)
                verb = "created"
            elif any(getattr(existing, field) != value for field, value in wanted.items()):
                for field, value in wanted.items():
                    setattr(existing, field, value)
                existing.save()
                verb = "updated"
            else:
                verb = "unchanged"
            self.stdout.write(f"{verb:>9}: {name} ({task})")
