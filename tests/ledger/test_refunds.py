"""Refunds: several partial refunds add up once; a refund may arrive before its payment."""

from __future__ import annotations

import pytest
from django.test import override_settings

from recur_django.entitlements import entitlements_for, has_entitlement
from recur_django.models import Customer, Payment, Refund
from tests.ledger.payloads import first_order, invoice, order, refund
from tests.recur_helpers import completed_data, envelope, make_transaction
from tests.settings import RECUR

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(user):
    return Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)


def _paid_order(deliver, id="ord_1", amount=290):
    deliver(envelope("order.paid", order(id, amount=amount)))


def test_partial_then_rest_is_refunded_with_two_signals(customer, deliver, sent):
    _paid_order(deliver)
    deliver(envelope("refund.created", refund("re_1", amount=100, order_id="ord_1")))
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 100)
    deliver(envelope("refund.succeeded", refund("re_1", amount=100, order_id="ord_1")))
    deliver(envelope("refund.created", refund("re_2", amount=190, order_id="ord_1")))
    deliver(envelope("refund.succeeded", refund("re_2", amount=190, order_id="ord_1")))

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", 290)
    assert [c["amount"] for c in sent["payment_refunded"]] == [100, 190]
    assert [c["refund"].recur_id for c in sent["payment_refunded"]] == ["re_1", "re_2"]
    assert set(Refund.objects.values_list("status", flat=True)) == {"succeeded"}


def test_refund_before_its_payment_is_applied_when_it_appears(customer, deliver, sent):
    deliver(envelope("refund.succeeded", refund("re_1", amount=90, invoice_id="in_1")))
    kept = Refund.objects.get()
    assert kept.payment is None and kept.invoice_id == "in_1"
    assert sent["payment_refunded"] == []

    deliver(envelope("invoice.paid", invoice("in_1", order_id="ord_1", subscription_id="s")))
    payment = Payment.objects.get()
    kept.refresh_from_db()
    assert kept.payment == payment
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 90)
    [announced] = sent["payment_refunded"]
    assert announced["amount"] == 90 and announced["payment"].pk == payment.pk


def test_refund_naming_the_order_finds_the_invoice_keyed_row(customer, deliver, sent):
    deliver(envelope("invoice.paid", invoice("in_1", order_id="ord_1", subscription_id="s")))
    deliver(envelope("refund.succeeded", refund("re_1", amount=290, order_id="ord_1")))
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert len(sent["payment_refunded"]) == 1


def test_failed_refund_does_not_count(customer, deliver, sent):
    _paid_order(deliver)
    deliver(envelope("refund.failed", refund("re_1", amount=100, order_id="ord_1")))
    deliver(envelope("refund.created", refund("re_1", amount=100, order_id="ord_1")))
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("paid", 0)
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert sent["payment_refunded"] == []


def test_invoice_refunded_without_refund_events(customer, deliver, sent):
    deliver(envelope("invoice.paid", invoice("in_1", subscription_id="s")))
    deliver(envelope("invoice.refunded", invoice("in_1", subscription_id="s")))
    deliver(envelope("invoice.refunded", invoice("in_1", subscription_id="s")))
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("refunded", 290)
    [announced] = sent["payment_refunded"]
    assert announced["amount"] == 290 and announced["refund"] is None


def test_invoice_refunded_and_refund_events_do_not_count_twice(customer, deliver, sent):
    deliver(envelope("invoice.paid", invoice("in_1", subscription_id="s")))
    deliver(envelope("refund.succeeded", refund("re_1", amount=100, invoice_id="in_1")))
    deliver(envelope("invoice.refunded", invoice("in_1", refunded_total=100)))
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 100)
    assert [c["amount"] for c in sent["payment_refunded"]] == [100]


def test_refund_without_id_is_kept_as_processed_event_and_changes_nothing(customer, deliver):
    _paid_order(deliver)
    deliver(envelope("refund.created", {"amount": 100, "order_id": "ord_1"}))
    assert Payment.objects.get().refunded_amount == 0


# ---------------------------------------------------------------- access follows money


def _refunded_purchase(user, deliver, amount=100):
    txn = make_transaction(user, amount=amount, product_id="prod_ebook", product_slug="ebook")
    deliver(envelope("checkout.completed", completed_data(txn, order_id="ord_e")))
    assert has_entitlement(user, "ebook")
    deliver(envelope("refund.succeeded", refund("re_e", amount=40, order_id="ord_e")))
    assert has_entitlement(user, "ebook")  # partially refunded: still granted
    deliver(envelope("refund.succeeded", refund("re_f", amount=amount - 40, order_id="ord_e")))
    return txn


def test_fully_refunded_purchase_no_longer_grants(user, deliver, django_assert_num_queries):
    _refunded_purchase(user, deliver)
    with django_assert_num_queries(1):
        assert not has_entitlement(user, "ebook")
    assert entitlements_for(user) == []


@pytest.mark.parametrize(
    ("setting", "revoked"),
    [(True, True), (False, False), (["ebook"], True), (["other"], False), ("ebook", True)],
)
def test_refund_revokes_access_setting(user, deliver, setting, revoked):
    with override_settings(RECUR={**RECUR, "REFUND_REVOKES_ACCESS": setting}):
        _refunded_purchase(user, deliver)
        assert has_entitlement(user, "ebook") is not revoked


def test_first_purchase_refunded_before_its_order_arrives(user, deliver, sent):
    txn = make_transaction(user, amount=100, product_id="prod_ebook", product_slug="ebook")
    deliver(envelope("refund.succeeded", refund("re_x", amount=100, order_id="ord_z")))
    deliver(envelope("order.paid", first_order(txn, "ord_z")))
    payment = Payment.objects.get()
    assert payment.transaction == txn and payment.status == Payment.Status.REFUNDED
    assert not has_entitlement(user, "ebook")
    assert len(sent["payment_succeeded"]) == 1 and len(sent["payment_refunded"]) == 1
