"""Concurrent deliveries on PostgreSQL: 8 threads released together by a barrier."""

from __future__ import annotations

import pytest
from django.test import Client

from recur_django import signals
from recur_django.checkout import fulfil
from recur_django.models import Transaction, WebhookEvent
from tests.recur_helpers import (
    SignalRecorder,
    completed_data,
    envelope,
    make_transaction,
    post_event,
    run_together,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 8


def test_same_event_from_8_threads_fulfils_once(user):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    with (
        SignalRecorder(signals.transaction_completed) as completed,
        SignalRecorder(signals.webhook_received) as received,
    ):
        responses = run_together(lambda i: post_event(Client(), event), THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["duplicate"] * (THREADS - 1) + ["processed"]
    assert len(completed.calls) == 1
    assert len(received.calls) == 1
    assert WebhookEvent.objects.count() == 1
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_distinct_events_for_one_payment_fulfil_once(user):
    """Different event ids (checkout.completed, order.paid, redeliveries) racing each other."""
    txn = make_transaction(user)

    def deliver(i):
        if i % 2:
            data = {"id": f"ord_{i}", "checkout_id": txn.checkout_session_id, "amount": 100}
            return post_event(Client(), envelope("order.paid", data))
        return post_event(Client(), envelope("checkout.completed", completed_data(txn)))

    with SignalRecorder(signals.transaction_completed) as completed:
        responses = run_together(deliver, THREADS)
    assert {r.status_code for r in responses} == {200}
    assert len(completed.calls) == 1
    assert WebhookEvent.objects.filter(status="processed").count() == THREADS


def test_return_page_and_webhooks_race(user):
    txn = make_transaction(user)
    data = completed_data(txn)

    def act(i):
        if i < THREADS // 2:
            return fulfil(txn.public_id, session_data=data, source="return_page").changed
        return post_event(Client(), envelope("checkout.completed", data)).status_code

    with SignalRecorder(signals.transaction_completed) as completed:
        results = run_together(act, THREADS)
    assert len(completed.calls) == 1
    assert results.count(True) + (1 if completed.calls[0]["source"] == "webhook" else 0) == 1
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
