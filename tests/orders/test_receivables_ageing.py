"""The receivables ageing: open balances per customer in buckets by days past due (boundaries
day 0, 30, 31, 60, 61, 90, 91), per currency, in one query; the API and the console page."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer
from oms.models import ApiKey
from orders.services import invoice_payment_record
from orders.services.receivables import receivables_ageing

from ..api.support import error_of
from ..factories import CustomerFactory, CustomerGroupFactory
from .receivables_support import invoices_for
from .test_invoices import trade  # noqa: F401  (the trade fixture)

# Days past due today -> the amount of that invoice (each amount tells where it landed).
SPREAD = {-5: "1.00", 0: "2.00", 1: "4.00", 30: "8.00", 31: "16.00", 60: "32.00", 61: "64.00", 90: "128.00", 91: "256.00"}


@pytest.fixture
def spread(stocked, trade):  # noqa: F811
    return invoices_for(stocked, trade, list(SPREAD.values()), days_overdue=list(SPREAD))


def test_each_invoice_lands_in_its_bucket_at_the_boundaries(spread, trade):  # noqa: F811
    ageing = receivables_ageing(as_of=timezone.localdate())

    (row,) = ageing.rows
    assert (row.customer_id, row.customer, row.currency) == (trade.pk, "Acme Ltd", "USD")
    assert row.buckets == {
        "current": Decimal("3.00"),  # not due yet, and due today (day 0)
        "days_1_30": Decimal("12.00"),  # days 1 and 30
        "days_31_60": Decimal("48.00"),  # days 31 and 60
        "days_61_90": Decimal("192.00"),  # days 61 and 90
        "over_90": Decimal("256.00"),  # day 91
    }
    assert row.total == Decimal("511.00") and ageing.totals[0].buckets == row.buckets


def test_an_earlier_day_ages_less_and_leaves_out_invoices_issued_after_it(spread):
    as_of = timezone.localdate() - timedelta(days=31)

    (row,) = receivables_ageing(as_of=as_of).rows

    # On that day the 91-day invoice was 60 days overdue, the 61-day one 30, the 31-day one due that day; the
    # invoices issued later (due today and not due yet) are left out.
    assert row.buckets == {"current": Decimal("28.00"), "days_1_30": Decimal("96.00"), "days_31_60": Decimal("384.00"),
                           "days_61_90": Decimal(0), "over_90": Decimal(0)}


def test_payments_reduce_the_balance_and_paid_invoices_drop_out(spread):
    invoice_payment_record(number=spread[-1].number, amount="256.00", received_on=timezone.localdate(), actor="accounts")
    invoice_payment_record(number=spread[-2].number, amount="28.00", received_on=timezone.localdate(), actor="accounts")

    (row,) = receivables_ageing(as_of=timezone.localdate()).rows

    assert row.buckets["over_90"] == 0 and row.buckets["days_61_90"] == Decimal("164.00")


def test_every_customer_in_one_query_with_a_totals_row_per_currency(stocked, trade, django_assert_max_num_queries):  # noqa: F811
    group = CustomerGroupFactory(code="net15", payment_terms_days=15)
    others = [CustomerFactory(email=f"ap{n}@b2b.example", kind=Customer.Kind.BUSINESS, company_name=f"Buyer {n}", group=group) for n in range(4)]
    for customer in [trade, *others]:
        invoices_for(stocked, customer, ["10.00", "5.00"], days_overdue=[45, 0])

    with django_assert_max_num_queries(1):
        ageing = receivables_ageing(as_of=timezone.localdate())

    assert [row.customer for row in ageing.rows] == ["Acme Ltd", "Buyer 0", "Buyer 1", "Buyer 2", "Buyer 3"]
    (total,) = ageing.totals
    assert (total.currency, total.buckets["days_31_60"], total.buckets["current"], total.total) == ("USD", Decimal("50.00"), Decimal("25.00"), Decimal("75.00"))


# --- the API --------------------------------------------------------------------------------------


def key_client(*scopes) -> APIClient:
    _, raw = ApiKey.generate(name="ageing", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_the_ageing_api_answers_the_buckets_and_totals(spread, trade):  # noqa: F811
    response = key_client("invoices:read").get(f"/api/v1/receivables/ageing/?as_of={timezone.localdate().isoformat()}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["buckets"] == ["current", "days_1_30", "days_31_60", "days_61_90", "over_90"]
    assert body["customers"] == [{"customer_id": trade.pk, "customer": "Acme Ltd", "currency": "USD", "current": "3.00", "days_1_30": "12.00",
                                  "days_31_60": "48.00", "days_61_90": "192.00", "over_90": "256.00", "total": "511.00"}]
    assert body["totals"][0]["customer_id"] is None and body["totals"][0]["total"] == "511.00"


@pytest.mark.parametrize("query", ["as_of=2026-02-30", "as_of=yesterday", "customer=0", f"customer={2**63}"])
def test_a_bad_query_is_a_400_naming_it(db, query):
    response = key_client("invoices:read").get(f"/api/v1/receivables/ageing/?{query}")

    assert response.status_code == 400 and query.split("=")[0] in error_of(response)["fields"]


def test_the_ageing_needs_invoices_read(db):
    assert key_client("invoices:write").get("/api/v1/receivables/ageing/").status_code == 403


# --- the console ----------------------------------------------------------------------------------


def staff(client, role):
    user = get_user_model().objects.create_user(username=role.lower().replace(" ", "_"), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def test_accounting_reads_the_ageing_page_with_its_totals_and_downloads_it_as_csv(spread, client):
    accountant = staff(client, "Accounting")
    url = reverse("admin:orders_receivables_ageing")
    assert url in accountant.get(reverse("admin:orders_invoice_changelist")).content.decode()

    page = accountant.get(url).content.decode()

    assert "Acme Ltd" in page and "256.00" in page and "511.00" in page and "<tfoot>" in page and "Over 90 days" in page
    download = accountant.get(url, {"as_of": timezone.localdate().isoformat(), "export": "csv"})
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["customer_id", "customer", "currency", "current", "days_1_30", "days_31_60", "days_61_90", "over_90", "total"]
    assert rows[1][1:] == ["Acme Ltd", "USD", "3.00", "12.00", "48.00", "192.00", "256.00", "511.00"]
    assert rows[-1][:3] == ["", "Total", "USD"]
    # Each customer links to their open invoices
    link = reverse("admin:orders_invoice_changelist") + f"?customer={spread[0].customer_id}&amp;status__exact=open"
    assert link in page
    listed = accountant.get(link.replace("&amp;", "&"))
    assert listed.status_code == 200 and spread[-1].number in listed.content.decode()


def test_a_bad_day_on_the_page_is_a_form_error(db, client):
    page = staff(client, "Accounting").get(reverse("admin:orders_receivables_ageing"), {"as_of": "2026-02-30"})

    assert page.status_code == 400 and "Enter a valid date" in page.content.decode()


def test_the_warehouse_may_not_see_the_ageing(db, client):
    assert staff(client, "Warehouse").get(reverse("admin:orders_receivables_ageing")).status_code == 403
