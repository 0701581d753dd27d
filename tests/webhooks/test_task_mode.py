"""Task mode (``RECUR['WEBHOOK_PROCESSING'] = "task"``) on the in-process backends.

The endpoint stores the event (one row) and answers 200; a drain applies it once. Here the
default ``ImmediateBackend`` runs the wake task (a drain) as soon as the stored row
commits, and the ``DummyBackend`` keeps enqueued wakes in memory (to see retries and their
``run_after``).
A real worker process on PostgreSQL: tests/webhooks/test_task_worker.py.
"""

from __future__ import annotations

import importlib.util
import time
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from recur_django import signals, tasks
from recur_django.checks import check_webhook_processing
from recur_django.models import Transaction, WebhookEvent
from recur_django.webhooks import deferred, drain
from recur_django.webhooks.registry import handles
from recur_django.webhooks.signature import compute_signature
from tests.recur_helpers import (
    SECRET,
    SignalRecorder,
    body_of,
    completed_data,
    envelope,
    make_transaction,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not tasks.available(), reason="no tasks framework installed"),
]

TASK_MODE = {"SECRET_KEY": "sk_test_tests", "WEBHOOK_SECRET": SECRET, "WEBHOOK_PROCESSING": "task"}
FRAMEWORK = tasks._module.__name__ if tasks.available() else "django.tasks"
DUMMY = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def task_mode():
    with override_settings(RECUR=TASK_MODE):
        yield


def post(client, event: dict[str, Any]):
    body = body_of(event)
    return client.post(
        reverse("recur:webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_RECUR_SIGNATURE=compute_signature(body, SECRET),
    )


def test_endpoint_stores_and_the_task_applies_once(
    client, user, django_capture_on_commit_callbacks
):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    with SignalRecorder(signals.transaction_completed) as completed:
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, event)
        assert response.status_code == 200
        assert response.json()["status"] == "received"
        with django_capture_on_commit_callbacks(execute=True):
            again = post(client, event)
        assert again.json()["status"] == "duplicate"
        # A second wake (a --stale sweep racing the worker) applies nothing twice.
        with django_capture_on_commit_callbacks(execute=True):
            assert deferred.wake(force=True)
    txn.refresh_from_db()
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert txn.status == Transaction.Status.COMPLETED
    assert (stored.status, stored.attempts) == (WebhookEvent.Status.PROCESSED, 1)
    assert len(completed.calls) == 1


def test_the_wake_is_enqueued_only_after_the_row_commits(
    client, user, django_capture_on_commit_callbacks
):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(client, event)
    assert WebhookEvent.objects.get(event_id=event["id"]).status == WebhookEvent.Status.RECEIVED
    assert callbacks  # the wake waits for the commit
    for callback in callbacks:
        callback()
    assert WebhookEvent.objects.get(event_id=event["id"]).status == WebhookEvent.Status.PROCESSED


class _BackendDown:
    supports_defer = True

    def get_backend(self) -> Any:
        return self

    def enqueue(self, *args: Any) -> None:
        raise ConnectionError("task backend unreachable")


def test_failed_enqueue_leaves_the_event_received_for_the_stale_sweep(
    client, user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    real_task = deferred.drain_webhook_events
    monkeypatch.setattr(deferred, "drain_webhook_events", _BackendDown())
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, event)
    assert response.status_code == 200  # stored: Recur need not retry
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.RECEIVED
    assert "stay received" in caplog.text and "ConnectionError" in caplog.text

    out = StringIO()
    call_command("recur_replay", "--stale", stdout=out)  # not stale yet (10 minutes)
    assert "No stale events" in out.getvalue()
    with pytest.raises(CommandError, match="could not be woken"):
        call_command("recur_replay", "--stale", "--older-than", "0", stdout=StringIO())

    monkeypatch.setattr(deferred, "drain_webhook_events", real_task)
    WebhookEvent.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - timedelta(minutes=11)
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("recur_replay", "--stale", stdout=out)
    assert "Woke the workers for 1 of 1 stale event(s)" in out.getvalue()
    stored.refresh_from_db()
    txn.refresh_from_db()
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert txn.status == Transaction.Status.COMPLETED


def test_stale_sweep_in_sync_mode_applies_the_events_here(user):
    from recur_django.webhooks import deliver

    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    body = body_of(event)
    with override_settings(RECUR={**TASK_MODE, "WEBHOOK_PROCESSING": "sync"}):
        assert (
            deliver(
                body, {"X-Recur-Signature": compute_signature(body, SECRET)}, dispatch_now=False
            ).status
            == "received"
        )
        out = StringIO()
        call_command("recur_replay", "--stale", "--older-than", "0", stdout=out)
    assert "Processed 1 stale event(s): 1 processed" in out.getvalue()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_a_failing_handler_is_retried_with_backoff_then_left_failed(client, caplog):
    calls = {"n": 0}

    @handles("test.task_flaky")
    def flaky(event: Any) -> None:
        calls["n"] += 1
        raise RuntimeError("still broken")

    event = envelope("test.task_flaky", {})
    with override_settings(TASKS=DUMMY, RECUR={**TASK_MODE, "WEBHOOK_TASK_RETRIES": 2}):
        backend = deferred.drain_webhook_events.get_backend()
        backend.clear()
        post(client, event)  # autocommit is off in the test: wake below
        stored = WebhookEvent.objects.get(event_id=event["id"])
        assert stored.status == WebhookEvent.Status.RECEIVED
        assert deferred.wake()
        runs, delays = [], []
        while backend.results:
            result = backend.results.pop(0)
            runs.append(result)
            if result.task.run_after is not None:
                delays.append((result.task.run_after - stored.processed_at).total_seconds())
                assert not drain.due_events().exists(), "not due before its backoff"
                # The backoff has passed: move the last run back by that long.
                WebhookEvent.objects.filter(pk=stored.pk).update(
                    processed_at=stored.processed_at - timedelta(seconds=delays[-1])
                )
            deferred.drain_webhook_events.call(*result.args, **result.kwargs)
            stored.refresh_from_db()
    assert calls["n"] == 3  # the first run and two retries
    assert runs[0].task.run_after is None and [round(d) for d in delays] == [30, 60]
    assert (stored.status, stored.retryable, stored.attempts) == ("failed", True, 3)
    assert not drain.due_events().exists()
    assert "still failing after 3 runs" in caplog.text


def test_a_worker_drains_in_batches_and_each_event_once(client, user):
    txns = [make_transaction(user) for _ in range(5)]
    events = [envelope("checkout.completed", completed_data(t)) for t in txns]
    with override_settings(TASKS=DUMMY):
        for event in events:
            post(client, event)
        post(client, events[0])  # a redelivery: still one row
        done = drain.drain(batch=2)
        assert drain.drain().outcomes == {}  # nothing is due any more
    assert done.outcomes == {e["id"]: "processed" for e in events}
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}
    assert Transaction.objects.filter(status=Transaction.Status.COMPLETED).count() == 5


def test_wakes_are_throttled_per_process(monkeypatch):
    enqueued: list[Any] = []

    class Recording:
        supports_defer = True

    class Task:
        def get_backend(self) -> Any:
            return Recording()

        def enqueue(self, *args: Any) -> None:
            enqueued.append(args)

    monkeypatch.setattr(deferred, "drain_webhook_events", Task())
    monkeypatch.setattr(deferred, "_last_wake", [float("-inf")])
    assert deferred.wake() and deferred.wake() and deferred.wake()
    assert len(enqueued) == 1, "one wake per WAKE_EVERY seconds, not one per event"
    (until,) = enqueued[0]
    assert until > time.time() + deferred.WAKE_EVERY - 0.5  # the worker keeps looking
    assert deferred.wake(force=True) and len(enqueued) == 2
    monkeypatch.setattr(deferred, "_last_wake", [time.monotonic() - deferred.WAKE_EVERY])
    assert deferred.wake() and len(enqueued) == 3


def test_backoff_doubles_up_to_an_hour():
    assert [drain.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert drain.backoff(20) == timedelta(hours=1)


def test_a_bad_mode_is_refused_by_the_endpoint_and_the_checks(client, caplog):
    with override_settings(RECUR={**TASK_MODE, "WEBHOOK_PROCESSING": "later"}):
        response = post(client, envelope("checkout.completed", {}))
        (message,) = check_webhook_processing()
    assert response.status_code == 500 and response.json()["error"]["code"] == "not_configured"
    assert "WEBHOOK_PROCESSING" in caplog.text
    assert message.id == "recur.E009"
    assert not WebhookEvent.objects.exists()


def test_checks_want_a_tasks_framework_and_a_worker_backend(monkeypatch):
    (immediate,) = check_webhook_processing()
    assert immediate.id == "recur.W009" and "ImmediateBackend" in immediate.msg
    with override_settings(TASKS=DUMMY):
        assert check_webhook_processing()[0].id == "recur.W009"
    monkeypatch.setattr(tasks, "task", None)
    (missing,) = check_webhook_processing()
    assert missing.id == "recur.E010"
    with override_settings(RECUR={**TASK_MODE, "WEBHOOK_PROCESSING": "sync"}):
        assert check_webhook_processing() == []


# django-tasks-db's backend without its app in INSTALLED_APPS (as in these test settings).
DB_BACKEND_WITHOUT_APP = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.skipif(
    importlib.util.find_spec("django_tasks_db") is None, reason="django-tasks-db not installed"
)
def test_django_tasks_db_without_its_app_keeps_the_event_and_fails_the_check(
    client, user, caplog, django_capture_on_commit_callbacks
):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    with override_settings(TASKS=DB_BACKEND_WITHOUT_APP):
        (message,) = check_webhook_processing()
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, event)
    assert message.id == "recur.E011"
    assert response.status_code == 200 and response.json()["status"] == "received"
    assert WebhookEvent.objects.get(event_id=event["id"]).status == WebhookEvent.Status.RECEIVED
    assert "stay received" in caplog.text


def test_admin_banner_counts_stale_and_failed_retryable_events(admin_client, user):
    txn = make_transaction(user)
    old = timezone.now() - timedelta(minutes=30)
    WebhookEvent.objects.create(event_id="evt_stale", type="checkout.completed", body=b"{}")
    WebhookEvent.objects.filter(event_id="evt_stale").update(received_at=old)
    WebhookEvent.objects.create(event_id="evt_fresh", type="checkout.completed", body=b"{}")
    WebhookEvent.objects.create(
        event_id="evt_broken", type="x", body=b"{}", status="failed", retryable=True
    )
    response = admin_client.get(reverse("admin:recur_django_webhookevent_changelist"))
    health = response.context["delivery_health"]
    assert (health["stale"], health["failed_retryable"]) == (1, 1)
    assert b"recur-delivery-warning" in response.content
    assert b"recur_replay --stale" in response.content
    assert txn.status == Transaction.Status.PENDING
