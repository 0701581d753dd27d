"""A year of monthly renewals, delivered twice and out of order, makes a ledger of 13 charges."""

from __future__ import annotations

import pytest

from recur_django.emulator import clock
from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.entitlements import has_entitlement
from recur_django.models import Payment, Subscription, Transaction

from .conftest import buy, flush, shuffle_pending_deliveries

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("seed", [11, 29])
def test_twelve_months_of_faulty_deliveries_make_thirteen_payments(
    recur_emulator, buyer, sent, seed
):
    recur_emulator.fault("duplicate", count=200)  # every delivery from here on is sent twice
    recur_emulator.fault("out_of_order", count=1)  # the first comes after the next
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    first = Transaction.objects.get()
    assert [t["transaction"].pk for t in sent["transaction_completed"]] == [first.pk]

    emulated = EmulatedSubscription.objects.get()
    recur_emulator.fault("out_of_order", count=1)
    recur_emulator.advance(
        seconds=(clock.add_interval(emulated.started_at, "month", 12) - clock.now()).total_seconds()
        + 3600
    )
    assert shuffle_pending_deliveries(seed) >= 2 * 12 * 4
    flush(recur_emulator)

    payments = Payment.objects.order_by("paid_at")
    assert payments.count() == 13
    assert set(payments.values_list("status", flat=True)) == {Payment.Status.PAID}
    assert [p.kind for p in payments] == [Payment.Kind.CHECKOUT] + [Payment.Kind.RENEWAL] * 12
    assert {p.amount for p in payments} == {299}
    sub = Subscription.objects.get()
    assert all(p.subscription_id == sub.pk and p.user_id == buyer.pk for p in payments)
    assert payments[0].transaction_id == first.pk
    assert all(p.order_id and p.invoice_id for p in payments[1:])

    assert len(sent["transaction_completed"]) == 1
    succeeded = [c["payment"].pk for c in sent["payment_succeeded"]]
    assert sorted(succeeded) == sorted(p.pk for p in payments)  # 13, each once
    renewed = [c["payment"].pk for c in sent["subscription_renewed"]]
    assert sorted(renewed) == sorted(p.pk for p in payments[1:])  # 12, each once
    assert all(c["subscription"].pk == sub.pk for c in sent["subscription_renewed"])
    assert sent["payment_failed"] == [] and sent["payment_refunded"] == []

    assert sub.status == "ACTIVE"
    year_later = clock.add_interval(emulated.started_at, "month", 12)
    assert abs((sub.current_period_start - year_later).total_seconds()) < 0.001  # ms on the wire
    assert has_entitlement(buyer, "pro-monthly")
