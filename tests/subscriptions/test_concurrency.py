"""Concurrent subscription deliveries on PostgreSQL: the row lock serialises them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from recur_django.models import Customer, Subscription, WebhookEvent
from tests.recur_helpers import run_together
from tests.subscriptions.factories import T0, sub_data
from tests.subscriptions.test_webhook_end_to_end import post_event

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 8
STATUSES = ["PENDING", "ACTIVE", "PAST_DUE", "ACTIVE", "PAST_DUE", "ACTIVE", "CANCELED", "EXPIRED"]


def test_eight_events_for_a_new_subscription_at_once():
    def deliver(i: int) -> int:
        data = sub_data(status=STATUSES[i], customer_id="cus_race")
        return post_event(
            Client(), f"evt_race_{i}", "subscription.updated", data, T0 + timedelta(hours=i)
        )

    codes = run_together(deliver, THREADS)
    assert codes == [200] * THREADS
    assert Subscription.objects.count() == 1
    assert Customer.objects.count() == 1
    sub = Subscription.objects.get()
    assert sub.status == "EXPIRED"
    assert sub.last_event_id == f"evt_race_{THREADS - 1}"
    assert WebhookEvent.objects.filter(status="processed").count() == THREADS
