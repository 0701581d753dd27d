"""The client against the built-in emulator over real HTTP: every resource round-trips."""

from __future__ import annotations

import pytest

from recur_django.client import (
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    RecurClient,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_checkout_round_trip(recur_emulator):
    client = recur_emulator.client
    session = client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/pricing",
        customer_email="buyer@example.com",
        external_customer_id="user-1",
        metadata={"transaction_id": "txn_1"},
    )
    assert session.id
    assert session.url
    assert session.expires_at is not None and session.expires_at.tzinfo is not None
    response = recur_emulator.pay(session.id)
    assert response.status_code == 303
    paid = client.checkout_sessions.retrieve(session.id)
    assert paid.id == session.id
    assert (paid.status or "").upper() == "COMPLETE"
    assert paid.metadata == {"transaction_id": "txn_1"}
    assert paid.amount == 299 and paid.currency == "TWD"

    subs = client.subscriptions.list(email="buyer@example.com")
    assert [s.product_id for s in subs.data] == ["prod_pro_monthly"]
    assert subs.data[0].current_period_end is not None

    customers = client.customers.list(email="buyer@example.com")
    assert customers.data[0].external_id == "user-1"

    check = client.entitlements.check("pro-monthly", {"email": "buyer@example.com"})
    assert check.allowed is True
    assert not client.entitlements.check("ebook", {"email": "buyer@example.com"}).allowed

    portal = client.portal_sessions.create(
        email="buyer@example.com", return_url="https://shop.example/account"
    )
    assert portal.url
    assert portal.customer_id == customers.data[0].id


def test_products_and_payment_links(recur_emulator):
    client = recur_emulator.client
    products = client.products.list()
    assert {p.slug for p in products} >= {"pro-monthly", "ebook"}
    assert {p.id for p in client.products.list(type="CREDITS")} == {
        "prod_credits_100",
        "prod_credits_1000",
    }

    created = [client.payment_links.create(product_slug="ebook", max_completions=3)]
    created += [client.payment_links.create(product_id="prod_pro_monthly") for _ in range(2)]
    link = created[0]
    assert link.product_id == "prod_ebook"
    assert link.product is not None and link.product.price == 590
    assert link.max_completions == 3
    assert client.payment_links.retrieve(link.id).id == link.id

    updated = client.payment_links.update(link.id, max_completions=None, promotion_code="X")
    assert updated.max_completions is None
    assert updated.promotion_code == "X"

    assert client.payment_links.delete(link.id).deleted is True
    assert client.payment_links.retrieve(link.id).active is False

    all_ids = {pl.id for pl in client.payment_links.iter(limit=1)}
    assert all_ids == {pl.id for pl in created}
    first = client.payment_links.list(limit=1)
    assert len(first.data) == 1 and first.has_more is True


def test_errors_from_the_emulator(recur_emulator, settings):
    client = recur_emulator.client
    with pytest.raises(NotFoundError):
        client.checkout_sessions.retrieve("cs_does_not_exist")
    with pytest.raises(NotFoundError):
        client.checkout_sessions.create(
            product_id="prod_nope",
            success_url="https://shop.example/s",
            cancel_url="https://shop.example/c",
        )
    wrong = RecurClient("sk_test_wrong_key_0000", base_url=recur_emulator.base_url)
    with wrong, pytest.raises(AuthenticationError) as info:
        wrong.products.list()
    assert "sk_test_wrong_key_0000" not in str(info.value)


def test_emulator_faults_are_retried_or_surfaced(recur_emulator):
    client = recur_emulator.client
    client._transport.sleep = lambda _s: None
    recur_emulator.fault("429")
    assert client.products.list()  # retried after the 429
    recur_emulator.fault("500")
    with pytest.raises(Exception) as info:
        client.checkout_sessions.create(
            product_id="prod_ebook",
            success_url="https://shop.example/s",
            cancel_url="https://shop.example/c",
        )
    assert getattr(info.value, "status", None) == 500
    recur_emulator.fault("429", count=10)
    no_retry = RecurClient(
        recur_emulator.secret_key, base_url=recur_emulator.base_url, max_retries=0
    )
    with no_retry, pytest.raises(RateLimitError):
        no_retry.products.list()


def test_orders_and_invoices_are_retrieved_by_id(recur_emulator):
    """``GET /v1/orders/{id}`` and ``/v1/invoices/{id}``: Stripe-like (Recur documents no
    such endpoint), secret key only, 404 for an unknown id."""
    from recur_django.emulator.services import clock

    client = recur_emulator.client
    session = client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/pricing",
        customer_email="renews@example.com",
    )
    assert recur_emulator.pay(session.id).status_code == 303
    first = client.orders.retrieve(client.checkout_sessions.retrieve(session.id).order_id)
    assert (first.object, first.status, first.amount, first.currency) == (
        "order", "PAID", 299, "TWD",
    )  # fmt: skip
    assert first.customer_id and first.paid_at is not None
    clock.advance(days=32)
    paid = recur_emulator.events("invoice.paid")[-1]["data"]
    invoice = client.invoices.retrieve(paid["id"])
    assert (invoice.object, invoice.amount, invoice.order_id) == ("invoice", 299, paid["order_id"])
    assert invoice.raw["subscription_id"] == paid["subscription_id"]
    with pytest.raises(NotFoundError):
        client.invoices.retrieve("in_nobody")
    with pytest.raises(NotFoundError):
        client.orders.retrieve("ord_nobody")
    public = RecurClient("sk_test_wrong", base_url=client.base_url)
    with pytest.raises(AuthenticationError):
        public.orders.retrieve(first.id)
