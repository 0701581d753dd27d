"""recur_django.credits against the emulator over real HTTP: purchases and deductions are
Recur's; the local ledger and the signals follow exactly once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from recur_django import credits, signals
from recur_django.models import CreditTransaction, Transaction, WebhookEvent
from tests.recur_helpers import SignalRecorder

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shopper(recur_emulator: Any, user: Any) -> Client:
    browser = Client(SERVER_NAME="localhost")
    browser.force_login(user)
    return browser


def buy(recur_emulator: Any, browser: Client, product: str = "credits-100") -> Transaction:
    response = browser.post(reverse("recur:checkout"), {"product": product})
    assert response.status_code == 303, response.content
    txn = Transaction.objects.latest("created_at")
    assert recur_emulator.pay(txn.checkout_session_id).status_code == 303
    assert {d.status for d in recur_emulator.deliver()} == {"SUCCEEDED"}
    return txn


def test_a_paid_pack_is_recorded_once_and_announced(recur_emulator, shopper, user):
    with SignalRecorder(signals.credits_purchased) as purchased:
        txn = buy(recur_emulator, shopper)
    row = CreditTransaction.objects.get()
    txn.refresh_from_db()
    assert (row.kind, row.amount, row.balance_after) == ("purchase", 100, 100)
    assert row.customer.owner == user and row.order_id == txn.order_id
    assert row.product_id == "prod_credits_100" and row.signed_amount == 100
    assert len(purchased.calls) == 1
    assert purchased.calls[0]["credit_transaction"] == row
    assert purchased.calls[0]["event"].type == "credits.purchased"
    assert credits.balance(user) == 100
    assert list(credits.transactions(user)) == [row]
    assert WebhookEvent.objects.get(type="credits.purchased").status == "processed"


def test_deduct_records_the_movement_and_its_event_adds_nothing(recur_emulator, shopper, user):
    buy(recur_emulator, shopper)
    with SignalRecorder(signals.credits_deducted) as deducted:
        row = credits.deduct(user, 30, "An export", "export-1")
        assert (row.kind, row.amount, row.balance_after) == ("deduction", 30, 70)
        assert row.description == "An export" and row.signed_amount == -30
        recur_emulator.deliver()  # credits.deducted: the row exists already
    assert len(deducted.calls) == 1 and deducted.calls[0]["event"] is None
    assert CreditTransaction.objects.filter(kind="deduction").count() == 1
    assert credits.balance(user) == 70


def test_the_same_key_is_the_same_deduction(recur_emulator, shopper, user):
    buy(recur_emulator, shopper)
    first = credits.deduct(user, 30, "An export", "export-1")
    again = credits.deduct(user, 30, "An export", "export-1")
    assert again.pk == first.pk
    assert credits.balance(user) == 70


def test_a_lost_answer_is_safe_to_repeat_with_its_key(recur_emulator, shopper, user):
    """The first call reached Recur but its answer never came back: nothing was recorded
    here. Repeating it with the same key takes nothing more and records it once."""
    buy(recur_emulator, shopper)
    customer = user.recur_customer.recur_id
    lost = recur_emulator.client.credits.deduct(
        customer, amount=25, description="Report", idempotency_key="report-9"
    )
    assert not CreditTransaction.objects.filter(kind="deduction").exists()
    row = credits.deduct(user, 25, "Report", "report-9")
    assert row.recur_id == lost.id
    assert credits.balance(user) == 75


def test_refusals(recur_emulator, shopper, user, other_user):
    with pytest.raises(credits.NoRecurCustomer):
        credits.balance(other_user)
    with pytest.raises(credits.NoRecurCustomer):
        credits.deduct(other_user, 1, "x", "k")
    assert list(credits.transactions(other_user)) == []
    buy(recur_emulator, shopper)
    with pytest.raises(credits.InsufficientCredits) as short:
        credits.deduct(user, 101, "Too much", "big-1")
    assert short.value.amount == 101 and short.value.code == "insufficient_balance"
    assert "100" in short.value.recur_message
    with pytest.raises(ValueError, match="idempotency_key"):
        credits.deduct(user, 1, "x", "")
    from recur_django.client.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError):
        credits.deduct(user, 0, "x", "zero")
    assert credits.balance(user) == 100


def test_calling_inside_a_transaction_warns(recur_emulator, shopper, user, caplog):
    buy(recur_emulator, shopper)
    with caplog.at_level(logging.WARNING, logger="recur_django"), transaction.atomic():
        credits.balance(user)
    assert "inside an open database transaction" in caplog.text


def test_duplicate_deliveries_record_once(recur_emulator, shopper, user):
    recur_emulator.fault("duplicate", count=20)
    with SignalRecorder(signals.credits_purchased) as purchased:
        buy(recur_emulator, shopper)
    assert CreditTransaction.objects.count() == 1
    assert len(purchased.calls) == 1


def test_an_event_without_an_id_is_rejected(recur_emulator, user):
    from recur_django.testing import make_event, post_event

    response = post_event(Client(), make_event("credits.deducted", {"amount": 5}))
    assert response.status_code == 200
    stored = WebhookEvent.objects.get(type="credits.deducted")
    assert stored.status == "failed" and "credit transaction" in stored.error
