"""Setting teams up: the checks pass, the migrations follow the setting, the admin finds a
team's billing by the team's own search fields."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from recur_django.checks import check_recur_settings
from recur_django.models import Customer, EInvoice, Payment, Subscription, Transaction
from recur_django.owner_checks import check_owner_settings
from recur_django.owners import owner_is_user_model, owner_model, owner_model_label
from tests.teams.models import Team


def test_teams_own_billing_and_the_checks_agree():
    assert owner_model_label() == "teams.Team"
    assert owner_model() is Team and not owner_is_user_model()
    for model in (Customer, Transaction, Payment):
        assert model._meta.get_field("owner").related_model is Team
    assert Transaction._meta.get_field("user").related_model is get_user_model()
    assert check_owner_settings() == []
    assert [m.id for m in check_recur_settings()] == ["recur.W003"]  # the tests' http base


@pytest.mark.django_db
def test_the_migrations_match_the_models_whatever_the_owner_model():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_to_teams_starts_with_no_owners():
    """Installed with users, migrated with teams as owners: the old user links are not
    guessed into team links (docs/teams.md: choose the owner model first, or relink)."""
    before = [("recur_django", "0004_billingoverview")]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        user = old.get_model("auth", "User").objects.create(username="ann")
        old.get_model("recur_django", "Customer").objects.create(user=user, recur_id="cus_ann")
        old.get_model("recur_django", "Transaction").objects.create(user=user, public_id="txn_a")
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert Customer.objects.get().owner is None
    txn = Transaction.objects.get()
    assert (txn.owner_id, txn.user_id) == (None, user.pk)


@pytest.mark.django_db
def test_the_admin_searches_billing_by_team(admin_client, acme, globex):
    customer = Customer.objects.create(owner=acme, recur_id="cus_acme")
    Customer.objects.create(owner=globex, recur_id="cus_globex")
    Subscription.objects.create(recur_id="sub_acme", customer=customer, status="ACTIVE")
    Transaction.objects.create(owner=acme, public_id="txn_acme")
    payment = Payment.objects.create(
        recur_id="ord_acme", status="paid", owner=acme, customer=customer
    )
    EInvoice.objects.create(payment=payment, relate_number="RACME", amount=299)
    for model, shown in (
        (EInvoice, "RACME"),
        (Customer, "cus_acme"),
        (Subscription, "sub_acme"),
        (Transaction, "txn_acme"),
        (Payment, "ord_acme"),
    ):
        url = reverse(f"admin:recur_django_{model._meta.model_name}_changelist")
        page = admin_client.get(url, {"q": "Acme"}).content.decode()
        assert shown in page and "globex" not in page.lower().replace("globex.example", ""), model
        by_email = admin_client.get(url, {"q": "billing@acme.example"}).content.decode()
        assert shown in by_email, model
    page = admin_client.get(reverse("admin:recur_django_customer_change", args=[customer.pk]))
    assert reverse("admin:teams_team_change", args=[acme.pk]) in page.content.decode()
