"""checkout.completed / order.* handling through the real webhook view."""

from __future__ import annotations

import pytest

from recur_django import signals
from recur_django.customers import external_id_for
from recur_django.models import Customer, Payment, Transaction, WebhookEvent
from tests.recur_helpers import (
    SignalRecorder,
    completed_data,
    envelope,
    make_transaction,
)

pytestmark = pytest.mark.django_db


def test_checkout_completed_fulfils_once_and_maps_customer(user, deliver):
    txn = make_transaction(
        user, mode=Transaction.Mode.SUBSCRIPTION, amount=299, product_id="prod_pro_monthly"
    )
    data = completed_data(txn, customer_id="cus_alice")
    with (
        SignalRecorder(signals.transaction_completed) as completed,
        SignalRecorder(signals.webhook_received) as received,
    ):
        response = deliver(envelope("checkout.completed", data))
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.completed_at is not None
    assert txn.order_id == data["order_id"]
    assert txn.subscription_id == data["subscription_id"]
    customer = Customer.objects.get(recur_id="cus_alice")
    assert customer.owner == user
    assert customer.email == "alice@example.com"
    assert len(completed.calls) == 1
    call = completed.calls[0]
    assert call["transaction"].pk == txn.pk
    assert call["event"].event_id == response.json()["id"]
    assert call["source"] == "webhook"
    assert len(received.calls) == 1
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.attempts == 1
    assert bytes(event.body).startswith(b"{")
    assert event.headers["X-Recur-Event-Type"] == "checkout.completed"


def test_duplicate_event_is_not_applied_twice(user, deliver):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    with SignalRecorder(signals.transaction_completed) as completed:
        first = deliver(event)
        second = deliver(event)
        third = deliver(event, encoding="hex")
    assert first.status_code == second.status_code == third.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert len(completed.calls) == 1
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().attempts == 1


def test_seed_scenario_first_webhook_credits_exactly_100(user, deliver):
    """Top up 100, start a 1,000 checkout, then the 100 webhook arrives: credit 100 only."""
    small = make_transaction(user, amount=100, product_id="prod_credits_100")
    big = make_transaction(user, amount=1000, product_id="prod_credits_1000")
    credited: list[int] = []

    def credit(sender, transaction, **kwargs):
        credited.append(transaction.amount)

    signals.transaction_completed.connect(credit, weak=False)
    try:
        response = deliver(envelope("checkout.completed", completed_data(small)))
        # The same event again, and an order.paid for the same payment.
        deliver(envelope("checkout.completed", completed_data(small)))
        deliver(
            envelope(
                "order.paid",
                {"id": "ord_1", "amount": 100, "metadata": {"transaction_id": small.public_id}},
            )
        )
    finally:
        signals.transaction_completed.disconnect(credit)
    assert response.status_code == 200
    assert credited == [100]
    small.refresh_from_db()
    big.refresh_from_db()
    assert small.status == Transaction.Status.COMPLETED
    assert big.status == Transaction.Status.PENDING


def test_camel_case_and_checkout_id_alias(user, deliver):
    txn = make_transaction(user)
    data = {
        "checkoutId": txn.checkout_session_id,
        "status": "paid",
        "customerId": "cus_camel",
        "customerEmail": "alice@example.com",
        "productId": txn.product_id,
        "orderId": "ord_camel",
        "amount": 100,
        "currency": "twd",
    }
    response = deliver(envelope("checkout.completed", data))
    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.order_id == "ord_camel"
    assert Customer.objects.get(recur_id="cus_camel").owner == user


def test_matches_by_session_id_without_metadata(user, deliver):
    txn = make_transaction(user)
    data = completed_data(txn)
    del data["metadata"]
    assert deliver(envelope("checkout.completed", data)).status_code == 200
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_never_matches_by_email_customer_or_product(user, deliver):
    txn = make_transaction(user)
    data = completed_data(txn, id="cs_someone_else")
    del data["metadata"]
    response = deliver(envelope("checkout.completed", data))
    assert response.status_code == 200
    # Not our checkout: it fulfils nothing; the ledger records its charge, unattached.
    assert response.json()["status"] == "processed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert Payment.objects.get().transaction is None


def test_unknown_transaction_id_is_rejected_and_kept(user, deliver):
    make_transaction(user)
    data = {"id": "cs_x", "metadata": {"transaction_id": "txn_does_not_exist"}, "amount": 100}
    response = deliver(envelope("checkout.completed", data))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert "txn_does_not_exist" in event.error
    assert event.traceback == ""


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"amount": 1}, "amount 1"),
        ({"amount": "10000"}, "amount 10000"),
        ({"currency": "USD"}, "currency USD"),
        ({"product_id": "prod_credits_1000"}, "product prod_credits_1000"),
        ({"amount": 99.5}, "not a whole number"),
    ],
)
def test_tampered_payment_fails_event_and_leaves_transaction(user, deliver, override, reason):
    txn = make_transaction(user, amount=100)
    with SignalRecorder(signals.transaction_completed) as completed:
        response = deliver(envelope("checkout.completed", completed_data(txn, **override)))
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    event = WebhookEvent.objects.get()
    assert reason in event.error
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert txn.order_id == ""
    assert completed.calls == []
    assert not Customer.objects.exists()


def test_transaction_of_another_user_is_refused(user, other_user, deliver):
    theirs = make_transaction(other_user)
    data = completed_data(theirs, external_customer_id=str(user.pk))
    response = deliver(envelope("checkout.completed", data))
    assert response.json()["status"] == "failed"
    assert "external customer id" in WebhookEvent.objects.get().error
    theirs.refresh_from_db()
    assert theirs.status == Transaction.Status.PENDING


def test_session_of_another_transaction_is_refused(user, other_user, deliver):
    mine = make_transaction(user)
    theirs = make_transaction(other_user)
    data = completed_data(mine, id=theirs.checkout_session_id)
    response = deliver(envelope("checkout.completed", data))
    assert response.json()["status"] == "failed"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == theirs.status == Transaction.Status.PENDING


def test_already_completed_transaction_is_not_fulfilled_again(user, deliver):
    txn = make_transaction(user)
    deliver(envelope("checkout.completed", completed_data(txn)))
    txn.refresh_from_db()
    completed_at = txn.completed_at
    with SignalRecorder(signals.transaction_completed) as completed:
        again = deliver(envelope("checkout.completed", completed_data(txn)))
        other_session = deliver(envelope("checkout.completed", completed_data(txn, id="cs_new")))
    assert again.json()["status"] == "processed"
    assert other_session.json()["status"] == "failed"
    assert completed.calls == []
    txn.refresh_from_db()
    assert txn.completed_at == completed_at


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("FAILED", Transaction.Status.FAILED),
        ("canceled", Transaction.Status.CANCELED),
        ("CANCELLED", Transaction.Status.CANCELED),
        ("Expired", Transaction.Status.EXPIRED),
    ],
)
def test_non_success_status_fails_transaction(user, deliver, status, expected):
    txn = make_transaction(user)
    with (
        SignalRecorder(signals.transaction_failed) as failed,
        SignalRecorder(signals.transaction_completed) as completed,
    ):
        response = deliver(envelope("checkout.completed", completed_data(txn, status=status)))
    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.status == expected
    assert txn.failure_reason
    assert len(failed.calls) == 1
    assert failed.calls[0]["reason"] == txn.failure_reason
    assert completed.calls == []


@pytest.mark.parametrize("status", ["COMPLETE", "complete", "Succeeded", "PAID", None])
def test_success_like_statuses_fulfil(user, deliver, status):
    txn = make_transaction(user)
    data = completed_data(txn, status=status)
    if status is None:
        del data["status"]
    deliver(envelope("checkout.completed", data))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_unrecognised_status_is_rejected(user, deliver):
    txn = make_transaction(user)
    response = deliver(envelope("checkout.completed", completed_data(txn, status="weird")))
    assert response.json()["status"] == "failed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_a_late_success_completes_a_failed_transaction(user, deliver):
    """A declined first card then a successful retry on the same hosted page."""
    txn = make_transaction(user)
    deliver(
        envelope(
            "order.payment_failed",
            {
                "id": "ord_1",
                "checkout_session_id": txn.checkout_session_id,
                "metadata": {"transaction_id": txn.public_id},
                "failure_reason": "card declined",
            },
        )
    )
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.FAILED
    assert txn.failure_reason == "card declined"
    deliver(envelope("checkout.completed", completed_data(txn)))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.failure_reason == ""


def test_order_paid_fulfils_by_checkout_reference(user, deliver):
    txn = make_transaction(user)
    data = {
        "id": "ord_9",
        "checkout_session_id": txn.checkout_session_id,
        "amount": 100,
        "product_id": txn.product_id,
        "customer": {"id": "cus_o", "email": "a@x.tw"},
    }
    with SignalRecorder(signals.transaction_completed) as completed:
        response = deliver(envelope("order.paid", data))
    assert response.json()["status"] == "processed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.order_id == "ord_9"
    assert Customer.objects.get(recur_id="cus_o").owner == user
    assert len(completed.calls) == 1


def test_order_payment_failed_does_not_downgrade_completed(user, deliver):
    txn = make_transaction(user)
    deliver(envelope("checkout.completed", completed_data(txn)))
    with SignalRecorder(signals.transaction_failed) as failed:
        deliver(
            envelope(
                "order.payment_failed",
                {"id": "ord_2", "metadata": {"transaction_id": txn.public_id}},
            )
        )
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert failed.calls == []


def test_unmatched_orders_are_recorded_by_the_ledger_and_processed(user, deliver):
    """An order with no transaction of ours (a renewal, a payment link) fulfils nothing,
    but the ledger records its charge: the event says so (processed, not ignored)."""
    response = deliver(envelope("order.paid", {"id": "ord_renewal", "amount": 299}))
    assert response.json()["status"] == "processed"
    order = {"id": "ord_x", "checkoutId": "cs_unknown", "amount": 590}
    response = deliver(envelope("order.paid", order))
    assert response.json()["status"] == "processed"
    assert WebhookEvent.objects.filter(status=WebhookEvent.Status.PROCESSED).count() == 2
    assert set(Payment.objects.values_list("recur_id", flat=True)) == {"ord_renewal", "ord_x"}


def test_failing_receiver_cannot_unfulfil(user, deliver):
    txn = make_transaction(user)

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    signals.transaction_completed.connect(broken, weak=False)
    try:
        response = deliver(envelope("checkout.completed", completed_data(txn)))
    finally:
        signals.transaction_completed.disconnect(broken)
    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_existing_customer_of_user_is_kept(user, deliver):
    Customer.objects.create(recur_id="cus_known", owner=user, email="old@example.com")
    txn = make_transaction(user)
    deliver(envelope("checkout.completed", completed_data(txn, customer_id="cus_known")))
    customer = Customer.objects.get(recur_id="cus_known")
    assert customer.owner == user
    assert customer.email == "alice@example.com"
    assert Customer.objects.count() == 1


def test_unlinked_customer_row_gets_linked(user, deliver):
    Customer.objects.create(recur_id="cus_orphan", email="alice@example.com")
    txn = make_transaction(user)
    deliver(envelope("checkout.completed", completed_data(txn, customer_id="cus_orphan")))
    customer = Customer.objects.get(recur_id="cus_orphan")
    assert customer.owner == user
    assert customer.external_id == external_id_for(user)


def test_customer_of_another_user_is_never_moved(user, other_user, deliver):
    Customer.objects.create(recur_id="cus_bob", owner=other_user)
    txn = make_transaction(user)
    deliver(envelope("checkout.completed", completed_data(txn, customer_id="cus_bob")))
    assert Customer.objects.get(recur_id="cus_bob").owner == other_user
    assert not Customer.objects.filter(owner=user).exists()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
