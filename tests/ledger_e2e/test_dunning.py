"""A declined renewal: PAST_DUE with access during the retries, then expired and access ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recur_django.emulator.models import Invoice, Order
from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.entitlements import has_entitlement
from recur_django.models import Payment, Subscription

from .conftest import advance_to, buy, flush, shuffle_pending_deliveries

pytestmark = pytest.mark.django_db(transaction=True)


def test_declined_renewals_end_in_expiry_and_access_ends(recur_emulator, buyer, sent):
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    recur_emulator.fail_card(buyer.email)
    period_end = EmulatedSubscription.objects.get().current_period_end
    assert has_entitlement(buyer, "pro-monthly")

    advance_to(recur_emulator, period_end)
    sub = Subscription.objects.get()
    assert sub.status == "PAST_DUE"
    assert has_entitlement(buyer, "pro-monthly")  # the grace period of the retries
    failed = Payment.objects.get(status=Payment.Status.FAILED)
    invoice = Invoice.objects.get()
    assert (failed.kind, failed.recur_id, failed.amount) == ("renewal", invoice.id, 299)
    assert failed.failure_reason and failed.paid_at is None
    assert failed.subscription_id == sub.pk and failed.user_id == buyer.pk
    assert [c["payment"].pk for c in sent["payment_failed"]] == [failed.pk]
    assert sent["payment_failed"][0]["reason"] == failed.failure_reason

    advance_to(recur_emulator, period_end + timedelta(days=3))
    sub.refresh_from_db()
    assert sub.status == "EXPIRED"
    assert not has_entitlement(buyer, "pro-monthly")
    # Recur retried the same invoice three times, each attempt a new order: still one charge.
    assert Order.objects.filter(invoice=invoice, status="FAILED").count() == 4
    assert Payment.objects.filter(status=Payment.Status.FAILED).count() == 1
    assert Payment.objects.filter(status=Payment.Status.PAID).count() == 1  # the checkout
    assert len(sent["payment_failed"]) == 1  # once per failed charge, not per attempt
    assert len(sent["payment_succeeded"]) == 1
    assert sent["subscription_renewed"] == []


def test_a_retry_that_succeeds_turns_the_failed_charge_paid(recur_emulator, buyer, sent):
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    recur_emulator.fail_card(buyer.email)
    period_end = EmulatedSubscription.objects.get().current_period_end
    advance_to(recur_emulator, period_end)
    recur_emulator.fail_card(buyer.email, fails=False)

    advance_to(recur_emulator, period_end + timedelta(days=1))

    sub = Subscription.objects.get()
    assert sub.status == "ACTIVE" and has_entitlement(buyer, "pro-monthly")
    renewal = Payment.objects.get(kind=Payment.Kind.RENEWAL)
    assert renewal.status == Payment.Status.PAID and renewal.paid_at is not None
    assert renewal.failure_reason  # the failed attempt stays as history
    assert [c["payment"].pk for c in sent["payment_failed"]] == [renewal.pk]
    assert [c["payment"].pk for c in sent["subscription_renewed"]] == [renewal.pk]
    assert len(sent["payment_succeeded"]) == 2


@pytest.mark.parametrize("seed", [3, 8])
def test_dunning_delivered_at_once_shuffled_and_twice_ends_the_same(
    recur_emulator, buyer, sent, seed
):
    recur_emulator.fault("duplicate", count=100)
    buy(recur_emulator, buyer, "pro-monthly")
    recur_emulator.fail_card(buyer.email)
    recur_emulator.advance(days=40)  # the period end, three retries and the expiry
    shuffle_pending_deliveries(seed)
    flush(recur_emulator)

    sub = Subscription.objects.get()
    assert sub.status == "EXPIRED" and not has_entitlement(buyer, "pro-monthly")
    assert sorted(Payment.objects.values_list("kind", "status")) == [
        ("checkout", "paid"),
        ("renewal", "failed"),
    ]
    assert len(sent["payment_failed"]) == 1 and len(sent["payment_succeeded"]) == 1
    assert len(sent["transaction_completed"]) == 1 and sent["subscription_renewed"] == []
