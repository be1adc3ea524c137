"""A console session on the API may do exactly what that person's role may do in the console.

Every operation of the OpenAPI schema is tried with the browser session of each staff role (and a
superuser, and staff with no role). The matrix below says which permission each operation needs;
it is written here, apart from the views, so that a view that changes what it asks fails this test,
and an operation missing from it (a new endpoint without a rule) fails it too.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from inventory.models import StockMovement
from oms.models import DomainEvent
from oms.roles import ROLES

from .support import error_of

pytestmark = pytest.mark.django_db

# Signed by the platform or carrier with a shared secret; no session or key is involved.
SIGNED_BY_PLATFORM = {
    "POST /api/v1/channels/{code}/shopify/orders/",
    "POST /api/v1/channels/{code}/woocommerce/orders/",
    "POST /api/v1/carriers/{code}/tracking/",
}
# Document jobs: every staff member, because the view shows a person their own jobs only (and
# everyone's to a role with oms.view_documentjob).
ANY_STAFF = "any staff"

MATRIX = {
    "GET /api/v1/orders/": "orders.view_order",
    "POST /api/v1/orders/": "orders.create_phone_order",
    "POST /api/v1/orders/bulk/": "orders.create_phone_order",
    "POST /api/v1/channels/{code}/orders/import/": "orders.create_phone_order",
    "GET /api/v1/channels/{code}/catch-ups/": "orders.view_channel",
    "POST /api/v1/channels/{code}/catch-ups/": "orders.change_channel",
    "GET /api/v1/channels/{code}/catch-ups/{id}/": "orders.view_channel",
    "GET /api/v1/channels/{code}/stock-feed.csv": "inventory.view_stocklevel",
    "POST /api/v1/channels/{code}/stock/resync/": "orders.change_channel",
    "GET /api/v1/orders/{number}/": "orders.view_order",
    "PATCH /api/v1/orders/{number}/": "orders.change_order",
    "PUT /api/v1/orders/{number}/lines/": "orders.change_order",
    "POST /api/v1/orders/{number}/hold/": "orders.release_hold",
    "POST /api/v1/orders/{number}/release/": "orders.release_hold",
    "POST /api/v1/orders/{number}/cancel/": "orders.cancel_order",
    "POST /api/v1/orders/{number}/start-fulfillment/": "orders.transition_order",
    "GET /api/v1/orders/{number}/events/": "orders.view_orderevent",
    "GET /api/v1/invoices/": "orders.view_invoice",
    "GET /api/v1/invoices/{number}/": "orders.view_invoice",
    "GET /api/v1/invoices/{number}/pdf": "orders.view_invoice",
    "GET /api/v1/credit-notes/": "orders.view_creditnote",
    "GET /api/v1/credit-notes/{number}/": "orders.view_creditnote",
    "GET /api/v1/credit-notes/{number}/pdf": "orders.view_creditnote",
    "GET /api/v1/customers/{customer_id}/statement": "orders.view_invoice",
    "GET /api/v1/customers/{customer_id}/statement/pdf": "orders.view_invoice",
    "GET /api/v1/invoices/{number}/payments/": "orders.view_invoicepayment",
    "POST /api/v1/invoices/{number}/payments/": "orders.add_invoicepayment",
    "POST /api/v1/payments/": "orders.add_invoicepayment",
    "GET /api/v1/receivables/ageing/": "orders.view_invoice",
    "GET /api/v1/suppliers/": "inventory.view_supplier",
    "POST /api/v1/suppliers/": "inventory.add_supplier",
    "GET /api/v1/suppliers/{code}/": "inventory.view_supplier",
    "PATCH /api/v1/suppliers/{code}/": "inventory.change_supplier",
    "GET /api/v1/suppliers/{code}/products/": "inventory.view_supplierproduct",
    "POST /api/v1/suppliers/{code}/products/": "inventory.add_supplierproduct",
    "GET /api/v1/purchase-orders/": "inventory.view_purchaseorder",
    "POST /api/v1/purchase-orders/": "inventory.add_purchaseorder",
    "GET /api/v1/purchase-orders/{number}/": "inventory.view_purchaseorder",
    "GET /api/v1/purchase-orders/{number}/events/": "inventory.view_purchaseorderevent",
    "PATCH /api/v1/purchase-orders/{number}/lines/": "inventory.add_purchaseorder",
    "POST /api/v1/purchase-orders/{number}/send/": "inventory.send_purchaseorder",
    "POST /api/v1/purchase-orders/{number}/receive/": "inventory.receive_purchaseorder",
    "POST /api/v1/purchase-orders/{number}/cancel/": "inventory.send_purchaseorder",
    "POST /api/v1/purchase-orders/{number}/close/": "inventory.send_purchaseorder",
    "GET /api/v1/returns/": "returns.view_returnrequest",
    "POST /api/v1/returns/": "returns.add_returnrequest",
    "GET /api/v1/returns/{number}/": "returns.view_returnrequest",
    "POST /api/v1/returns/{number}/approve/": "returns.approve_return",
    "POST /api/v1/returns/{number}/reject/": "returns.approve_return",
    "POST /api/v1/returns/{number}/receive/": "returns.receive_return",
    "POST /api/v1/returns/{number}/inspect/": "returns.inspect_return",
    "POST /api/v1/returns/{number}/cancel/": "returns.cancel_return",
    "POST /api/v1/returns/{number}/refund/": "returns.refund_return",
    "POST /api/v1/returns/{number}/refunds/{refund_id}/retry/": "returns.refund_return",
    "POST /api/v1/returns/{number}/exchange/": "returns.approve_return",
    "GET /api/v1/returns/{number}/events/": "returns.view_returnevent",
    "GET /api/v1/returns/{number}/slip.pdf": "returns.view_returnrequest",
    "GET /api/v1/customers/": "customers.view_customer",
    "POST /api/v1/customers/": "customers.add_customer",
    "GET /api/v1/customers/{customer_id}/": "customers.view_customer",
    "PATCH /api/v1/customers/{customer_id}/": "customers.change_customer",
    "POST /api/v1/customers/{customer_id}/addresses/": "customers.add_customeraddress",
    "GET /api/v1/customers/{customer_id}/store-credit/": "customers.view_storecreditaccount",
    "GET /api/v1/products/": "inventory.view_product",
    "POST /api/v1/products/": "inventory.add_product",
    "GET /api/v1/products/{sku}/": "inventory.view_product",
    "PATCH /api/v1/products/{sku}/": "inventory.change_product",
    "GET /api/v1/locations/": "inventory.view_location",
    "POST /api/v1/locations/": "inventory.add_location",
    "GET /api/v1/locations/{code}/": "inventory.view_location",
    "PATCH /api/v1/locations/{code}/": "inventory.change_location",
    "GET /api/v1/locations/{code}/bins/": "inventory.view_bin",
    "POST /api/v1/locations/{code}/bins/": "inventory.add_bin",
    "GET /api/v1/locations/{code}/bins/{bin_code}/": "inventory.view_bin",
    "PATCH /api/v1/locations/{code}/bins/{bin_code}/": "inventory.change_bin",
    "POST /api/v1/locations/{code}/bin-assignments/": "inventory.change_bin",
    "GET /api/v1/stock/": "inventory.view_stocklevel",
    "GET /api/v1/stock/{sku}/": "inventory.view_stocklevel",
    "GET /api/v1/stock/lookup/": "inventory.view_stocklevel",
    "GET /api/v1/atp/": "inventory.view_stocklevel",
    "GET /api/v1/stock/movements/": "inventory.view_stockmovement",
    "POST /api/v1/stock/movements/": "inventory.receive_stock",
    "POST /api/v1/stock/snapshots/": "inventory.adjust_stock",
    "GET /api/v1/cycle-counts/": "inventory.view_cyclecount",
    "GET /api/v1/cycle-counts/{id}/": "inventory.view_cyclecount",
    "POST /api/v1/cycle-counts/{id}/scans/": "inventory.count_cyclecount",
    "POST /api/v1/cycle-counts/{id}/counts/": "inventory.count_cyclecount",
    "POST /api/v1/cycle-counts/{id}/approve/": "inventory.approve_cyclecount",
    "POST /api/v1/cycle-counts/{id}/recount/": "inventory.approve_cyclecount",
    "POST /api/v1/cycle-counts/{id}/cancel/": "inventory.approve_cyclecount",
    "POST /api/v1/stock/{sku}/quarantine/": "inventory.adjust_stock",
    "POST /api/v1/stock/{sku}/release/": "inventory.adjust_stock",
    "POST /api/v1/stock/{sku}/scrap/": "inventory.adjust_stock",
    "GET /api/v1/fulfillment-orders/": "fulfillment.view_fulfillmentorder",
    "GET /api/v1/fulfillment-orders/{number}/": "fulfillment.view_fulfillmentorder",
    "POST /api/v1/fulfillment-orders/{number}/ship/": "fulfillment.confirm_picklist",
    "POST /api/v1/fulfillment-orders/{number}/deliver/": "fulfillment.transition_fulfillmentorder",
    "POST /api/v1/fulfillment-orders/{number}/hold/": "fulfillment.transition_fulfillmentorder",
    "POST /api/v1/fulfillment-orders/{number}/release/": "fulfillment.transition_fulfillmentorder",
    "POST /api/v1/fulfillment-orders/{number}/move/": "fulfillment.route_fulfillmentorder",
    "POST /api/v1/fulfillment-orders/{number}/split/": "fulfillment.route_fulfillmentorder",
    "POST /api/v1/fulfillment-orders/merge/": "fulfillment.route_fulfillmentorder",
    "POST /api/v1/fulfillment-orders/{number}/pack/": "fulfillment.confirm_picklist",
    "GET /api/v1/fulfillment-orders/{number}/packing-slip.pdf": "fulfillment.view_fulfillmentorder",
    "GET /api/v1/pick-lists/": "fulfillment.view_picklist",
    "POST /api/v1/pick-lists/": "fulfillment.confirm_picklist",
    "GET /api/v1/pick-lists/{id}/": "fulfillment.view_picklist",
    "GET /api/v1/pick-lists/{id}/document.pdf": "fulfillment.view_picklist",
    "POST /api/v1/pick-lists/{id}/confirm/": "fulfillment.confirm_picklist",
    "GET /api/v1/shipments/": "shipping.view_shipment",
    "GET /api/v1/shipments/{id}/": "shipping.view_shipment",
    "GET /api/v1/shipments/{id}/label.pdf": "shipping.view_shipment",
    "POST /api/v1/shipments/{id}/void/": "shipping.void_shipment",
    "POST /api/v1/shipments/{id}/return-label/": "shipping.create_return_label",
    "POST /api/v1/shipments/labels/": "shipping.view_shipment",
    "GET /api/v1/manifests/": "shipping.view_manifest",
    "POST /api/v1/manifests/": "shipping.close_manifest",
    "GET /api/v1/manifests/{id}/": "shipping.view_manifest",
    "GET /api/v1/manifests/{id}/manifest.pdf": "shipping.view_manifest",
    "GET /api/v1/manifests/{id}/manifest.csv": "shipping.view_manifest",
    "GET /api/v1/document-jobs/{id}/": ANY_STAFF,
    "GET /api/v1/document-jobs/{id}/download/": ANY_STAFF,
    "POST /api/v1/reports/exports/": "reports.export_data",
    "GET /api/v1/reports/exports/{id}/": "reports.export_data",
    "GET /api/v1/reports/exports/{id}/download/": "reports.export_data",
    "GET /api/v1/events/": "oms.view_domainevent",
    "GET /api/v1/reports/kpis/": "reports.view_reports",
    "GET /api/v1/reports/kpis/{key}/": "reports.view_reports",
    "GET /api/v1/reports/forecasts/{sku}/": "reports.view_reports",
    "GET /api/v1/replenishment/suggestions/": "reports.view_suggestionline",
    "POST /api/v1/replenishment/suggestions/accept/": "reports.change_suggestionline",
    "POST /api/v1/replenishment/suggestions/dismiss/": "reports.change_suggestionline",
    "POST /api/v1/replenishment/runs/": "reports.add_replenishmentrun",
    "GET /api/v1/webhooks/subscriptions/": "oms.view_webhooksubscription",
    "POST /api/v1/webhooks/subscriptions/": "oms.add_webhooksubscription",
    "GET /api/v1/webhooks/subscriptions/{id}/": "oms.view_webhooksubscription",
    "PATCH /api/v1/webhooks/subscriptions/{id}/": "oms.change_webhooksubscription",
    "DELETE /api/v1/webhooks/subscriptions/{id}/": "oms.delete_webhooksubscription",
    "GET /api/v1/webhooks/deliveries/": "oms.view_webhookdelivery",
    "GET /api/v1/webhooks/deliveries/{id}/": "oms.view_webhookdelivery",
    "POST /api/v1/webhooks/deliveries/{id}/redeliver/": "oms.redeliver_webhookdelivery",
    "POST /api/v1/reports/imports/": "reports.run_import",
}

WHO = (*ROLES, "superuser", "staff without a role")


def schema_operations() -> list[str]:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return sorted(f"{method.upper()} {path}" for path, operations in paths.items() for method in operations)


OPERATIONS = [operation for operation in schema_operations() if operation not in SIGNED_BY_PLATFORM]


def _url(path: str) -> str:
    """The operation's path with made-up parameters (the records need not exist: refusal comes first)."""
    path = re.sub(r"\{(id|pk|customer_id|refund_id)\}", "999999", path)
    return re.sub(r"\{\w+\}", "NOPE-1", path)


def _session(who: str) -> tuple[APIClient, object]:
    user = get_user_model().objects.create_user(
        username=who.lower().replace(" ", "_"), password="x", is_staff=True, is_superuser=who == "superuser"
    )
    if who in ROLES:
        user.groups.add(Group.objects.get(name=who))
    client = APIClient()
    client.force_login(user)
    return client, user


def test_every_operation_in_the_schema_has_a_rule_in_the_matrix_and_no_rule_is_stale():
    assert set(OPERATIONS) - set(MATRIX) == set(), "operations without a role rule: add them to MATRIX and required_permissions"
    assert set(MATRIX) - set(OPERATIONS) == set(), "rules for operations the schema no longer has"
    assert SIGNED_BY_PLATFORM <= set(schema_operations())


@pytest.mark.parametrize("who", WHO)
def test_each_role_may_call_exactly_the_operations_its_console_role_allows(who):
    client, user = _session(who)
    events_before = DomainEvent.objects.count()
    wrong = []

    for operation in OPERATIONS:
        method, path = operation.split(" ", 1)
        needed = MATRIX[operation]
        expected_allowed = needed == ANY_STAFF or user.has_perm(needed)
        response = client.generic(method, _url(path), "{}", content_type="application/json", HTTP_IF_MATCH='"1"')
        refused = response.status_code == 403 and error_of(response)["code"] == "permission_denied"
        if refused == expected_allowed:
            wrong.append(f"{operation}: {response.status_code} {response.content[:160]!r} (needs {needed})")
        if refused and needed != ANY_STAFF:
            assert needed in error_of(response)["message"], operation

    assert wrong == []
    if who in ("Accounting", "staff without a role"):
        assert DomainEvent.objects.count() == events_before


def test_the_matrix_is_not_all_or_nothing():
    """Each role is let in somewhere and refused somewhere (a matrix of one answer proves little)."""
    for role in list(ROLES)[:3]:
        permissions = {f"{app}.{codename}" for app, codenames in ROLES[role].items() for codename in codenames}
        needed = {permission for permission in MATRIX.values() if permission != ANY_STAFF}
        assert permissions & needed and needed - permissions, role


def test_the_accounting_role_cannot_cancel_receive_or_subscribe_through_its_session(stocked, web_channel):
    """The attacker's walk from the issue, on real records: a read-only role changes nothing."""
    stocked("SKU-A", 5)
    client, _ = _session("Accounting")

    received = client.post(
        "/api/v1/stock/movements/", {"type": "receipt", "sku": "SKU-A", "location": "chicago", "quantity": 1000}, format="json"
    )
    subscribed = client.post("/api/v1/webhooks/subscriptions/", {"integration": "shop", "url": "https://x.example/h", "events": ["*"]}, format="json")
    created = client.post("/api/v1/products/", {"sku": "NEW-1", "name": "New", "price": "1.00"}, format="json")
    readable = client.get("/api/v1/stock/SKU-A/")

    assert [received.status_code, subscribed.status_code, created.status_code] == [403, 403, 403]
    assert readable.status_code == 200 and readable.json()["locations"][0]["on_hand"] == 5
    assert not StockMovement.objects.filter(on_hand_delta=1000).exists()


def test_a_warehouse_session_may_receive_stock_but_not_adjust_it(stocked, web_channel):
    stocked("SKU-A", 5)
    client, _ = _session("Warehouse")

    received = client.post("/api/v1/stock/movements/", {"type": "receipt", "sku": "SKU-A", "location": "chicago", "quantity": 3}, format="json")
    adjusted = client.post(
        "/api/v1/stock/movements/",
        {"type": "adjustment", "sku": "SKU-A", "location": "chicago", "quantity": -8, "reason": "shrinkage"},
        format="json",
    )

    assert received.status_code == 201, received.content
    assert adjusted.status_code == 403 and "inventory.adjust_stock" in error_of(adjusted)["message"]
    assert client.get("/api/v1/stock/SKU-A/").json()["locations"][0]["on_hand"] == 8


def test_a_session_of_someone_who_is_not_staff_is_refused_everything():
    user = get_user_model().objects.create_user(username="customer", password="x")
    client = APIClient()
    client.force_login(user)

    answers = [client.get("/api/v1/orders/"), client.get("/api/v1/stock/")]

    assert [answer.status_code for answer in answers] == [403, 403]
    assert "staff" in error_of(answers[0])["message"]
