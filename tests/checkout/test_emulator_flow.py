"""The whole purchase against the emulator over real HTTP: checkout view -> hosted page ->
return page and webhook deliveries, in both orders."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from recur_django import signals
from recur_django.checkout import start_checkout
from recur_django.client.errors import InvalidRequestError, NotFoundError
from recur_django.models import Customer, Transaction, WebhookEvent
from tests.recur_helpers import SignalRecorder

DECLINED = "4000000000000002"


@pytest.fixture
def shopper(recur_emulator, user):
    browser = Client(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    browser.force_login(user)
    return browser


def start(browser, product="credits-100"):
    response = browser.post(reverse("recur:checkout"), {"product": product})
    assert response.status_code == 303, response.content
    txn = Transaction.objects.latest("created_at")
    assert response["Location"] == txn.checkout_url
    return txn


def return_url_of(pay_response):
    assert pay_response.status_code == 303, pay_response.text
    location = pay_response.headers["Location"]
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query)


def test_return_page_first_then_webhooks(recur_emulator, shopper, user):
    txn = start(shopper, "credits-100")
    assert txn.amount == 100 and txn.product_id == "prod_credits_100"
    session = recur_emulator.client.checkout_sessions.retrieve(txn.checkout_session_id)
    assert session.metadata["transaction_id"] == txn.public_id

    path, query = return_url_of(recur_emulator.pay(txn.checkout_session_id))
    assert path == reverse("recur:checkout-return")
    assert query["session_id"] == [txn.checkout_session_id]

    with SignalRecorder(signals.transaction_completed) as completed:
        response = shopper.get(path, {"session_id": txn.checkout_session_id})
        assert response.status_code == 200
        assert response.context["state"] == "success"
        deliveries = recur_emulator.deliver()
    assert deliveries and all(d.status == "SUCCEEDED" for d in deliveries)
    assert len(completed.calls) == 1
    assert completed.calls[0]["source"] == "return_page"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.order_id.startswith("ord_")
    assert Customer.objects.get(owner=user).recur_id.startswith("cus_")
    types = dict(WebhookEvent.objects.values_list("type", "status"))
    assert types["checkout.completed"] == "processed"
    assert types["order.paid"] == "processed"


def test_webhook_first_then_return_page(recur_emulator, shopper):
    txn = start(shopper, "pro-monthly")
    assert txn.mode == Transaction.Mode.SUBSCRIPTION
    path, _ = return_url_of(recur_emulator.pay(txn.checkout_session_id))
    with SignalRecorder(signals.transaction_completed) as completed:
        recur_emulator.deliver()
        response = shopper.get(path, {"session_id": txn.checkout_session_id})
    assert response.context["state"] == "success"
    assert len(completed.calls) == 1
    assert completed.calls[0]["source"] == "webhook"
    txn.refresh_from_db()
    assert txn.subscription_id.startswith("sub_")
    assert WebhookEvent.objects.filter(status="failed").count() == 0


@pytest.mark.parametrize(
    ("product", "fault"), [("prod_ebook", "duplicate"), ("pro-monthly", "out_of_order")]
)
def test_duplicate_or_reordered_deliveries_fulfil_once(recur_emulator, shopper, product, fault):
    txn = start(shopper, product)
    recur_emulator.fault(fault, count=10)
    recur_emulator.pay(txn.checkout_session_id)
    with SignalRecorder(signals.transaction_completed) as completed:
        recur_emulator.deliver()
    assert len(completed.calls) == 1
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_declined_card_then_success(recur_emulator, shopper):
    txn = start(shopper, "prod_ebook")
    declined = recur_emulator.pay(txn.checkout_session_id, card=DECLINED)
    assert declined.status_code != 303
    recur_emulator.deliver()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.FAILED
    with SignalRecorder(signals.transaction_completed) as completed:
        recur_emulator.pay(txn.checkout_session_id)
        recur_emulator.deliver()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert len(completed.calls) == 1


def test_processing_until_paid(recur_emulator, shopper):
    txn = start(shopper)
    response = shopper.get(
        reverse("recur:checkout-return"), {"session_id": txn.checkout_session_id}
    )
    assert response.context["state"] == "processing"


def test_seed_scenario_on_the_emulator(recur_emulator, shopper, user):
    """Pay 100 credits, open a 1,000 checkout, then let the webhooks arrive."""
    credited = []

    def credit(sender, transaction, **kwargs):
        credited.append(transaction.amount)

    small = start(shopper, "credits-100")
    recur_emulator.pay(small.checkout_session_id)
    big = start(shopper, "credits-1000")
    signals.transaction_completed.connect(credit, weak=False)
    try:
        recur_emulator.deliver()
    finally:
        signals.transaction_completed.disconnect(credit)
    assert credited == [100]
    big.refresh_from_db()
    assert big.status == Transaction.Status.PENDING


def test_unknown_product_fails_transaction(recur_emulator, user):
    with pytest.raises((InvalidRequestError, NotFoundError)):
        start_checkout(
            user,
            "prod_nope",
            success_url="https://shop.example/ok",
            cancel_url="https://shop.example/",
        )
    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.FAILED
    assert txn.failure_reason


def test_checkout_view_json_on_emulator(recur_emulator, shopper):
    response = shopper.post(
        reverse("recur:checkout"), {"product": "prod_ebook"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["url"].startswith(recur_emulator.base_url)
    assert Transaction.objects.get(public_id=body["transaction_id"]).amount == 590


def test_badly_signed_delivery_is_refused_and_not_stored(recur_emulator, shopper):
    from recur_django.emulator.models import DeliveryAttempt

    txn = start(shopper, "prod_ebook")
    # The next two emitted events: customer.created, order.paid.
    recur_emulator.fault("bad_signature", count=2)
    recur_emulator.pay(txn.checkout_session_id)
    recur_emulator.deliver()
    refused = DeliveryAttempt.objects.filter(status_code=400)
    assert refused.exists()
    assert {a.delivery.event.type for a in refused} == {"customer.created", "order.paid"}
    assert not WebhookEvent.objects.filter(type="order.paid").exists()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED  # checkout.completed was signed fine


def test_return_page_says_processing_when_the_database_is_busy(recur_emulator, shopper):
    """The webhook holding the write lock (a busy SQLite file) must not crash the return page."""
    from unittest import mock

    from django.db import OperationalError

    txn = start(shopper, "credits-100")
    path, _query = return_url_of(recur_emulator.pay(txn.checkout_session_id))
    with mock.patch(
        "recur_django.checkout.return_page.fulfil", side_effect=OperationalError("locked")
    ):
        response = shopper.get(path, {"session_id": txn.checkout_session_id})
    assert response.status_code == 200
    assert response.context["state"] == "processing"

    recur_emulator.deliver()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert shopper.get(path, {"session_id": txn.checkout_session_id}).context["state"] == "success"
