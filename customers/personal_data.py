"""The customers app's part of a customer's data: the profile, addresses, store credit and the
customer's own price lists. Erasure blanks the profile and addresses; the store credit ledger
and the price lists keep their amounts."""

from django.db.models import Q
from django.utils import timezone

from oms.personal_data import ERASED, ErasureContext, PersonalDataPart, rows_of, rows_scrub

from .models import Customer, CustomerAddress, PriceList, PriceListItem, StoreCreditAccount, StoreCreditEntry

ADDRESS_TEXT = ("name", "company", "line1", "line2", "city", "region", "postal_code")


def customers_export(customer_id: int) -> dict:
    return {
        "customer": rows_of(Customer.objects.filter(pk=customer_id), exclude=["version"]),
        "addresses": rows_of(CustomerAddress.objects.filter(customer_id=customer_id)),
        "store_credit_accounts": rows_of(StoreCreditAccount.objects.filter(customer_id=customer_id)),
        "store_credit_entries": rows_of(StoreCreditEntry.objects.filter(account__customer_id=customer_id), exclude=["idempotency_key"]),
        "price_lists": rows_of(PriceList.objects.filter(customer_id=customer_id)),
        "price_list_items": rows_of(PriceListItem.objects.filter(price_list__customer_id=customer_id)),
    }


def customers_values(customer_id: int) -> list[str]:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return []
    values = [customer.email, customer.first_name, customer.last_name, customer.company_name, customer.vat_number,
              customer.external_id, str(customer.phone or ""), customer.email_bounce_reason]
    full_name = f"{customer.first_name} {customer.last_name}".strip()
    values.append(full_name)
    for address in CustomerAddress.objects.filter(customer_id=customer_id):
        values += [getattr(address, name) for name in ADDRESS_TEXT] + [str(address.phone or "")]
    return values


def customers_identifiers(customer_id: int) -> list[str]:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return []
    values = [customer.email, f"{customer.first_name} {customer.last_name}".strip() if customer.last_name else "",
              str(customer.phone or ""), customer.external_id, customer.vat_number]
    for address in CustomerAddress.objects.filter(customer_id=customer_id):
        values += [address.name if " " in address.name else "", address.line1, str(address.phone or "")]
    return values


def customers_erase(context: ErasureContext) -> dict[str, int]:
    customer_id = context.customer_id
    addresses = CustomerAddress.objects.filter(customer_id=customer_id).update(
        label="", name=ERASED, company="", line1=ERASED, line2="", city=ERASED, region="", postal_code="", phone=""
    )
    entries = rows_scrub(StoreCreditEntry.objects.filter(account__customer_id=customer_id), context.values, skip=["idempotency_key"])
    price_lists = rows_scrub(PriceList.objects.filter(customer_id=customer_id), context.values, skip=["code"])
    now = timezone.now()
    customer = Customer.objects.select_for_update(no_key=True).get(pk=customer_id)
    customer.email = context.email
    customer.first_name = "Erased"
    customer.last_name = "customer"
    customer.company_name = ""
    customer.vat_number = ""
    customer.external_id = None
    customer.phone = ""
    customer.email_opt_in = False
    customer.sms_opt_in = False
    customer.email_bounce_reason = ""
    customer.erased_at = now
    customer.updated_at = now
    customer.version += 1
    customer.save()
    return {"customers": 1, "addresses": addresses, "store_credit_entries": entries, "price_lists": price_lists}


def customers_active_since(customer_ids: list[int], since) -> set[int]:
    return set(Customer.objects.filter(Q(pk__in=customer_ids), Q(created_at__gte=since)).values_list("pk", flat=True))


PART = PersonalDataPart(
    name="customers",
    models=("customers.Customer", "customers.CustomerAddress", "customers.StoreCreditAccount", "customers.StoreCreditEntry",
            "customers.PriceList", "customers.PriceListItem", "customers.DataRequest"),
    export=customers_export,
    erase=customers_erase,
    values=customers_values,
    identifiers=customers_identifiers,
    active_since=customers_active_since,
    last=True,
    fields={
        "customers.Customer": ("email", "first_name", "last_name", "company_name", "vat_number", "phone"),
        "customers.CustomerAddress": ("name", "company", "line1", "line2", "city", "region", "postal_code", "phone"),
    },
)
