"""Signed deliveries whose envelope cannot be read are kept, and replay once readable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from recur_django.models import Transaction, WebhookEvent
from recur_django.testing import sign
from recur_django.webhooks import dispatch
from tests.recur_helpers import (
    SECRET,
    body_of,
    completed_data,
    envelope,
    make_transaction,
    post_event,
)

pytestmark = pytest.mark.django_db


def keep(body: bytes) -> WebhookEvent:
    """Store ``body`` as a kept delivery, as an older release that refused it would have."""
    headers = {"X-Recur-Signature": sign(body, SECRET)}
    return dispatch.keep_unreadable(body, headers, "refused by an older release")


def test_unsigned_garbage_is_not_kept(client):
    response = post_event(client, b"not json", signature="bad")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_kept_delivery_replays_under_its_real_id(client, user):
    txn = make_transaction(user)
    event = envelope("checkout.completed", completed_data(txn))
    kept = keep(body_of(event))

    out = StringIO()
    call_command("recur_replay", kept.event_id, stdout=out)

    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    real = WebhookEvent.objects.get(event_id=event["id"])
    assert real.status == WebhookEvent.Status.PROCESSED
    kept.refresh_from_db()
    assert kept.status == WebhookEvent.Status.PROCESSED
    assert event["id"] in kept.error
    assert f"{kept.event_id}: processed" in out.getvalue()

    # Replaying it again, or Recur redelivering the real event, fulfils nothing twice.
    call_command("recur_replay", kept.event_id, stdout=StringIO())
    assert post_event(client, event).json()["status"] == "duplicate"
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.COMPLETED


def test_still_unreadable_delivery_stays_failed(client):
    body = b'{"id": "evt_x", "type": "checkout.completed", "data": []}'
    assert post_event(client, body).status_code == 400
    kept = WebhookEvent.objects.get()

    out = StringIO()
    call_command("recur_replay", "--failed", stdout=out)

    assert f"{kept.event_id}: invalid" in out.getvalue()
    kept.refresh_from_db()
    assert kept.status == WebhookEvent.Status.FAILED
    assert kept.attempts == 2
    assert WebhookEvent.objects.count() == 1


def test_admin_shows_a_kept_delivery(admin_client):
    kept = keep(b'{"id": "evt_y", "type": "x.y", "data": "not an object"}')
    url = f"/admin/recur_django/webhookevent/{kept.pk}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert kept.event_id in response.content.decode()
    assert admin_client.get("/admin/recur_django/webhookevent/").status_code == 200
