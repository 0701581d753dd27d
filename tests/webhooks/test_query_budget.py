"""Queries per event, counted outside a test transaction (as in production), BEGIN and
COMMIT included (Django logs them).

The full checkout.completed path is: BEGIN, INSERT the event, SELECT … FOR UPDATE the
transaction (with its user, the user's customer and the payer's customer row in the same
query), UPDATE the transaction, COMMIT — plus one INSERT for a first-time customer.

Recording the charge in the payment ledger adds five: SELECT … FOR UPDATE the payment,
SELECT the payer's customer, SELECT the transaction, SELECT refunds waiting for the charge,
INSERT the payment. On PostgreSQL the charge's advisory lock is one more (``LOCK``).
"""

from __future__ import annotations

import pytest
from django.db import connection

from recur_django.models import Customer
from tests.recur_helpers import completed_data, envelope, make_transaction, post_event

pytestmark = pytest.mark.django_db(transaction=True)

LOCK = 1 if connection.vendor == "postgresql" else 0


def test_checkout_completed_returning_customer(client, user, django_assert_max_num_queries):
    Customer.objects.create(recur_id="cus_a", owner=user, email=user.email)
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn, customer_id="cus_a"))
    with django_assert_max_num_queries(10 + LOCK):
        assert post_event(client, event).json()["status"] == "processed"


def test_checkout_completed_first_time_customer(client, user, django_assert_max_num_queries):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn, customer_id="cus_new"))
    with django_assert_max_num_queries(11 + LOCK):
        assert post_event(client, event).json()["status"] == "processed"
    assert Customer.objects.get(recur_id="cus_new").owner == user


def test_duplicate(client, user, django_assert_max_num_queries, webhook_fast_path):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    post_event(client, event)
    # The fast path first tries its one statement, which finds the event stored.
    with django_assert_max_num_queries(4 + (1 if webhook_fast_path else 0)):
        assert post_event(client, event).json()["status"] == "duplicate"


def test_rejected(client, user, django_assert_max_num_queries, webhook_fast_path):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn, amount=1))
    # The fast path's statement stores the event (the amount check fails inside it); the
    # full path then applies it under the row lock and records the rejection: 10 in all.
    with django_assert_max_num_queries(10 if webhook_fast_path else 5 + LOCK):
        assert post_event(client, event).json()["status"] == "failed"


def test_order_paid(client, user, django_assert_max_num_queries):
    Customer.objects.create(recur_id="cus_a", owner=user, email=user.email)
    txn = make_transaction(user)
    data = {
        "id": "ord_1",
        "checkout_id": txn.checkout_session_id,
        "amount": 100,
        "customer_id": "cus_a",
        "customer_email": user.email,
    }
    with django_assert_max_num_queries(10 + LOCK):
        assert post_event(client, envelope("order.paid", data)).json()["status"] == "processed"


def test_order_payment_failed(client, user, django_assert_max_num_queries):
    txn = make_transaction(user)
    data = {
        "id": "ord_1",
        "checkout_session_id": txn.checkout_session_id,
        "metadata": {"transaction_id": txn.public_id},
    }
    event = envelope("order.payment_failed", data)
    with django_assert_max_num_queries(9 + LOCK):
        assert post_event(client, event).json()["status"] == "processed"


def test_unmatched_order_and_unknown_type(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8 + LOCK):
        assert post_event(client, envelope("order.paid", {"id": "o", "amount": 1})).json()[
            "status"
        ] == ("processed")
    with django_assert_max_num_queries(3):
        assert post_event(client, envelope("x.y", {})).json()["status"] == "ignored"
