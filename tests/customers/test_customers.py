"""Customers are matched by e-mail across channels; their record is the operators' to curate."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from customers.models import Customer
from customers.services import customer_upsert

from ..factories import CustomerGroupFactory


def test_a_new_email_creates_a_customer_stored_lower_case(db):
    customer = customer_upsert(email="  Grace.Hopper@Navy.MIL ", first_name="Grace", last_name="Hopper", phone="+12025550143", actor="test")

    stored = Customer.objects.get()
    assert stored.pk == customer.pk
    assert (stored.email, stored.first_name, stored.last_name, str(stored.phone)) == ("grace.hopper@navy.mil", "Grace", "Hopper", "+12025550143")


def test_a_known_email_returns_the_same_customer_without_overwriting_it(db):
    first = customer_upsert(email="grace@example.com", first_name="Grace", actor="test")

    again = customer_upsert(email="GRACE@example.com", first_name="Someone Else", phone="+12025550100", actor="api:shop")

    assert again.pk == first.pk
    stored = Customer.objects.get()
    assert (stored.first_name, str(stored.phone)) == ("Grace", "")


def test_the_upserted_customer_keeps_its_group(db):
    group = CustomerGroupFactory(credit_limit=Decimal("500.00"), payment_terms_days=30)
    Customer.objects.create(email="buyer@acme.example", group=group, kind=Customer.Kind.BUSINESS, company_name="Acme")

    customer = customer_upsert(email="buyer@acme.example", actor="test")

    assert customer.group_id == group.pk
    assert customer.display_name == "Acme"


def test_two_customers_cannot_share_an_email_even_in_different_case(db):
    Customer.objects.create(email="ada@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(email="ADA@example.com")


def test_a_negative_credit_limit_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerGroupFactory(credit_limit=Decimal("-1"))


def test_display_name_falls_back_from_company_to_person_to_email(db):
    business = Customer(email="a@x.example", kind=Customer.Kind.BUSINESS, company_name="Acme", first_name="Wile")
    person = Customer(email="b@x.example", first_name="Wile", last_name="Coyote")
    nameless = Customer(email="c@x.example")

    assert [business.display_name, person.display_name, nameless.display_name] == ["Acme", "Wile Coyote", "c@x.example"]
