"""A raising signal receiver is logged and skipped: the delivery that caused it answers
200, the change it announced stands, later receivers still run, and Recur's redelivery
is a duplicate that is not processed (or signalled) twice.

The database is transactional here, so on-commit receivers run inside the request,
exactly where a raising one used to turn a committed delivery into a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.dispatch import Signal

from recur_django import signals
from recur_django.models import Subscription, Transaction, WebhookEvent
from tests.recur_helpers import completed_data, envelope, make_transaction, post_event
from tests.subscriptions.factories import sub_data

pytestmark = pytest.mark.django_db(transaction=True)


def broken_receiver(sender: Any, **kwargs: Any) -> None:
    raise RuntimeError("a bug in the integrator's receiver")


@contextmanager
def broken_then_recording(signal: Signal) -> Iterator[list[dict[str, Any]]]:
    """Connect a raising receiver, then one that records what it was sent."""
    calls: list[dict[str, Any]] = []

    def recorder(sender: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    signal.connect(broken_receiver, weak=False)
    signal.connect(recorder, weak=False)
    try:
        yield calls
    finally:
        signal.disconnect(broken_receiver)
        signal.disconnect(recorder)


def _checkout_completed(user: Any) -> tuple[dict[str, Any], Callable[[], None]]:
    txn = make_transaction(user)

    def stands() -> None:
        txn.refresh_from_db()
        assert txn.status == Transaction.Status.COMPLETED

    return envelope("checkout.completed", completed_data(txn)), stands


def _payment_failed(user: Any) -> tuple[dict[str, Any], Callable[[], None]]:
    txn = make_transaction(user)
    data = {
        "id": "ord_declined",
        "checkout_session_id": txn.checkout_session_id,
        "metadata": {"transaction_id": txn.public_id},
        "failure_reason": "card declined",
    }

    def stands() -> None:
        txn.refresh_from_db()
        assert txn.status == Transaction.Status.FAILED
        assert txn.failure_reason == "card declined"

    return envelope("order.payment_failed", data), stands


def _subscription_created(user: Any) -> tuple[dict[str, Any], Callable[[], None]]:
    def stands() -> None:
        assert Subscription.objects.get(recur_id="sub_signal").status == "ACTIVE"

    return envelope("subscription.created", sub_data("sub_signal")), stands


CASES = {
    "webhook_received": (signals.webhook_received, _subscription_created),
    "transaction_completed": (signals.transaction_completed, _checkout_completed),
    "transaction_failed": (signals.transaction_failed, _payment_failed),
    "subscription_changed": (signals.subscription_changed, _subscription_created),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_raising_receiver_is_logged_and_skipped(
    name: str, client: Any, user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    signal, build = CASES[name]
    event, change_stands = build(user)
    with broken_then_recording(signal) as calls, caplog.at_level(logging.ERROR):
        response = post_event(client, event)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "processed"
        change_stands()
        assert len(calls) == 1, "the receiver after the raising one did not run"
        logged = [
            r
            for r in caplog.records
            if r.name == "recur_django.signals" and "broken_receiver" in r.getMessage()
        ]
        assert len(logged) == 1 and logged[0].exc_info is not None
        assert "RuntimeError" in logged[0].getMessage()

        # Recur's redelivery of the same event is a duplicate: nothing runs twice.
        again = post_event(client, event)
        assert again.status_code == 200, again.content
        assert again.json()["status"] == "duplicate"
        assert len(calls) == 1
        change_stands()
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.PROCESSED and stored.attempts == 1


def test_a_raising_receiver_outside_a_transaction_is_skipped_too(
    user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """In autocommit mode the sender runs receivers at once, with the same protection."""
    txn = make_transaction(user)
    with broken_then_recording(signals.transaction_completed) as calls:
        signals.send_after_commit(
            signals.transaction_completed,
            sender=Transaction,
            transaction=txn,
            event=None,
            source="test",
        )
    assert len(calls) == 1 and calls[0]["source"] == "test"
    assert any(r.name == "recur_django.signals" for r in caplog.records)
