"""Concurrent deliveries on PostgreSQL: 20 threads released together by a barrier."""

from __future__ import annotations

import pytest
from django.test import Client

from recur_django import signals
from recur_django.models import Customer, Payment, Refund, Subscription, WebhookEvent
from tests.ledger.payloads import invoice, order, refund
from tests.recur_helpers import SignalRecorder, envelope, post_event, run_together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 20
INVOICE = invoice(
    "in_c", order_id="ord_c", subscription_id="sub_c", billing_reason="subscription_cycle"
)


@pytest.fixture
def customer(user):
    """The customer and subscription exist already, so nothing but the ledger's own locks
    stands between the threads (creating them would serialise the first deliveries)."""
    customer = Customer.objects.create(recur_id="cus_ann", owner=user)
    Subscription.objects.create(recur_id="sub_c", customer=customer, status="ACTIVE")
    return customer


def test_same_invoice_paid_from_20_threads_is_one_payment_one_signal(customer):
    event = envelope("invoice.paid", INVOICE)
    with (
        SignalRecorder(signals.payment_succeeded) as succeeded,
        SignalRecorder(signals.subscription_renewed) as renewed,
    ):
        responses = run_together(lambda i: post_event(Client(), event), THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS
    assert Payment.objects.count() == 1
    assert len(succeeded.calls) == 1 and len(renewed.calls) == 1


def test_20_distinct_events_of_one_charge_are_one_payment_one_signal(customer):
    """Redeliveries under new event ids, the invoice and its order, all at once."""

    def deliver(i: int):
        if i % 2:
            data = order("ord_c", invoice_id="in_c", subscription_id="sub_c")
            return post_event(Client(), envelope("order.paid", data))
        return post_event(Client(), envelope("invoice.paid", INVOICE))

    with SignalRecorder(signals.payment_succeeded) as succeeded:
        responses = run_together(deliver, THREADS)
    assert {r.status_code for r in responses} == {200}
    # None failed (an order with no checkout of ours fulfils nothing, yet the ledger
    # records it: processed).
    assert not WebhookEvent.objects.filter(status="failed").exists()
    assert WebhookEvent.objects.count() == THREADS
    payment = Payment.objects.get()
    assert (payment.recur_id, payment.order_id) == ("in_c", "ord_c")
    assert len(succeeded.calls) == 1


def test_refunds_racing_their_payment_are_all_applied(customer):
    """A refund recorded while its payment is being created is never left waiting."""

    def deliver(i: int):
        if i == 0:
            return post_event(Client(), envelope("invoice.paid", INVOICE))
        data = refund(f"re_{i}", amount=10, order_id="ord_c")
        return post_event(Client(), envelope("refund.succeeded", data))

    with SignalRecorder(signals.payment_refunded) as refunded:
        responses = run_together(deliver, THREADS)
    assert {r.status_code for r in responses} == {200}
    payment = Payment.objects.get()
    assert not Refund.objects.filter(payment__isnull=True).exists()
    assert payment.refunded_amount == 10 * (THREADS - 1)
    assert len(refunded.calls) == THREADS - 1
