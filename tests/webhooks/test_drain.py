"""The task-mode queue (recur_django.webhooks.drain): concurrent workers on PostgreSQL claim
stored events with SKIP LOCKED, several per transaction, and apply each exactly once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings

from recur_django import signals
from recur_django.customers import external_id_for
from recur_django.models import Payment, Transaction, WebhookEvent
from recur_django.testing import post_event
from recur_django.webhooks import dispatch, drain
from recur_django.webhooks.signature import compute_signature
from tests.recur_helpers import (
    SECRET,
    SignalRecorder,
    body_of,
    completed_data,
    envelope,
    make_transaction,
    run_together,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _store(event: dict) -> None:
    body = body_of(event)
    headers = {"X-Recur-Signature": compute_signature(body, SECRET)}
    assert dispatch.store(body, headers, event).status == WebhookEvent.Status.RECEIVED


def _paid(txn: Transaction, **overrides) -> dict:
    data = completed_data(txn, external_customer_id=external_id_for(txn.user), **overrides)
    return envelope("checkout.completed", data)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "full"])
def test_concurrent_drains_and_redeliveries_apply_each_event_once(django_user_model, fast):
    users = [django_user_model.objects.create_user(f"d{i}", f"d{i}@example.com") for i in range(24)]
    events = [_paid(make_transaction(user)) for user in users]
    events.append(_paid(make_transaction(users[0]), amount=1))  # rejected: failed, once
    for event in events:
        _store(event)

    def work(i: int) -> dict[str, str]:
        if i % 3 == 2:  # Recur redelivering while the workers drain
            return {e["id"]: post_event(Client(), e).json()["status"] for e in events[i::3]}
        return drain.drain(batch=4).outcomes

    with (
        override_settings(RECUR={**_recur(), "WEBHOOK_FAST_PATH": fast}),
        SignalRecorder(signals.transaction_completed) as completed,
    ):
        answers = run_together(work, 6)
    applied = [s for a in answers for s in a.values() if s in ("processed", "failed")]
    assert len(applied) == len(events), answers  # each event applied by exactly one worker
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}
    assert WebhookEvent.objects.filter(status="processed").count() == len(users)
    assert Transaction.objects.filter(status="completed").count() == len(users)
    assert Payment.objects.count() == len(users)
    announced = [call["transaction"].pk for call in completed.calls]
    assert len(announced) == len(set(announced)) == len(users)
    assert drain.drain().outcomes == {}


def _recur() -> dict:
    from django.conf import settings

    return dict(settings.RECUR)


def test_a_handler_error_is_kept_to_its_event_in_the_batch(django_user_model):
    users = [django_user_model.objects.create_user(f"b{i}", f"b{i}@example.com") for i in range(3)]
    events = [_paid(make_transaction(user)) for user in users]
    events.insert(1, envelope("checkout.completed", {"id": "cs_unknown", "amount": "x"}))
    for event in events:
        _store(event)
    done = drain.drain(batch=10)
    assert list(done.outcomes.values()).count("processed") == 3
    assert Transaction.objects.filter(status="completed").count() == 3
    assert not drain.due_events().exists()


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "full"])
def test_an_event_waiting_for_another_transactions_lock_is_applied_alone(django_user_model, fast):
    """In a batch a lock wait is cut short (lock_timeout); the event is applied after the
    batch's commit, not failed, and the others are not held up."""
    import threading

    from django.db import connection, transaction

    users = [django_user_model.objects.create_user(f"l{i}", f"l{i}@example.com") for i in range(3)]
    txns = [make_transaction(user) for user in users]
    for txn in txns:
        _store(_paid(txn))
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Transaction.objects.select_for_update().get(pk=txns[1].pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    threading.Timer(1.0, release.set).start()
    with override_settings(RECUR={**_recur(), "WEBHOOK_FAST_PATH": fast}):
        done = drain.drain(batch=10)
    holder.join(10)
    assert done.outcomes == {e: "processed" for e in done.outcomes} and len(done.outcomes) == 3
    assert set(WebhookEvent.objects.values_list("status", "attempts")) == {("processed", 1)}
    assert Transaction.objects.filter(status="completed").count() == 3
