"""The read replica: KPIs and exports read from it (DATABASE_REPLICA_URL), everything else does not.

Where the queries went is proven by capturing them on each connection. In the tests the replica
is the test database itself (``TEST: {"MIRROR": "default"}``, as the settings configure it), so
what it answers is what the default holds; the tests that read from it run outside a test
transaction (``transaction=True``), as production does, since a read inside a transaction on the
default never goes to the replica.
"""

import copy
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oms.db import REPLICA_DB_ALIAS, ReplicaRouter, read_database, reading_from_replica
from orders.models import Order
from reports import exports
from reports.export_files import csv_pieces
from reports.exports import export_job_content, export_job_run, export_job_start, export_rows
from reports.rollups import rollup_day
from reports.selectors import kpi_answer

from .conftest import csv_rows, order_make, staff_make

ROOT = Path(__file__).resolve().parents[2]
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def _sql(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]


class _Capture:
    """The statements each database received while the block ran."""

    def __enter__(self):
        self._default = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]).__enter__()
        self._replica = CaptureQueriesContext(connections[REPLICA_DB_ALIAS]).__enter__()
        return self

    def __exit__(self, *exc):
        self._replica.__exit__(*exc)
        self._default.__exit__(*exc)

    @property
    def default(self) -> list[str]:
        return _sql(self._default)

    @property
    def replica(self) -> list[str]:
        return _sql(self._replica)


@pytest.fixture(scope="class")
def replica_alias(django_db_setup):
    """A ``replica`` alias on the test database, as DATABASE_REPLICA_URL adds under pytest (the
    settings are read once per process, so the alias is added to the connections here)."""
    configured = connections.settings
    added = REPLICA_DB_ALIAS not in configured
    if added:
        default = connections[DEFAULT_DB_ALIAS].settings_dict  # its NAME is the test database's by now
        configured[REPLICA_DB_ALIAS] = {**copy.deepcopy(default), "TEST": {**default["TEST"], "MIRROR": DEFAULT_DB_ALIAS}}
    yield
    if added:
        connections[REPLICA_DB_ALIAS].close()
        del connections[REPLICA_DB_ALIAS]
        del configured[REPLICA_DB_ALIAS]


@pytest.fixture
def without_replica():
    """No replica configured (whatever the environment of the test run says)."""
    configured = connections.settings
    removed = configured.pop(REPLICA_DB_ALIAS, None)
    yield
    if removed is not None:
        configured[REPLICA_DB_ALIAS] = removed


# --- Settings ----------------------------------------------------------------------------------

def _databases(**env) -> dict:
    environment = {name: value for name, value in os.environ.items() if name != "DATABASE_REPLICA_URL"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    script = "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.DATABASES, default=str))"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_given_database_replica_url_the_replica_is_configured_as_the_default_is_and_mirrors_it_in_tests():
    databases = _databases(DATABASE_URL="postgres://oms@primary:5432/oms", DATABASE_REPLICA_URL="postgres://oms_ro@standby:5432/oms")

    default, replica = databases["default"], databases["replica"]
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == ("standby", "oms_ro", "oms")
    for name in ("ENGINE", "OPTIONS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "ATOMIC_REQUESTS"):
        assert replica[name] == default[name], name
    assert replica["OPTIONS"]["server_side_binding"] is True
    assert replica["TEST"]["MIRROR"] == "default"


def test_given_no_database_replica_url_there_is_only_the_default_database():
    assert list(_databases(DATABASE_URL="postgres://oms@primary:5432/oms")) == ["default"]


# --- The router ----------------------------------------------------------------------------------

def test_the_router_writes_and_migrates_on_the_default_only_and_relates_rows_of_both():
    router = ReplicaRouter()
    from_replica, from_default = Order(), Order()
    from_replica._state.db, from_default._state.db = REPLICA_DB_ALIAS, DEFAULT_DB_ALIAS

    with reading_from_replica():
        assert router.db_for_write(Order, instance=from_replica) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "orders") is True
    assert router.allow_migrate(REPLICA_DB_ALIAS, "orders") is False
    assert router.allow_relation(from_replica, from_default) is True


@pytest.mark.django_db(transaction=True)
def test_given_no_replica_kpis_and_exports_read_the_default(without_replica):
    order_make(placed="2026-03-02 10:00")
    rollup_day(day=datetime.date(2026, 3, 2))

    with reading_from_replica():
        assert read_database() == DEFAULT_DB_ALIAS
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        answer = kpi_answer(key="orders", params=MARCH)
        resource, rows = export_rows(kind="orders", selection={"filters": {}}, user=None)
        content = b"".join(csv_pieces(resource, rows))

    assert answer["value"] == 1
    assert len(csv_rows(content)) == 2  # the header and the order
    assert any("orders_order" in sql for sql in _sql(captured))


@pytest.mark.usefixtures("replica_alias")
class TestWithAReplica:
    pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS])

    def test_a_kpi_and_its_drilldown_are_read_from_the_replica(self):
        order = order_make(placed="2026-03-02 10:00")
        rollup_day(day=datetime.date(2026, 3, 2))

        with _Capture() as captured:
            answer = kpi_answer(key="orders", params=MARCH)

        assert answer["value"] == 1
        assert answer["drilldown"]["ids"] == [order.pk]
        assert captured.default == []
        assert any("reports_orderday" in sql for sql in captured.replica)
        assert any("orders_order" in sql for sql in captured.replica)

    def test_outside_the_context_reads_go_to_the_default(self):
        order_make(placed="2026-03-02 10:00")

        with _Capture() as captured:
            count = Order.objects.count()

        assert count == 1
        assert captured.replica == []
        assert len(captured.default) == 1

    def test_inside_the_context_writes_go_to_the_default(self):
        order = order_make(placed="2026-03-02 10:00")

        with _Capture() as captured, reading_from_replica():
            read = Order.objects.get(pk=order.pk)  # from the replica
            read.note = "checked"
            read.save(update_fields=["note"])
            Order.objects.filter(pk=order.pk).update(email="grace@example.com")

        assert [sql.split()[0] for sql in captured.replica] == ["SELECT"]
        assert {sql.split()[0] for sql in captured.default} == {"UPDATE"}
        order.refresh_from_db()
        assert (order.note, order.email) == ("checked", "grace@example.com")

    def test_inside_a_transaction_on_the_default_a_kpi_reads_the_default_and_sees_its_own_writes(self):
        rollup_day(day=datetime.date(2026, 3, 2))

        with _Capture() as captured, transaction.atomic():
            order = order_make(placed="2026-03-02 11:00")
            with reading_from_replica():
                assert read_database() == DEFAULT_DB_ALIAS
                seen = Order.objects.filter(pk=order.pk).exists()
                answer = kpi_answer(key="orders", params=MARCH)

        assert seen is True
        assert answer["drilldown"]["ids"] == [order.pk]
        assert captured.replica == []

    def test_an_export_job_reads_its_rows_from_the_replica_and_keeps_its_own_rows_on_the_default(self, monkeypatch):
        monkeypatch.setattr(exports, "_enqueue", lambda job_id: None)  # the worker runs below, not after the commit
        order = order_make(placed="2026-03-02 10:00")
        job = export_job_start(kind="orders", format="csv", selection={"filters": {}}, actor="accountant")

        with _Capture() as captured:
            assert export_job_run(job_id=job.pk) == "done"

        job.refresh_from_db()
        rows = csv_rows(b"".join(export_job_content(job)))
        assert [row[0] for row in rows[1:]] == [order.number]
        assert job.rows_total == 1
        assert any("orders_order" in sql for sql in captured.replica)
        assert not any("reports_export" in sql for sql in captured.replica)
        assert any(sql.startswith("INSERT") and "reports_exportchunk" in sql for sql in captured.default)
        assert not any("orders_order" in sql for sql in captured.default)

    def test_an_exports_rows_stay_on_the_replica_when_the_file_is_streamed_after_the_view_returned(self):
        order_make(placed="2026-03-02 10:00")
        resource, rows = export_rows(kind="order_lines", selection={"filters": {}}, user=None)

        with _Capture() as captured:
            content = b"".join(csv_pieces(resource, rows))  # outside the context, as a streamed response is

        assert len(csv_rows(content)) == 2
        assert captured.default == []
        assert any("orders_orderline" in sql for sql in captured.replica)

    def test_an_accountants_download_from_the_orders_list_reads_the_list_and_its_rows_from_the_replica(self, client):
        # Given an order, and an accountant signed in to the console
        order = order_make(placed="2026-03-02 10:00", lines=[("SHIRT", "Shirt", 1, "5.000"), ("MUG", "Mug", 2, "3.000")])
        client.force_login(staff_make("accountant", "Accounting"))

        # When they export the order lines of the orders list as CSV (streamed after the view returned)
        with _Capture() as captured:
            response = client.post(reverse("admin:reports_exportjob_from_list", args=["orders.order"]), {"kind": "order_lines", "format": "csv"})
            rows = csv_rows(b"".join(response.streaming_content))

        # Then the file holds the lines, and the list and its rows were read from the replica only
        assert [(row[0], row[5]) for row in rows[1:]] == [(order.number, "SHIRT"), (order.number, "MUG")]
        assert any("orders_orderline" in sql for sql in captured.replica)
        assert not any("orders_order" in sql for sql in captured.default)
