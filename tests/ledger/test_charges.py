"""Charges: one Payment per Recur charge, whichever events describe it and in what order."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from recur_django.models import Customer, Payment, PaymentLink, Subscription, Transaction
from tests.ledger.payloads import first_order, invoice, order
from tests.recur_helpers import completed_data, envelope, make_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(user):
    return Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)


def test_first_purchase_is_one_payment_linked_to_its_transaction(user, deliver, sent):
    txn = make_transaction(user, amount=590)
    deliver(envelope("order.paid", first_order(txn, "ord_1", customer_id="cus_new")))
    data = completed_data(txn, order_id="ord_1", customer_id="cus_new")
    deliver(envelope("checkout.completed", data))
    deliver(envelope("checkout.completed", data))  # Recur redelivers under a new event id

    payment = Payment.objects.get()
    assert payment.recur_id == "ord_1" and payment.order_id == "ord_1"
    assert payment.kind == Payment.Kind.CHECKOUT
    assert payment.status == Payment.Status.PAID
    assert (payment.amount, payment.currency) == (590, "TWD")
    assert payment.transaction == txn and payment.user == user
    assert payment.customer.recur_id == "cus_new"
    assert payment.paid_at is not None
    assert len(sent["payment_succeeded"]) == 1
    assert sent["payment_succeeded"][0]["payment"].pk == payment.pk
    assert len(sent["transaction_completed"]) == 1
    assert sent["subscription_renewed"] == []


def test_checkout_completed_alone_records_the_payment(user, deliver, sent):
    txn = make_transaction(user)
    deliver(envelope("checkout.completed", completed_data(txn, order_id="ord_9")))
    payment = Payment.objects.get()
    assert (payment.recur_id, payment.transaction, payment.kind) == ("ord_9", txn, "checkout")
    assert len(sent["payment_succeeded"]) == 1


def test_canceled_checkout_records_nothing(user, deliver):
    txn = make_transaction(user)
    deliver(envelope("checkout.completed", completed_data(txn, status="CANCELED")))
    assert not Payment.objects.exists()


@pytest.mark.parametrize("invoice_first", [True, False])
def test_renewal_invoice_and_order_are_one_payment(customer, deliver, sent, invoice_first):
    events = [
        envelope(
            "invoice.paid",
            invoice(
                "in_1",
                order_id="ord_1",
                subscription_id="sub_1",
                billing_reason="subscription_cycle",
                paid_at="2026-01-15T10:00:00Z",
            ),
        ),
        envelope("order.paid", order("ord_1", invoice_id="in_1", subscription_id="sub_1")),
    ]
    for event in events if invoice_first else events[::-1]:
        deliver(event)
        deliver(event)  # a duplicate delivery of the same event id

    payment = Payment.objects.get()
    assert (payment.recur_id, payment.invoice_id, payment.order_id) == ("in_1", "in_1", "ord_1")
    assert payment.kind == Payment.Kind.RENEWAL
    assert payment.subscription == Subscription.objects.get(recur_id="sub_1")
    assert payment.user == customer.owner
    assert payment.billing_reason == "subscription_cycle"
    assert payment.paid_at.isoformat() == "2026-01-15T10:00:00+00:00"
    assert len(sent["payment_succeeded"]) == 1
    [renewed] = sent["subscription_renewed"]
    assert renewed["subscription"].recur_id == "sub_1"
    assert renewed["payment"].pk == payment.pk


def test_declined_order_is_its_own_failed_row(customer, deliver, sent):
    txn = make_transaction(customer.owner)
    declined = first_order(txn, "ord_a", status="FAILED", failure_reason="card_declined")
    deliver(envelope("order.payment_failed", declined))
    deliver(envelope("order.paid", first_order(txn, "ord_b")))

    failed, paid = Payment.objects.get(recur_id="ord_a"), Payment.objects.get(recur_id="ord_b")
    assert failed.status == Payment.Status.FAILED and failed.paid_at is None
    assert failed.failure_reason == "card_declined" and failed.transaction == txn
    assert paid.status == Payment.Status.PAID
    [failure] = sent["payment_failed"]
    assert failure["reason"] == "card_declined" and failure["payment"].pk == failed.pk
    assert len(sent["payment_succeeded"]) == 1


@pytest.mark.parametrize("failure_first", [True, False])
def test_failed_then_retried_invoice_is_one_row(customer, deliver, sent, failure_first):
    """Recur retries a renewal under the same invoice id: the row ends paid, the failure
    stays as history, and each signal is sent once whatever the delivery order."""
    events = [
        envelope(
            "invoice.payment_failed",
            invoice("in_7", subscription_id="sub_1", failure_reason="insufficient_funds"),
        ),
        envelope("invoice.paid", invoice("in_7", subscription_id="sub_1")),
    ]
    for event in events if failure_first else events[::-1]:
        deliver(event)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID
    assert payment.failed_at is not None and payment.failure_reason == "insufficient_funds"
    assert len(sent["payment_failed"]) == 1
    assert len(sent["payment_succeeded"]) == 1
    assert len(sent["subscription_renewed"]) == 1


def test_trial_verification_charge(customer, deliver, sent):
    data = invoice("in_v", amount=2, subscription_id="sub_t", billing_reason="trial_verification")
    deliver(envelope("invoice.paid", data))
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount) == (Payment.Kind.VERIFICATION, 2)
    assert len(sent["payment_succeeded"]) == 1
    assert sent["subscription_renewed"] == []


@pytest.fixture
def link(db):
    return PaymentLink.objects.create(recur_id="plink_1", product_id="prod_ebook")


def _link_sale(customer_id: str) -> dict:
    return {
        "id": "chk_link",
        "status": "COMPLETED",
        "amount": 300,
        "currency": "TWD",
        "product_id": "prod_ebook",
        "customer_id": customer_id,
        "customer_email": "alice@example.com",
        "external_customer_id": "",
        "order_id": "ord_link",
        "payment_link_id": "plink_1",
        "metadata": {},
    }


def test_payment_link_sale_of_a_mapped_customer_gets_the_user(customer, link, deliver, sent):
    deliver(envelope("checkout.completed", _link_sale("cus_ann")))
    deliver(envelope("order.paid", order("ord_link", amount=300, checkout_id="chk_link")))
    payment = Payment.objects.get()
    assert payment.kind == Payment.Kind.PAYMENT_LINK
    assert payment.payment_link == link
    assert payment.customer == customer and payment.user == customer.owner
    assert payment.transaction is None
    assert len(sent["payment_succeeded"]) == 1
    assert not Transaction.objects.exists()


def test_payment_link_sale_of_an_unmapped_customer_gets_no_user(user, link, deliver):
    """Same email as a local user, yet no user: a user is attached only through a mapping."""
    deliver(envelope("order.paid", order("ord_link", amount=300, customer_id="cus_stranger")))
    deliver(envelope("checkout.completed", _link_sale("cus_stranger")))
    payment = Payment.objects.get()
    assert payment.kind == Payment.Kind.PAYMENT_LINK and payment.payment_link == link
    assert payment.user is None
    stranger = Customer.objects.get(recur_id="cus_stranger")
    assert stranger.owner is None
    assert get_user_model().objects.get().recur_payments.count() == 0


def test_unknown_fields_and_camel_case_are_read(customer, deliver):
    data = {
        "id": "in_c",
        "orderId": "ord_c",
        "amount": "450",
        "currency": "twd",
        "customer": {"id": "cus_ann"},
        "subscriptionId": "sub_c",
        "billingReason": "subscription_cycle",
        "somethingNew": {"kept": True},
    }
    deliver(envelope("invoice.paid", data))
    payment = Payment.objects.get()
    assert (payment.order_id, payment.amount, payment.currency) == ("ord_c", 450, "TWD")
    assert payment.customer == customer and payment.kind == Payment.Kind.RENEWAL
    assert payment.raw["somethingNew"] == {"kept": True}


def test_an_order_without_id_records_nothing(deliver):
    deliver(envelope("order.paid", {"amount": 100}))
    deliver(envelope("invoice.paid", {"subscription_id": "sub_x"}))
    assert not Payment.objects.exists()


def test_renewal_echoing_the_checkout_metadata_is_still_a_renewal(customer, deliver, sent):
    txn = make_transaction(customer.owner, mode=Transaction.Mode.SUBSCRIPTION)
    deliver(envelope("checkout.completed", completed_data(txn, order_id="ord_first")))
    renewal = first_order(txn, "ord_next", subscription_id="sub_1")
    renewal["billing_reason"] = "subscription_cycle"
    deliver(envelope("order.paid", renewal))
    first, later = (
        Payment.objects.get(recur_id="ord_first"),
        Payment.objects.get(recur_id="ord_next"),
    )
    assert (first.kind, first.transaction) == (Payment.Kind.CHECKOUT, txn)
    assert (later.kind, later.transaction) == (Payment.Kind.RENEWAL, None)
    assert later.user == customer.owner
    assert len(sent["payment_succeeded"]) == 2 and len(sent["subscription_renewed"]) == 1
    assert len(sent["transaction_completed"]) == 1


@pytest.mark.parametrize(
    "data",
    [
        {"id": "ord_x", "amount": "lots", "currency": 5, "customer": "cus_text", "metadata": []},
        {"id": "ord_y", "customer_id": "c" * 65, "subscription_id": "s" * 65, "amount": -5},
        {"id": "ord_z", "amount": 2**70, "paid_at": "yesterday", "invoice_id": {"id": 7}},
        {"id": "o" * 129, "amount": 100},
        {"id": ["ord_list"], "amount": 100},
    ],
)
def test_odd_payloads_never_crash_and_never_truncate_ids(deliver, data):
    deliver(envelope("order.paid", data))
    for payment in Payment.objects.all():
        assert payment.customer is None and payment.subscription is None
        assert payment.amount == 0
    assert Payment.objects.filter(recur_id__in=["ord_list", "o" * 128]).count() == 0
    assert not Customer.objects.exists() and not Subscription.objects.exists()
