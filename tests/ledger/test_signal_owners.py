"""Every billing signal carries ``owner`` (whose billing) and ``user`` (who acted; with users
as owners, the owner when nobody else did). Full and fast path (tests/ledger/conftest.py)."""

from __future__ import annotations

import pytest

from recur_django import signals
from recur_django.models import Customer, Payment
from tests.ledger.payloads import first_order, invoice, refund
from tests.recur_helpers import (
    SignalRecorder,
    completed_data,
    envelope,
    make_transaction,
)

pytestmark = pytest.mark.django_db


def parties(calls):
    return [(c["owner"], c["user"]) for c in calls]


def test_a_purchase_names_its_owner_and_the_user_who_bought(user, deliver, sent):
    txn = make_transaction(user, amount=590)
    deliver(envelope("checkout.completed", completed_data(txn, order_id="ord_1")))
    deliver(envelope("refund.succeeded", refund("re_1", amount=590, order_id="ord_1")))
    assert parties(sent["transaction_completed"]) == [(user, user)]
    assert parties(sent["payment_succeeded"]) == [(user, user)]
    assert parties(sent["payment_refunded"]) == [(user, user)]
    assert Payment.objects.get().owner == user


def test_a_renewal_names_the_owner_as_its_user(user, deliver, sent):
    Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)
    data = invoice("in_1", subscription_id="sub_1", billing_reason="subscription_cycle")
    with SignalRecorder(signals.subscription_changed) as changed:
        deliver(envelope("invoice.paid", data))
        deliver(envelope("invoice.payment_failed", {**data, "id": "in_2", "status": "FAILED"}))
    assert parties(sent["payment_succeeded"]) == [(user, user)]
    assert parties(sent["subscription_renewed"]) == [(user, user)]
    assert parties(sent["payment_failed"]) == [(user, user)]
    assert changed.calls and parties(changed.calls) == [(user, user)] * len(changed.calls)
    payment = Payment.objects.get(recur_id="in_1")
    assert (payment.owner, payment.user, payment.transaction) == (user, user, None)


def test_a_charge_of_an_unlinked_customer_names_nobody(deliver, sent):
    data = invoice("in_1", customer_id="cus_stranger", subscription_id="sub_9")
    deliver(envelope("invoice.paid", {**data, "billing_reason": "subscription_cycle"}))
    deliver(envelope("subscription.trial_ending", {"id": "sub_9", "customer_id": "cus_stranger"}))
    assert parties(sent["payment_succeeded"]) == [(None, None)]
    assert parties(sent["trial_will_end"]) == [(None, None)]
    assert Payment.objects.get().owner is None


def test_the_first_order_of_a_transaction_takes_its_owner(user, deliver, sent):
    txn = make_transaction(user, amount=590)
    deliver(envelope("order.paid", first_order(txn, "ord_1", customer_id="cus_new")))
    payment = Payment.objects.get()
    assert (payment.owner, payment.user) == (user, user)
    assert parties(sent["payment_succeeded"]) == [(user, user)]
