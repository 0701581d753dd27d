"""Events that contradict what we hold apply nothing (issue 17, findings 3, 7 and 9).

- A subscription's customer, once known, changes only through our own evidence (our
  checkout session's completion): an ``invoice.*``/``subscription.*``/renewal event naming
  another customer is stored failed with the reason and changes nothing.
- An invoice id reused for another customer neither reactivates that customer's lapsed
  subscription nor moves the charge.
- A refund in another currency, or naming another customer than its payment, is kept as a
  flagged refund that counts nothing, revokes nothing and announces nothing — whether it
  arrives before or after its payment.
"""

from __future__ import annotations

import pytest

from recur_django import signals, testing
from recur_django.entitlements import has_entitlement
from recur_django.models import Customer, Payment, Refund, Subscription, WebhookEvent
from tests.ledger.payloads import invoice, order, refund
from tests.recur_helpers import SignalRecorder, completed_data, envelope, make_transaction

pytestmark = pytest.mark.django_db

PERIOD = {
    "current_period_start": "2026-01-01T00:00:00Z",
    "current_period_end": "2099-01-01T00:00:00Z",
}


@pytest.fixture
def ann(user):
    return Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)


@pytest.fixture
def bob(other_user):
    return Customer.objects.create(recur_id="cus_bob", owner=other_user, email=other_user.email)


def subscription(id: str, customer: str, status: str, **extra) -> dict:
    return {
        "id": id,
        "customer_id": customer,
        "status": status,
        "product_id": "prod_pro_monthly",
        "product_slug": "pro-monthly",
        **PERIOD,
        **extra,
    }


def refused(deliver, event) -> WebhookEvent:
    response = deliver(event)
    assert response.status_code == 200  # for good: Recur must not retry it
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.FAILED and not stored.retryable, stored.error
    return stored


def snapshot(recur_id: str) -> dict:
    sub = Subscription.objects.get(recur_id=recur_id)
    return {
        "customer": sub.customer.recur_id,
        "status": sub.status,
        "product": sub.product_slug,
        "period_end": sub.current_period_end,
        "last_event": sub.last_event_id,
    }


# ------------------------------------------------------------------ finding 3: swaps


@pytest.mark.parametrize(
    "event_type",
    ["subscription.updated", "subscription.renewed", "subscription.activated"],
)
def test_a_newer_subscription_event_naming_another_customer_applies_nothing(
    ann, bob, user, other_user, deliver, sent, event_type
):
    deliver(envelope("subscription.activated", subscription("sub_1", "cus_ann", "ACTIVE")))
    before = snapshot("sub_1")
    swap = subscription("sub_1", "cus_bob", "ACTIVE", product_slug="pro-yearly")
    swap["updated_at"] = "2099-06-01T00:00:00Z"
    with SignalRecorder(signals.subscription_changed) as changed:
        stored = refused(deliver, envelope(event_type, swap))
    assert "cus_ann" in stored.error and "cus_bob" in stored.error
    assert snapshot("sub_1") == before
    assert has_entitlement(user, "pro-monthly") and not has_entitlement(other_user, "pro-monthly")
    assert changed.calls == []
    assert all(calls == [] for calls in sent.values())


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("invoice.paid", invoice("in_2", customer_id="cus_bob", subscription_id="sub_1")),
        ("invoice.payment_failed", invoice("in_2", customer_id="cus_bob", subscription_id="sub_1")),
        (
            "order.paid",
            order(
                "ord_2",
                customer_id="cus_bob",
                subscription_id="sub_1",
                billing_reason="subscription_cycle",
            ),
        ),
    ],
)
def test_a_charge_of_the_subscription_naming_another_customer_applies_nothing(
    ann, bob, user, other_user, deliver, sent, event_type, data
):
    deliver(envelope("subscription.activated", subscription("sub_1", "cus_ann", "ACTIVE")))
    before = snapshot("sub_1")
    stored = refused(deliver, envelope(event_type, data))
    assert "cus_bob" in stored.error
    assert snapshot("sub_1") == before
    assert not Payment.objects.exists()  # no payment attached to Bob (nor to Ann)
    assert not has_entitlement(other_user, "pro-monthly")
    assert all(calls == [] for calls in sent.values())


def test_only_our_checkout_sets_a_known_subscriptions_customer(user, other_user, deliver):
    """Bob's customer was first named by an event; Ann's checkout session (ours) completes
    for the same subscription: the subscription is Ann's, and Bob's events are refused."""

    def at(event_type: str, data: dict, hour: int) -> dict:  # events in this order in time
        return testing.make_event(event_type, data, timestamp=f"2026-01-15T{hour:02d}:00:00Z")

    Customer.objects.create(recur_id="cus_bob", owner=other_user)
    deliver(at("subscription.created", subscription("sub_x", "cus_bob", "PENDING"), 1))
    txn = make_transaction(user, amount=299, mode="SUBSCRIPTION", product_id="prod_pro_monthly")
    data = completed_data(txn, customer_id="cus_ann", subscription_id="sub_x", order_id="ord_1")
    deliver(envelope("checkout.completed", data))
    assert Subscription.objects.get(recur_id="sub_x").customer.recur_id == "cus_ann"
    refused(deliver, at("subscription.activated", subscription("sub_x", "cus_bob", "ACTIVE"), 2))
    deliver(at("subscription.activated", subscription("sub_x", "cus_ann", "ACTIVE"), 3))
    assert has_entitlement(user, "pro-monthly") and not has_entitlement(other_user, "pro-monthly")


# --------------------------------------------------------------- finding 9: reused ids


def test_an_invoice_id_reused_for_another_customer_reactivates_nothing(
    ann, bob, other_user, deliver, sent
):
    deliver(envelope("subscription.activated", subscription("sub_ann", "cus_ann", "ACTIVE")))
    lapsed = subscription("sub_bob", "cus_bob", "PAST_DUE")
    deliver(envelope("subscription.past_due", lapsed))
    deliver(envelope("invoice.paid", invoice("in_1", subscription_id="sub_ann")))
    paid_before = {name: len(calls) for name, calls in sent.items()}

    reused = invoice("in_1", customer_id="cus_bob", subscription_id="sub_bob", amount=290)
    stored = refused(deliver, envelope("invoice.paid", reused))
    assert "in_1" in stored.error
    assert Subscription.objects.get(recur_id="sub_bob").status == "PAST_DUE"
    payment = Payment.objects.get()
    assert payment.customer == ann and payment.subscription.recur_id == "sub_ann"
    assert {name: len(calls) for name, calls in sent.items()} == paid_before


def test_a_refund_naming_another_customer_refunds_nothing(ann, user, deliver, sent):
    txn = make_transaction(user, amount=590, product_id="prod_ebook", product_slug="ebook")
    deliver(
        envelope("checkout.completed", completed_data(txn, order_id="ord_e", customer_id="cus_ann"))
    )
    deliver(
        envelope(
            "refund.succeeded", refund("re_1", amount=590, order_id="ord_e", customer_id="cus_bob")
        )
    )
    stored = Refund.objects.get()
    assert "cus_bob" in stored.review_reason and not stored.counts
    payment = Payment.objects.get()
    assert (payment.refunded_amount, payment.status) == (0, Payment.Status.PAID)
    assert has_entitlement(user, "ebook")
    assert sent["payment_refunded"] == []


# ------------------------------------------------------- finding 7: another currency


@pytest.mark.parametrize("refund_first", [False, True])
def test_a_refund_in_another_currency_applies_nothing(user, deliver, sent, refund_first):
    txn = make_transaction(user, amount=100, product_id="prod_ebook", product_slug="ebook")
    events = [
        envelope("checkout.completed", completed_data(txn, order_id="ord_e")),
        envelope(
            "refund.succeeded", refund("re_usd", amount=100, currency="USD", order_id="ord_e")
        ),
    ]
    for event in events[::-1] if refund_first else events:
        deliver(event)
    stored = Refund.objects.get()
    assert stored.review_reason and "USD" in stored.review_reason and not stored.counts
    assert stored.payment is not None  # kept with its payment, for a person to look at
    payment = Payment.objects.get()
    assert (payment.refunded_amount, payment.status) == (0, Payment.Status.PAID)
    assert has_entitlement(user, "ebook")
    assert sent["payment_refunded"] == []
    assert len(sent["payment_succeeded"]) == 1
