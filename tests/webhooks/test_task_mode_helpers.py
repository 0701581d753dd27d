"""Testing a task-mode project: ``recur_django.testing.run_webhook_tasks`` and the emulator
fixture apply what waits for the worker, with the worker's code, whatever the backend."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from recur_django import tasks
from recur_django.models import Transaction, WebhookEvent
from recur_django.testing import checkout_completed, post_event, run_webhook_tasks
from tests.recur_helpers import make_transaction

FRAMEWORK = tasks._module.__name__ if tasks.available() else "django.tasks"
DUMMY = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}


@pytest.fixture
def task_mode(settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_PROCESSING": "task"}


@pytest.mark.django_db
def test_run_webhook_tasks_applies_what_the_endpoint_stored(client, user, task_mode):
    txn = make_transaction(user)
    response = post_event(client, checkout_completed(transaction=txn))
    assert response.json()["status"] == "received"
    event_id = response.json()["id"]
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING  # stored, waiting for a worker

    assert run_webhook_tasks() == {event_id: "processed"}
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert WebhookEvent.objects.get(event_id=event_id).attempts == 1
    assert run_webhook_tasks() == {}  # nothing waits any more: never applied twice


@pytest.mark.django_db
def test_run_webhook_tasks_with_nothing_waiting_does_nothing():
    assert run_webhook_tasks() == {}


@pytest.mark.skipif(not tasks.available(), reason="no tasks framework installed")
def test_the_emulator_fixture_runs_the_tasks_a_worker_would(recur_emulator, user, settings):
    settings.TASKS = DUMMY  # tasks are recorded, never run: only a worker would apply them
    settings.RECUR = {**settings.RECUR, "WEBHOOK_PROCESSING": "task"}
    shopper = Client()
    shopper.force_login(user)
    assert shopper.post(reverse("recur:checkout"), {"product": "ebook"}).status_code == 303
    txn = Transaction.objects.get()
    assert recur_emulator.pay(txn.checkout_session_id).status_code == 303

    deliveries = recur_emulator.deliver(run_tasks=False)
    assert deliveries and all(d.status == "SUCCEEDED" for d in deliveries)
    assert WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).exists()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING

    recur_emulator.deliver()  # nothing new to send; the stored events are applied
    assert not WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).exists()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
