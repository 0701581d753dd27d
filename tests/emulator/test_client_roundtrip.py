"""Our RecurClient against the emulator, over real HTTP, for every resource."""

from __future__ import annotations

import time

import pytest

from recur_django.client import (
    APIError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RecurClient,
)
from recur_django.emulator.models import CheckoutSession

SUCCESS = "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/pricing"


@pytest.fixture
def client(recur_emulator):
    return recur_emulator.client


def test_checkout_session_create_pay_retrieve(recur_emulator, client):
    session = client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url=SUCCESS,
        cancel_url="https://shop.example/pricing",
        customer_email="amy@example.com",
        customer_name="Amy",
        external_customer_id="user-1",
        metadata={"transaction_id": "txn_1"},
    )
    assert session.id.startswith("cs_") and session.url
    assert session.mode == "SUBSCRIPTION" and session.amount == 299 and session.currency == "TWD"
    assert session.expires_at is not None and session.metadata == {"transaction_id": "txn_1"}
    assert recur_emulator.pay(session.id).status_code == 303
    done = client.checkout_sessions.retrieve(session.id)
    assert done.status == "COMPLETE"
    assert done.subscription_id and done.order_id and done.customer_id
    assert done.customer_email == "amy@example.com"

    by_slug = client.checkout_sessions.create(
        product_slug="ebook", success_url=SUCCESS, cancel_url=CANCEL
    )
    assert by_slug.product_id == "prod_ebook" and by_slug.mode == "PAYMENT"


def test_portal_session(recur_emulator, client):
    session = client.checkout_sessions.create(
        product_id="prod_pro_yearly",
        success_url=SUCCESS,
        cancel_url=CANCEL,
        customer_email="amy@example.com",
    )
    recur_emulator.pay(session.id)
    customer_id = client.checkout_sessions.retrieve(session.id).customer_id
    portal = client.portal_sessions.create(
        customer=customer_id, return_url="https://shop.example/account", locale="zh-TW"
    )
    assert portal.customer_id == customer_id
    assert portal.return_url == "https://shop.example/account"
    assert portal.status == "active" and portal.url and portal.expires_at and portal.created_at
    by_email = client.portal_sessions.create(
        email="amy@example.com", return_url="https://shop.example/"
    )
    assert by_email.customer_id == customer_id
    with pytest.raises(NotFoundError) as caught:
        client.portal_sessions.create(email="ghost@example.com", return_url="https://shop.example/")
    assert caught.value.code == "customer_not_found"
    with pytest.raises(InvalidRequestError) as caught:
        client.portal_sessions.create(customer=customer_id)
    assert caught.value.code == "missing_return_url"


def test_payment_links_crud_and_iteration(client):
    link = client.payment_links.create(
        product_id="prod_ebook", max_completions=5, metadata={"campaign": "spring"}
    )
    assert link.active and link.url_id and link.max_completions == 5
    assert link.product is not None and link.product.price == 590
    assert link.environment == "SANDBOX" and link.view_count == 0
    assert client.payment_links.retrieve(link.id).id == link.id
    updated = client.payment_links.update(link.id, max_completions=None, active=False)
    assert updated.max_completions is None and updated.active is False
    assert updated.metadata == {"campaign": "spring"}
    deleted = client.payment_links.delete(link.id)
    assert deleted.id == link.id and deleted.deleted is True
    ids = {client.payment_links.create(product_slug="credits-100").id for _ in range(3)}
    page = client.payment_links.list(limit=2)
    assert len(page.data) == 2 and page.has_more
    assert {pl.id for pl in client.payment_links.iter(limit=2, active=True)} == ids
    assert [pl.id for pl in client.payment_links.list(active=False).data] == [link.id]
    with pytest.raises(NotFoundError):
        client.payment_links.retrieve("plink_missing")


def test_products_customers_subscriptions_entitlements(recur_emulator, client):
    products = client.products.list()
    assert {p.id for p in products} >= {"prod_pro_monthly", "prod_ebook"}
    monthly = next(p for p in products if p.id == "prod_pro_monthly")
    assert (monthly.slug, monthly.price, monthly.type, monthly.billing_period) == (
        "pro-monthly",
        299,
        "SUBSCRIPTION",
        "MONTHLY",
    )
    assert {p.type for p in client.products.list(type="CREDITS")} == {"CREDITS"}

    for email in ("amy@example.com", "bob@example.com"):
        s = client.checkout_sessions.create(
            product_id="prod_pro_monthly",
            success_url=SUCCESS,
            cancel_url=CANCEL,
            customer_email=email,
            external_customer_id=email.split("@")[0],
        )
        recur_emulator.pay(s.id)
    customers = client.customers.list(limit=1)
    assert len(customers.data) == 1 and customers.has_more
    assert client.customers.list(email="bob@example.com").data[0].external_id == "bob"

    subs = client.subscriptions.list(external_id="amy")
    assert len(subs.data) == 1
    sub = subs.data[0]
    assert sub.status == "ACTIVE" and sub.product_slug == "pro-monthly" and sub.amount == 299
    assert sub.interval == "month" and sub.current_period_end > sub.current_period_start
    assert len(list(client.subscriptions.iter(limit=1))) == 2

    assert client.entitlements.check("pro-monthly", {"external_id": "amy"}).allowed
    assert client.entitlements.check("prod_pro_monthly", {"email": "amy@example.com"}).allowed
    assert not client.entitlements.check("ebook", {"external_id": "amy"}).allowed
    assert not client.entitlements.check("pro-monthly", {"email": "ghost@example.com"}).allowed
    assert [e.product for e in client.entitlements.list({"id": sub.customer_id})] == ["pro-monthly"]


def test_errors_map_to_client_exceptions(recur_emulator, client):
    bad_key = RecurClient("sk_test_wrong", base_url=recur_emulator.base_url, max_retries=0)
    with pytest.raises(AuthenticationError):
        bad_key.products.list()
    bad_key.close()
    with pytest.raises(NotFoundError):
        client.checkout_sessions.create(
            product_id="prod_missing", success_url=SUCCESS, cancel_url=CANCEL
        )
    with pytest.raises(InvalidRequestError):
        client.checkout_sessions.create(
            product_id="prod_ebook", success_url="nope", cancel_url=CANCEL
        )


def test_client_retries_through_500_and_429(recur_emulator, client):
    recur_emulator.fault("500", status=503)
    assert client.products.list()  # GET retried after the injected 503
    recur_emulator.fault("500")
    with pytest.raises(APIError) as caught:
        client.products.list()
    assert caught.value.status == 500
    recur_emulator.fault("429", retry_after=0)
    session = client.checkout_sessions.create(
        product_id="prod_ebook", success_url=SUCCESS, cancel_url=CANCEL
    )
    assert CheckoutSession.objects.filter(id=session.id).exists()
    recur_emulator.fault("429", count=5, retry_after=0)
    with pytest.raises(RateLimitError):
        client.products.list()


def test_client_times_out_on_a_hang(recur_emulator, settings):
    recur_emulator.fault("hang", seconds=1.2)
    hurried = RecurClient(
        "sk_test_tests", base_url=recur_emulator.base_url, timeout=(2.0, 0.3), max_retries=0
    )
    from recur_django.client import APIConnectionError

    with pytest.raises(APIConnectionError):
        hurried.products.list()
    hurried.close()
    # A real server thread is still sleeping in the hang (real time, not the emulator
    # clock): let it finish before the test database is flushed.
    time.sleep(1.1)
