"""The webhook endpoint: size cap, signature, envelope, storage, status codes, logging."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from recur_django import signals
from recur_django.models import Transaction, WebhookEvent
from recur_django.testing import sign
from recur_django.webhooks.registry import handles
from tests.recur_helpers import (
    SECRET,
    SignalRecorder,
    assert_kept_unreadable,
    body_of,
    completed_data,
    envelope,
    make_transaction,
    post_event,
)

pytestmark = pytest.mark.django_db

RECUR = {
    "SECRET_KEY": "sk_test_tests",
    "WEBHOOK_SECRET": SECRET,
    "API_BASE": "http://127.0.0.1:1/_recur",
}


def test_get_and_head_answer_without_side_effects(client):
    url = reverse("recur:webhook")
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200
    assert not WebhookEvent.objects.exists()


def test_unknown_type_is_stored_as_ignored(client):
    with SignalRecorder(signals.webhook_received):
        response = post_event(client, envelope("coupon.updated", {"id": "cpn_1"}))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.IGNORED
    assert event.type == "coupon.updated"
    assert event.payload["data"] == {"id": "cpn_1"}


@pytest.mark.parametrize("encoding", ["base64", "hex"])
def test_base64_and_hex_signatures_are_accepted(client, encoding):
    response = post_event(client, envelope("x.y", {}), encoding=encoding)
    assert response.status_code == 200


def test_sha256_prefix_is_accepted(client):
    event = envelope("x.y", {})
    sig = "sha256=" + sign(body_of(event), SECRET, "hex")
    assert post_event(client, event, signature=sig).status_code == 200


@pytest.mark.parametrize(
    "signature",
    ["", "not-a-signature", "sha256=" + "0" * 64, "A" * 44, "x" * 600, "é"],
)
def test_bad_or_missing_signature_is_400(client, signature):
    response = post_event(client, envelope("x.y", {}), signature=signature)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


def test_signature_with_wrong_secret_is_400(client):
    response = post_event(client, envelope("x.y", {}), secret="whsec_other")
    assert response.status_code == 400


def test_secret_rotation_accepts_old_and_new(client):
    with override_settings(RECUR={**RECUR, "WEBHOOK_SECRET": ["whsec_new", "whsec_old"]}):
        assert post_event(client, envelope("x.y", {}), secret="whsec_new").status_code == 200
        assert post_event(client, envelope("x.y", {}), secret="whsec_old").status_code == 200
        assert post_event(client, envelope("x.y", {}), secret=SECRET).status_code == 400
    assert WebhookEvent.objects.count() == 2


@pytest.mark.parametrize("value", [None, "", []])
def test_no_secret_configured_fails_closed(client, value):
    with override_settings(RECUR={**RECUR, "WEBHOOK_SECRET": value}):
        response = post_event(client, envelope("x.y", {}), secret="")
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "not_configured"
        response = post_event(client, envelope("x.y", {}), signature="")
        assert response.status_code == 500
    assert not WebhookEvent.objects.exists()


def test_oversize_body_is_413_before_anything(client):
    with override_settings(RECUR={**RECUR, "WEBHOOK_MAX_BYTES": 200}):
        big = envelope("x.y", {"pad": "x" * 300})
        response = post_event(client, big)
        assert response.status_code == 413
        # Not even a valid signature is looked at.
        response = post_event(client, big, signature="")
        assert response.status_code == 413
        small = envelope("x.y", {})
        assert post_event(client, small).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_body_longer_than_declared_length_is_capped(client):
    """A lying Content-Length cannot make the view read past the cap."""
    with override_settings(RECUR={**RECUR, "WEBHOOK_MAX_BYTES": 100}):
        body = body_of(envelope("x.y", {"pad": "x" * 300}))
        response = client.post(
            reverse("recur:webhook"),
            data=body,
            content_type="application/json",
            CONTENT_LENGTH="50",
            HTTP_X_RECUR_SIGNATURE=sign(body, SECRET),
        )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"type": "x.y", "data": {}}',
        b'{"id": "", "type": "x.y", "data": {}}',
        b'{"id": "evt_1", "data": {}}',
        b'{"id": "evt_1", "type": "x.y"}',
        b'{"id": "evt_1", "type": "x.y", "data": []}',
        b'{"id": 5, "type": "x.y", "data": {}}',
        json.dumps({"id": "e" * 200, "type": "x.y", "data": {}}).encode(),
    ],
)
def test_malformed_envelope_is_400_and_kept_for_replay(client, body):
    response = post_event(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_event"
    assert_kept_unreadable(body)
    # Recur's redelivery of the same body is refused again and stored once.
    assert post_event(client, body).status_code == 400
    assert_kept_unreadable(body)


def test_event_age_limit(client):
    with override_settings(RECUR={**RECUR, "WEBHOOK_MAX_EVENT_AGE": 3600}):
        old = envelope("x.y", {})  # timestamp in the helper is 2026-01-15
        old["timestamp"] = "2020-01-01T00:00:00Z"
        assert post_event(client, old).status_code == 400
        fresh = envelope("x.y", {})
        from django.utils import timezone

        fresh["timestamp"] = timezone.now().isoformat()
        assert post_event(client, fresh).status_code == 200
        millis = envelope("x.y", {})
        millis["timestamp"] = int(timezone.now().timestamp() * 1000)
        assert post_event(client, millis).status_code == 200


def test_handler_error_rolls_back_keeps_event_and_asks_for_retry(client, user, monkeypatch):
    txn = make_transaction(user)
    from recur_django.checkout import checks

    def explode(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(checks, "map_customer", explode)
    # Without the external id the event takes the full path, where map_customer runs.
    event = envelope("checkout.completed", completed_data(txn, external_customer_id=None))
    response = post_event(client, event)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "processing_failed"
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.FAILED
    assert "RuntimeError" in stored.error
    assert "database hiccup" in stored.traceback
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING  # the UPDATE was rolled back

    # Recur retries the same event after our 500: it is applied now.
    monkeypatch.undo()
    response = post_event(client, event)
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert stored.attempts == 2
    assert stored.error == stored.traceback == ""
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_rejected_event_is_not_retried_by_redelivery(client, user):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn, amount=5))
    assert post_event(client, event).json()["status"] == "failed"
    assert post_event(client, event).json()["status"] == "duplicate"
    assert WebhookEvent.objects.get().attempts == 1


def test_custom_handler_can_be_registered(client):
    seen = []

    @handles("test.custom")
    def handler(event, data):
        seen.append((event.event_id, dict(data)))

    response = post_event(client, envelope("test.custom", {"a": 1}, id="evt_custom"))
    assert response.json()["status"] == "processed"
    assert seen == [("evt_custom", {"a": 1})]


def test_reachable_under_login_required_middleware(client):
    from django.conf import settings

    middleware = [*settings.MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        assert client.get(reverse("recur:webhook")).status_code == 200
        assert post_event(client, envelope("x.y", {})).status_code == 200


def test_csrf_is_not_required(user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_event(strict, envelope("x.y", {})).status_code == 200


def test_logs_never_contain_body_signature_or_secret(client, user, caplog):
    txn = make_transaction(user)
    caplog.set_level(logging.DEBUG, logger="recur_django")
    event = envelope("checkout.completed", completed_data(txn, amount=1, secret_note="TOPSECRET"))
    body = body_of(event)
    signature = sign(body, SECRET)
    post_event(client, event)
    post_event(client, event, signature="A" * 44)
    post_event(client, b"garbage TOPSECRET")
    text = caplog.text
    assert "webhook" in text.lower() or "Webhook" in text
    for secret_thing in (SECRET, signature, "TOPSECRET", "A" * 44, txn.user.email):
        assert secret_thing not in text
