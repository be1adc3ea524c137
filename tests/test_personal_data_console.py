"""Customer service exports and erases a customer's data from the customer's page (confirmed,
with the permission), downloads the export from the list of requests; the customer asks for and
downloads their own data in the portal, and nobody else's."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from customers.models import Customer, DataRequest
from orders.models import Order

from .admin.conftest import console, messages_of  # noqa: F401
from .factories import place_order
from .portal.portal_client import portal_sign_in_by_link

pytestmark = pytest.mark.django_db

EMAIL = "grete.oberholzer@example.org"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def customer(db):
    return Customer.objects.create(email=EMAIL, first_name="Grete", last_name="Oberholzer")


def zip_json(content: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return json.loads(archive.read("data.json"))


def test_customer_service_exports_a_customer_and_downloads_the_zip(console, customer, django_capture_on_commit_callbacks):  # noqa: F811
    client = console("Customer service")
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert "Export data" in page and "Erase personal data" in page

    confirm = client.get(reverse("admin:customers_customer_personal_data_export", args=[customer.pk]))
    assert confirm.status_code == 200 and "Request the export" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("admin:customers_customer_personal_data_export", args=[customer.pk]), {"confirm": "1"}, follow=True)

    request = DataRequest.objects.get(customer=customer)
    assert request.status == DataRequest.Status.DONE and request.requested_by == client.user and request.source == "admin"
    assert any("requested" in message for message in messages_of(done))
    listing = client.get(reverse("admin:customers_datarequest_changelist")).content.decode()
    assert f"Customer {customer.pk}" in listing
    download = client.get(reverse("admin:customers_datarequest_download", args=[request.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert zip_json(b"".join(download.streaming_content))["customers"]["customer"][0]["email"] == EMAIL


def test_a_role_without_the_permissions_sees_no_buttons_and_is_refused_when_it_posts(console, customer):  # noqa: F811
    # Accounting reads customers (the warehouse has no customer records at all) but asks for no data rights.
    client = console("Accounting")

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert "Export data" not in page and "Erase personal data" not in page
    assert client.post(reverse("admin:customers_customer_personal_data_erase", args=[customer.pk])).status_code == 403
    assert client.post(reverse("admin:customers_customer_personal_data_export", args=[customer.pk])).status_code == 403
    assert Customer.objects.get(pk=customer.pk).email == EMAIL and not DataRequest.objects.exists()


def test_an_erasure_refused_for_an_open_order_is_said_on_the_page_and_recorded(console, stocked):  # noqa: F811
    stocked("SKU-A", 3)
    order = place_order([("SKU-A", 1)], email=EMAIL)
    customer = Customer.objects.get(email=EMAIL)
    client = console("Customer service")

    confirm = client.get(reverse("admin:customers_customer_personal_data_erase", args=[customer.pk])).content.decode()
    assert "will be refused" in confirm and order.number in confirm
    answer = client.post(reverse("admin:customers_customer_personal_data_erase", args=[customer.pk]), {"confirm": "1"}, follow=True)

    assert answer.status_code == 200
    assert any("Erasure refused" in message and order.number in message for message in messages_of(answer))
    assert DataRequest.objects.get(customer=customer).status == DataRequest.Status.REFUSED
    assert Order.objects.get(pk=order.pk).email == EMAIL


def test_customer_service_erases_a_customer_with_nothing_open(console, customer):  # noqa: F811
    client = console("Customer service")

    answer = client.post(reverse("admin:customers_customer_personal_data_erase", args=[customer.pk]), {"confirm": "1"}, follow=True)

    assert any("Personal data erased" in message for message in messages_of(answer))
    assert Customer.objects.get(pk=customer.pk).email == f"erased-{customer.pk}@invalid"


def test_the_signed_in_customer_asks_for_their_data_and_downloads_only_their_own(client, customer, django_capture_on_commit_callbacks):
    other = Customer.objects.create(email="someone.else@example.org")
    portal_sign_in_by_link(client, EMAIL)

    page = client.get("/portal/my-data/").content.decode()
    assert "Download my data" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/my-data/")
    request = DataRequest.objects.get(customer=customer)
    assert request.source == DataRequest.Source.PORTAL and request.status == DataRequest.Status.DONE

    page = client.get("/portal/my-data/").content.decode()
    link = f"/portal/my-data/{request.pk}/download/"
    assert link in page
    download = client.get(link)
    assert download.status_code == 200
    assert zip_json(b"".join(download.streaming_content))["customers"]["customer"][0]["email"] == EMAIL

    with django_capture_on_commit_callbacks(execute=True):
        from customers.data_requests import customer_data_export_request

        theirs = customer_data_export_request(customer_id=other.pk, source=DataRequest.Source.ADMIN, actor="cs")
    assert client.get(f"/portal/my-data/{theirs.pk}/download/").status_code == 404


def test_signed_out_the_data_page_sends_to_sign_in(client, customer):
    answer = client.get("/portal/my-data/")

    assert answer.status_code == 302 and "/portal/sign-in/" in answer["Location"]


def test_the_data_page_speaks_the_customer_s_language(client, customer):
    Customer.objects.filter(pk=customer.pk).update(language="de")
    portal_sign_in_by_link(client, EMAIL)

    page = client.get("/portal/my-data/").content.decode()

    assert "Meine Daten herunterladen" in page and "Ihre Daten" in page
