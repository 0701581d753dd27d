"""Upgrading an existing install to billing owners (migration 0005_billing_owner).

Rows are made with the previous release's models (the migration executor's historical
apps at 0004), then the schema is migrated forward: with the default owner model every
customer, transaction and payment keeps its user as its owner. Runs on SQLite and
PostgreSQL (``RECUR_TEST_DB=postgres``).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from recur_django.models import Customer, Payment, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("recur_django", "0004_billingoverview")]


def _executor() -> MigrationExecutor:
    return MigrationExecutor(connection)


@pytest.fixture
def at_previous_release():
    """The database at 0004 while the test runs, at the latest migrations afterwards."""
    latest = _executor().loader.graph.leaf_nodes()
    executor = _executor()
    executor.migrate(BEFORE)
    yield executor.loader.project_state(BEFORE).apps
    _executor().migrate(latest)


def _migrate_forward() -> None:
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_an_existing_install_keeps_its_user_links(at_previous_release):
    old = at_previous_release
    User = old.get_model(settings.AUTH_USER_MODEL)
    OldCustomer = old.get_model("recur_django", "Customer")
    OldTransaction = old.get_model("recur_django", "Transaction")
    OldPayment = old.get_model("recur_django", "Payment")
    ann = User.objects.create(username="ann", email="ann@example.com")
    bob = User.objects.create(username="bob", email="bob@example.com")
    OldCustomer.objects.create(user=ann, recur_id="cus_ann", external_id=str(ann.pk))
    OldCustomer.objects.create(user=bob, recur_id="cus_bob")
    OldCustomer.objects.create(recur_id="cus_nobody", email="stranger@example.com")
    txn = OldTransaction.objects.create(user=ann, public_id="txn_old_ann", status="completed")
    OldTransaction.objects.create(public_id="txn_old_none")
    OldPayment.objects.create(recur_id="ord_ann", status="paid", user=ann, transaction=txn)
    OldPayment.objects.create(recur_id="ord_none", status="paid")

    _migrate_forward()

    owners = dict(Customer.objects.values_list("recur_id", "owner_id"))
    assert owners == {"cus_ann": ann.pk, "cus_bob": bob.pk, "cus_nobody": None}
    assert Customer.objects.get(recur_id="cus_ann").external_id == str(ann.pk)
    assert dict(Transaction.objects.values_list("public_id", "owner_id")) == {
        "txn_old_ann": ann.pk,
        "txn_old_none": None,
    }
    assert Transaction.objects.get(public_id="txn_old_ann").user_id == ann.pk
    assert dict(Payment.objects.values_list("recur_id", "owner_id")) == {
        "ord_ann": ann.pk,
        "ord_none": None,
    }
    assert Payment.objects.get(recur_id="ord_ann").user_id == ann.pk
    # The reverse accessor keeps its name: user.recur_customer.
    assert get_user_model().objects.get(pk=ann.pk).recur_customer.recur_id == "cus_ann"


def test_the_migration_reverses_to_user_links(at_previous_release):
    old = at_previous_release
    User = old.get_model(settings.AUTH_USER_MODEL)
    ann = User.objects.create(username="ann", email="ann@example.com")
    old.get_model("recur_django", "Customer").objects.create(user=ann, recur_id="cus_ann")
    _migrate_forward()
    # After the upgrade, ann's link moved to a new customer (made by hand here).
    Customer.objects.filter(recur_id="cus_ann").update(owner=None)
    Customer.objects.create(owner_id=ann.pk, recur_id="cus_after")

    executor = _executor()
    executor.migrate(BEFORE)
    back = executor.loader.project_state(BEFORE).apps.get_model("recur_django", "Customer")
    assert dict(back.objects.values_list("recur_id", "user_id")) == {
        "cus_ann": None,
        "cus_after": ann.pk,
    }
