"""Two-factor sign-in for staff: with OMS_STAFF_2FA_REQUIRED on, operations managers and
superusers enrol an authenticator after their password and give a code on each sign-in; other
roles are not forced, but are asked once they enrolled one. The API refuses an unfinished session."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import sign_in

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/order/"


@pytest.fixture
def required(settings):
    settings.OMS_STAFF_2FA_REQUIRED = True


def code_of(device: TOTPDevice, drift: int = 0) -> str:
    """What the person's authenticator app shows now (``drift`` steps of 30 s off)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A code the device accepts in no step of its tolerance window."""
    accepted = {code_of(device, drift) for drift in (-1, 0, 1)}
    return next(code for code in ("123456", "654321", "111111", "222222") if code not in accepted)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_given_2fa_required_when_a_manager_without_a_device_signs_in_then_they_must_enrol_before_the_console(client, staff, required):
    staff("Operations manager", username="boss")

    signed_in = sign_in(client, "boss", next_url=ORDERS)
    orders = client.get(ORDERS)

    assert signed_in.status_code == 302
    assert orders.status_code == 302 and orders.url.startswith(reverse("two_factor:setup"))
    page = client.get(orders.url)
    content = page.content.decode()
    assert page.status_code == 200 and "<svg" in content and "qr" in content
    assert re.search(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", content)  # the key as text, for typing


def test_given_an_enrolment_when_the_apps_code_is_confirmed_then_the_manager_reaches_the_console_with_backup_codes(client, staff, required):
    manager = staff("Operations manager", username="boss")
    sign_in(client, "boss", next_url=ORDERS)
    setup = client.get(client.get(ORDERS).url)
    device = TOTPDevice.objects.get(user=manager, confirmed=False)

    confirmed = client.post(setup.wsgi_request.get_full_path(), {"token": code_of(device), "next": ORDERS})

    assert confirmed.status_code == 200
    assert "backup codes" in confirmed.content.decode().lower()
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", confirmed.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert StaticDevice.objects.get(user=manager).token_set.count() == 10
    assert client.get(ORDERS).status_code == 200


def test_given_an_enrolment_when_a_wrong_code_is_given_then_it_is_refused_and_the_console_stays_closed(client, staff, required):
    manager = staff("Operations manager", username="boss")
    sign_in(client, "boss")
    client.get(reverse("two_factor:setup"))

    refused = client.post(reverse("two_factor:setup"), {"token": wrong_code(TOTPDevice.objects.get(user=manager))})

    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    assert not TOTPDevice.objects.get(user=manager).confirmed
    assert client.get(ORDERS).status_code == 302


def test_given_an_enrolled_manager_when_signing_in_then_a_code_is_asked_and_the_right_one_opens_the_console(client, staff, required):
    device = enrolled(staff("Operations manager", username="boss"))

    sign_in(client, "boss", next_url=ORDERS)
    asked = client.get(ORDERS)
    verified = client.post(asked.url, {"token": code_of(device), "next": ORDERS})

    assert asked.status_code == 302 and asked.url.startswith(reverse("two_factor:verify"))
    assert verified.status_code == 302 and verified.url == ORDERS
    assert client.get(ORDERS).status_code == 200


def test_given_an_enrolled_manager_when_a_wrong_code_is_given_then_it_is_refused(client, staff, required):
    device = enrolled(staff("Operations manager", username="boss"))
    sign_in(client, "boss")

    refused = client.post(reverse("two_factor:verify"), {"token": wrong_code(device), "next": ORDERS})

    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    assert client.get(ORDERS).status_code == 302


def test_given_wrong_codes_when_the_right_one_follows_at_once_then_it_is_refused_until_the_wait_is_over(client, staff, required):
    device = enrolled(staff("Operations manager", username="boss"))
    sign_in(client, "boss")
    for _ in range(3):
        client.post(reverse("two_factor:verify"), {"token": wrong_code(device)})

    throttled = client.post(reverse("two_factor:verify"), {"token": code_of(device)})

    assert throttled.status_code == 200
    assert re.search(r"Too many wrong codes: wait \d+ seconds? before the next try", throttled.content.decode())
    assert client.get(ORDERS).status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)  # the wait is over
    assert client.post(reverse("two_factor:verify"), {"token": code_of(device)}).status_code == 302
    assert client.get(ORDERS).status_code == 200


def test_given_a_backup_code_when_given_instead_of_the_apps_then_it_works_once(client, staff, required):
    manager = staff("Operations manager", username="boss")
    enrolled(manager)
    backup = StaticDevice.objects.create(user=manager, name="Backup codes")
    backup.token_set.create(token="abcd2345")

    sign_in(client, "boss")
    assert client.post(reverse("two_factor:verify"), {"token": "ABCD 2345"}).status_code == 302
    assert client.get(ORDERS).status_code == 200
    client.logout()
    sign_in(client, "boss")
    assert client.post(reverse("two_factor:verify"), {"token": "abcd2345"}).status_code == 200


def test_given_2fa_required_when_a_superuser_signs_in_then_they_must_enrol_too(client, staff, required):
    staff(None, username="root", superuser=True)

    sign_in(client, "root")

    assert client.get(ORDERS).url.startswith(reverse("two_factor:setup"))


def test_given_2fa_required_when_a_warehouse_user_signs_in_then_they_are_not_forced(client, staff, required):
    staff("Warehouse", username="pat")

    sign_in(client, "pat")

    assert client.get(ORDERS).status_code == 200


def test_given_a_warehouse_user_who_enrolled_voluntarily_when_signing_in_then_a_code_is_asked(client, staff):
    device = enrolled(staff("Warehouse", username="pat"))

    sign_in(client, "pat")
    asked = client.get(ORDERS)

    assert asked.url.startswith(reverse("two_factor:verify"))
    assert client.post(asked.url, {"token": code_of(device)}).status_code == 302
    assert client.get(ORDERS).status_code == 200


def test_given_2fa_off_when_a_manager_signs_in_then_the_password_is_enough(client, staff):
    staff("Operations manager", username="boss")

    sign_in(client, "boss")

    assert client.get(ORDERS).status_code == 200


def test_given_a_device_when_the_unverified_session_opens_enrolment_then_it_cannot_replace_the_device(client, staff):
    enrolled(staff("Warehouse", username="pat"))
    sign_in(client, "pat")

    response = client.get(reverse("two_factor:setup"))

    assert response.status_code == 302 and response.url.startswith(reverse("two_factor:verify"))
    assert TOTPDevice.objects.filter(user__username="pat").count() == 1


def test_given_a_session_that_owes_its_code_when_it_calls_the_api_then_401(client, staff, required):
    staff("Operations manager", username="boss")
    sign_in(client, "boss")

    response = client.get("/api/v1/orders/")

    assert response.status_code == 401
    assert "two-factor" in response.json()["error"]["message"]


def test_given_a_verified_session_when_it_calls_the_api_then_it_is_let_in(client, staff, required):
    device = enrolled(staff("Operations manager", username="boss"))
    sign_in(client, "boss")
    client.post(reverse("two_factor:verify"), {"token": code_of(device)})

    assert client.get("/api/v1/orders/").status_code == 200


def test_given_a_lost_phone_when_an_operations_manager_deletes_the_device_in_the_console_then_the_user_enrols_again(client, staff, required):
    colleague = staff("Operations manager", username="colleague")
    device = enrolled(colleague)
    manager = staff("Operations manager", username="boss")
    client.force_login(manager)
    client.post(reverse("two_factor:verify"), {"token": code_of(enrolled(manager))})

    listed = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    deleted = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})

    assert listed.status_code == 200 and "colleague" in listed.content.decode()
    assert device.key not in listed.content.decode()
    assert deleted.status_code == 302 and not TOTPDevice.objects.filter(user=colleague).exists()
    client.logout()
    sign_in(client, "colleague")
    assert client.get(ORDERS).url.startswith(reverse("two_factor:setup"))


def test_a_code_is_asked_only_once_per_session(client, staff):
    device = enrolled(staff("Warehouse", username="pat"))
    sign_in(client, "pat")
    client.post(reverse("two_factor:verify"), {"token": code_of(device)})

    assert [client.get(ORDERS).status_code for _ in range(3)] == [200, 200, 200]
