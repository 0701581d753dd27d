"""A trial: the NT$2 verification charge, trial_will_end once, the first full charge at its end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recur_django.emulator.models import Product
from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.emulator.services import catalog
from recur_django.entitlements import has_entitlement
from recur_django.models import Payment, Subscription, Transaction

from .conftest import advance_to, buy, flush, shuffle_pending_deliveries

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trial_product(recur_emulator):
    """A monthly plan with a 14-day trial on the emulator (beside the test settings' products,
    which tests elsewhere count)."""
    catalog.ensure_products()
    return Product.objects.create(
        id="prod_pro_trial",
        slug="pro-trial",
        name="Pro (monthly, 14-day trial)",
        type="SUBSCRIPTION",
        billing_period="MONTHLY",
        price=299,
        currency="TWD",
        trial_days=14,
    )


def test_trial_verification_notice_and_first_charge(recur_emulator, trial_product, buyer, sent):
    recur_emulator.fault("duplicate", count=50)
    buy(recur_emulator, buyer, "pro-trial")
    flush(recur_emulator)

    sub = Subscription.objects.get()
    assert sub.status == Subscription.Status.TRIALING and sub.trial_end is not None
    assert has_entitlement(buyer, "pro-trial")
    verification = Payment.objects.get()
    assert (verification.kind, verification.status) == ("verification", "paid")
    assert (verification.amount, verification.currency) == (2, "TWD")
    assert verification.user_id == buyer.pk
    assert verification.transaction_id == Transaction.objects.get().pk
    assert [c["payment"].pk for c in sent["payment_succeeded"]] == [verification.pk]
    assert len(sent["transaction_completed"]) == 1
    assert sent["trial_will_end"] == []

    trial_end = EmulatedSubscription.objects.get().trial_end
    advance_to(recur_emulator, trial_end - timedelta(days=3))
    recur_emulator.advance(days=2)
    flush(recur_emulator)
    assert [c["subscription"].pk for c in sent["trial_will_end"]] == [sub.pk]  # once
    assert Payment.objects.count() == 1
    assert has_entitlement(buyer, "pro-trial")

    advance_to(recur_emulator, trial_end)
    first = Payment.objects.exclude(pk=verification.pk).get()
    assert (first.kind, first.status, first.amount) == ("renewal", "paid", 299)
    assert first.subscription_id == sub.pk and first.user_id == buyer.pk
    sub.refresh_from_db()
    assert sub.status == "ACTIVE" and has_entitlement(buyer, "pro-trial")
    assert [c["payment"].pk for c in sent["payment_succeeded"]] == [verification.pk, first.pk]
    assert [c["payment"].pk for c in sent["subscription_renewed"]] == [first.pk]
    assert len(sent["trial_will_end"]) == 1 and len(sent["transaction_completed"]) == 1


def test_a_declined_first_charge_after_the_trial_ends_access(
    recur_emulator, trial_product, buyer, sent
):
    buy(recur_emulator, buyer, "pro-trial")
    flush(recur_emulator)
    recur_emulator.fail_card(buyer.email)
    trial_end = EmulatedSubscription.objects.get().trial_end

    advance_to(recur_emulator, trial_end)
    sub = Subscription.objects.get()
    assert sub.status == Subscription.Status.PAST_DUE
    failed = Payment.objects.get(status="failed")
    assert (failed.kind, failed.amount, failed.subscription_id) == ("renewal", 299, sub.pk)
    assert [c["payment"].pk for c in sent["payment_failed"]] == [failed.pk]

    advance_to(recur_emulator, trial_end + timedelta(days=3))
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.EXPIRED
    assert not has_entitlement(buyer, "pro-trial")
    assert len(sent["payment_failed"]) == 1 and sent["subscription_renewed"] == []
    assert [p.kind for p in Payment.objects.filter(status="paid")] == ["verification"]


@pytest.mark.parametrize("seed", [5, 13])
def test_a_trial_delivered_at_once_shuffled_and_twice_ends_the_same(
    recur_emulator, trial_product, buyer, sent, seed
):
    recur_emulator.fault("duplicate", count=100)
    buy(recur_emulator, buyer, "pro-trial")
    recur_emulator.advance(days=14 + 31 + 1)  # the trial, its first charge and one renewal
    shuffle_pending_deliveries(seed)
    flush(recur_emulator)

    sub = Subscription.objects.get()
    assert sub.status == Subscription.Status.ACTIVE and has_entitlement(buyer, "pro-trial")
    assert sorted(Payment.objects.values_list("kind", "status", "amount")) == [
        ("renewal", "paid", 299),
        ("renewal", "paid", 299),
        ("verification", "paid", 2),
    ]
    assert len(sent["trial_will_end"]) == 1 and len(sent["transaction_completed"]) == 1
    assert len(sent["payment_succeeded"]) == 3 and len(sent["subscription_renewed"]) == 2
