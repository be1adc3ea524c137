"""The rollups: the incremental job equals a rebuild, a rebuild is idempotent, late changes are caught."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fulfillment.models import FulfillmentOrder
from reports.models import RollupRun
from reports.rollups import REFRESH_OVERLAP, ROLLUP_MODELS, local_day, rollups_rebuild, rollups_refresh
from reports.selectors import kpi_answer
from returns.models import Refund

from . import history

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    """Every rollup row, without ids, in a stable order."""
    return {model.__name__: sorted(tuple(str(value) for value in row) for row in model.objects.values_list(
        *[field.attname for field in model._meta.concrete_fields if field.name != "id"])) for model in ROLLUP_MODELS}


def full_range():
    return {"date_from": datetime.date(2026, 3, 1), "date_to": local_day(timezone.now())}


def test_rebuilding_a_range_twice_gives_the_same_rows():
    history.build()
    rollups_rebuild(**full_range())
    first = snapshot()
    rollups_rebuild(**full_range())
    assert snapshot() == first
    assert first["OrderDay"], "the history rolled up to something"


def test_the_incremental_job_catches_late_changes_and_equals_a_rebuild():
    # Given the history rolled up by the job's first run
    built = history.build()
    assert rollups_refresh() > 0
    assert kpi_answer(key="on_time_delivery", params={"from": "2026-03-10", "to": "2026-03-11"})["value"] == 0.0
    # (as if that run had been a quarter of an hour ago: building the history is not a change to catch)
    RollupRun.objects.update(changes_until=timezone.now() + REFRESH_OVERLAP)
    # When, weeks later, O2's second part is delivered on time and a second refund is paid on O1
    FulfillmentOrder.objects.filter(order=built["o2"], sequence=2).update(
        status="delivered", shipped_at=timezone.now(), delivered_at=history.at("2026-03-12 10:00"), updated_at=timezone.now(),
        promised_delivery_date=datetime.date(2026, 3, 13))
    Refund.objects.create(order=built["o1"], amount=Decimal("5.00"), computed_amount=Decimal("5.00"), currency="USD", provider="builtin",
                          status="succeeded", idempotency_key="refund-late", succeeded_at=history.at("2026-03-16 09:00"))
    days = rollups_refresh()
    # Then only the touched days were re-rolled (O2's order day and the refund's day)...
    assert days == 2
    # ...the figures show the late changes
    assert kpi_answer(key="on_time_delivery", params={"from": "2026-03-10", "to": "2026-03-11"})["value"] == 50.0
    paid = kpi_answer(key="refunds", params={"from": "2026-03-16", "to": "2026-03-16"})["value"]
    assert paid == [{"currency": "USD", "value": {"amount": "5.00", "refunds": 1}}]
    # ...and the rows are those a full rebuild makes
    incremental = snapshot()
    rollups_rebuild(**full_range())
    assert snapshot() == incremental


def test_a_second_run_with_nothing_changed_rolls_nothing_new():
    history.build()
    rollups_refresh(now=timezone.now() - datetime.timedelta(hours=1))
    before = snapshot()
    # The overlap looks back 15 minutes before the last run: an hour later nothing is in it
    RollupRun.objects.update(changes_until=timezone.now() + datetime.timedelta(hours=1))
    assert rollups_refresh() == 0
    assert snapshot() == before


def test_the_rebuild_command_rebuilds_a_range(capsys):
    history.build()
    call_command("reports_rebuild", "--from", "2026-03-10", "--to", "2026-03-11")
    assert "Rebuilt 2 day(s) from 2026-03-10 to 2026-03-11" in capsys.readouterr().out
    assert kpi_answer(key="orders", params={"from": "2026-03-10", "to": "2026-03-11"})["value"] == 3


@pytest.mark.parametrize(("date_from", "date_to", "message"), [
    ("2026-13-01", "2026-03-11", "--from must be a date as YYYY-MM-DD"),
    ("2026-03-10", "yesterday", "--to must be a date as YYYY-MM-DD"),
    ("2026-03-11", "2026-03-10", "--to must be on or after --from"),
    ("2000-01-01", "2026-03-10", "At most 3660 days"),
], ids=["bad-from", "bad-to", "reversed", "too-long"])
def test_the_rebuild_command_explains_bad_input(date_from, date_to, message):
    with pytest.raises(CommandError, match=message):
        call_command("reports_rebuild", "--from", date_from, "--to", date_to)
