"""customer.created / customer.updated update email and name, never a user link."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from recur_django.customers import external_id_for
from recur_django.models import Customer
from tests.recur_helpers import envelope

pytestmark = pytest.mark.django_db


def _customer(id="cus_1", **extra):
    return {"object": "customer", "id": id, "email": "new@example.com", "name": "New", **extra}


def test_created_stores_an_unlinked_customer(user, deliver):
    # Same email as a local user and that user's own signed external id: still no link.
    data = _customer(email=user.email, external_id=external_id_for(user))
    deliver(envelope("customer.created", data))
    customer = Customer.objects.get()
    assert (customer.recur_id, customer.email, customer.name) == ("cus_1", user.email, "New")
    assert customer.owner is None
    assert customer.external_id == ""


def test_updated_changes_email_and_name_but_not_the_user(user, other_user, deliver):
    Customer.objects.create(recur_id="cus_1", owner=user, email="old@example.com", name="Old")
    data = _customer(external_id=external_id_for(other_user))
    deliver(envelope("customer.updated", data))
    customer = Customer.objects.get()
    assert (customer.email, customer.name) == ("new@example.com", "New")
    assert customer.owner == user


def test_updated_with_blank_fields_keeps_what_we_have(user, deliver):
    Customer.objects.create(recur_id="cus_1", owner=user, email="old@example.com", name="Old")
    deliver(envelope("customer.updated", {"id": "cus_1", "email": None, "name": ""}))
    customer = Customer.objects.get()
    assert (customer.email, customer.name, customer.owner) == ("old@example.com", "Old", user)


def test_camel_case_and_missing_id(deliver):
    deliver(envelope("customer.updated", {"customerId": "cus_2", "email": "c@example.com"}))
    deliver(envelope("customer.updated", {"email": "nobody@example.com"}))
    assert list(Customer.objects.values_list("recur_id", "email")) == [("cus_2", "c@example.com")]
    assert get_user_model().objects.count() == 0
