"""Refunds made on the emulator reach the ledger: partial then the rest, and access follows."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from recur_django.emulator.models import Order, WebhookDelivery
from recur_django.entitlements import has_entitlement
from recur_django.models import Payment

from .conftest import buy, flush

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_partial_refund_then_the_rest_refunds_the_ebook_and_takes_it_back(
    recur_emulator, buyer, sent
):
    buy(recur_emulator, buyer, "ebook")
    flush(recur_emulator)
    assert has_entitlement(buyer, "ebook")
    order = Order.objects.get()
    payment = Payment.objects.get()
    assert (payment.kind, payment.status, payment.amount) == ("checkout", "paid", 590)

    recur_emulator.refund(order.id, amount=200)
    flush(recur_emulator)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 200)
    assert has_entitlement(buyer, "ebook")  # a partial refund keeps the purchase

    response = recur_emulator.control(action="refund", order=order.id)  # the rest, over HTTP
    assert response.status_code == 200, response.content
    flush(recur_emulator)

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", 590)
    assert Payment.objects.count() == 1
    assert [(c["payment"].pk, c["amount"]) for c in sent["payment_refunded"]] == [
        (payment.pk, 200),
        (payment.pk, 390),
    ]
    assert not has_entitlement(buyer, "ebook")
    assert len(sent["payment_succeeded"]) == 1 and len(sent["transaction_completed"]) == 1


def test_refunds_delivered_twice_and_out_of_order_count_once(recur_emulator, buyer, sent):
    buy(recur_emulator, buyer, "ebook")
    flush(recur_emulator)
    order = Order.objects.get()
    recur_emulator.fault("duplicate", count=10)
    recur_emulator.fault("out_of_order", count=1)
    recur_emulator.refund(order.id, amount=90)
    recur_emulator.fault("out_of_order", count=1)
    recur_emulator.refund(order.id)
    flush(recur_emulator)

    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("refunded", 590)
    assert sorted(c["amount"] for c in sent["payment_refunded"]) == [90, 500]
    assert not has_entitlement(buyer, "ebook")


def test_a_renewal_refunded_with_the_command_leaves_the_subscription_alone(
    recur_emulator, buyer, sent
):
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    recur_emulator.advance(days=32)
    flush(recur_emulator)
    renewal = Payment.objects.get(kind=Payment.Kind.RENEWAL)

    call_command("recur_emulator", "refund", renewal.invoice_id, stdout=StringIO())
    flush(recur_emulator)

    renewal.refresh_from_db()
    assert (renewal.status, renewal.refunded_amount) == ("refunded", 299)
    assert [(c["payment"].pk, c["amount"]) for c in sent["payment_refunded"]] == [(renewal.pk, 299)]
    assert has_entitlement(buyer, "pro-monthly")  # access follows the subscription's state


def test_refunds_delivered_before_the_purchase_are_applied_when_it_arrives(
    recur_emulator, buyer, sent
):
    buy(recur_emulator, buyer, "ebook")
    order = Order.objects.get()
    recur_emulator.refund(order.id, amount=100)
    recur_emulator.refund(order.id)
    pending = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).order_by("sort_key")
    )
    newest_first = [d.sort_key for d in reversed(pending)]
    for delivery, key in zip(pending, newest_first, strict=True):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(sort_key=key)
    flush(recur_emulator)

    payment = Payment.objects.get()
    assert (payment.kind, payment.amount) == ("checkout", 590)
    assert (payment.status, payment.refunded_amount) == ("refunded", 590)
    assert payment.user_id == buyer.pk and payment.transaction_id is not None
    assert sorted(c["amount"] for c in sent["payment_refunded"]) == [100, 490]
    assert len(sent["payment_succeeded"]) == 1 and len(sent["transaction_completed"]) == 1
    assert not has_entitlement(buyer, "ebook")
