"""Customers: matched by e-mail across channels."""

from oms.actors import Actor
from oms.db import insert_or_get

from .models import Customer


def customer_upsert(*, email: str, first_name: str = "", last_name: str = "", phone: str = "", actor: Actor) -> Customer:
    """The customer with this e-mail, created when new, in one statement (no race on the e-mail).

    An existing customer's details are not overwritten by what a channel sends: the customer
    record is the operators' to curate.
    """
    candidate = Customer(email=email.strip().lower(), first_name=first_name[:100], last_name=last_name[:100], phone=phone or "")
    return insert_or_get(candidate, unique_fields=["email"])
