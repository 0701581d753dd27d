"""Every replay path re-verifies the stored body and applies what the signed body says.

Someone with write access to the event table (not to the webhook secret) swaps a stored
event's body or payload. ``recur_replay EVT`` already refused an unsigned body; the stale
sweep (``--stale``) must refuse it too, must apply the signed body rather than the stored
``payload``, and a body signed for another event id is not that event.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from recur_django import tasks
from recur_django.exceptions import EnvelopeError
from recur_django.models import Transaction, WebhookEvent
from recur_django.webhooks import deliver
from recur_django.webhooks.pipeline import replay
from recur_django.webhooks.signature import compute_signature
from tests.recur_helpers import SECRET, body_of, completed_data, envelope, make_transaction

pytestmark = pytest.mark.django_db

SYNC = {"SECRET_KEY": "sk_test_tests", "WEBHOOK_SECRET": SECRET, "WEBHOOK_PROCESSING": "sync"}


def store_received(event: dict) -> WebhookEvent:
    """Store a signed delivery as RECEIVED (not applied), as a crashed request leaves it."""
    body = body_of(event)
    headers = {"X-Recur-Signature": compute_signature(body, SECRET)}
    assert deliver(body, headers, dispatch_now=False).status == "received"
    return WebhookEvent.objects.get(event_id=event["id"])


def stale_sweep() -> str:
    out = StringIO()
    call_command("recur_replay", "--stale", "--older-than", "0", stdout=out)
    return out.getvalue()


def swap(stored: WebhookEvent, event: dict, *, body: bool = True) -> None:
    """Overwrite the stored payload (and, with ``body``, the raw body) with ``event``."""
    fields = {"payload": event}
    if body:
        fields["body"] = body_of(event)
    WebhookEvent.objects.filter(pk=stored.pk).update(**fields)


@override_settings(RECUR=SYNC)
def test_the_stale_sweep_refuses_a_stored_body_that_no_longer_verifies(user, other_user):
    harmless = store_received(envelope("customer.updated", {"id": "cus_x", "email": "x@x.x"}))
    victim_txn = make_transaction(other_user)
    forged = envelope("checkout.completed", completed_data(victim_txn), id=harmless.event_id)
    swap(harmless, forged)  # the stored signature is for the harmless body

    out = stale_sweep()
    assert f"{harmless.event_id}: unverified" in out, out
    victim_txn.refresh_from_db()
    assert victim_txn.status == Transaction.Status.PENDING
    harmless.refresh_from_db()
    assert harmless.status == WebhookEvent.Status.RECEIVED  # left for a look, not applied


@override_settings(RECUR=SYNC)
def test_the_stale_sweep_applies_the_signed_body_not_the_stored_payload(user, other_user):
    own_txn, victim_txn = make_transaction(user), make_transaction(other_user)
    stored = store_received(envelope("checkout.completed", completed_data(own_txn)))
    forged = envelope("checkout.completed", completed_data(victim_txn), id=stored.event_id)
    swap(stored, forged, body=False)  # only the parsed copy is changed

    assert "1 processed" in stale_sweep()
    own_txn.refresh_from_db()
    victim_txn.refresh_from_db()
    assert own_txn.status == Transaction.Status.COMPLETED
    assert victim_txn.status == Transaction.Status.PENDING


@override_settings(RECUR=SYNC)
def test_a_body_signed_for_another_event_id_is_not_replayed_under_this_one(user):
    txn = make_transaction(user)
    stored = store_received(envelope("customer.updated", {"id": "cus_x", "email": "x@x.x"}))
    other = envelope("checkout.completed", completed_data(txn))  # signed, another id
    body = body_of(other)
    WebhookEvent.objects.filter(pk=stored.pk).update(
        body=body,
        payload=other,
        headers={"X-Recur-Signature": compute_signature(body, SECRET)},
    )
    with pytest.raises(EnvelopeError, match=other["id"]):
        replay(stored.event_id)
    assert f"{stored.event_id}: invalid" in stale_sweep()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


@pytest.mark.skipif(not tasks.available(), reason="no tasks framework installed")
def test_the_task_mode_sweep_keeps_the_workers_from_what_no_longer_verifies(user, other_user):
    from recur_django.testing import run_webhook_tasks

    with override_settings(RECUR={**SYNC, "WEBHOOK_PROCESSING": "task"}):
        good = store_received(envelope("customer.updated", {"id": "cus_a", "email": "a@a.a"}))
        bad = store_received(envelope("customer.updated", {"id": "cus_b", "email": "b@b.b"}))
        forged = envelope("checkout.completed", completed_data(make_transaction(other_user)))
        swap(bad, {**forged, "id": bad.event_id})
        out = stale_sweep()
        assert f"{bad.event_id}: unverified" in out
        assert "Woke the workers for 1 of 2 stale event(s)" in out, out
        assert set(run_webhook_tasks()) <= {good.event_id}
    bad.refresh_from_db()
    assert (bad.status, bad.retryable) == (WebhookEvent.Status.FAILED, False)
    assert Transaction.objects.filter(status=Transaction.Status.COMPLETED).count() == 0
