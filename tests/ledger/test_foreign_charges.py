"""A stranger's charge never lands on a victim's purchase (issue 17, finding 1).

A checkout started in the browser with the public key can carry any metadata, so its
signed events may name the victim's ``metadata.transaction_id``. A charge attaches to a
transaction only when it names the checkout session we stored on it, or the order Recur
reported for that session; anything else is recorded as an unattached charge of its own
customer, flagged for review, announced to nobody, and its refund revokes nothing.
On PostgreSQL every test runs on the full path and on the single-statement fast path.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from recur_django.customers import external_id_for
from recur_django.entitlements import has_entitlement
from recur_django.models import Customer, Payment, Transaction, WebhookEvent
from recur_django.testing import sign
from recur_django.webhooks import fast_path
from tests.ledger.payloads import order, refund
from tests.recur_helpers import (
    body_of,
    completed_data,
    envelope,
    make_transaction,
    post_event,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim_purchase(user, deliver):
    """The victim's completed one-time purchase of the e-book (NT$590, order ord_v)."""
    txn = make_transaction(user, amount=590, product_id="prod_ebook", product_slug="ebook")
    deliver(envelope("checkout.completed", completed_data(txn, order_id="ord_v")))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED and txn.order_id == "ord_v"
    assert has_entitlement(user, "ebook")
    return txn


def strangers_checkout(victim_txn: Transaction, checkout_id: str) -> dict:
    """What Recur signs for the stranger's NT$1 checkout made with the publishable key."""
    return {
        "id": checkout_id,
        "status": "COMPLETED",
        "amount": 1,
        "currency": "TWD",
        "product_id": "prod_sticker",
        "customer_id": "cus_mallory",
        "customer_email": "mallory@example.com",
        "order_id": "ord_m",
        "metadata": {"transaction_id": victim_txn.public_id},
    }


@pytest.mark.parametrize("checkout_id", ["chk_mallory", "cs_mallory"])
def test_a_strangers_charge_naming_a_completed_purchase_is_recorded_apart(
    user, victim_purchase, deliver, sent, checkout_id
):
    before = {name: len(calls) for name, calls in sent.items()}
    data = strangers_checkout(victim_purchase, checkout_id)
    deliver(envelope("checkout.completed", data))
    deliver(
        envelope(
            "order.paid",
            order(
                "ord_m",
                amount=1,
                customer_id="cus_mallory",
                product_id="prod_sticker",
                checkout_id=checkout_id,
                metadata={"transaction_id": victim_purchase.public_id},
            ),
        )
    )
    foreign = Payment.objects.get(recur_id="ord_m")
    assert foreign.transaction is None and foreign.owner is None and foreign.user is None
    assert foreign.customer.recur_id == "cus_mallory"
    assert (foreign.amount, foreign.status) == (1, Payment.Status.PAID)
    assert victim_purchase.public_id in foreign.review_reason
    assert foreign.needs_review
    victims = Payment.objects.get(recur_id="ord_v")
    assert victims.transaction == victim_purchase and not victims.review_reason
    # No receipt for anyone: the victim is not told of a payment that is not theirs.
    after = {name: len(calls) for name, calls in sent.items()}
    assert after == before, (before, after)
    assert not Customer.objects.filter(owner=user, recur_id="cus_mallory").exists()
    # A chk_ id passes as Recur's other name for a checkout, a cs_ id is plainly not our
    # session: that event is stored failed (not retried) with why, its charge kept apart.
    for stored in WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED):
        assert not stored.retryable and "Not this site's payment" in stored.error

    # Refunding the stranger's NT$1 revokes nothing of the victim's.
    deliver(envelope("refund.succeeded", refund("re_m", amount=1, order_id="ord_m")))
    foreign.refresh_from_db()
    assert foreign.status == Payment.Status.REFUNDED
    assert has_entitlement(user, "ebook")
    assert sent["payment_refunded"] == []
    assert Payment.objects.get(recur_id="ord_v").status == Payment.Status.PAID


def test_the_strangers_order_alone_is_recorded_apart_too(user, victim_purchase, deliver, sent):
    deliver(
        envelope(
            "order.paid",
            order(
                "ord_m",
                amount=1,
                customer_id="cus_mallory",
                metadata={"transaction_id": victim_purchase.public_id},
            ),
        )
    )
    foreign = Payment.objects.get(recur_id="ord_m")
    assert foreign.transaction is None and foreign.review_reason
    assert sent["payment_succeeded"] == []


def test_a_charge_of_our_stored_session_attaches_and_is_not_flagged(user, deliver, sent):
    txn = make_transaction(user, amount=590, product_id="prod_ebook")
    deliver(envelope("checkout.completed", completed_data(txn, order_id="ord_1")))
    # Recur's order for the same session, naming the checkout by another kind of id and
    # the order recorded when our session completed: the same purchase.
    deliver(
        envelope(
            "order.paid",
            order(
                "ord_1",
                amount=590,
                checkout_id="chk_other_kind",
                metadata={"transaction_id": txn.public_id},
            ),
        )
    )
    payment = Payment.objects.get()
    assert payment.transaction == txn and payment.owner == user and payment.user == user
    assert payment.review_reason == ""
    assert len(sent["payment_succeeded"]) == 1


def test_a_strangers_failed_charge_does_not_fail_the_victims_pending_checkout(user, deliver, sent):
    """``mark_failed`` needs the stored session too: an attacker's declined card naming the
    victim's pending transaction leaves it pending (the victim can still pay)."""
    txn = make_transaction(user, amount=590)
    declined = {
        **strangers_checkout(txn, "chk_mallory"),
        "status": "FAILED",
        "failure_reason": "card_declined",
    }
    deliver(envelope("checkout.completed", declined))
    failed_order = order(
        "ord_m",
        amount=1,
        status="FAILED",
        customer_id="cus_mallory",
        metadata={"transaction_id": txn.public_id},
    )
    deliver(envelope("order.payment_failed", failed_order))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING and txn.order_id == ""
    assert sent["payment_failed"] == []
    deliver(envelope("checkout.completed", completed_data(txn, order_id="ord_v")))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert Payment.objects.get(recur_id="ord_v").transaction == txn


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path runs on PostgreSQL only"
)
@pytest.mark.parametrize("victim_status", ["pending", "completed"])
def test_the_fast_path_statement_requires_the_stored_session(
    user, settings, victim_status, django_capture_on_commit_callbacks
):
    """The single statement is handed an event that is simple in every other way (the
    victim's own signed external id, the expected amount, a new customer): because it
    names another checkout session, the statement applies nothing and the full path
    records the charge apart."""
    settings.RECUR = {**settings.RECUR, "WEBHOOK_FAST_PATH": True}
    txn = make_transaction(user, amount=100, status=victim_status)
    data = completed_data(
        txn, id="cs_mallory", order_id="ord_m", customer_id="cus_mallory",
        external_customer_id=external_id_for(user),
    )  # fmt: skip
    event = envelope("checkout.completed", data)
    body = body_of(event)
    attempt = fast_path.attempt(body, {"X-Recur-Signature": sign(body)}, event)
    assert not attempt.applied
    txn.refresh_from_db()
    assert txn.status == victim_status and txn.order_id == ""
    WebhookEvent.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(), event)
    txn.refresh_from_db()
    assert txn.status == victim_status
    foreign = Payment.objects.get(recur_id="ord_m")
    assert foreign.transaction is None and txn.public_id in foreign.review_reason

    # The same event naming the stored session is one the statement applies.
    if victim_status == "pending":
        own = completed_data(txn, external_customer_id=external_id_for(user), order_id="ord_ok")
        own_event = envelope("checkout.completed", own)
        own_body = body_of(own_event)
        assert fast_path.attempt(own_body, {"X-Recur-Signature": sign(own_body)}, own_event).applied


@pytest.mark.parametrize("key", ["checkout_id", "checkout_session_id", "checkout"])
def test_a_failure_naming_our_session_by_another_kind_of_id_fails_nothing(user, deliver, sent, key):
    """Only our stored session's own id may fail a transaction: ``chk_…`` with the same
    tail as our ``cs_…`` is another kind of id (a charge passes it, a failure does not)."""
    txn = make_transaction(user, amount=590, session="cs_same_tail")
    failed = order(
        "ord_f",
        amount=590,
        status="FAILED",
        metadata={"transaction_id": txn.public_id},
        **{key: "chk_same_tail"},
    )
    deliver(envelope("order.payment_failed", failed))
    declined = {
        **completed_data(txn, id="chk_same_tail"),
        "status": "FAILED",
        "failure_reason": "card_declined",
    }
    deliver(envelope("checkout.completed", declined))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert sent["payment_failed"] == [] or all(
        call["payment"].transaction_id is None for call in sent["payment_failed"]
    )
