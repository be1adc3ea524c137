"""Customers: matched by e-mail across channels; created and changed by operators and integrations."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from oms.actors import Actor
from oms.versions import ExpectedVersion, version_check
from oms.db import insert_or_get
from oms.errors import DomainError, InvalidInput, NotFound
from oms.events import event_record, events_record

from .models import Customer, CustomerAddress, CustomerGroup

CUSTOMER_CREATED_EVENT = "customer.created"
CUSTOMER_UPDATED_EVENT = "customer.updated"

# What ``customer_update`` may change. The e-mail is the key channels match customers on, so it
# is not changed through the API.
CUSTOMER_UPDATABLE = (
    "kind", "first_name", "last_name", "company_name", "vat_number", "phone", "group", "email_opt_in", "sms_opt_in", "external_id",
    "po_reference_required",
)


def customer_upsert(*, email: str, first_name: str = "", last_name: str = "", phone: str = "", actor: Actor) -> Customer:
    """The customer with this e-mail, created when new, in one statement (no race on the e-mail).

    An existing customer's details are not overwritten by what a channel sends: the customer
    record is the operators' to curate. The row stays locked (FOR NO KEY UPDATE) until the
    caller's transaction ends: intake's credit check relies on it.
    """
    candidate = Customer(email=email.strip().lower(), first_name=first_name[:100], last_name=last_name[:100], phone=phone or "")
    return insert_or_get(candidate, unique_fields=["email"])


def _group(code: str | None) -> CustomerGroup | None:
    if code is None or code == "":
        return None
    group = CustomerGroup.objects.filter(code=code).first() if "\x00" not in code else None
    if group is None:
        raise InvalidInput(f"No customer group with code {code!r}.", code="unknown_group", fields={"group": [f"Unknown group {code!r}."]})
    return group


def _external_id_taken(external_id: str | None, *, other_than: int | None = None) -> None:
    """Refuse an external id another customer already has."""
    if not external_id:
        return
    holder = Customer.objects.filter(external_id=external_id).exclude(pk=other_than).values_list("pk", flat=True).first()
    if holder is not None:
        raise DomainError(
            f"Customer {holder} already has the external id {external_id!r}.", code="duplicate_external_id",
            fields={"external_id": [f"Already used by customer {holder}."]},
        )


def _duplicate(email: str, existing_id: int) -> DomainError:
    return DomainError(
        f"A customer with e-mail {email} already exists (id {existing_id}); change that customer instead.",
        code="duplicate_email",
        fields={"email": [f"Already used by customer {existing_id}."]},
    )


def customer_create(
    *,
    email: str,
    kind: str = Customer.Kind.PERSON,
    first_name: str = "",
    last_name: str = "",
    company_name: str = "",
    vat_number: str = "",
    phone: str = "",
    group: str | None = None,
    email_opt_in: bool = True,
    sms_opt_in: bool = False,
    external_id: str | None = None,
    po_reference_required: bool = False,
    actor: Actor,
) -> Customer:
    """Create a customer; ``group`` is a group code.

    Guarantees: an e-mail already on file is refused with DomainError ``duplicate_email`` naming
    the customer that has it (also when two requests race: the unique index decides), and so is
    an ``external_id`` (the customer's number in an ERP) another customer has; an
    unknown group is refused; ``customer.created`` is recorded with the customer.
    """
    email = email.strip().lower()
    if not email:
        raise InvalidInput("An e-mail address is required.", fields={"email": ["This field is required."]})
    group_row = _group(group)
    customer = Customer(
        email=email, kind=kind, first_name=first_name, last_name=last_name, company_name=company_name,
        vat_number=vat_number, phone=phone or "", group=group_row, email_opt_in=email_opt_in, sms_opt_in=sms_opt_in,
        external_id=external_id or None, po_reference_required=po_reference_required,
    )
    with transaction.atomic():
        existing = Customer.objects.filter(email=email).values_list("pk", flat=True).first()
        if existing is not None:
            raise _duplicate(email, existing)
        _external_id_taken(customer.external_id)
        try:
            with transaction.atomic():
                customer.save(force_insert=True)
        except IntegrityError:
            existing = Customer.objects.filter(email=email).values_list("pk", flat=True).first()
            raise _duplicate(email, existing) from None
        events_record([(CUSTOMER_CREATED_EVENT, {"id": customer.pk, "email": email})], stream=f"customer:{customer.pk}", new_stream=True)
    return customer


def _customer_lock(customer_id: int) -> Customer:
    customer = Customer.objects.select_for_update(no_key=True, of=("self",)).select_related("group").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.", code="unknown_customer")
    return customer


def _bump(customer: Customer, fields: list[str]) -> None:
    customer.version += 1
    customer.updated_at = timezone.now()
    customer.save(update_fields=[*fields, "version", "updated_at"])


def customer_update(*, customer_id: int, expected_version: ExpectedVersion, changes: dict, actor: Actor) -> Customer:
    """Change a customer's details, if it is still at ``expected_version``.

    ``changes`` holds any of :data:`CUSTOMER_UPDATABLE` (``group`` as a code, None to remove).
    Guarantees: the row is locked while the version is compared, so of two edits made from one
    read the second gets PreconditionFailed (412); a change to nothing keeps the version;
    otherwise the version rises by one, ``updated_at`` is set and ``customer.updated`` records
    the old and new values, all in one transaction.
    """
    unknown = sorted(set(changes) - set(CUSTOMER_UPDATABLE))
    if unknown:
        raise InvalidInput("These customer fields cannot be changed.", fields={name: ["Cannot be changed."] for name in unknown})
    changes = dict(changes)
    if "group" in changes:
        changes["group"] = _group(changes["group"])
    if "external_id" in changes:
        changes["external_id"] = changes["external_id"] or None
    with transaction.atomic():
        customer = _customer_lock(customer_id)
        if "external_id" in changes:
            _external_id_taken(changes["external_id"], other_than=customer_id)
        version_check(expected_version, customer.version, what=f"Customer {customer_id}")
        changed = {name: (getattr(customer, name), value) for name, value in changes.items() if getattr(customer, name) != value}
        if not changed:
            return customer
        for name, (_, value) in changed.items():
            setattr(customer, name, value)
        _bump(customer, list(changed))
        event_record(
            CUSTOMER_UPDATED_EVENT,
            {"id": customer.pk, "version": customer.version, "changes": {name: [_plain(old), _plain(new)] for name, (old, new) in changed.items()}},
            stream=f"customer:{customer.pk}",
        )
    return customer


def _plain(value):
    """A JSON-friendly form of a field value for the event payload."""
    if isinstance(value, CustomerGroup):
        return value.code
    return value if value is None or isinstance(value, (bool, int)) else str(value)


def customer_address_create(*, customer_id: int, actor: Actor, **fields) -> CustomerAddress:
    """Add an address to a customer.

    Guarantees: made the default for shipping or billing, it is the only one (the previous
    default loses the flag); the customer's version rises, since its addresses are part of it.
    """
    with transaction.atomic():
        customer = _customer_lock(customer_id)
        address = CustomerAddress(customer=customer, **fields)
        _defaults_clear(customer, fields)
        address.save()
        _address_event(customer, address_added=address.pk)
    return address


# What a customer may change of an address of theirs (the portal's address book).
ADDRESS_EDITABLE = (
    "kind", "label", "name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone", "is_default_shipping", "is_default_billing",
)


def _defaults_clear(customer: Customer, fields: dict, *, other_than: int | None = None) -> None:
    """An address made a default takes the flag from the customer's other addresses."""
    for flag in ("is_default_shipping", "is_default_billing"):
        if fields.get(flag):
            CustomerAddress.objects.filter(customer=customer, **{flag: True}).exclude(pk=other_than).update(**{flag: False})


def _address_event(customer: Customer, **change) -> None:
    _bump(customer, [])
    event_record(CUSTOMER_UPDATED_EVENT, {"id": customer.pk, "version": customer.version, **change}, stream=f"customer:{customer.pk}")


def _own_address(customer: Customer, address_id: int) -> CustomerAddress:
    address = CustomerAddress.objects.filter(pk=address_id, customer=customer).first()
    if address is None:
        raise NotFound(f"Customer {customer.pk} has no address {address_id}.", code="unknown_address")
    return address


def customer_address_update(*, customer_id: int, address_id: int, changes: dict, actor: Actor) -> CustomerAddress:
    """Change one of the customer's own addresses (another customer's: NotFound, nothing changed).

    Guarantees: as :func:`customer_address_create` for the default flags and the version; a
    change to nothing changes nothing."""
    unknown = sorted(set(changes) - set(ADDRESS_EDITABLE))
    if unknown:
        raise InvalidInput("These address fields cannot be changed.", fields={name: ["Cannot be changed."] for name in unknown})
    with transaction.atomic():
        customer = _customer_lock(customer_id)
        address = _own_address(customer, address_id)
        changed = [name for name, value in changes.items() if getattr(address, name) != value]
        if not changed:
            return address
        for name in changed:
            setattr(address, name, changes[name])
        _defaults_clear(customer, changes, other_than=address.pk)
        address.save(update_fields=changed)
        _address_event(customer, address_changed=address.pk)
    return address


def customer_address_remove(*, customer_id: int, address_id: int, actor: Actor) -> None:
    """Remove one of the customer's own addresses (orders keep their own copy of the address they
    were shipped to, so none is affected). Another customer's: NotFound, nothing removed."""
    with transaction.atomic():
        customer = _customer_lock(customer_id)
        _own_address(customer, address_id).delete()
        _address_event(customer, address_removed=address_id)
