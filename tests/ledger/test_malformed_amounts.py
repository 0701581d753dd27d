"""Malformed and absent amounts (issue 17, finding 4): one amount rule for checkout and
ledger. A malformed amount refuses the event (stored failed, not retried: nothing recorded,
nothing mirrored, nothing sent); an absent one is confirmed with Recur outside any
transaction (end to end against the emulator: tests/ledger_e2e/test_amount_authority.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from recur_django.models import Customer, Payment, Refund, Subscription, WebhookEvent
from recur_django.payloads import parse_amount
from tests.ledger.payloads import invoice, order, refund
from tests.recur_helpers import envelope, post_event

pytestmark = pytest.mark.django_db

MALFORMED: list[Any] = ["abc", "", " ", -5, "-5", 1.5, "1.5", 10**30, "1" * 40, True, [290], {}]


@pytest.mark.parametrize("value", MALFORMED, ids=repr)
def test_the_one_amount_reader_refuses_what_is_not_a_whole_ledger_amount(value):
    with pytest.raises(ValueError, match="amount"):
        parse_amount(value)


@pytest.mark.parametrize(
    ("value", "amount"), [(None, None), (0, 0), (290, 290), (290.0, 290), (" 290 ", 290)]
)
def test_the_one_amount_reader_reads_whole_amounts(value, amount):
    assert parse_amount(value) == amount
    assert parse_amount(2**63 - 1) == 2**63 - 1


@pytest.fixture
def lapsed(user):
    """A customer of ours whose subscription is past due."""
    customer = Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)
    return Subscription.objects.create(recur_id="sub_1", customer=customer, status="PAST_DUE")


def assert_refused(deliver, event) -> WebhookEvent:
    response = deliver(event)
    assert response.status_code == 200, response.content  # refused for good: no retry
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.FAILED and not stored.retryable
    assert "amount" in stored.error
    return stored


@pytest.mark.parametrize("value", MALFORMED, ids=repr)
def test_a_paid_invoice_with_a_malformed_amount_records_and_sends_nothing(
    lapsed, deliver, sent, value
):
    paid = invoice("in_1", subscription_id="sub_1", billing_reason="subscription_cycle")
    paid["amount"] = value
    assert_refused(deliver, envelope("invoice.paid", paid))
    assert not Payment.objects.exists()
    lapsed.refresh_from_db()
    assert lapsed.status == "PAST_DUE"  # not reactivated by a charge nobody can read
    assert all(calls == [] for calls in sent.values()), sent


@pytest.mark.parametrize("event_type", ["order.paid", "order.payment_failed"])
def test_every_charge_event_uses_the_same_rule(lapsed, deliver, sent, event_type):
    charge = order("ord_1", subscription_id="sub_1", billing_reason="subscription_cycle")
    charge["amount"] = "12abc"
    assert_refused(deliver, envelope(event_type, charge))
    assert not Payment.objects.exists()
    assert all(calls == [] for calls in sent.values())


def test_a_malformed_refunded_total_is_refused_too(lapsed, deliver, sent):
    deliver(envelope("invoice.paid", invoice("in_1", subscription_id="sub_1")))
    refunded = invoice("in_1", subscription_id="sub_1", refunded_total=-290)
    assert_refused(deliver, envelope("invoice.refunded", refunded))
    assert Payment.objects.get().refunded_amount == 0


@pytest.mark.parametrize("value", ["abc", -1, 0.5, 10**30])
def test_a_refund_with_a_malformed_amount_is_refused(lapsed, deliver, sent, value):
    deliver(envelope("invoice.paid", invoice("in_1", subscription_id="sub_1")))
    assert_refused(
        deliver, envelope("refund.succeeded", refund("re_1", amount=value, invoice_id="in_1"))
    )
    assert not Refund.objects.exists()
    assert Payment.objects.get().refunded_amount == 0
    assert sent["payment_refunded"] == []


def test_an_absent_amount_when_recur_is_unreachable_fails_for_a_retry(lapsed, client, sent):
    """Recur is asked (outside the transaction); unreachable, the event fails retryably
    (500: Recur redelivers, recur_replay applies it later) and nothing is recorded."""
    paid = invoice("in_1", subscription_id="sub_1", billing_reason="subscription_cycle")
    del paid["amount"]
    event = envelope("invoice.paid", paid)
    response = post_event(client, event)  # RECUR["API_BASE"] is unreachable here
    assert response.status_code == 500
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.FAILED and stored.retryable
    assert "in_1" in stored.error
    assert not Payment.objects.exists()
    lapsed.refresh_from_db()
    assert lapsed.status == "PAST_DUE"
    assert all(calls == [] for calls in sent.values())


def test_an_absent_amount_is_not_asked_when_another_event_of_the_charge_said_it(
    lapsed, deliver, sent
):
    deliver(envelope("order.paid", order("ord_1", invoice_id="in_1", subscription_id="sub_1")))
    paid = invoice("in_1", order_id="ord_1", subscription_id="sub_1")
    del paid["amount"]
    assert deliver(envelope("invoice.paid", paid)).status_code == 200
    payment = Payment.objects.get()
    assert (payment.amount, payment.review_reason) == (290, "")
    assert len(sent["payment_succeeded"]) == 1
