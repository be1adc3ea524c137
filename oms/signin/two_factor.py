"""Who owes a second factor, and the writes behind enrolling and checking one.

A console session owes one when its user is required to have one (``OMS_STAFF_2FA_REQUIRED`` on,
and the user is a superuser or holds a role in ``oms.roles.TWO_FACTOR_ROLES``) or has enrolled an
authenticator anyway, and the session has not been verified by a device since the password.
"""

import base64

import django_otp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oms.roles import TWO_FACTOR_ROLES

BACKUP_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"


def two_factor_required(user) -> bool:
    if not settings.OMS_STAFF_2FA_REQUIRED or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name__in=TWO_FACTOR_ROLES).exists()


def two_factor_pending(user) -> bool:
    """Whether this signed-in staff user's session still owes its second factor."""
    if not user.is_authenticated or not (user.is_staff or user.is_superuser):
        return False
    if getattr(user, "otp_device", None) is not None:  # verified this session (OTPMiddleware)
        return False
    return two_factor_required(user) or authenticator_confirmed(user) is not None


def authenticator_confirmed(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id").first()


def authenticator_secret(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def authenticator_pending(*, user) -> TOTPDevice:
    """The user's authenticator being enrolled (unconfirmed), created on first call; the same key
    on every call until it is confirmed, so reloading the enrolment page keeps the QR code."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_confirm(*, user, device_id: int, token: str) -> list[str] | None:
    """Confirm the user's new authenticator with a code it shows.

    On a right code the device is confirmed, replaces any authenticator the user had, and a new set
    of ``BACKUP_CODE_COUNT`` single-use backup codes replaces the old; the codes are returned (the
    only time they are readable). A wrong code returns None and counts towards django-otp's
    throttle (each failure doubles the wait before the next try).
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device_id, user=user, confirmed=False)
        if not device.verify_token(_compact(token)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=user).delete()
        backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes


def two_factor_check(*, user, token: str) -> tuple[TOTPDevice | StaticDevice | None, str]:
    """Check a code from the user's authenticator (digits) or one of their backup codes.

    Returns the device that accepted it, or None and what to tell the person. Devices throttle
    wrong codes themselves (django-otp): while one is throttled even the right code is refused.
    """
    token = _compact(token)
    if token.isdigit():
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id"))
    else:  # backup codes are lower-case letters and digits
        devices, token = list(StaticDevice.objects.devices_for_user(user, confirmed=True).order_by("id")), token.lower()
    for device in devices:
        refusal = _throttle_refusal(device)
        if refusal:
            return None, refusal
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified, ""
    for device in devices:
        device.refresh_from_db()
        if refusal := _throttle_refusal(device):
            return None, f"That code is not right. {refusal}"
    return None, "That code is not right. Use the current code from your authenticator app, or an unused backup code."


def _throttle_refusal(device) -> str:
    allowed, why = device.verify_is_allowed()
    if allowed or not why or why.get("reason") != VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return ""
    seconds = max(1, int((why["locked_until"] - timezone.now()).total_seconds() + 0.999))
    return f"Too many wrong codes: wait {seconds} second{'s' if seconds != 1 else ''} before the next try."


def _compact(token: str) -> str:
    """Codes are often typed or pasted with spaces ("123 456")."""
    return "".join(token.split())
