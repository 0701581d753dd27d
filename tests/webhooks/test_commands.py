"""recur_replay, recur_trigger and recur_expire."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
import responses
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from recur_django import signals
from recur_django.customers import external_id_for
from recur_django.models import Transaction, WebhookEvent
from recur_django.testing import sign
from recur_django.webhooks.signature import SignatureError, verify_signature
from tests.recur_helpers import (
    SECRET,
    SignalRecorder,
    completed_data,
    envelope,
    make_transaction,
    post_event,
)

pytestmark = pytest.mark.django_db


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


# ----------------------------------------------------------------- recur_replay


def test_replay_failed_event_after_fixing_the_cause(
    client, user, django_capture_on_commit_callbacks
):
    txn = make_transaction(user, amount=None)
    txn.amount = 100
    txn.save()
    event = envelope("checkout.completed", completed_data(txn, amount=120))
    assert post_event(client, event).json()["status"] == "failed"
    Transaction.objects.filter(pk=txn.pk).update(amount=120)  # the operator corrects it
    with (
        SignalRecorder(signals.transaction_completed) as completed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        output = run("recur_replay", "--failed")
        again = run("recur_replay", event["id"])
    assert f"{event['id']}: processed" in output
    assert "processed" in again
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert stored.attempts == 3
    assert stored.error == ""
    assert len(completed.calls) == 1
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_replay_reverifies_the_stored_body(client):
    event = envelope("x.y", {})
    post_event(client, event)
    WebhookEvent.objects.update(
        body=b'{"id":"' + event["id"].encode() + b'","type":"x.y","data":{"tampered":1}}'
    )
    output = run("recur_replay", event["id"])
    assert "unverified" in output
    assert WebhookEvent.objects.get().attempts == 1


def test_replay_after_secret_rotation_is_refused(client):
    event = envelope("x.y", {})
    post_event(client, event)
    with override_settings(RECUR={"SECRET_KEY": "sk_test_x", "WEBHOOK_SECRET": "whsec_rotated"}):
        assert "unverified" in run("recur_replay", event["id"])
    assert "ignored" in run("recur_replay", event["id"])


def test_replay_bad_input():
    with pytest.raises(CommandError, match="event ids, or --failed"):
        run("recur_replay")
    with pytest.raises(CommandError, match="evt_nope"):
        run("recur_replay", "evt_nope")
    assert "No failed events" in run("recur_replay", "--failed")


# ----------------------------------------------------------------- recur_trigger


@responses.activate
def test_trigger_builds_a_signed_realistic_event(user):
    txn = make_transaction(
        user, amount=299, product_id="prod_pro_monthly", mode=Transaction.Mode.SUBSCRIPTION
    )
    responses.post("http://hook.test/billing/webhook/", json={"received": True})
    output = run(
        "recur_trigger",
        "checkout.completed",
        "--url",
        "http://hook.test/billing/webhook/",
        "--transaction",
        txn.public_id,
    )
    assert "HTTP 200" in output
    request = responses.calls[0].request
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    verify_signature(body, request.headers, [SECRET])
    assert request.headers["X-Recur-Signature"] == sign(body, SECRET)
    event = json.loads(body)
    assert event["type"] == "checkout.completed"
    assert request.headers["X-Recur-Event-Id"] == event["id"]
    data = event["data"]
    assert data["id"] == txn.checkout_session_id
    assert data["metadata"]["transaction_id"] == txn.public_id
    assert data["amount"] == 299 and data["currency"] == "TWD"
    assert data["product_id"] == "prod_pro_monthly"
    assert data["subscription_id"].startswith("sub_")
    assert data["external_customer_id"] == external_id_for(user)


@responses.activate
def test_trigger_hex_and_explicit_secret():
    responses.post("http://hook.test/h", json={})
    run(
        "recur_trigger",
        "order.paid",
        "--url",
        "http://hook.test/h",
        "--secret",
        "whsec_x",
        "--encoding",
        "hex",
    )
    request = responses.calls[0].request
    assert request.headers["X-Recur-Signature"] == sign(request.body, "whsec_x", "hex")
    with pytest.raises(SignatureError):
        verify_signature(request.body, request.headers, [SECRET])


def test_trigger_against_the_real_view_fulfils(live_server, user, transactional_db):
    txn = make_transaction(user)
    url = live_server.url + "/billing/webhook/"
    assert "HTTP 200" in run(
        "recur_trigger", "checkout.completed", "--url", url, "--transaction", txn.public_id
    )
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


@responses.activate
def test_trigger_reports_endpoint_errors():
    responses.post("http://hook.test/h", status=400, json={"error": {}})
    with pytest.raises(CommandError, match="HTTP 400"):
        run("recur_trigger", "checkout.completed", "--url", "http://hook.test/h")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["nodot", "--url", "http://x.test/"], "not an event type"),
        (["checkout.completed", "--url", "ftp://x.test/"], "http"),
        (["checkout.completed", "--url", "not a url"], "http"),
        (
            ["checkout.completed", "--url", "http://x.test/", "--transaction", "txn_nope"],
            "Unknown transaction",
        ),
    ],
)
def test_trigger_bad_input(args, match):
    with pytest.raises(CommandError, match=match):
        run("recur_trigger", *args)


def test_trigger_without_secret():
    with (
        override_settings(RECUR={"SECRET_KEY": "sk_test_x"}),
        pytest.raises(CommandError, match="secret"),
    ):
        run("recur_trigger", "x.y", "--url", "http://x.test/")


def test_trigger_unreachable_url():
    with pytest.raises(CommandError, match="Could not reach"):
        run("recur_trigger", "x.y", "--url", "http://127.0.0.1:1/", "--timeout", "2")


# ----------------------------------------------------------------- recur_expire


def test_expire_marks_only_overdue_pending(user, django_capture_on_commit_callbacks):
    past = timezone.now() - timedelta(minutes=1)
    future = timezone.now() + timedelta(hours=1)
    overdue = make_transaction(user, expires_at=past)
    fresh = make_transaction(user, expires_at=future)
    done = make_transaction(user, expires_at=past, status=Transaction.Status.COMPLETED)
    assert "1 transaction(s) would be expired" in run("recur_expire", "--dry-run")
    with (
        SignalRecorder(signals.transaction_failed) as failed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert "Expired 1 transaction(s)" in run("recur_expire")
    for txn in (overdue, fresh, done):
        txn.refresh_from_db()
    assert overdue.status == Transaction.Status.EXPIRED
    assert fresh.status == Transaction.Status.PENDING
    assert done.status == Transaction.Status.COMPLETED
    assert [c["transaction"].pk for c in failed.calls] == [overdue.pk]
    assert failed.calls[0]["reason"] == "checkout session expired"
    assert "Expired 0" in run("recur_expire")


def test_late_payment_completes_an_expired_transaction(client, user):
    txn = make_transaction(user, expires_at=timezone.now() - timedelta(minutes=1))
    run("recur_expire")
    post_event(client, envelope("checkout.completed", completed_data(txn)))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_replay_older_than_needs_stale_and_a_non_negative_age():
    with pytest.raises(CommandError, match="--older-than"):
        call_command("recur_replay", "--older-than", "5")
    with pytest.raises(CommandError, match="--older-than"):
        call_command("recur_replay", "--stale", "--older-than", "-1")


@pytest.mark.parametrize("age", ["nan", "NaN", "inf", "-inf", "-1", "1e300", "-0.5"])
def test_replay_older_than_outside_its_range_is_a_command_error(age):
    with pytest.raises(CommandError, match=r"--older-than .*0 to 315360000") as caught:
        call_command("recur_replay", "--stale", f"--older-than={age}", stdout=StringIO())
    assert "second" in str(caught.value)


def test_replay_older_than_accepts_its_bounds():
    for age in ("0", "315360000"):
        out = StringIO()
        call_command("recur_replay", "--stale", "--older-than", age, stdout=out)
        assert "No stale events." in out.getvalue()
