"""Task mode (``RECUR['WEBHOOK_PROCESSING'] = "task"``) on the in-process backends.

The endpoint stores the event and answers 200; the task applies it once. Here the default
``ImmediateBackend`` runs the task as soon as the stored row commits, and the
``DummyBackend`` keeps enqueued tasks in memory (to see retries and their ``run_after``).
A real worker process on PostgreSQL: tests/webhooks/test_task_worker.py.
"""

from __future__ import annotations

import importlib.util
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
from recur_django.webhooks import deferred
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
        # A second task for the same event (a --stale sweep racing the worker) is a no-op.
        with django_capture_on_commit_callbacks(execute=True):
            assert deferred.enqueue(event["id"])
    txn.refresh_from_db()
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert txn.status == Transaction.Status.COMPLETED
    assert (stored.status, stored.attempts) == (WebhookEvent.Status.PROCESSED, 1)
    assert len(completed.calls) == 1


def test_the_task_is_enqueued_only_after_the_row_commits(
    client, user, django_capture_on_commit_callbacks
):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(client, event)
    assert WebhookEvent.objects.get(event_id=event["id"]).status == WebhookEvent.Status.RECEIVED
    assert callbacks  # the enqueue waits for the commit
    for callback in callbacks:
        callback()
    assert WebhookEvent.objects.get(event_id=event["id"]).status == WebhookEvent.Status.PROCESSED


class _BackendDown:
    def enqueue(self, *args: Any) -> None:
        raise ConnectionError("task backend unreachable")


def test_failed_enqueue_leaves_the_event_received_for_the_stale_sweep(
    client, user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    real_task = deferred.process_webhook_event
    monkeypatch.setattr(deferred, "process_webhook_event", _BackendDown())
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, event)
    assert response.status_code == 200  # stored: Recur need not retry
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.RECEIVED
    assert "stays received" in caplog.text and "ConnectionError" in caplog.text

    out = StringIO()
    call_command("recur_replay", "--stale", stdout=out)  # not stale yet (10 minutes)
    assert "No stale events" in out.getvalue()
    with pytest.raises(CommandError, match="could not be enqueued"):
        call_command("recur_replay", "--stale", "--older-than", "0", stdout=StringIO())

    monkeypatch.setattr(deferred, "process_webhook_event", real_task)
    WebhookEvent.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - timedelta(minutes=11)
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("recur_replay", "--stale", stdout=out)
    assert "Enqueued 1 of 1 stale event(s)" in out.getvalue()
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


def test_a_failing_handler_is_retried_with_backoff_then_left_failed(client):
    calls = {"n": 0}

    @handles("test.task_flaky")
    def flaky(event: Any) -> None:
        calls["n"] += 1
        raise RuntimeError("still broken")

    event = envelope("test.task_flaky", {})
    with override_settings(TASKS=DUMMY, RECUR={**TASK_MODE, "WEBHOOK_TASK_RETRIES": 2}):
        backend = deferred.process_webhook_event.get_backend()
        backend.clear()
        post(client, event)  # autocommit is off in the test: run the queued enqueue below
        stored = WebhookEvent.objects.get(event_id=event["id"])
        assert stored.status == WebhookEvent.Status.RECEIVED
        assert deferred.enqueue(event["id"])
        runs = []
        while backend.results:
            result = backend.results.pop(0)
            runs.append(result)
            deferred.process_webhook_event.call(*result.args, **result.kwargs)
    assert calls["n"] == 3  # the first run and two retries
    assert [r.args for r in runs] == [[event["id"]], [event["id"], 2], [event["id"], 3]]
    delays = [(r.task.run_after - r.enqueued_at).total_seconds() for r in runs[1:]]
    assert runs[0].task.run_after is None and [round(d) for d in delays] == [30, 60]
    stored.refresh_from_db()
    assert (stored.status, stored.retryable, stored.attempts) == ("failed", True, 3)


def test_backoff_doubles_up_to_an_hour():
    assert [deferred.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert deferred.backoff(20) == timedelta(hours=1)


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
    assert "stays received" in caplog.text


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
