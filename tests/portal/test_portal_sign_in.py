"""Signing in to the portal by a link e-mailed to the address on file: the request reveals
nothing, the link works once and expires, the portal's session is not the console's."""

import time

import pytest
from django.core import mail
from django.test import Client, override_settings

from ..frontdoor.conftest import sign_in as staff_sign_in
from ..frontdoor.conftest import staff  # noqa: F401 (fixture)
from .portal_client import emailed_link_token, page_without_tokens, portal_sign_in_by_link

pytestmark = pytest.mark.django_db


def test_when_a_customer_asks_for_a_link_then_one_is_e_mailed_to_the_address_on_file(client, ordered):
    ordered("ada@example.com")

    answer = client.post("/portal/sign-in/", {"email": "ADA@example.com "})

    assert answer.status_code == 200
    assert "Check your e-mail" in answer.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert "/portal/sign-in/" in mail.outbox[0].body and "30 minutes" in mail.outbox[0].body


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, ordered):
    ordered("ada@example.com")

    known = client.post("/portal/sign-in/", {"email": "ada@example.com"})
    unknown = client.post("/portal/sign-in/", {"email": "nobody@example.com"})

    assert unknown.status_code == known.status_code == 200
    assert page_without_tokens(unknown, "nobody@example.com") == page_without_tokens(known, "ada@example.com")
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


def test_the_link_signs_in_once_and_shows_the_customers_orders(client, ordered):
    order = ordered("ada@example.com")

    signed_in = portal_sign_in_by_link(client, "ada@example.com")

    assert signed_in.status_code == 302 and signed_in.url == "/portal/orders/"
    assert order.number in client.get("/portal/orders/").content.decode()
    token = emailed_link_token("ada@example.com")
    again = Client()
    assert again.get(f"/portal/sign-in/{token}/").status_code == 404
    assert again.post(f"/portal/sign-in/{token}/").status_code == 404
    assert again.get("/portal/orders/").status_code == 302


def test_opening_the_link_does_not_use_it_only_the_click_does(client, ordered):
    ordered("ada@example.com")
    client.post("/portal/sign-in/", {"email": "ada@example.com"})
    token = emailed_link_token("ada@example.com")

    assert client.get(f"/portal/sign-in/{token}/").status_code == 200
    assert client.get(f"/portal/sign-in/{token}/").status_code == 200  # a mail scanner's visit uses nothing
    assert client.post(f"/portal/sign-in/{token}/").status_code == 302


def test_a_link_older_than_its_minutes_or_altered_signs_nobody_in(client, ordered, monkeypatch):
    ordered("ada@example.com")
    client.post("/portal/sign-in/", {"email": "ada@example.com"})
    token = emailed_link_token("ada@example.com")

    assert client.post(f"/portal/sign-in/{token[:-3]}abc/").status_code == 404
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    expired = client.post(f"/portal/sign-in/{token}/")

    assert expired.status_code == 404
    assert "expired or was already used" in expired.content.decode()
    monkeypatch.undo()
    assert client.get("/portal/orders/").status_code == 302


def test_a_link_goes_back_to_the_portal_page_asked_for_but_never_elsewhere(client, ordered):
    order = ordered("ada@example.com")

    client.post("/portal/sign-in/", {"email": "ada@example.com", "next": f"/portal/orders/{order.number}/"})
    back = client.post(f"/portal/sign-in/{emailed_link_token('ada@example.com')}/")
    client.post("/portal/sign-in/", {"email": "ada@example.com", "next": "https://evil.example/portal/"})
    elsewhere = Client().post(f"/portal/sign-in/{emailed_link_token('ada@example.com')}/")

    assert back.url == f"/portal/orders/{order.number}/"
    assert elsewhere.url == "/portal/orders/"


def test_sign_out_is_a_post_and_ends_the_portal_session(client, ordered):
    ordered("ada@example.com")
    portal_sign_in_by_link(client, "ada@example.com")

    assert client.get("/portal/sign-out/").status_code == 405
    assert client.post("/portal/sign-out/").status_code == 302
    assert client.get("/portal/orders/").status_code == 302


def test_staff_and_portal_sessions_live_in_separate_cookies_and_outlast_each_others_sign_out(client, ordered, staff):
    ordered("ada@example.com")
    staff(None, superuser=True)
    staff_sign_in(client, "root")
    portal_sign_in_by_link(client, "ada@example.com")

    assert client.get("/admin/").status_code == 200  # signing in to the portal kept the console's session
    client.post("/portal/sign-out/")
    assert client.get("/admin/").status_code == 200
    portal_sign_in_by_link(client, "ada@example.com")
    client.post("/admin/logout/")
    assert client.get("/admin/").status_code == 302
    assert client.get("/portal/orders/").status_code == 200  # the console's sign-out left the customer in
    assert client.cookies["portal_sessionid"]["path"] == "/portal/"


def test_a_console_session_is_no_portal_customer(client, staff):
    staff(None, superuser=True)
    staff_sign_in(client, "root")

    assert client.get("/portal/orders/").status_code == 302


def test_asking_for_links_without_the_forms_csrf_token_is_refused(ordered):
    ordered("ada@example.com")
    browser = Client(enforce_csrf_checks=True)

    assert browser.post("/portal/sign-in/", {"email": "ada@example.com"}).status_code == 403
    assert mail.outbox == []


@override_settings(OMS_PORTAL_RATE_PER_TARGET=2, OMS_PORTAL_RATE_PER_IP=50)
def test_too_many_links_asked_for_one_address_answer_429_whether_or_not_it_exists(client, ordered):
    ordered("ada@example.com")

    known = [client.post("/portal/sign-in/", {"email": "ada@example.com"}).status_code for _ in range(3)]
    unknown = [client.post("/portal/sign-in/", {"email": "nobody@example.com"}).status_code for _ in range(3)]

    assert known == unknown == [200, 200, 429]
    assert len(mail.outbox) == 2
    assert client.post("/portal/sign-in/", {"email": "grace@example.com"}).status_code == 200


@override_settings(OMS_PORTAL_RATE_PER_TARGET=50, OMS_PORTAL_RATE_PER_IP=3)
def test_too_many_links_asked_from_one_address_answer_429_and_another_address_is_not_held_up(client):
    answers = [client.post("/portal/sign-in/", {"email": f"guess{n}@example.com"}, REMOTE_ADDR="198.51.100.9").status_code for n in range(4)]

    assert answers == [200, 200, 200, 429]
    assert "Too many attempts" in client.post("/portal/sign-in/", {"email": "x@example.com"}, REMOTE_ADDR="198.51.100.9").content.decode()
    assert client.post("/portal/sign-in/", {"email": "x@example.com"}, REMOTE_ADDR="198.51.100.10").status_code == 200
