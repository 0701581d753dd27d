import json

import pytest
from django.urls import reverse

from recur_django.models import Transaction
from recur_django.webhooks.signature import compute_signature


def post_event(client, settings, event):
    secret = settings.RECUR["WEBHOOK_SECRET"]  # the secret your endpoint verifies with
    body = json.dumps(event).encode()
    return client.post(
        reverse("recur:webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_RECUR_SIGNATURE=compute_signature(body, secret),
    )


@pytest.fixture
def pending_txn(django_user_model):
    """A checkout your site started: what start_checkout() stores before calling Recur."""
    user = django_user_model.objects.create_user("amy", "amy@example.com", "pw")
    return Transaction.objects.create(
        user=user,
        product_id="prod_credits_100",
        mode=Transaction.Mode.PAYMENT,
        amount=100,
        checkout_session_id="cs_test_1",
    )


@pytest.mark.django_db
def test_points_are_credited(client, settings, pending_txn, django_capture_on_commit_callbacks):
    event = {
        "id": "evt_1",
        "type": "checkout.completed",
        "timestamp": "2026-01-15T10:30:00.000Z",
        "data": {
            "id": pending_txn.checkout_session_id,
            "status": "COMPLETED",
            "metadata": {"transaction_id": pending_txn.public_id},
            "amount": 100,
            "currency": "TWD",
            "customer_id": "cus_amy",
        },
    }
    with django_capture_on_commit_callbacks(execute=True):  # signals run after commit
        assert post_event(client, settings, event).json()["status"] == "processed"
    pending_txn.refresh_from_db()
    assert pending_txn.status == "completed"
