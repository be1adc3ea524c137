"""Reading and changing a customer's notification preferences (see ``portal.models``)."""

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from oms.actors import Actor, actor_fields
from oms.errors import InvalidInput

from .models import ALWAYS_SENT, SMS_BY_DEFAULT, Medium, NotificationKind, NotificationPreference


def _default(customer: Customer, kind: str, medium: str) -> bool:
    if medium == Medium.EMAIL:
        return bool(customer.email_opt_in and customer.email)
    return bool(customer.sms_opt_in and customer.phone and kind in SMS_BY_DEFAULT)


def notification_preferences_of(customer: Customer) -> dict[tuple[str, str], bool]:
    """Every (kind, medium) with whether the customer gets it: stored choices over the
    defaults, and the messages that always go (by e-mail) on. One query."""
    stored = {(p.kind, p.medium): p.enabled for p in NotificationPreference.objects.filter(customer_id=customer.pk)}
    choices = {}
    for kind in NotificationKind.values:
        for medium in Medium.values:
            choices[(kind, medium)] = stored.get((kind, medium), _default(customer, kind, medium))
        if kind in ALWAYS_SENT:
            choices[(kind, Medium.EMAIL)] = True
    return choices


def notification_allowed(*, customer: Customer, kind: str, medium: str) -> bool:
    """Whether ``customer`` gets ``kind`` by ``medium`` now (a message that always goes does, by
    e-mail; nothing goes to an address or number the customer does not have)."""
    if medium == Medium.EMAIL and not customer.email:
        return False
    if medium == Medium.SMS and not customer.phone:
        return False
    if kind in ALWAYS_SENT and medium == Medium.EMAIL:
        return True
    stored = NotificationPreference.objects.filter(customer_id=customer.pk, kind=kind, medium=medium).values_list("enabled", flat=True).first()
    return _default(customer, kind, medium) if stored is None else stored


def notification_preferences_set(*, customer_id: int, choices: dict[tuple[str, str], bool], actor: Actor) -> None:
    """Store the customer's choices, all or nothing. Unknown kinds or media are refused with what
    to fix; a message that always goes cannot be turned off by e-mail (refused, said why)."""
    problems: dict[str, list[str]] = {}
    for kind, medium in choices:
        where = f"{kind}.{medium}"
        if kind not in NotificationKind.values:
            problems[where] = [f"Unknown kind of message {kind!r}; one of: {', '.join(NotificationKind.values)}."]
        elif medium not in Medium.values:
            problems[where] = [f"Unknown medium {medium!r}; one of: {', '.join(Medium.values)}."]
        elif kind in ALWAYS_SENT and medium == Medium.EMAIL and not choices[(kind, medium)]:
            problems[where] = [f"{NotificationKind(kind).label} is always sent by e-mail: it tells you that money moved."]
    if problems:
        raise InvalidInput("Some preferences cannot be set; nothing was changed.", fields=problems)
    now, who = timezone.now(), actor_fields(actor)["actor_label"]
    with transaction.atomic():
        Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).values_list("pk", flat=True).get()
        for (kind, medium), enabled in choices.items():
            NotificationPreference.objects.update_or_create(
                customer_id=customer_id, kind=kind, medium=medium, defaults={"enabled": bool(enabled), "changed_by": who, "updated_at": now},
            )
