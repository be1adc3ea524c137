"""The inventory app's part of the personal-data registry: a supplier's contact (a person's name,
e-mail and phone). Suppliers are not customers, so a customer's export and erasure do not walk
this part (``customer_data=False``); the fields are listed in the registry, masked in the console
for roles without ``oms.view_personal_data``, and forgotten on request by "Forget the contact" on
the supplier list (:func:`inventory.purchasing.supplier_contact_forget`). The supplier's company
name and business address are not a person's and stay."""

from oms.personal_data import ErasureContext, PersonalDataPart

SUPPLIER_CONTACT_FIELDS = ("contact_name", "email", "phone")


def inventory_export(customer_id: int) -> dict:
    return {}  # no customer's data here


def inventory_erase(context: ErasureContext) -> dict[str, int]:
    return {}  # no customer's data here


PART = PersonalDataPart(
    name="inventory",
    models=(),
    export=inventory_export,
    erase=inventory_erase,
    fields={"inventory.Supplier": SUPPLIER_CONTACT_FIELDS},
    customer_data=False,
)
