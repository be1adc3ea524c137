"""Printing from the operator console: a few documents come back as a PDF at once, many become a
document job whose page refreshes itself until the PDF can be downloaded; viewing is required."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from fulfillment.models import FulfillmentOrder
from fulfillment.services.picking import pick_list_build
from oms.models import DocumentJob

from ..fulfillment.fulfillment_support import in_fulfillment, ledger_reconciles, receive  # noqa: F401
from .conftest import pdf_pages

pytestmark = pytest.mark.django_db

FULFILLMENT_ORDERS = "/admin/fulfillment/fulfillmentorder/"
PICK_LISTS = "/admin/fulfillment/picklist/"


def staff(client, username: str, *permissions: str):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client.force_login(user)
    return user


@pytest.fixture
def orders(warehouse, receive, in_fulfillment):
    """``orders(n)``: n fulfillment orders of one line each at the warehouse."""
    receive("SKU-A", 100, warehouse)

    def make(count: int) -> list[FulfillmentOrder]:
        return [FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 1)])) for _ in range(count)]

    return make


def test_given_a_few_fulfillment_orders_when_packing_slips_are_printed_then_the_pdf_downloads_at_once(client, orders):
    fos = orders(2)
    staff(client, "packer", "fulfillment.view_fulfillmentorder")

    response = client.post(FULFILLMENT_ORDERS, {"action": "print_packing_slips", "_selected_action": [fo.pk for fo in fos]})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="packing-slips-')
    pages = pdf_pages(response.content)
    assert [page.split("Packing slip ")[1].split()[0] for page in pages] == [fo.number for fo in fos]
    assert DocumentJob.objects.count() == 0


def test_given_more_than_the_inline_limit_when_printed_then_a_job_runs_and_its_page_refreshes_until_it_offers_the_download(
    client, orders, settings, django_capture_on_commit_callbacks
):
    # Given an inline limit of 2 and three fulfillment orders
    settings.OMS_DOCUMENTS_INLINE_MAX = 2
    fos = orders(3)
    staff(client, "lead", "fulfillment.view_fulfillmentorder")

    # When the lead prints their packing slips (the worker is held back until we let it run)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(FULFILLMENT_ORDERS, {"action": "print_packing_slips", "_selected_action": [fo.pk for fo in fos]})

    # Then the answer is the job's page, which refreshes itself while the job is queued
    job = DocumentJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/oms/documentjob/{job.pk}/change/"
    assert job.payload == {"fulfillment_order_ids": sorted(fo.pk for fo in fos)}
    waiting = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in waiting and "0 / 3" in waiting and "Download PDF" not in waiting

    # And once the worker ran, the page stops refreshing and offers the PDF, which the lead may download
    for callback in callbacks:
        callback()
    done = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in done and "Download PDF" in done
    download = client.get(f"/admin/oms/documentjob/{job.pk}/download/")
    assert download.status_code == 200 and len(pdf_pages(download.content)) == 3


def test_given_pick_lists_when_printed_from_their_list_or_from_fulfillment_orders_then_each_open_list_prints(client, orders, warehouse):
    fos = orders(2)
    lists = pick_list_build(location=warehouse.code, fulfillment_order_ids=[fo.pk for fo in fos], kind="single", actor="lead")
    staff(client, "picker", "fulfillment.view_picklist", "fulfillment.view_fulfillmentorder")

    from_lists = client.post(PICK_LISTS, {"action": "print_pick_lists", "_selected_action": [lists[0].pk]})
    from_orders = client.post(FULFILLMENT_ORDERS, {"action": "print_pick_lists", "_selected_action": [fo.pk for fo in fos]})

    assert from_lists["Content-Disposition"] == f'attachment; filename="pick-list-{lists[0].number}.pdf"'
    assert lists[0].number in pdf_pages(from_lists.content)[0]
    assert sorted(page.split("Pick list ")[1].split()[0] for page in pdf_pages(from_orders.content)) == sorted(pl.number for pl in lists)


def test_given_a_user_without_view_permission_when_printing_then_nothing_is_printed(client, orders, warehouse):
    fos = orders(1)
    pick_list_build(location=warehouse.code, fulfillment_order_ids=[fos[0].pk], kind="single", actor="lead")
    staff(client, "packer", "fulfillment.view_fulfillmentorder")

    # May see fulfillment orders but not pick lists: printing them is not offered, and a post of it prints nothing
    assert 'value="print_pick_lists"' not in client.get(FULFILLMENT_ORDERS).content.decode()
    refused = client.post(FULFILLMENT_ORDERS, {"action": "print_pick_lists", "_selected_action": [fos[0].pk]}, follow=True)
    assert refused["Content-Type"].startswith("text/html") and "%PDF" not in refused.content.decode()
    # And the pick-list console itself is closed to them
    assert client.post(PICK_LISTS, {"action": "print_pick_lists", "_selected_action": [1]}).status_code == 403
    # Someone else's job page is not theirs to see
    other = get_user_model().objects.create_user(username="other", is_staff=True)
    from oms.documents import document_job_start

    job = document_job_start(kind="packing_slips", payload={"fulfillment_order_ids": [fos[0].pk]}, actor=other)
    assert client.get(f"/admin/oms/documentjob/{job.pk}/change/").status_code in (302, 403)
