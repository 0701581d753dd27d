from __future__ import annotations

import json

from recur_django.emulator.models import CheckoutSession, Customer, Order, Subscription
from recur_django.webhooks.signature import verify_signature

FIRST_SUBSCRIPTION_ORDER = [
    "checkout.created",
    "customer.created",
    "subscription.created",
    "order.paid",
    "subscription.activated",
    "checkout.completed",
]


def test_first_subscription_emits_documented_order(recur_emulator, api, capture):
    session = api.checkout(metadata={"transaction_id": "txn_1"}, externalCustomerId="user-7")
    assert session["id"].startswith("cs_")
    assert session["url"].endswith(f"/_recur/checkout/{session['id']}")
    assert session["status"] == "PENDING"

    response = recur_emulator.pay(session["id"], "4147 6310-0000 0001")
    assert response.status_code == 303
    assert response.headers["Location"] == f"https://shop.example/ok?session_id={session['id']}"

    assert [e["type"] for e in recur_emulator.events()] == FIRST_SUBSCRIPTION_ORDER
    sent = recur_emulator.deliver()
    assert [d.event.type for d in sent] == FIRST_SUBSCRIPTION_ORDER
    assert all(d.status == "SUCCEEDED" for d in sent)
    types = [headers["X-Recur-Event-Type"] for headers, _ in capture.requests]
    assert types == FIRST_SUBSCRIPTION_ORDER

    headers, body = capture.requests[-1]
    verify_signature(body, headers, ["whsec_test_secret"])
    envelope = json.loads(body)
    assert headers["X-Recur-Event-Id"] == envelope["id"]
    assert envelope["id"].startswith("evt_")
    assert envelope["timestamp"].endswith("Z") and len(envelope["timestamp"]) == 24
    assert headers["X-Recur-Timestamp"].isdigit() and len(headers["X-Recur-Timestamp"]) == 13
    data = envelope["data"]
    customer = Customer.objects.get()
    sub = Subscription.objects.get()
    order = Order.objects.get()
    assert data["id"] == session["id"]
    assert data["status"] == "COMPLETE"
    assert data["metadata"] == {"transaction_id": "txn_1"}
    assert (data["amount"], data["currency"], data["product_id"]) == (
        299,
        "TWD",
        "prod_pro_monthly",
    )
    assert data["customer_id"] == customer.id and data["customer_email"] == "amy@example.com"
    assert data["subscription_id"] == sub.id and data["order_id"] == order.id
    assert customer.external_id == "user-7"
    assert sub.status == "ACTIVE"
    assert sub.current_period_end.month != sub.current_period_start.month

    retrieved = api.get(f"checkout/sessions/{session['id']}").json()
    assert retrieved["status"] == "COMPLETE"
    assert retrieved["subscription_id"] == sub.id


def test_one_time_purchase_has_no_subscription(recur_emulator, api):
    session = api.checkout("prod_ebook")
    assert session["mode"] == "PAYMENT"
    assert recur_emulator.pay(session["id"]).status_code == 303
    assert [e["type"] for e in recur_emulator.events()] == [
        "checkout.created",
        "customer.created",
        "order.paid",
        "checkout.completed",
    ]
    assert not Subscription.objects.exists()
    completed = recur_emulator.events("checkout.completed")[0]["data"]
    assert completed["subscription_id"] is None
    assert completed["order_id"] == Order.objects.get().id


def test_declined_card_shows_reason_and_emits_payment_failed(recur_emulator, api):
    session = api.checkout()
    response = recur_emulator.pay(session["id"], "4000 0000 0000 0002")
    assert response.status_code == 402
    assert "declined" in response.text
    failed = recur_emulator.events("order.payment_failed")
    assert len(failed) == 1
    assert failed[0]["data"]["failure_code"] == "CARD_DECLINED"
    assert CheckoutSession.objects.get().status == "PENDING"
    assert not recur_emulator.events("checkout.completed")
    # The same session can still be paid with a working card.
    assert recur_emulator.pay(session["id"], "3560511000000001").status_code == 303
    assert len(recur_emulator.events("checkout.completed")) == 1


def test_completed_session_cannot_be_paid_again(recur_emulator, api):
    session = api.checkout("prod_ebook")
    assert recur_emulator.pay(session["id"]).status_code == 303
    again = recur_emulator.pay(session["id"])
    assert again.status_code == 409
    assert Order.objects.count() == 1


def test_expired_session_cannot_be_paid(recur_emulator, api):
    session = api.checkout("prod_ebook")
    recur_emulator.advance(days=2)
    response = recur_emulator.pay(session["id"])
    assert response.status_code == 410
    assert api.get(f"checkout/sessions/{session['id']}").json()["status"] == "EXPIRED"
    assert not Order.objects.exists()
