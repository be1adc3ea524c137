"""Operational commands: the stock reconciliation and the beat schedule."""

import logging

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django_celery_beat.models import PeriodicTask

from config.celery import app
from inventory.models import StockLevel
from inventory.tasks import stock_reconcile


def test_given_a_clean_ledger_when_reconciling_then_it_succeeds(stocked, capsys):
    stocked("SKU-A", 5)

    call_command("stock_reconcile")

    assert "reconciles" in capsys.readouterr().out


def test_given_a_counter_changed_behind_the_ledger_when_reconciling_then_it_fails_naming_the_stock(stocked, warehouse, capsys):
    stocked("SKU-A", 5)
    stocked("SKU-B", 3)
    StockLevel.objects.filter(product__sku="SKU-A").update(on_hand=F("on_hand") + 2)

    with pytest.raises(CommandError) as failure:
        call_command("stock_reconcile")

    assert failure.value.returncode != 0
    assert "1 stock level" in str(failure.value)
    err = capsys.readouterr().err
    assert f"SKU-A @ {warehouse.code}: on_hand 7 but ledger says 5" in err
    assert "SKU-B" not in err


def test_given_a_tampered_counter_when_the_scheduled_task_runs_then_it_logs_and_counts_it(stocked, caplog):
    stocked("SKU-A", 5)
    assert stock_reconcile.delay().get() == 0
    StockLevel.objects.filter(product__sku="SKU-A").update(reserved=1)

    with caplog.at_level(logging.ERROR, logger="inventory.tasks"):
        assert stock_reconcile.delay().get() == 1

    assert "stock ledger mismatch" in caplog.text


@pytest.mark.django_db
def test_when_periodic_tasks_are_set_up_twice_then_each_exists_once_and_names_a_real_task(capsys):
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")

    tasks = dict(PeriodicTask.objects.values_list("task", "name"))
    assert set(tasks) == {
        "oms.tasks.events_sweep",
        "inventory.tasks.stock_reconcile",
        "reports.tasks.forecasts_nightly",
        "reports.tasks.replenishment_nightly",
        "inventory.tasks.abc_classify_nightly",
        "inventory.tasks.cycle_counts_plan_daily",
        "oms.tasks.idempotency_records_purge",
        "orders.tasks.backorders_sweep",
        "orders.tasks.orders_replan",
        "oms.tasks.webhooks_sweep",
        "shipping.tasks.shipments_flag_late",
        "shipping.tasks.shipments_track_poll",
        "orders.tasks.channel_fulfillments_sweep",
        "orders.tasks.channels_reconcile_due",
        "orders.tasks.stock_ledger_sweep",
        "orders.tasks.channels_stock_resync",
        "returns.tasks.returns_expire",
        "returns.tasks.refunds_pending_resend",
        "returns.tasks.orders_complete_after_returns",
        "portal.tasks.notifications_sweep",
        "portal.tasks.backorder_delays_notify",
        "reports.tasks.rollups_refresh",
        "reports.tasks.report_subscriptions_send",
        "reports.tasks.export_jobs_sweep",
        "customers.tasks.personal_data_retention",
    }
    assert PeriodicTask.objects.count() == 25
    assert capsys.readouterr().out.count("unchanged") == 25
    app.loader.import_default_modules()
    assert set(tasks) <= set(app.tasks)
    sweep = PeriodicTask.objects.get(task="oms.tasks.events_sweep")
    assert (sweep.interval.every, sweep.interval.period) == (1, "minutes")


@pytest.mark.django_db
def test_given_an_edited_schedule_when_set_up_again_then_it_is_restored(capsys):
    call_command("setup_periodic_tasks")
    PeriodicTask.objects.filter(task="oms.tasks.events_sweep").update(enabled=False)

    call_command("setup_periodic_tasks")

    assert PeriodicTask.objects.get(task="oms.tasks.events_sweep").enabled
    assert "updated" in capsys.readouterr().out
