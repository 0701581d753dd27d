"""Canceling a subscription now ends access on the site at once, as it does on Recur;
canceling at period end keeps it until then (issue 21). Real HTTP: the emulator cancels,
its webhooks reach ``recur:webhook``, and the entitlement checks read the mirror."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from recur_django.customers import external_id_for
from recur_django.entitlements import access_q, entitlements_for, has_entitlement
from recur_django.models import Subscription
from recur_django.subscriptions import apply_subscription_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(db: Any) -> Any:
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw")


def subscribe(emulator: Any, user: Any) -> str:
    session = emulator.client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/cancel",
        customer_email=user.email,
        external_customer_id=external_id_for(user),
    )
    assert emulator.pay(session.id).status_code == 303
    emulator.deliver()
    sub = Subscription.objects.get(customer__owner=user)
    assert has_entitlement(user, "pro-monthly")
    return sub.recur_id


def test_cancel_now_ends_access_at_once(recur_emulator, alice):
    sub_id = subscribe(recur_emulator, alice)
    recur_emulator.cancel(sub_id)
    assert {d.status for d in recur_emulator.deliver()} == {"SUCCEEDED"}
    sub = Subscription.objects.get(recur_id=sub_id)
    assert sub.status == "CANCELED" and sub.ended_at is not None
    assert sub.current_period_end > sub.ended_at  # the unused period does not count
    assert not has_entitlement(alice, "pro-monthly")
    assert not sub.grants_access()
    assert entitlements_for(alice) == []


def test_cancel_at_period_end_keeps_access_until_the_period_ends(recur_emulator, alice):
    sub_id = subscribe(recur_emulator, alice)
    recur_emulator.cancel(sub_id, at_period_end=True)
    recur_emulator.deliver()
    sub = Subscription.objects.get(recur_id=sub_id)
    assert sub.cancel_at_period_end and sub.ended_at is None
    assert has_entitlement(alice, "pro-monthly")
    [entitlement] = entitlements_for(alice)
    assert entitlement.expires_at == sub.current_period_end
    recur_emulator.advance(days=32)
    recur_emulator.deliver()
    assert not has_entitlement(alice, "pro-monthly")


def test_resume_keeps_access_after_the_period(recur_emulator, alice):
    sub_id = subscribe(recur_emulator, alice)
    recur_emulator.cancel(sub_id, at_period_end=True)
    recur_emulator.resume(sub_id)
    recur_emulator.advance(days=32)
    recur_emulator.deliver()
    sub = Subscription.objects.get(recur_id=sub_id)
    assert (sub.status, sub.cancel_at_period_end) == ("ACTIVE", False)
    assert has_entitlement(alice, "pro-monthly")


def test_a_canceled_subscription_with_an_access_until_before_the_period_end_has_ended(alice):
    now = timezone.now()
    data = {
        "id": "sub_1",
        "status": "CANCELED",
        "current_period_end": (now + timedelta(days=20)).isoformat(),
        "accessUntil": (now - timedelta(minutes=1)).isoformat(),
    }
    result = apply_subscription_data(data, occurred_at=now, event_id="evt_1")
    assert result is not None
    sub = result.subscription
    assert sub.ended_at is not None and not sub.cancel_at_period_end
    assert not sub.grants_access(now=now)
    assert not Subscription.objects.filter(access_q(now), pk=sub.pk).exists()
