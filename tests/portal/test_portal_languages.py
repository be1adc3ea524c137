"""The portal speaks the visitor's language (German complete besides English); the console stays
as it was."""

import pytest
from django.test import Client

from customers.models import Customer
from portal.links import PREFERENCES_PATH, TRACKING_PATH, preferences_token, tracking_token

pytestmark = pytest.mark.django_db


def test_a_german_browser_gets_the_portal_in_german(shipped):
    order, shipment = shipped("ada@example.com")
    browser = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    customer = Customer.objects.get(email="ada@example.com")

    sign_in = browser.get("/portal/sign-in/").content.decode()
    tracking = browser.get(TRACKING_PATH.format(token=tracking_token(shipment.pk))).content.decode()
    preferences = browser.get(PREFERENCES_PATH.format(token=preferences_token(customer.pk))).content.decode()

    assert '<html lang="de">' in sign_in and "Anmelden" in sign_in and "E-Mail-Adresse" in sign_in
    assert "Unterwegs" in tracking and "Voraussichtliche Zustellung" in tracking
    assert "Paket versandt" in preferences and "Meine Auswahl speichern" in preferences


def test_the_language_switch_sets_the_portal_language_and_leaves_the_console_english(client):
    switched = client.post("/i18n/setlang/", {"language": "de", "next": "/portal/lookup/"})

    assert switched.status_code == 302 and switched.url == "/portal/lookup/"
    assert "Bestellung suchen" in client.get("/portal/lookup/").content.decode()
    assert client.get("/portal/lookup/")["Content-Language"] == "de"
    assert "Log in" in client.get("/admin/login/").content.decode()


def test_a_signed_in_customers_language_is_used_when_the_model_knows_it(client, ordered):
    ordered("ada@example.com")
    if not hasattr(Customer, "language"):
        pytest.skip("Customer.language arrives with the notifications work")
    Customer.objects.filter(email="ada@example.com").update(language="de")
    from .portal_client import portal_sign_in_by_link

    portal_sign_in_by_link(client, "ada@example.com")

    assert "Ihre Bestellungen" in client.get("/portal/orders/").content.decode()


def test_a_sign_in_link_asked_for_in_german_comes_in_german(ordered):
    from django.core import mail

    ordered("ada@example.com")

    Client(HTTP_ACCEPT_LANGUAGE="de").post("/portal/sign-in/", {"email": "ada@example.com"})

    assert mail.outbox[-1].subject == "Ihr Anmeldelink"
    assert "Er funktioniert einmal und 30 Minuten lang" in mail.outbox[-1].body
