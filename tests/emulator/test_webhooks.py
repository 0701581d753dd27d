from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from recur_django.emulator import sender
from recur_django.emulator.models import Event, WebhookDelivery
from recur_django.webhooks.signature import SignatureError, verify_signature

VECTOR_BODY = (
    '{"id":"evt_test_1","type":"checkout.completed","timestamp":"2025-01-15T10:30:00.000Z",'
    '"data":{"id":"chk_test_1"}}'
)
VECTOR = {
    "base64": "IO9AC6ah94xN1bbQSLo3b/1k54WG222rO8dvLUlVYVM=",
    "hex": "20ef400ba6a1f78c4dd5b6d048ba376ffd64e78586db6dab3bc76f2d49556153",
}


@pytest.mark.parametrize("encoding", ["base64", "hex"])
def test_signature_matches_documented_vector(recur_emulator, capture, settings, encoding):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "WEBHOOK_SIGNATURE_ENCODING": encoding}
    event = Event.objects.create(
        event_id="evt_test_1",
        type="checkout.completed",
        timestamp=datetime(2025, 1, 15, 10, 30, tzinfo=UTC),
        data={"id": "chk_test_1"},
        body=VECTOR_BODY,
    )
    WebhookDelivery.objects.create(
        event=event, url=settings.RECUR_EMULATOR["WEBHOOK_URL"], status="PENDING"
    )
    recur_emulator.deliver()
    headers, body = capture.requests[0]
    assert body.decode() == VECTOR_BODY
    assert headers["X-Recur-Signature"] == VECTOR[encoding]
    assert headers["X-Recur-Timestamp"] == "1736937000000"
    assert headers["X-Recur-Event-Id"] == "evt_test_1"
    assert headers["X-Recur-Event-Type"] == "checkout.completed"
    assert headers["Content-Type"] == "application/json"


def test_failed_delivery_is_retried_and_every_attempt_recorded(recur_emulator, api, capture):
    capture.statuses.extend([500, 503])
    api.checkout("prod_ebook")  # emits checkout.created
    first = recur_emulator.deliver()[0]
    first.refresh_from_db()
    assert first.status == "PENDING" and first.attempt_count == 1
    assert first.next_attempt_at is not None
    recur_emulator.deliver()
    recur_emulator.deliver()
    first.refresh_from_db()
    assert first.status == "SUCCEEDED"
    attempts = list(first.attempts.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 503, 200]
    assert [a.succeeded for a in attempts] == [False, False, True]
    assert '"received": true' in attempts[-1].response_snippet
    assert len(capture.requests) == 3
    assert len({h["X-Recur-Event-Id"] for h, _ in capture.requests}) == 1


def test_delivery_gives_up_after_the_schedule(recur_emulator, api, capture, settings):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "WEBHOOK_RETRY_SCHEDULE": [0]}
    capture.statuses.extend([500, 500, 500])
    api.checkout("prod_ebook")
    recur_emulator.deliver()
    recur_emulator.deliver()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "FAILED"
    assert delivery.attempt_count == 2
    assert recur_emulator.deliver() == []


def test_unreachable_endpoint_is_recorded_as_an_error(recur_emulator, api, settings):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "WEBHOOK_URL": "http://127.0.0.1:9/x"}
    api.checkout("prod_ebook")
    delivery = recur_emulator.deliver()[0]
    attempt = delivery.attempts.get()
    assert attempt.status_code is None and attempt.error
    assert not attempt.succeeded


def test_delivery_off_records_events_without_deliveries(recur_emulator, api, settings):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "WEBHOOK_DELIVERY": "off"}
    api.checkout("prod_ebook")
    assert [e["type"] for e in recur_emulator.events()] == ["checkout.created"]
    assert not WebhookDelivery.objects.exists()


def test_rolled_back_state_change_sends_nothing(recur_emulator, api):
    from django.db import transaction

    from recur_django.emulator import outbox

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.emit("customer.created", {"id": "cus_x"})
        raise RuntimeError
    assert recur_emulator.events() == []
    assert recur_emulator.deliver() == []


def test_background_sender_thread_delivers(recur_emulator, api, capture):
    # One pass of the sender loop, as the daemon thread runs it.
    api.checkout("prod_ebook")
    assert sender.deliver_pending(due_only=True)
    assert len(capture.requests) == 1
    assert json.loads(capture.requests[0][1])["type"] == "checkout.created"


def test_project_webhook_endpoint_receives_signed_events(recur_emulator, api):
    """The fixture wires deliveries to recur:webhook with the project's secret."""
    api.checkout("prod_ebook")
    delivery = recur_emulator.deliver()[0]
    assert delivery.url.endswith("/billing/webhook/")
    body = delivery.event.body.encode()
    headers = sender.headers_for(delivery)
    verify_signature(body, headers, ["whsec_test_secret"])
    with pytest.raises(SignatureError):
        verify_signature(body, headers, ["whsec_other"])


@pytest.mark.postgres_only
def test_background_sender_delivers_after_commit_and_retries(
    recur_emulator, api, capture, settings
):
    """The real daemon thread (PostgreSQL only: it needs its own connection)."""
    import time

    settings.RECUR_EMULATOR = {
        **settings.RECUR_EMULATOR,
        "WEBHOOK_DELIVERY": "background",
        "WEBHOOK_RETRY_SCHEDULE": [0.2],
    }
    capture.statuses.append(500)
    api.checkout("prod_ebook")
    deadline = time.monotonic() + 10  # a real thread retries after 0.2 s of real time
    while len(capture.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(capture.requests) == 2
    delivery = WebhookDelivery.objects.get()
    # The real sender thread records the outcome after the answer: poll with a deadline.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == "SUCCEEDED":
            break
        time.sleep(0.05)
    assert delivery.status == "SUCCEEDED"
    assert [a.status_code for a in delivery.attempts.order_by("number")] == [500, 200]
