"""Signed subscription events posted to recur:webhook update the mirror."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from recur_django import testing
from recur_django.customers import external_id_for
from recur_django.entitlements import has_entitlement
from recur_django.models import Customer, Subscription, WebhookEvent
from recur_django.testing import make_event
from tests.subscriptions.factories import T0, sub_data

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_secret"


def post_event(client: Client, event_id: str, event_type: str, data: dict, at) -> int:
    event = make_event(event_type, data, id=event_id, timestamp=at)
    return testing.post_event(client, event, secret=SECRET).status_code


def lifecycle(external_id: str) -> list[tuple[str, str, dict, object]]:
    ext = {"external_customer_id": external_id, "customer_email": "wendy@example.com"}
    renewed = T0 + timedelta(days=30)
    return [
        ("evt_1", "subscription.created", sub_data(status="PENDING", **ext), T0),
        ("evt_2", "subscription.activated", sub_data(**ext), T0 + timedelta(seconds=2)),
        (
            "evt_3",
            "invoice.payment_failed",
            {"id": "inv_1", "subscription_id": "sub_1", "customer_id": "cus_1"},
            renewed,
        ),
        (
            "evt_4",
            "subscription.renewed",
            sub_data(start=renewed, **ext),
            renewed + timedelta(days=1),
        ),
        (
            "evt_5",
            "subscription.cancelled",
            sub_data(start=renewed, cancel_at_period_end=True, **ext),
            renewed + timedelta(days=2),
        ),
    ]


@pytest.mark.parametrize("shuffled", [False, True])
def test_signed_lifecycle_events_build_the_mirror(shuffled):
    user = get_user_model().objects.create_user("wendy", "wendy@example.com", "pw")
    events = lifecycle(external_id_for(user))
    if shuffled:
        random.Random(3).shuffle(events)
        events += events[:2]  # and some redeliveries
    client = Client()
    for event_id, event_type, data, at in events:
        assert post_event(client, event_id, event_type, data, at) == 200
    sub = Subscription.objects.get()
    assert sub.status == "ACTIVE"
    assert sub.cancel_at_period_end is True
    assert sub.current_period_end == T0 + timedelta(days=60)
    assert sub.last_event_id == "evt_5"
    assert Customer.objects.get().owner == user
    assert WebhookEvent.objects.count() == 5
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_entitlement_follows_webhooks():
    user = get_user_model().objects.create_user("wendy", "wendy@example.com", "pw")
    client = Client()
    data = sub_data(
        start=T0,
        days=36500,  # a period far in the future
        external_customer_id=external_id_for(user),
    )
    assert post_event(client, "evt_a", "subscription.activated", data, T0) == 200
    assert has_entitlement(user, "pro-monthly")
    expired = dict(data, status="EXPIRED")
    assert post_event(client, "evt_b", "subscription.expired", expired, T0 + timedelta(1)) == 200
    assert not has_entitlement(user, "pro-monthly")


@pytest.mark.parametrize("event_type", ["subscription.expired", "subscription.revoked"])
def test_an_ended_subscription_ends_access_whatever_its_payload_says(event_type):
    user = get_user_model().objects.create_user("wendy", "wendy@example.com", "pw")
    client = Client()
    data = sub_data(start=T0, days=36500, external_customer_id=external_id_for(user))
    assert post_event(client, "evt_a", "subscription.activated", data, T0) == 200
    assert has_entitlement(user, "pro-monthly")
    # The payload still says CANCELED with access until a far-future period end.
    ended = dict(data, status="CANCELED", cancel_at_period_end=True)
    assert post_event(client, "evt_b", event_type, ended, T0 + timedelta(1)) == 200
    assert Subscription.objects.get().status == "EXPIRED"
    assert not has_entitlement(user, "pro-monthly")


def test_subscription_event_without_id_is_stored_as_failed_and_acknowledged():
    client = Client()
    assert post_event(client, "evt_x", "subscription.activated", {"status": "ACTIVE"}, T0) == 200
    event = WebhookEvent.objects.get(event_id="evt_x")
    assert event.status == "failed"
    assert not Subscription.objects.exists()
