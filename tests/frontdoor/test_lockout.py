"""Guessing passwords: failed sign-ins are throttled per account and per address (django-axes,
on by default), the sign-in page says why and for how long, and an operator can unlock."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.urls import reverse

from oms.signin.lockout import client_address

from .conftest import sign_in

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-ins for this account or address; try again in 15 minutes or ask an operations manager to unlock it."


def test_axes_is_on_by_default(settings):
    assert settings.AXES_ENABLED is True
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds()) == (5, 15 * 60)


def test_given_fifty_wrong_passwords_when_the_right_one_follows_then_it_is_refused_with_the_reason(client, staff):
    staff("Warehouse", username="ann")

    answers = [sign_in(client, "ann", "wrong-guess") for _ in range(50)]
    final = sign_in(client, "ann")

    assert [answer.status_code for answer in answers[:4]] == [200] * 4  # the form again: wrong password
    assert {answer.status_code for answer in answers[4:]} == {429}
    assert final.status_code == 429
    assert LOCKED in final.content.decode()
    assert 'id="login-form"' in final.content.decode()  # the sign-in page itself, not a bare error
    assert "_auth_user_id" not in client.session


def test_given_an_account_locked_from_one_address_when_signing_in_from_another_then_it_stays_locked(client, staff):
    staff("Warehouse", username="ann")
    for _ in range(5):
        sign_in(client, "ann", "wrong-guess", address="203.0.113.7")

    assert sign_in(client, "ann", address="198.51.100.9").status_code == 429


def test_given_an_address_that_guessed_at_many_accounts_when_it_tries_another_then_it_is_locked(client, staff):
    staff("Warehouse", username="ann")
    for number in range(5):
        sign_in(client, f"someone-{number}", "wrong-guess", address="203.0.113.7")

    assert sign_in(client, "ann", address="203.0.113.7").status_code == 429
    response = sign_in(client, "ann", address="198.51.100.9")  # the account itself is fine elsewhere
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_given_a_few_wrong_passwords_when_the_right_one_follows_then_it_signs_in(client, staff):
    staff("Warehouse", username="ann")
    for _ in range(4):
        sign_in(client, "ann", "wrong-guess")

    assert sign_in(client, "ann").status_code == 302


def test_given_a_locked_account_when_an_operations_manager_deletes_its_attempts_in_the_console_then_it_signs_in(client, staff):
    staff("Warehouse", username="ann")
    for _ in range(5):
        sign_in(client, "ann", "wrong-guess")
    manager = staff("Operations manager", username="boss")
    client.force_login(manager)
    attempts = list(AccessAttempt.objects.filter(username="ann").values_list("pk", flat=True))

    changelist = client.get(reverse("admin:axes_accessattempt_changelist"))
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )

    assert changelist.status_code == 200 and "ann" in changelist.content.decode()
    assert response.status_code == 302 and not AccessAttempt.objects.filter(username="ann").exists()
    client.logout()
    assert sign_in(client, "ann").status_code == 302


def test_given_a_locked_account_when_reset_by_command_then_it_signs_in(client, staff):
    staff("Warehouse", username="ann")
    for _ in range(5):
        sign_in(client, "ann", "wrong-guess", address="203.0.113.7")

    call_command("axes_reset_username", "ann")

    assert sign_in(client, "ann", address="198.51.100.9").status_code == 302


def test_a_warehouse_user_may_not_see_sign_in_attempts(client, staff):
    client.force_login(staff("Warehouse"))

    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.2"),  # no proxy trusted: the header is the client's word only
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # what our proxy saw, not what the client claimed
        (2, "6.6.6.6, 198.51.100.9, 10.0.0.5", "198.51.100.9"),
        (1, "", "10.0.0.2"),  # nothing forwarded: the connection's own address
    ],
)
def test_the_address_counted_is_the_one_the_trusted_proxies_saw(proxies, forwarded_for, expected):
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)

    with override_settings(OMS_TRUSTED_PROXY_COUNT=proxies):
        assert client_address(request) == expected


def test_behind_a_proxy_the_address_lock_follows_the_forwarded_address(client, staff, settings):
    settings.OMS_TRUSTED_PROXY_COUNT = 1
    staff("Warehouse", username="ann")
    for number in range(5):
        client.post("/admin/login/", {"username": f"x{number}", "password": "wrong"}, REMOTE_ADDR="10.0.0.2",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 203.0.113.7")

    locked = client.post("/admin/login/", {"username": "ann", "password": "x"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = sign_in(client, "ann", address="10.0.0.2")  # same proxy, another client (no header: its own address)

    assert locked.status_code == 429
    assert other.status_code == 302
