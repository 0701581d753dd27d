"""Access follows money: cancellation, expiry and trials, through the webhook path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recur_django.entitlements import entitlements_for, has_entitlement
from recur_django.models import Customer, Subscription
from tests.recur_helpers import envelope

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.fixture
def customer(user):
    return Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)


def _sub(status, **extra):
    return {
        "id": "sub_1",
        "customer_id": "cus_ann",
        "status": status,
        "product_id": "prod_pro_monthly",
        "product_slug": "pro-monthly",
        "current_period_start": iso(NOW - timedelta(days=10)),
        "current_period_end": iso(NOW + timedelta(days=20)),
        **extra,
    }


def test_canceled_keeps_access_until_the_period_end_never_after(customer, user, deliver):
    deliver(envelope("subscription.cancelled", _sub("CANCELED", cancel_at_period_end=False)))
    assert has_entitlement(user, "pro-monthly", now=NOW)
    assert has_entitlement(user, "pro-monthly", now=NOW + timedelta(days=19))
    assert not has_entitlement(user, "pro-monthly", now=NOW + timedelta(days=20))
    [entitlement] = entitlements_for(user, now=NOW)
    assert entitlement.expires_at == NOW + timedelta(days=20)


def test_expired_ends_access_whatever_status_it_carries(customer, user, deliver):
    deliver(envelope("subscription.activated", _sub("ACTIVE")))
    deliver(envelope("subscription.expired", _sub("CANCELED")))
    assert Subscription.objects.get().status == Subscription.Status.EXPIRED
    assert not has_entitlement(user, "pro-monthly", now=NOW)


def test_trial_grants_access_as_trial_until_trial_end(customer, user, deliver):
    trial_end = NOW + timedelta(days=3)
    deliver(envelope("subscription.created", _sub("TRIAL", trial_end=iso(trial_end))))
    assert Subscription.objects.get().status == Subscription.Status.TRIALING
    assert has_entitlement(user, "pro-monthly", now=NOW)
    [entitlement] = entitlements_for(user, now=NOW)
    assert (entitlement.status, entitlement.expires_at) == ("TRIALING", trial_end)
    assert not has_entitlement(user, "pro-monthly", now=trial_end)
    assert Subscription.objects.get().grants_access(now=trial_end) is False


def test_trial_ending_sends_trial_will_end_once(customer, deliver, sent):
    data = _sub("TRIAL", trial_end=iso(NOW + timedelta(days=3)))
    deliver(envelope("subscription.trial_ending", data))
    deliver(envelope("subscription.trial_ending", data))  # a new event id, same trial
    [call] = sent["trial_will_end"]
    assert call["subscription"].recur_id == "sub_1"
    assert call["event"].type == "subscription.trial_ending"
    assert Subscription.objects.get().trial_ending_signaled_at is not None
