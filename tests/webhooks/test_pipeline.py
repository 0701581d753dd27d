"""The webhook pipeline called directly: each step's outcome, replay under the same rules,
RecurEvent and EventIgnored, the stored ``retryable`` flag."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from recur_django import signals
from recur_django.exceptions import EnvelopeError, EventIgnored, EventRejected, SignatureError
from recur_django.models import Transaction, WebhookEvent
from recur_django.webhooks import Delivery, RecurEvent, deliver, replay
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

pytestmark = pytest.mark.django_db

RECUR = {"SECRET_KEY": "sk_test_tests", "WEBHOOK_SECRET": SECRET}


def signed(event: dict | bytes) -> tuple[bytes, dict[str, str]]:
    body = body_of(event)
    return body, {"X-Recur-Signature": compute_signature(body, SECRET)}


def test_size_cap_is_the_first_step():
    with override_settings(RECUR={**RECUR, "WEBHOOK_MAX_BYTES": 10}):
        out = deliver(b"x" * 11, {})
        assert (out.status, out.http_status, out.error_code) == (
            "refused",
            413,
            "payload_too_large",
        )
        assert deliver(None, {}).http_status == 413  # declared over the cap, unread
    assert not WebhookEvent.objects.exists()


def test_secrets_must_be_configured():
    with override_settings(RECUR={"SECRET_KEY": "sk_test_tests"}):
        out = deliver(*signed(envelope("x.y", {})))
    assert (out.http_status, out.error_code, out.event) == (500, "not_configured", None)


def test_signature_is_checked_before_the_envelope():
    out = deliver(b"not json", {"X-Recur-Signature": "bad"})
    assert (out.http_status, out.error_code, out.retry) == (400, "invalid_signature", False)
    assert not WebhookEvent.objects.exists()


def test_unreadable_signed_body_is_kept_and_returned():
    out = deliver(*signed(b"[1, 2]"))
    assert (out.http_status, out.error_code) == (400, "invalid_event")
    assert out.event is not None and out.event.event_id.startswith("unreadable_")
    assert out.event.event_id in out.error_message


def test_age_is_checked_against_now():
    old = envelope("x.y", {})
    old["timestamp"] = "2020-01-01T00:00:00Z"
    with override_settings(RECUR={**RECUR, "WEBHOOK_MAX_EVENT_AGE": 60}):
        out = deliver(*signed(old))
    assert (out.http_status, out.error_code) == (400, "invalid_event")
    assert "older" in out.error_message
    assert not WebhookEvent.objects.exists()


def test_store_and_dispatch_then_duplicate(user):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    out = deliver(*signed(event))
    assert isinstance(out, Delivery)
    assert (out.status, out.http_status, out.error_code, out.retry) == ("processed", 200, "", False)
    assert out.event is not None and out.event.event_id == event["id"]
    again = deliver(*signed(event))
    assert (again.status, again.http_status) == ("duplicate", 200)
    with pytest.raises(AttributeError):
        out.status = "x"  # type: ignore[misc]  # frozen


def test_stored_but_not_dispatched_is_received_and_never_a_duplicate(
    user, django_capture_on_commit_callbacks
):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    with (
        SignalRecorder(signals.webhook_received) as sent,
        django_capture_on_commit_callbacks(execute=True),
    ):
        out = deliver(*signed(event), dispatch_now=False)
    assert (out.status, out.http_status) == ("received", 200)
    assert [call["event"].event_id for call in sent.calls] == [event["id"]]
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.RECEIVED and stored.pending
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PENDING
    # Recur's redelivery applies it.
    assert deliver(*signed(event)).status == "processed"
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.COMPLETED


def test_replay_processes_a_received_event(user):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    deliver(*signed(event), dispatch_now=False)
    assert replay(event["id"]).status == "processed"
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.COMPLETED


def test_replay_applies_the_age_rule_at_first_receipt():
    event = envelope("x.y", {})
    event["timestamp"] = timezone.now().isoformat()
    with override_settings(RECUR={**RECUR, "WEBHOOK_MAX_EVENT_AGE": 60}):
        assert deliver(*signed(event)).status == "ignored"
        stored = WebhookEvent.objects.get()
        # Weeks later: still replayable, since it was fresh when it arrived.
        WebhookEvent.objects.filter(pk=stored.pk).update(
            received_at=timezone.now() + timedelta(seconds=30)
        )
        assert replay(stored).status == "ignored"
        # Stored long after its timestamp (an older release, no age limit then): refused.
        WebhookEvent.objects.filter(pk=stored.pk).update(
            received_at=timezone.now() + timedelta(days=30)
        )
        with pytest.raises(EnvelopeError, match="older"):
            replay(stored)
        out = StringIO()
        call_command("recur_replay", stored.event_id, stdout=out)
        assert f"{stored.event_id}: invalid" in out.getvalue()


def test_replay_re_verifies_the_signature():
    event = envelope("x.y", {})
    deliver(*signed(event))
    rotated = override_settings(RECUR={**RECUR, "WEBHOOK_SECRET": "whsec_rotated"})
    with rotated, pytest.raises(SignatureError):
        replay(event["id"])


def test_handlers_receive_a_recur_event_and_may_ignore_it():
    seen: list[RecurEvent] = []

    @handles("test.event_object")
    def handler(event: RecurEvent) -> None:
        seen.append(event)
        raise EventIgnored("nothing for us")

    event = envelope("test.event_object", {"customerId": "cus_1", "amount": 5})
    out = deliver(*signed(event))
    assert (out.status, out.http_status) == ("ignored", 200)
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.IGNORED and stored.error == "nothing for us"
    (got,) = seen
    assert (got.id, got.type, got.stored.pk) == (event["id"], "test.event_object", stored.pk)
    assert got.occurred_at is not None and got.occurred_at.tzinfo is not None
    assert got.occurred_at.year == 2026
    assert got.data == {"customerId": "cus_1", "amount": 5}
    assert got.reader.text("customer_id") == "cus_1"
    assert got.reader.integer("amount") == 5


def test_retryable_is_stored_by_the_pipeline():
    calls = {"n": 0}

    @handles("test.flaky")
    def flaky(event: RecurEvent) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")

    @handles("test.refused")
    def refused(event: RecurEvent) -> None:
        raise EventRejected("never")

    flaky_event = envelope("test.flaky", {})
    out = deliver(*signed(flaky_event))
    assert (out.status, out.http_status, out.retry, out.error_code) == (
        "failed",
        500,
        True,
        "processing_failed",
    )
    stored = WebhookEvent.objects.get(event_id=flaky_event["id"])
    assert stored.retryable and stored.traceback
    stored.traceback = ""  # retryable no longer derives from the traceback
    stored.save(update_fields=["traceback"])
    assert deliver(*signed(flaky_event)).status == "processed"
    stored.refresh_from_db()
    assert not stored.retryable and stored.attempts == 2

    refused_event = envelope("test.refused", {})
    out = deliver(*signed(refused_event))
    assert (out.status, out.http_status, out.retry) == ("failed", 200, False)
    assert not WebhookEvent.objects.get(event_id=refused_event["id"]).retryable
    assert deliver(*signed(refused_event)).status == "duplicate"


def test_trigger_local_runs_the_pipeline(user):
    txn = make_transaction(user)
    out = StringIO()
    call_command(
        "recur_trigger", "checkout.completed", "--local", "--transaction", txn.public_id, stdout=out
    )
    assert "locally -> processed (HTTP 200)" in out.getvalue()
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.COMPLETED
    with pytest.raises(CommandError):
        call_command("recur_trigger", "x.y", "--local", "--url", "http://x.test/", stdout=out)


def test_migration_marks_failed_rows_with_a_traceback_retryable():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("recur_django.migrations.0003_webhookevent_retryable")
    failed = WebhookEvent.Status.FAILED
    crashed = WebhookEvent.objects.create(event_id="e1", type="x", status=failed, traceback="T")
    rejected = WebhookEvent.objects.create(event_id="e2", type="x", status=failed)
    migration.mark_retryable(apps, None)
    crashed.refresh_from_db()
    rejected.refresh_from_db()
    assert crashed.retryable and not rejected.retryable


def test_deprecated_two_argument_handler_is_still_called():
    @handles("test.legacy")
    def legacy(stored, data):
        assert data == {"a": 1}
        stored.status = WebhookEvent.Status.IGNORED
        stored.error = "old style"

    out = deliver(*signed(envelope("test.legacy", {"a": 1})))
    assert out.status == "ignored"
    assert out.event is not None and out.event.error == "old style"
