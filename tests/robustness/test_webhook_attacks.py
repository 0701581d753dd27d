"""Bad input at ``recur:webhook``: never a crash, never a lost delivery."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import call_command
from django.db import transaction as db_transaction
from django.test import Client
from django.urls import reverse

from recur_django import testing
from recur_django.checkout import start_checkout
from recur_django.models import Subscription, Transaction, WebhookEvent
from recur_django.testing import sign
from tests.recur_helpers import (
    SECRET,
    assert_kept_unreadable,
    body_of,
    completed_data,
    envelope,
    event_id,
    make_transaction,
    post_event,
)
from tests.robustness.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def signed_post(client, body: bytes, **extra):
    """Only a valid signature: no other X-Recur header."""
    return testing.post_event(
        client, body, secret=SECRET, headers={"X-Recur-Timestamp": None}, **extra
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"[1, 2]",
        b'"evt_1"',
        b"42",
        b"null",
        b"true",
        b"{}",
        b'{"id": 1, "type": "checkout.completed", "data": {}}',
        b'{"id": ["evt"], "type": "checkout.completed", "data": {}}',
        b'{"id": "evt_1", "type": {"a": 1}, "data": {}}',
        b'{"id": "evt_1", "type": "checkout.completed", "data": []}',
        b'{"id": "evt_1", "type": "checkout.completed", "data": "x"}',
        b'{"id": "evt_1", "type": "checkout.completed"}',
        b'{"id": "   ", "type": "checkout.completed", "data": {}}',
        b'{"id": "evt_1", "type": "checkout.completed", "data": {}, "timestamp": []}',
        b'{"id": "evt_nan", "type": "checkout.completed", "data": {"amount": NaN}}',
        b'{"id": "evt_inf", "type": "subscription.updated", "data": {"amount": Infinity}}',
        b'{"id": "evt_big", "type": "x", "data": {"amount": 1' + b"0" * 5000 + b"}}",
        b'{"id": "evt_deep", "type": "x", "data": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    ],
)
def test_malformed_signed_bodies_answer_400(client, body):
    response = signed_post(client, body)
    assert_error_shape(response, 400)
    assert_kept_unreadable(body)


def test_id_longer_than_the_column_is_refused(client):
    event = envelope("checkout.completed", {}, id="evt_" + "x" * 200)
    response = post_event(client, event)
    body = assert_error_shape(response, 400)
    assert "longer" in body["error"]["message"]
    assert_kept_unreadable(body_of(event))


@pytest.mark.parametrize(
    "data",
    [
        {"id": "cs_x", "status": "completed", "amount": "abc"},
        {"id": "cs_x", "status": "completed", "amount": 10**30},
        {"id": "cs_x", "status": "completed", "amount": 1.5},
        {"id": "cs_x", "status": "completed", "amount": [1]},
        {"id": "cs_x", "status": "completed", "amount": {"v": 1}},
        {"id": ["cs"], "status": {"x": 1}, "metadata": "txn_1"},
        {"id": "cs_x", "metadata": [1, 2], "customer": 5, "currency": 7},
        {"id": "cs_x", "metadata": {"transaction_id": ["txn"]}},
        {"id": "cs_x", "metadata": {"transaction_id": 12345}},
        {"id": "cs_x", "status": None, "customer_email": {"a": 1}},
        {"id": "cs_\u00e9\u4e2d\U0001f600", "status": "completed"},
        {"id": "cs_x" * 100, "metadata": {"transaction_id": "txn_" + "9" * 500}},
    ],
)
def test_wrong_types_in_checkout_data_are_stored_not_crashed(client, data):
    event = envelope("checkout.completed", data)
    response = post_event(client, event)
    assert response.status_code == 200, response.content
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert bytes(stored.body) == json.dumps(event, separators=(",", ":")).encode()
    assert stored.status in {"failed", "ignored", "processed"}


@pytest.mark.parametrize(
    "data",
    [
        {"id": "sub_1", "status": "active", "amount": 10**30},
        {"id": "sub_1", "status": "active", "amount": -(10**30)},
        {"id": "sub_1", "status": "active", "amount": "1e400"},
        {"id": "sub_1", "status": "active", "amount": 1e308},
        {"id": "sub_1", "status": ["active"], "current_period_end": 10**30},
        {"id": "sub_1", "status": "active", "current_period_end": "99999999999999999999"},
        {"id": "sub_1", "status": "active", "current_period_end": -(10**20)},
        {"id": "sub_1", "status": "active", "current_period_end": "not a date"},
        {"id": "sub_1", "status": "active", "current_period_end": "9999-99-99T99:99:99Z"},
        {"id": "sub_1", "status": "active", "cancel_at_period_end": "yes"},
        {"id": "sub_1", "customer": {"id": ["cus"]}, "product": 5},
        {"id": "sub_1", "customer": "cus_" + "x" * 300, "product_id": "p" * 500},
        {"id": "sub_" + "x" * 300, "status": "active"},
        {"id": "sub_1", "currency": 3, "interval": {"x": 1}, "interval_count": "many"},
        {"id": "sub_1", "customer_email": ["a@b"], "customer_id": 77},
        {"id": {"nested": True}},
        {"id": 12},
    ],
)
def test_wrong_types_in_subscription_data_are_stored_not_crashed(client, data):
    event = envelope("subscription.updated", data)
    response = post_event(client, event)
    assert response.status_code == 200, response.content
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status in {"failed", "ignored", "processed"}, stored.error


def test_huge_envelope_timestamp_is_harmless(client, settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_MAX_EVENT_AGE": 3600}
    for ts in (10**30, -(10**30), 1e308, "garbage", "9999-99-99"):
        event = envelope("unknown.kind", {})
        event["timestamp"] = ts
        response = post_event(client, event)
        assert_error_shape(response, 400)


def test_huge_timestamp_without_age_check_is_stored(client):
    event = envelope("subscription.updated", {"id": "sub_1", "status": "active"})
    event["timestamp"] = 10**30
    response = post_event(client, event)
    assert response.status_code == 200
    assert Subscription.objects.filter(recur_id="sub_1").exists()


def test_unicode_everywhere_is_stored(client):
    event = envelope(
        "訂閱.更新", {"名字": "測試 \U0001f600", "metadata": {"鍵": "值"}}, id="evt_中文_\u00e9"
    )
    response = post_event(client, event)
    assert response.status_code == 200
    stored = WebhookEvent.objects.get(event_id="evt_中文_\u00e9")
    assert stored.status == "ignored"
    assert stored.payload["data"]["名字"] == "測試 \U0001f600"


@pytest.mark.parametrize(
    "raw",
    [
        '{"id": "evt_sur", "type": "x", "data": {"v": "\\ud800"}}',
        '{"id": "evt_\\ud800", "type": "x", "data": {}}',
        '{"id": "evt_nul", "type": "x", "data": {"v": "a\\u0000b"}}',
        '{"id": "evt_\\u0000", "type": "x", "data": {}}',
    ],
)
def test_lone_surrogates_and_nul_never_crash(client, raw):
    response = signed_post(client, raw.encode())
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert_error_shape(response)


def test_missing_content_length_is_read_up_to_the_cap(client, settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_MAX_BYTES": 64}
    body = json.dumps(envelope("x", {"pad": "y" * 200})).encode()
    response = client.generic(
        "POST",
        reverse("recur:webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_RECUR_SIGNATURE=sign(body, SECRET),
        CONTENT_LENGTH="",
    )
    # Django reads nothing without a Content-Length: an empty body, refused as such.
    assert response.status_code in (400, 413)
    assert_error_shape(response)


def test_lying_content_length_bigger_than_the_cap(client, settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_MAX_BYTES": 64}
    response = client.generic(
        "POST",
        reverse("recur:webhook"),
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH="9999999",
    )
    assert_error_shape(response, 413)


def test_garbage_content_length(client):
    body = json.dumps(envelope("x", {})).encode()
    response = client.generic(
        "POST",
        reverse("recur:webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_RECUR_SIGNATURE=sign(body, SECRET),
        CONTENT_LENGTH="-5",
    )
    assert response.status_code < 500


def test_duplicate_id_with_a_different_body_keeps_the_first(client):
    first = envelope("unknown.kind", {"v": 1}, id="evt_dup")
    second = envelope("unknown.kind", {"v": 2}, id="evt_dup")
    assert post_event(client, first).status_code == 200
    response = post_event(client, second)
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    stored = WebhookEvent.objects.get(event_id="evt_dup")
    assert stored.payload["data"] == {"v": 1}


@pytest.mark.parametrize(
    "signature",
    ["", "x", "sha256=", "é" * 10, "a" * 64, "z" * 5000, "sha256=" + "=" * 44, "\x00\x01"],
)
def test_bad_signatures_answer_400(client, signature):
    event = envelope("unknown.kind", {})
    response = (
        post_event(client, event, signature=signature)
        if signature
        else client.post(
            reverse("recur:webhook"), data=json.dumps(event), content_type="application/json"
        )
    )
    assert_error_shape(response, 400)
    assert not WebhookEvent.objects.exists()


def test_bad_signature_logs_nothing_secret(client, caplog):
    event = envelope("checkout.completed", {"id": "cs_secret_body_marker", "amount": 100})
    body = json.dumps(event).encode()
    forged = sign(body, "whsec_wrong_secret")
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            reverse("recur:webhook"),
            data=body,
            content_type="application/json",
            HTTP_X_RECUR_SIGNATURE=forged,
        )
    assert response.status_code == 400
    assert caplog.records, "a refused delivery should be logged"
    text = "\n".join(r.getMessage() for r in caplog.records)
    for needle in (forged, SECRET, "whsec_", "sk_test_tests", "cs_secret_body_marker"):
        assert needle not in text
    assert body.decode() not in text


def test_handler_failure_logs_nothing_secret(client, caplog, user):
    txn = make_transaction(user, amount=100)
    data = {
        "id": txn.checkout_session_id,
        "status": "completed",
        "amount": 999,
        "currency": "TWD",
        "customer_email": "alice-secret@example.com",
        "metadata": {"transaction_id": txn.public_id},
    }
    event = envelope("checkout.completed", data)
    body = json.dumps(event, separators=(",", ":")).encode()
    signature = sign(body, SECRET)
    with caplog.at_level(logging.DEBUG):
        response = post_event(client, event)
    assert response.status_code == 200
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert signature not in text and SECRET not in text and "alice-secret" not in text


def test_event_id_header_is_not_the_dedupe_key(client):
    first = envelope("unknown.kind", {})
    second = envelope("unknown.kind", {})
    post_event(client, first, HTTP_X_RECUR_EVENT_ID="same")
    post_event(client, second, HTTP_X_RECUR_EVENT_ID="same")
    assert WebhookEvent.objects.count() == 2


def test_unknown_event_id_generator_still_unique():
    assert event_id() != event_id()


def test_out_of_range_subscription_amount_is_dropped_not_stored(client):
    post_event(client, envelope("subscription.updated", {"id": "sub_9", "amount": 299}))
    response = post_event(
        client, envelope("subscription.updated", {"id": "sub_9", "amount": 10**30})
    )
    assert response.status_code == 200
    assert Subscription.objects.get(recur_id="sub_9").amount == 299


# --------------------------------------------------------------------------- what was paid


@pytest.mark.parametrize("amount", [True, False, ""])
def test_a_malformed_amount_is_rejected_like_abc(client, user, amount):
    txn = make_transaction(user, amount=100)
    event = envelope("checkout.completed", completed_data(txn, amount=amount))
    response = post_event(client, event)
    assert response.status_code == 200, response.content
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.FAILED and not stored.retryable
    assert "not a whole number" in stored.error
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def paid_on_the_emulator(recur_emulator, user) -> tuple[Transaction, dict]:
    """A transaction paid on the emulator, and the checkout.completed data it emitted."""
    txn = start_checkout(
        user,
        "credits-100",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/",
    )
    assert recur_emulator.pay(txn.checkout_session_id).status_code == 303
    data = recur_emulator.events("checkout.completed")[-1]["data"]
    assert data["id"] == txn.checkout_session_id and data["amount"] == 100
    return txn, data


@pytest.fixture
def retrieves(recur_emulator, monkeypatch):
    """Records each checkout-session retrieve (and whether a transaction was open)."""
    sessions = recur_emulator.client.checkout_sessions
    real = sessions.retrieve
    calls: list[tuple[str, bool]] = []

    def spy(session_id, *args, **kwargs):
        calls.append((session_id, db_transaction.get_autocommit()))
        return real(session_id, *args, **kwargs)

    monkeypatch.setattr(sessions, "retrieve", spy)
    return calls


@pytest.mark.parametrize("absent", ["missing", "null"])
@pytest.mark.parametrize("expected", [100, 590])
def test_a_missing_amount_is_confirmed_with_recur(
    recur_emulator, retrieves, user, absent, expected
):
    txn, data = paid_on_the_emulator(recur_emulator, user)
    Transaction.objects.filter(pk=txn.pk).update(amount=expected)
    if absent == "missing":
        data.pop("amount")
    else:
        data["amount"] = None
    event = envelope("checkout.completed", data)
    response = post_event(Client(), event)
    assert response.status_code == 200, response.content
    # One retrieve of the stored session, with no database transaction open.
    assert retrieves == [(txn.checkout_session_id, True)]
    stored = WebhookEvent.objects.get(event_id=event["id"])
    txn.refresh_from_db()
    if expected == 100:  # Recur confirms 100 TWD were paid
        assert stored.status == WebhookEvent.Status.PROCESSED, stored.error
        assert txn.status == Transaction.Status.COMPLETED
    else:  # Recur says 100 were paid, not 590
        assert stored.status == WebhookEvent.Status.FAILED and not stored.retryable
        assert "not the expected 590" in stored.error
        assert txn.status == Transaction.Status.PENDING


def test_a_missing_amount_when_recur_is_unreachable_fails_for_a_retry(
    recur_emulator, user, settings
):
    txn, data = paid_on_the_emulator(recur_emulator, user)
    data["amount"] = None
    event = envelope("checkout.completed", data)
    reachable = settings.RECUR
    settings.RECUR = {**reachable, "API_BASE": "http://127.0.0.1:1/_recur"}  # nothing listens
    response = post_event(Client(), event)
    assert response.status_code == 500  # Recur retries
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.FAILED and stored.retryable
    assert "could not confirm" in stored.error
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING

    settings.RECUR = reachable  # Recur is back: the operator replays the stored event
    call_command("recur_replay", event["id"])
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert WebhookEvent.objects.get(event_id=event["id"]).status == WebhookEvent.Status.PROCESSED


def test_a_missing_amount_is_confirmed_outside_atomic_requests(
    recur_emulator, retrieves, user, monkeypatch
):
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    txn, data = paid_on_the_emulator(recur_emulator, user)
    data["amount"] = None
    response = post_event(Client(), envelope("checkout.completed", data))
    assert response.status_code == 200, response.content
    assert retrieves == [(txn.checkout_session_id, True)]
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
