"""Marketplace CSV import through the API and the admin page."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.adapters.csv_import import COLUMNS
from orders.models import Channel, HoldReason, Order, OrderStatus

from ..api.support import error_of
from ..factories import ChannelFactory

URL = "/api/v1/channels/marketplace/orders/import/"


def csv_text(*rows: dict, columns=COLUMNS) -> bytes:
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join(str(row.get(column, "")) for column in columns))
    return ("\n".join(lines) + "\n").encode()


def row(order_id: str, sku: str = "BOOK-1", quantity="1", **values) -> dict:
    base = dict(
        order_id=order_id, placed_at="2025-03-01T14:05:00Z", currency="USD", email="reader@example.com", first_name="Jo",
        last_name="Reader", phone="+14155550123", ship_name="Jo Reader", ship_line1="1 Elm Street", ship_city="Boston",
        ship_region="MA", ship_postal_code="02108", ship_country="US", sku=sku, quantity=quantity, unit_price="12.50",
        line_discount="0", line_tax="1.00", shipping_price="3.00", payment_status="paid",
    )
    base.update(values)
    return base


@pytest.fixture
def marketplace(db, stocked):
    stocked("BOOK-1", 50, price=Decimal("12.50"))
    stocked("BOOK-2", 50, price=Decimal("12.50"))
    return ChannelFactory(code="marketplace", name="Marketplace", kind=Channel.Kind.MARKETPLACE)


def upload(api, content: bytes, **headers):
    return api.post(URL, {"file": SimpleUploadedFile("orders.csv", content, content_type="text/csv")}, format="multipart", headers=headers)


def test_valid_file_creates_each_order_once(marketplace, api):
    # given a file of two orders, the first with two lines (order columns blank on its second row)
    first_line = row("MK-1", "BOOK-1", "2")
    second_line = {"order_id": "MK-1", "sku": "BOOK-2", "quantity": "1", "unit_price": "12.50"}
    content = csv_text(first_line, second_line, row("MK-2"))

    # when it is imported as a multipart upload
    response = upload(api, content)

    # then both orders are recorded with their lines and amounts
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["summary"] == {"orders": 2, "rows": 3, "created": 2, "already_imported": 0, "rejected": 0}
    order = Order.objects.get(external_id="MK-1")
    assert [(l.sku, l.quantity) for l in order.lines.order_by("line_number")] == [("BOOK-1", 2), ("BOOK-2", 1)]
    assert (order.subtotal, order.tax_total, order.shipping_price, order.status) == (Decimal("37.50"), Decimal("1.00"), Decimal("3.00"), OrderStatus.ALLOCATED)
    assert order.placed_at.isoformat() == "2025-03-01T14:05:00+00:00"

    # and importing the same file again (as a text/csv body) creates nothing new
    again = api.generic("POST", URL, content, content_type="text/csv")
    assert again.json()["summary"]["already_imported"] == 2
    assert Order.objects.filter(channel__code="marketplace").count() == 2


def test_mixed_file_imports_good_orders_and_rejects_whole_bad_ones_with_reasons_per_row(marketplace, api):
    # given: MK-10 fine; MK-11 has one good and one bad row; MK-12 bad currency and country; MK-13 disagrees with itself
    content = csv_text(
        row("MK-10"),
        row("MK-11", "BOOK-1"),
        row("MK-11", "BOOK-2", quantity="two"),
        row("MK-12", currency="ZZZ", ship_country="Neverland"),
        row("MK-13"),
        row("MK-13", "BOOK-2", email="other@example.com"),
        row("MK-14", "NEW-BOOK"),
    )

    # when it is imported
    body = upload(api, content).json()

    # then only the valid orders are recorded; an unknown SKU is recorded on hold
    assert body["summary"]["created"] == 2 and body["summary"]["rejected"] == 3
    assert set(Order.objects.values_list("external_id", flat=True)) == {"MK-10", "MK-14"}
    assert Order.objects.get(external_id="MK-14").holds.filter(reason=HoldReason.STOCK).exists()
    # and every row says what happened, with the column at fault
    rows = {r["row"]: r for r in body["rows"]}
    assert rows[2]["result"] == "created"
    assert rows[3]["result"] == "rejected" and "row 4" in rows[3]["errors"]["order_id"][0]
    assert list(rows[4]["errors"]) == ["quantity"]
    assert set(rows[5]["errors"]) == {"currency", "ship_country"}
    assert "differs from row 6" in rows[7]["errors"]["email"][0]
    rejected = {o["order_id"]: o for o in body["orders"] if o["result"] == "rejected"}
    assert {"row": 4, "column": "quantity", "message": "'two' is not a whole number of at least 1."} in rejected["MK-11"]["errors"]


def test_rules_only_intake_knows_are_reported_on_the_right_column(marketplace, api):
    content = csv_text(row("MK-20", phone="12"), row("MK-21", line_discount="99.00"))

    body = upload(api, content).json()

    assert body["summary"]["rejected"] == 2
    rows = {r["row"]: r for r in body["rows"]}
    assert "phone" in rows[2]["errors"]
    assert rows[3]["result"] == "rejected"
    assert not Order.objects.exists()


def test_the_optional_promised_delivery_date_column_is_taken_and_checked(marketplace, api):
    columns = COLUMNS + ("promised_delivery_date",)
    content = csv_text(
        row("MK-40", promised_delivery_date="2025-03-05"), row("MK-41", promised_delivery_date="next week"),
        row("MK-42", promised_delivery_date="2025-02-27"), columns=columns,
    )

    body = upload(api, content).json()

    assert Order.objects.get(external_id="MK-40").promised_delivery_date.isoformat() == "2025-03-05"
    rows = {r["row"]: r for r in body["rows"]}
    assert "is not a date" in rows[3]["errors"]["promised_delivery_date"][0]
    assert list(rows[4]["errors"]) == ["promised_delivery_date"]  # before the order was placed (2025-03-01)
    assert set(Order.objects.values_list("external_id", flat=True)) == {"MK-40"}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("order_id;sku\nA;B\n".encode(), "lacks the column"),
        (csv_text(row("MK-30", ship_city="Zürich")).decode().encode("latin-1"), "not UTF-8"),
        (b"", "empty"),
        (csv_text(), "no order lines"),
    ],
)
def test_unreadable_files_are_a_clear_400_and_record_nothing(marketplace, api, content, words):
    response = upload(api, content)

    assert response.status_code == 400
    assert words in error_of(response)["message"]
    assert not Order.objects.exists()


def test_file_size_and_row_limits(marketplace, api, monkeypatch):
    from orders.adapters import csv_import

    monkeypatch.setattr(csv_import, "MAX_ROWS", 2)
    too_many = upload(api, csv_text(row("A"), row("B"), row("C")))
    monkeypatch.setattr(csv_import, "MAX_FILE_BYTES", 100)
    too_large = upload(api, csv_text(row("A")))

    assert too_many.status_code == 400 and "more than 2 order lines" in error_of(too_many)["message"]
    assert too_large.status_code == 400 and "larger than" in error_of(too_large)["message"]
    assert not Order.objects.exists()


def test_needs_the_orders_write_scope_and_a_known_channel(marketplace, client_for):
    content = csv_text(row("MK-40"))

    refused = upload(client_for("orders:read"), content)
    unknown = client_for("orders:write").generic("POST", "/api/v1/channels/nope/orders/import/", content, content_type="text/csv")

    assert refused.status_code == 403
    assert unknown.status_code == 404
    assert not Order.objects.exists()


def test_idempotency_key_replays_the_report(marketplace, api):
    content = csv_text(row("MK-50"))

    first = upload(api, content, **{"Idempotency-Key": "import-1"})
    second = upload(api, content, **{"Idempotency-Key": "import-1"})
    other_file = upload(api, csv_text(row("MK-51")), **{"Idempotency-Key": "import-1"})

    assert second.headers["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert other_file.status_code == 422
    assert list(Order.objects.values_list("external_id", flat=True)) == ["MK-50"]


# --- the admin page -------------------------------------------------------------------------

ADMIN_URL = "/admin/orders/order/import/"


def staff(client, role: str):
    user = get_user_model().objects.create_user(username=role.lower().replace(" ", "_"), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def test_admin_upload_by_customer_service_imports_and_shows_the_report(marketplace, client):
    staff(client, "Customer service")
    changelist = client.get("/admin/orders/order/")
    assert ADMIN_URL.encode() in changelist.content  # the button

    response = client.post(ADMIN_URL, {"channel": "marketplace", "file": SimpleUploadedFile("o.csv", csv_text(row("AD-1"), row("AD-2", quantity="0")))})

    assert response.status_code == 200
    assert Order.objects.filter(external_id="AD-1").exists() and not Order.objects.filter(external_id="AD-2").exists()
    page = response.content.decode()
    assert "1 created, 0 already imported, 1 rejected" in page
    assert "quantity" in page and "order_id" in page  # the columns are listed and the bad one is named


def test_admin_upload_of_an_unreadable_file_shows_the_reason(marketplace, client):
    staff(client, "Operations manager")

    response = client.post(ADMIN_URL, {"channel": "marketplace", "file": SimpleUploadedFile("o.csv", b"just,some,columns\n1,2,3\n")})

    assert response.status_code == 200
    assert "lacks the column" in response.content.decode()
    assert not Order.objects.exists()


def test_admin_import_is_refused_without_the_permission(marketplace, client):
    staff(client, "Warehouse")

    assert client.get(ADMIN_URL).status_code == 403
    assert client.post(ADMIN_URL, {"channel": "marketplace", "file": SimpleUploadedFile("o.csv", csv_text(row("AD-9")))}).status_code == 403
    assert ADMIN_URL.encode() not in client.get("/admin/orders/order/").content
    assert not Order.objects.exists()
