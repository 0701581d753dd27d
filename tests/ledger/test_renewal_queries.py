"""Query counts of the webhook path, pinned: a renewal's three events (``invoice.paid``,
``order.paid``, ``subscription.renewed``) take a fixed number of queries, BEGIN and COMMIT
counted, whether the ledger holds 10 payments or 2,000; a first purchase's two events are
pinned too. Counts, not times: a change that adds a round trip fails here.

A renewal: ``invoice.paid`` is BEGIN, INSERT the event, SELECT … FOR UPDATE the
subscription (with its customer and owner), UPDATE it, SELECT … FOR UPDATE the payment
(with whether refunds wait), INSERT the payment, COMMIT, plus a SELECT for the waiting
refunds of a new charge; its ``order.paid`` finds the row holding everything it says (one
SELECT, no write); ``subscription.renewed`` reads and updates the subscription. On
PostgreSQL each charge event takes its advisory locks in one more statement (``LOCK``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recur_django.models import Customer, Payment, Subscription, WebhookEvent
from tests.recur_helpers import completed_data, envelope, make_transaction, post_event

pytestmark = pytest.mark.django_db(transaction=True)

LOCK = 1 if connection.vendor == "postgresql" else 0
#: Queries per event of a renewal (27 in all on SQLite, 32 on PostgreSQL before).
RENEWAL = {"invoice.paid": 8 + LOCK, "order.paid": 4 + LOCK, "subscription.renewed": 5}

DUMP = os.environ.get("RECUR_DUMP_QUERIES")


def seed_payments(customer: Customer, subscription: Subscription, count: int, start: int) -> None:
    now = timezone.now()
    Payment.objects.bulk_create(
        Payment(
            recur_id=f"in_seed_{start + i}",
            invoice_id=f"in_seed_{start + i}",
            order_id=f"ord_seed_{start + i}",
            kind="renewal",
            status="paid",
            amount=299,
            customer=customer,
            owner=customer.owner,
            subscription=subscription,
            paid_at=now - timedelta(minutes=i),
        )
        for i in range(count)
    )


def renewal(n: int) -> list[tuple[str, dict[str, Any]]]:
    start = timezone.now() + timedelta(days=30 * n)
    charge = {
        "amount": 299,
        "currency": "TWD",
        "customer_id": "cus_q",
        "subscription_id": "sub_q",
        "product_id": "prod_pro_monthly",
        "billing_reason": "subscription_cycle",
        "paid_at": start.isoformat(),
    }
    return [
        ("invoice.paid", {**charge, "id": f"in_q{n}", "order_id": f"ord_q{n}", "status": "PAID"}),
        ("order.paid", {**charge, "id": f"ord_q{n}", "invoice_id": f"in_q{n}", "status": "PAID"}),
        (
            "subscription.renewed",
            {
                "id": "sub_q",
                "customer_id": "cus_q",
                "product_id": "prod_pro_monthly",
                "status": "ACTIVE",
                "amount": 299,
                "current_period_start": start.isoformat(),
                "current_period_end": (start + timedelta(days=30)).isoformat(),
            },
        ),
    ]


def count(client: Any, events: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    counts = {}
    for event_type, data in events:
        with CaptureQueriesContext(connection) as queries:
            response = post_event(client, envelope(event_type, data))
        assert response.status_code == 200, response.content
        counts[event_type] = len(queries)
        if DUMP:
            print(f"\n== {event_type}: {len(queries)}")
            for q in queries.captured_queries:
                print("  ", q["sql"][:300])
    return counts


@pytest.fixture
def subscriber(user: Any) -> Subscription:
    customer = Customer.objects.create(recur_id="cus_q", email=user.email, owner=user)
    return Subscription.objects.create(
        recur_id="sub_q", customer=customer, status="ACTIVE", amount=299
    )


def test_a_renewal_takes_the_same_few_queries_whatever_the_ledger_holds(client, subscriber):
    seed_payments(subscriber.customer, subscriber, 10, 0)
    count(client, renewal(0))  # warm caches (the product list)
    few = count(client, renewal(1))
    seed_payments(subscriber.customer, subscriber, 1990, 10)
    many = count(client, renewal(2))
    assert few == many
    assert all(few[name] <= RENEWAL[name] for name in RENEWAL), (few, RENEWAL)
    paid = Payment.objects.filter(invoice_id__in=["in_q1", "in_q2"], status="paid")
    assert [(p.order_id, p.kind, p.owner_id) for p in paid.order_by("pk")] == [
        ("ord_q1", "renewal", subscriber.customer.owner_id),
        ("ord_q2", "renewal", subscriber.customer.owner_id),
    ]
    # Every event of the trio says what happened: processed (the order too).
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_first_purchase_full_path(client, user, webhook_fast_path):
    """checkout.completed then its order.paid (the full path; on PostgreSQL with the fast
    path on, the first event is one statement)."""
    if webhook_fast_path:
        pytest.skip("pinned on the full path")
    Customer.objects.create(recur_id="cus_a", owner=user, email=user.email)
    txn = make_transaction(user)
    data = completed_data(txn, customer_id="cus_a", order_id="ord_first")
    order = {
        "id": "ord_first",
        "checkout_id": txn.checkout_session_id,
        "amount": 100,
        "customer_id": "cus_a",
        "metadata": {"transaction_id": txn.public_id},
    }
    counts = count(client, [("checkout.completed", data), ("order.paid", order)])
    assert counts == {"checkout.completed": 10 + LOCK, "order.paid": 6 + LOCK}, counts
    assert Payment.objects.get().transaction == txn
