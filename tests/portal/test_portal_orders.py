"""A signed-in customer's orders and order pages, and one order looked up by number: only the
customer's own, in words a customer reads, in a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from oms.money import money_text
from portal.views.lookup import LOOKUP_SESSION_KEY
from portal.wording import ORDER_STATUS_WORDS

from .portal_client import page_without_tokens, portal_session, portal_sign_in_by_link, tracked_shipment_ids

pytestmark = pytest.mark.django_db


def test_the_orders_page_lists_the_customers_orders_and_only_theirs(client, ordered):
    own = ordered("ada@example.com")
    other = ordered("grace@example.com")
    portal_sign_in_by_link(client, "ada@example.com")

    page = client.get("/portal/orders/").content.decode()

    assert own.number in page and str(ORDER_STATUS_WORDS[own.status]) in page and money_text(own.grand_total, own.currency) in page
    assert other.number not in page


def test_the_orders_page_asks_the_same_queries_for_three_orders_or_a_page_of_them(client, ordered):
    ordered("ada@example.com")
    portal_sign_in_by_link(client, "ada@example.com")
    with CaptureQueriesContext(connection) as few:
        client.get("/portal/orders/")
    for _ in range(24):
        ordered("ada@example.com", (("SKU-A", 1),))
    with CaptureQueriesContext(connection) as many:
        second = client.get("/portal/orders/?page=2")

    assert len(many) == len(few)
    assert "Page 2 of 2" in second.content.decode()


def test_the_order_page_shows_status_parcels_with_their_tracking_page_items_and_timeline(client, shipped):
    order, shipment = shipped("ada@example.com", (("SKU-A", 2), ("SKU-B", 1)))
    portal_sign_in_by_link(client, "ada@example.com")

    page = client.get(f"/portal/orders/{order.number}/").content.decode()

    assert "Shipped" in page and "Product SKU-A" in page and "Product SKU-B" in page
    assert shipment.carrier.name in page and shipment.tracking_number in page
    assert shipment.pk in tracked_shipment_ids(page)
    assert "Order received" in page and "Being packed" in page
    assert "Web shop" in page  # the channel's name brands the page


def test_the_order_page_asks_the_same_queries_for_one_ten_or_fifty_lines(client, ordered):
    counts = []
    for size in (1, 10, 50):
        order = ordered("ada@example.com", [(f"SKU-{size}-{n}", 1) for n in range(size)])
        browser = Client()
        portal_sign_in_by_link(browser, "ada@example.com")
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(f"/portal/orders/{order.number}/").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] == counts[2]


def test_another_customers_order_number_is_answered_as_no_such_order(client, shipped):
    theirs, _ = shipped("grace@example.com")
    shipped("ada@example.com")
    portal_sign_in_by_link(client, "ada@example.com")

    other = client.get(f"/portal/orders/{theirs.number}/")
    none = client.get("/portal/orders/WEB-99999999/")

    assert other.status_code == none.status_code == 404
    assert page_without_tokens(other, theirs.number) == page_without_tokens(none, "WEB-99999999")


def test_an_order_page_without_signing_in_or_a_lookup_asks_to_sign_in(client, ordered):
    order = ordered("ada@example.com")

    answer = client.get(f"/portal/orders/{order.number}/")

    assert answer.status_code == 302 and answer.url.startswith("/portal/sign-in/?next=")
    assert client.get("/portal/orders/").status_code == 302
    assert client.get("/portal/my-preferences/").status_code == 302


# --- looking one order up ----------------------------------------------------------------------


def test_an_order_looked_up_by_number_and_e_mail_or_postal_code_opens_only_that_order(ordered):
    order = ordered("ada@example.com")
    other = ordered("ada@example.com")
    by_email, by_postcode = Client(), Client()

    found = by_email.post("/portal/lookup/", {"number": order.number.lower(), "email": "Ada@Example.com"})
    by_postcode.post("/portal/lookup/", {"number": order.number, "postal_code": " 02108 "})

    assert found.status_code == 302 and found.url == f"/portal/orders/{order.number}/"
    page = by_email.get(found.url).content.decode()
    assert order.number in page and "You looked this order up" in page
    assert by_postcode.get(f"/portal/orders/{order.number}/").status_code == 200
    assert by_email.get(f"/portal/orders/{other.number}/").status_code == 404  # the same customer's other order stays closed
    assert by_email.get("/portal/orders/").status_code == 302
    by_email.post("/portal/sign-out/")
    assert by_email.get(found.url).status_code == 302  # signing out closes the looked-up order too


def test_a_wrong_number_e_mail_or_postal_code_gets_one_and_the_same_answer(ordered):
    order = ordered("ada@example.com")

    answers = [
        Client().post("/portal/lookup/", data)
        for data in (
            {"number": "WEB-99999999", "email": "ada@example.com"},
            {"number": order.number, "email": "grace@example.com"},
            {"number": order.number, "postal_code": "99999"},
        )
    ]

    assert {answer.status_code for answer in answers} == {404}
    typed_back = re.compile(r'<input type="(text|email)"[^>]*>')  # the form shows what was typed, nothing else differs
    assert len({typed_back.sub("", page_without_tokens(answer)) for answer in answers}) == 1


def test_a_lookup_ends_after_its_minutes(ordered):
    order = ordered("ada@example.com")
    browser = Client()
    browser.post("/portal/lookup/", {"number": order.number, "email": "ada@example.com"})
    session = portal_session(browser)
    session[LOOKUP_SESSION_KEY] = {**session[LOOKUP_SESSION_KEY], "until": 0}
    session.save()

    assert browser.get(f"/portal/orders/{order.number}/").status_code == 302


@override_settings(OMS_PORTAL_RATE_PER_TARGET=3, OMS_PORTAL_RATE_PER_IP=50)
def test_guessing_at_one_order_number_is_stopped_with_429_even_for_the_right_answer(ordered):
    order = ordered("ada@example.com")
    browser = Client()

    guesses = [browser.post("/portal/lookup/", {"number": order.number, "postal_code": f"1000{n}"}).status_code for n in range(3)]
    right = browser.post("/portal/lookup/", {"number": order.number, "email": "ada@example.com"})

    assert guesses == [404, 404, 404]
    assert right.status_code == 429 and order.number not in right.content.decode()


@override_settings(OMS_PORTAL_RATE_PER_TARGET=50, OMS_PORTAL_RATE_PER_IP=3)
def test_guessing_order_numbers_from_one_address_is_stopped_with_429(ordered):
    ordered("ada@example.com")

    answers = [Client().post("/portal/lookup/", {"number": f"WEB-{n:08d}", "email": "a@example.com"}, REMOTE_ADDR="198.51.100.7").status_code for n in range(4)]

    assert answers == [404, 404, 404, 429]


def test_a_lookup_without_the_forms_csrf_token_is_refused(ordered):
    order = ordered("ada@example.com")

    assert Client(enforce_csrf_checks=True).post("/portal/lookup/", {"number": order.number, "email": "ada@example.com"}).status_code == 403
