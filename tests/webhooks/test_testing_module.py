"""recur_django.testing: the events it builds, signs and posts are what the endpoint accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import TestCase

from recur_django.customers import external_id_for
from recur_django.models import Subscription, Transaction, WebhookEvent
from recur_django.testing import (
    body_of,
    checkout_completed,
    make_event,
    post_event,
    sign,
    subscription_event,
)
from tests.recur_helpers import make_transaction

# recur-api.md §8.3: the documented body and its signatures with whsec_test_secret.
VECTOR_BODY = (
    b'{"id":"evt_test_1","type":"checkout.completed",'
    b'"timestamp":"2025-01-15T10:30:00.000Z","data":{"id":"chk_test_1"}}'
)
VECTOR_B64 = "IO9AC6ah94xN1bbQSLo3b/1k54WG222rO8dvLUlVYVM="
VECTOR_HEX = "20ef400ba6a1f78c4dd5b6d048ba376ffd64e78586db6dab3bc76f2d49556153"
T0 = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)


def test_event_body_and_signature_match_the_documented_vector():
    event = make_event("checkout.completed", {"id": "chk_test_1"}, id="evt_test_1", timestamp=T0)
    body = body_of(event)
    assert body == VECTOR_BODY
    assert sign(body) == VECTOR_B64  # secret from RECUR["WEBHOOK_SECRET"]
    assert sign(body, encoding="hex") == VECTOR_HEX
    assert sign(body, "whsec_test_secret") == VECTOR_B64
    assert sign(body, "whsec_other") != VECTOR_B64


def test_make_event_fills_a_fresh_id_and_the_current_time():
    first, second = make_event("x.y", {}), make_event("x.y", {})
    assert first["id"].startswith("evt_") and first["id"] != second["id"]
    stamp = datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)
    assert first["timestamp"].endswith("Z")


@pytest.mark.django_db
def test_checkout_completed_for_a_transaction_is_processed(client, user, settings):
    txn = make_transaction(user, amount=100)
    event = checkout_completed(transaction=txn)
    assert event["data"]["metadata"] == {"transaction_id": txn.public_id}
    response = post_event(client, event)
    assert response.status_code == 200 and response.json()["status"] == "processed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.headers["X-Recur-Event-Type"] == "checkout.completed"
    assert stored.headers["X-Recur-Event-Id"] == event["id"]
    assert stored.headers["X-Recur-Signature"] == sign(body_of(event))
    assert stored.headers["X-Recur-Timestamp"].isdigit()


@pytest.mark.django_db
def test_hex_signatures_and_rotated_secrets_are_accepted(client, settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_SECRET": ["whsec_new", "whsec_old"]}
    assert post_event(client, make_event("x.y", {}), encoding="hex").status_code == 200
    assert post_event(client, make_event("x.y", {}), secret="whsec_old").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs",
    [{"secret": "whsec_wrong"}, {"signature": ""}, {"headers": {"x-recur-signature": None}}],
)
def test_a_wrong_or_missing_signature_is_refused(client, kwargs):
    response = post_event(client, make_event("x.y", {}), **kwargs)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_headers_override_the_defaults(client):
    event = make_event("x.y", {})
    post_event(client, event, headers={"X-Recur-Event-Id": "evt_header", "X-Extra": "1"})
    stored = WebhookEvent.objects.get()
    assert stored.event_id == event["id"]  # the body's id counts, not the header
    assert stored.headers["X-Recur-Event-Id"] == "evt_header"


@pytest.mark.django_db
def test_raw_bytes_are_signed_and_posted_as_given(client):
    response = post_event(client, b"not json")
    assert response.status_code == 400  # signed, but not an event


@pytest.mark.django_db
def test_subscription_event_updates_the_mirror(client, user):
    event = subscription_event(
        "subscription.activated",
        subscription_id="sub_t1",
        period_start=T0,
        period_days=36500,
        external_customer_id=external_id_for(user),
        product_slug="pro-monthly",
    )
    assert post_event(client, event).json()["status"] == "processed"
    sub = Subscription.objects.get(recur_id="sub_t1")
    assert sub.status == "ACTIVE" and sub.current_period_start == T0


def test_importing_it_does_not_need_pytest():
    code = (
        "import sys, django; django.setup(); import recur_django.testing; "
        "sys.exit('pytest' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": "."}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-2000:]


class UnittestUsage(TestCase):
    """The helpers work from a plain Django TestCase."""

    def test_points_are_credited(self):
        user = get_user_model().objects.create_user("tina", "tina@example.com", "pw")
        txn = make_transaction(user, amount=50)
        with self.captureOnCommitCallbacks(execute=True):
            response = post_event(self.client, checkout_completed(transaction=txn))
        self.assertEqual(response.json()["status"], "processed")
        txn.refresh_from_db()
        self.assertEqual(txn.status, Transaction.Status.COMPLETED)
