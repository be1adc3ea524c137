"""Exports in the console: the "Export…" button on the lists finance works from, exporting exactly
the rows the list's filters and search show; small ones download at once, large ones become a
job whose page shows the progress and offers the file."""

import re

import pytest
from django.urls import reverse

from reports.models import ExportJob

from ..admin.conftest import console  # noqa: F401 (the fixture)
from .conftest import csv_rows, movement_make, order_make, refund_make, shipment_make, xlsx_rows

pytestmark = pytest.mark.django_db
EXPORT_LINK = re.compile(r'<a href="(/admin/reports/exportjob/from-list/[\w.]+/[^"]*)">Export…</a>')


def export_link(client, list_url: str) -> str | None:
    html = client.get(list_url).content.decode()
    found = EXPORT_LINK.search(html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize("list_name, role", [
    ("orders_order", "Accounting"), ("returns_refund", "Accounting"), ("inventory_stockmovement", "Accounting"),
    ("inventory_stocklevel", "Accounting"), ("shipping_shipment", "Operations manager"),
])
def test_finance_and_managers_find_the_export_button_on_the_lists_they_work_from(console, list_name, role):  # noqa: F811
    accountant = console(role)

    link = export_link(accountant, reverse(f"admin:{list_name}_changelist"))

    assert link is not None and link.startswith(f"/admin/reports/exportjob/from-list/{list_name.replace('_', '.', 1)}/")
    assert accountant.get(link).status_code == 200


def test_the_warehouse_has_no_export_button_and_may_not_open_the_export_page(console):  # noqa: F811
    picker = console("Warehouse")

    assert export_link(picker, reverse("admin:orders_order_changelist")) is None
    assert picker.get(reverse("admin:reports_exportjob_from_list", args=["orders.order"])).status_code == 403


def test_exporting_the_filtered_orders_list_downloads_exactly_those_orders_lines(console):  # noqa: F811
    # Given shipped and cancelled orders, and the accountant's list filtered to cancelled ones
    order_make(status="shipped")
    cancelled = order_make(status="cancelled", lines=[("SHIRT", "Shirt", 1, "5.000"), ("MUG", "Mug", 2, "3.000")])
    accountant = console("Accounting")
    link = export_link(accountant, reverse("admin:orders_order_changelist") + "?status__exact=cancelled")
    assert "status__exact=cancelled" in link

    # When they open the export page: it offers orders and their lines, counted
    page = accountant.get(link).content.decode()
    assert "Orders: 1 rows" in page and "Order lines: 2 rows" in page
    assert 'style="' not in page.split('id="content"')[-1] and "<script>" not in page

    # And export the lines as CSV
    response = accountant.post(link, {"kind": "order_lines", "format": "csv"})

    # Then the file holds the cancelled order's two lines and nothing else
    assert response.status_code == 200 and response["Content-Disposition"].startswith('attachment; filename="order-lines-')
    rows = csv_rows(b"".join(response.streaming_content))
    assert [(row[0], row[5]) for row in rows[1:]] == [(cancelled.number, "SHIRT"), (cancelled.number, "MUG")]


def test_the_search_of_a_list_is_exported_too_and_xlsx_downloads_as_a_workbook(console):  # noqa: F811
    shipment_make(tracking="TRKAAA1")
    shipment_make(tracking="TRKBBB2")
    accountant = console("Operations manager")
    link = export_link(accountant, reverse("admin:shipping_shipment_changelist") + "?q=TRKBBB2")

    response = accountant.post(link, {"kind": "shipments", "format": "xlsx"})

    rows = xlsx_rows(b"".join(response.streaming_content))
    assert [row[0] for row in rows[1:]] == ["TRKBBB2"]


def test_a_large_export_becomes_a_job_whose_page_shows_progress_then_the_download(console, settings, django_capture_on_commit_callbacks):  # noqa: F811
    # Given more ledger rows than download at once
    settings.OMS_EXPORT_INLINE_MAX_ROWS = 2
    for quantity in (5, -1, -2):
        movement_make(on_hand=quantity)
    accountant = console("Accounting")
    link = export_link(accountant, reverse("admin:inventory_stockmovement_changelist"))

    # When the accountant exports them (the worker runs after commit)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = accountant.post(link, {"kind": "stock_movements", "format": "csv"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:reports_exportjob_change", args=[job.pk])
    page = accountant.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and "0 / 3 rows" in page
    for callback in callbacks:
        callback()

    # Then the job's page and the list offer the file, which holds the three movements
    page = accountant.get(response["Location"]).content.decode()
    download = reverse("admin:reports_exportjob_download", args=[job.pk])
    assert f'href="{download}"' in page and 'http-equiv="refresh"' not in page
    assert f'href="{download}"' in accountant.get(reverse("admin:reports_exportjob_changelist")).content.decode()
    rows = csv_rows(b"".join(accountant.get(download).streaming_content))
    assert [row[6] for row in rows[1:]] == ["5", "-1", "-2"]


def test_refunds_have_a_list_of_their_own_to_export_from(console):  # noqa: F811
    order = order_make()
    refund_make(order, amount="12.000")
    accountant = console("Accounting")

    html = accountant.get(reverse("admin:returns_refund_changelist")).content.decode()
    response = accountant.post(export_link(accountant, reverse("admin:returns_refund_changelist")), {"kind": "refunds", "format": "csv"})

    assert order.number in html and "12.00 EUR" in html
    assert csv_rows(b"".join(response.streaming_content))[1][1] == order.number


def test_someone_elses_export_is_not_listed_or_downloadable_without_the_permission(console, django_capture_on_commit_callbacks):  # noqa: F811
    from reports.exports import export_job_run, export_job_start

    order_make()
    job = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")
    export_job_run(job_id=job.pk)
    manager = console("Operations manager", "boss")
    assert manager.get(reverse("admin:reports_exportjob_download", args=[job.pk])).status_code == 200

    manager.user.groups.clear()
    from django.contrib.auth.models import Permission

    manager.user.user_permissions.add(Permission.objects.get(codename="export_data"))
    assert manager.get(reverse("admin:reports_exportjob_download", args=[job.pk])).status_code == 404
    assert str(job.title) not in manager.get(reverse("admin:reports_exportjob_changelist")).content.decode()


def test_the_stock_valuation_from_the_stock_levels_list_is_at_the_day_the_accountant_picks(console, berlin):  # noqa: F811
    # Given 10 shirts received on 31 March and 4 more on 1 April (Berlin)
    movement_make(on_hand=10, when="2026-03-31 08:00")
    movement_make(on_hand=4, when="2026-04-01 08:00")
    accountant = console("Accounting")
    link = export_link(accountant, reverse("admin:inventory_stocklevel_changelist"))
    assert 'type="date"' in accountant.get(link).content.decode()

    # When the accountant values the stock at the end of March
    response = accountant.post(link, {"kind": "stock_valuation", "format": "csv", "at": "2026-03-31"})

    # Then the file holds the 10 shirts at their cost
    assert csv_rows(b"".join(response.streaming_content))[1:] == [["SHIRT", "Shirt product", "ber", "10", "EUR", "7.125", "71.25"]]
