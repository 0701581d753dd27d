"""Every resource method: what goes on the wire, and how either response casing is read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recur_django.client import (
    CheckoutSession,
    Deleted,
    EntitlementCheck,
    InvalidRequestError,
    Page,
    PaymentLink,
    Product,
)
from recur_django.client.types import camel

T0 = datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
T0_TEXT = "2025-01-01T00:30:00Z"


def camelize(data):
    """The same payload with every key camelCased (the other documented casing).

    ``metadata`` is the caller's own data and is echoed back untouched.
    """
    if isinstance(data, dict):
        return {camel(k): v if k == "metadata" else camelize(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camelize(v) for v in data]
    return data


both_casings = pytest.mark.parametrize("casing", [lambda d: d, camelize], ids=["snake", "camel"])


# -- checkout sessions ----------------------------------------------------------------

SESSION = {
    "id": "cs_abc",
    "object": "checkout.session",
    "url": "https://checkout.recur.tw/cs_abc",
    "status": "COMPLETE",
    "mode": "SUBSCRIPTION",
    "expires_at": T0_TEXT,
    "product_id": "prod_pro_monthly",
    "customer_id": "cus_1",
    "customer_email": "buyer@example.com",
    "amount": 299,
    "currency": "TWD",
    "metadata": {"transaction_id": "txn_1"},
    "order_id": "ord_1",
    "subscription_id": "sub_1",
    "future_field": {"kept": True},
}


def test_checkout_create_sends_camel_case_body(client, recur_server):
    recur_server.reply(200, SESSION)
    client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/pricing",
        mode="SUBSCRIPTION",
        customer_email="buyer@example.com",
        customer_name="Buyer",
        external_customer_id="42",
        metadata={"transaction_id": "txn_1"},
    )
    req = recur_server.last
    assert (req.method, req.path) == ("POST", "/v1/checkout/sessions")
    assert req.json == {
        "productId": "prod_pro_monthly",
        "successUrl": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancelUrl": "https://shop.example/pricing",
        "mode": "SUBSCRIPTION",
        "customerEmail": "buyer@example.com",
        "customerName": "Buyer",
        "externalCustomerId": "42",
        "metadata": {"transaction_id": "txn_1"},
    }


def test_checkout_create_by_slug_omits_unset_fields(client, recur_server):
    recur_server.reply(200, SESSION)
    client.checkout_sessions.create(
        product_slug="pro-monthly", success_url="https://s", cancel_url="https://c"
    )
    assert recur_server.last.json == {
        "productSlug": "pro-monthly",
        "successUrl": "https://s",
        "cancelUrl": "https://c",
    }


def test_checkout_create_needs_a_product_before_sending(client, recur_server):
    with pytest.raises(InvalidRequestError) as info:
        client.checkout_sessions.create(success_url="https://s", cancel_url="https://c")
    assert info.value.code == "missing_product"
    assert info.value.status is None
    assert recur_server.received == []


@both_casings
def test_checkout_session_is_read_in_either_casing(client, recur_server, casing):
    recur_server.reply(200, casing(SESSION))
    session = client.checkout_sessions.retrieve("cs_abc")
    assert recur_server.last.method == "GET"
    assert recur_server.last.path == "/v1/checkout/sessions/cs_abc"
    assert session == CheckoutSession(
        id="cs_abc",
        url="https://checkout.recur.tw/cs_abc",
        status="COMPLETE",
        mode="SUBSCRIPTION",
        expires_at=T0,
        product_id="prod_pro_monthly",
        customer_id="cus_1",
        customer_email="buyer@example.com",
        amount=299,
        currency="TWD",
        metadata={"transaction_id": "txn_1"},
        order_id="ord_1",
        subscription_id="sub_1",
    )
    assert session.raw == casing(SESSION)
    assert "futureField" in session.raw or "future_field" in session.raw


def test_ids_are_url_quoted_in_paths(client, recur_server):
    recur_server.reply(200, SESSION)
    client.checkout_sessions.retrieve("cs_../../v1/customers?x=1")
    assert recur_server.last.path == "/v1/checkout/sessions/cs_..%2F..%2Fv1%2Fcustomers%3Fx%3D1"
    assert recur_server.last.query == {}


def test_empty_id_is_rejected_before_sending(client, recur_server):
    with pytest.raises(InvalidRequestError):
        client.checkout_sessions.retrieve("")
    assert recur_server.received == []


def test_frozen_dataclass(client, recur_server):
    recur_server.reply(200, SESSION)
    session = client.checkout_sessions.retrieve("cs_abc")
    with pytest.raises(AttributeError):
        session.status = "OPEN"  # type: ignore[misc]


def test_tolerant_reader_maps_bad_types_to_none(client, recur_server):
    recur_server.reply(
        200,
        {
            "id": "cs_1",
            "url": 5.5,
            "amount": "299",
            "currency": ["TWD"],
            "expires_at": "not a date",
            "metadata": "oops",
            "status": True,
        },
    )
    session = client.checkout_sessions.retrieve("cs_1")
    assert session.url is None
    assert session.amount == 299  # numeric text is accepted
    assert session.currency is None
    assert session.expires_at is None
    assert session.metadata is None
    assert session.status is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-01T00:30:00Z", T0),
        ("2025-01-01T00:30:00.000Z", T0),
        ("2025-01-01T08:30:00+08:00", T0),
        ("2025-01-01T00:30:00", T0),  # naive -> UTC
        (1735691400, T0),  # epoch seconds
        (1735691400000, T0),  # epoch milliseconds (webhook timestamps)
    ],
)
def test_datetimes_become_aware(client, recur_server, value, expected):
    recur_server.reply(200, {"id": "cs_1", "expires_at": value})
    expires = client.checkout_sessions.retrieve("cs_1").expires_at
    assert expires == expected
    assert expires is not None and expires.tzinfo is not None


# -- portal sessions ------------------------------------------------------------------

PORTAL = {
    "id": "portal_session_1",
    "object": "portal.session",
    "url": "https://portal.recur.tw/s/ps_1",
    "customer_id": "cus_1",
    "return_url": "https://shop.example/account",
    "status": "active",
    "expires_at": "2025-01-01T01:30:00Z",
    "accessed_at": None,
    "created_at": T0_TEXT,
}


def test_portal_create_sends_sdk_wire_keys(client, recur_server):
    recur_server.reply(200, PORTAL)
    client.portal_sessions.create(
        customer="cus_1",
        email="a@example.com",
        external_id="42",
        return_url="https://shop.example/account",
        configuration="pc_1",
        locale="zh-TW",
    )
    req = recur_server.last
    assert (req.method, req.path) == ("POST", "/v1/portal/sessions")
    assert req.json == {
        "customerId": "cus_1",
        "email": "a@example.com",
        "externalId": "42",
        "returnUrl": "https://shop.example/account",
        "configurationId": "pc_1",
        "locale": "zh-TW",
    }
    assert req.headers["Idempotency-Key"]


def test_portal_create_needs_an_identifier_before_sending(client, recur_server):
    with pytest.raises(InvalidRequestError) as info:
        client.portal_sessions.create(return_url="https://shop.example/account")
    assert info.value.code == "missing_customer_identifier"
    assert info.value.status is None
    assert recur_server.received == []


@both_casings
def test_portal_session_is_read_in_either_casing(client, recur_server, casing):
    recur_server.reply(200, casing(PORTAL))
    session = client.portal_sessions.create(email="a@example.com")
    assert session.id == "portal_session_1"
    assert session.url == "https://portal.recur.tw/s/ps_1"
    assert session.customer_id == "cus_1"
    assert session.return_url == "https://shop.example/account"
    assert session.status == "active"
    assert session.expires_at == datetime(2025, 1, 1, 1, 30, tzinfo=UTC)
    assert session.accessed_at is None
    assert session.created_at == T0


def test_portal_session_reads_the_sdk_customer_key(client, recur_server):
    recur_server.reply(200, {"id": "ps_1", "customer": "cus_9"})
    assert client.portal_sessions.create(customer="cus_9").customer_id == "cus_9"


# -- payment links --------------------------------------------------------------------

LINK = {
    "id": "pl_1",
    "url": "https://buy.recur.tw/7sY3cxcrX1T1ep4",
    "url_id": "7sY3cxcrX1T1ep4",
    "active": True,
    "product_id": "prod_ebook",
    "product": {
        "id": "prod_ebook",
        "name": "E-book",
        "slug": "ebook",
        "price": 590,
        "currency": "TWD",
        "type": "ONE_TIME",
    },
    "promotion_code": "LAUNCH",
    "collect_payment_method": "always",
    "success_url": None,
    "max_completions": 100,
    "metadata": {"campaign": "x"},
    "environment": "SANDBOX",
    "view_count": 3,
    "session_count": 2,
    "completed_count": 1,
    "created_at": T0_TEXT,
}


def test_payment_link_create_wire_format(client, recur_server):
    recur_server.reply(200, LINK)
    client.payment_links.create(
        product_id="prod_ebook",
        promotion_code="LAUNCH",
        collect_payment_method="if_required",
        success_url="https://shop.example/thanks",
        max_completions=100,
        metadata={"campaign": "x"},
        idempotency_key="link-1",
    )
    req = recur_server.last
    assert (req.method, req.path) == ("POST", "/v1/payment-links")
    assert req.headers["Idempotency-Key"] == "link-1"
    assert req.json == {
        "productId": "prod_ebook",
        "promotionCode": "LAUNCH",
        "collectPaymentMethod": "if_required",
        "successUrl": "https://shop.example/thanks",
        "maxCompletions": 100,
        "metadata": {"campaign": "x"},
    }


def test_payment_link_create_by_slug(client, recur_server):
    recur_server.reply(200, LINK)
    client.payment_links.create(product_slug="ebook")
    assert recur_server.last.json == {"productSlug": "ebook"}


@both_casings
def test_payment_link_is_read_in_either_casing(client, recur_server, casing):
    recur_server.reply(200, casing(LINK))
    link = client.payment_links.retrieve("pl_1")
    assert (recur_server.last.method, recur_server.last.path) == ("GET", "/v1/payment-links/pl_1")
    assert isinstance(link, PaymentLink)
    assert link.url_id == "7sY3cxcrX1T1ep4"
    assert link.active is True
    assert link.product_id == "prod_ebook"
    assert link.product is not None
    assert (link.product.slug, link.product.price, link.product.type) == ("ebook", 590, "ONE_TIME")
    assert link.promotion_code == "LAUNCH"
    assert link.collect_payment_method == "always"
    assert link.success_url is None
    assert link.max_completions == 100
    assert link.metadata == {"campaign": "x"}
    assert link.environment == "SANDBOX"
    assert (link.view_count, link.session_count, link.completed_count) == (3, 2, 1)
    assert link.created_at == T0


def test_payment_link_update_sends_only_given_fields_and_nulls(client, recur_server):
    recur_server.reply(200, LINK)
    client.payment_links.update("pl_1", active=False, promotion_code=None, max_completions=5)
    req = recur_server.last
    assert (req.method, req.path) == ("PATCH", "/v1/payment-links/pl_1")
    assert req.json == {"active": False, "promotionCode": None, "maxCompletions": 5}
    assert "Idempotency-Key" not in req.headers


def test_payment_link_update_rejects_unknown_fields(client, recur_server):
    with pytest.raises(TypeError, match="sucess_url"):
        client.payment_links.update("pl_1", sucess_url="https://x")
    assert recur_server.received == []


def test_payment_link_delete(client, recur_server):
    recur_server.reply(200, {"id": "pl_1", "deleted": True})
    result = client.payment_links.delete("pl_1")
    assert (recur_server.last.method, recur_server.last.path) == (
        "DELETE",
        "/v1/payment-links/pl_1",
    )
    assert result == Deleted(id="pl_1", deleted=True)


def test_payment_link_delete_with_empty_body(client, recur_server):
    recur_server.reply(204, None)
    assert client.payment_links.delete("pl_1") == Deleted(id="pl_1", deleted=True)


def test_payment_link_list_query_and_page(client, recur_server):
    recur_server.reply(200, {"data": [LINK, {**LINK, "id": "pl_2"}], "has_more": True})
    page = client.payment_links.list(limit=2, starting_after="pl_0", active=True)
    req = recur_server.last
    assert (req.method, req.path) == ("GET", "/v1/payment-links")
    assert req.query == {"limit": "2", "starting_after": "pl_0", "active": "true"}
    assert isinstance(page, Page)
    assert [link.id for link in page.data] == ["pl_1", "pl_2"]
    assert page.has_more is True


def test_payment_link_list_without_filters_sends_no_query(client, recur_server):
    recur_server.reply(200, {"data": [], "has_more": False})
    page = client.payment_links.list()
    assert recur_server.last.query == {}
    assert page.data == [] and page.has_more is False


def test_payment_link_iter_follows_cursors(client, recur_server):
    recur_server.reply(200, {"data": [LINK, {**LINK, "id": "pl_2"}], "has_more": True})
    recur_server.reply(200, {"data": [{**LINK, "id": "pl_3"}], "has_more": False})
    ids = [link.id for link in client.payment_links.iter(limit=2, active=False)]
    assert ids == ["pl_1", "pl_2", "pl_3"]
    first, second = recur_server.received
    assert first.query == {"limit": "2", "active": "false"}
    assert second.query == {"limit": "2", "active": "false", "starting_after": "pl_2"}


def test_iter_stops_when_a_page_is_empty_despite_has_more(client, recur_server):
    recur_server.reply(200, {"data": [], "has_more": True})
    assert list(client.payment_links.iter()) == []
    assert len(recur_server.received) == 1


# -- products -------------------------------------------------------------------------

PRODUCT = {
    "id": "prod_pro_monthly",
    "name": "Pro (monthly)",
    "slug": "pro-monthly",
    "description": "All features",
    "type": "SUBSCRIPTION",
    "billing_period": "MONTHLY",
    "price": 299,
    "currency": "TWD",
    "trial_days": 7,
    "metadata": {"product_family": "pro"},
}


@both_casings
@pytest.mark.parametrize("envelope", ["products", "data"])
def test_products_list_reads_either_envelope_and_casing(client, recur_server, casing, envelope):
    recur_server.reply(200, {envelope: [casing(PRODUCT)]})
    products = client.products.list(type="SUBSCRIPTION")
    assert recur_server.last.path == "/v1/products"
    assert recur_server.last.query == {"type": "SUBSCRIPTION"}
    assert products == [
        Product(
            id="prod_pro_monthly",
            name="Pro (monthly)",
            slug="pro-monthly",
            description="All features",
            type="SUBSCRIPTION",
            billing_period="MONTHLY",
            price=299,
            currency="TWD",
            trial_days=7,
            metadata={"product_family": "pro"},
        )
    ]


def test_list_items_without_an_id_are_skipped(client, recur_server):
    recur_server.reply(200, {"products": [PRODUCT, {"name": "broken"}, "junk", None]})
    assert [p.id for p in client.products.list()] == ["prod_pro_monthly"]


# -- customers ------------------------------------------------------------------------

CUSTOMER = {
    "object": "customer",
    "id": "cus_1",
    "email": "a@example.com",
    "name": "A",
    "external_id": "42",
    "email_verified": True,
    "status": "ACTIVE",
    "created_at": T0_TEXT,
    "updated_at": T0_TEXT,
    "livemode": False,
    "subscriptions_count": 1,
}


@both_casings
def test_customers_list(client, recur_server, casing):
    recur_server.reply(
        200,
        casing(
            {
                "object": "list",
                "data": [CUSTOMER],
                "has_more": True,
                "next_cursor": "cus_1",
                "livemode": False,
            }
        ),
    )
    page = client.customers.list(
        limit=10, starting_after="cus_0", email="a@example.com", status="ACTIVE"
    )
    req = recur_server.last
    assert req.path == "/v1/customers"
    assert req.query == {
        "limit": "10",
        "starting_after": "cus_0",
        "email": "a@example.com",
        "status": "ACTIVE",
    }
    assert page.has_more is True
    assert page.next_cursor == "cus_1"
    customer = page.data[0]
    assert (customer.id, customer.email, customer.name, customer.external_id) == (
        "cus_1",
        "a@example.com",
        "A",
        "42",
    )
    assert customer.email_verified is True
    assert customer.status == "ACTIVE"
    assert customer.livemode is False
    assert customer.created_at == T0
    assert customer.raw == casing(CUSTOMER)


def test_customers_iter_uses_next_cursor(client, recur_server):
    recur_server.reply(200, {"data": [CUSTOMER], "has_more": True, "next_cursor": "cur_x"})
    recur_server.reply(200, {"data": [{**CUSTOMER, "id": "cus_2"}], "has_more": False})
    assert [c.id for c in client.customers.iter(limit=1)] == ["cus_1", "cus_2"]
    assert recur_server.received[1].query["starting_after"] == "cur_x"


# -- subscriptions --------------------------------------------------------------------

SUBSCRIPTION = {
    "id": "sub_1",
    "object": "subscription",
    "status": "ACTIVE",
    "customer_id": "cus_1",
    "product_id": "prod_pro_monthly",
    "product_slug": "pro-monthly",
    "product_name": "Pro (monthly)",
    "amount": 299,
    "currency": "TWD",
    "interval": "month",
    "interval_count": 1,
    "current_period_start": "2025-01-01T00:00:00Z",
    "current_period_end": "2025-02-01T00:00:00Z",
    "canceled_at": None,
    "cancel_at_period_end": False,
    "trial_end": None,
    "coupon": None,
}


@both_casings
@pytest.mark.parametrize("envelope", ["subscriptions", "data"])
def test_subscriptions_list(client, recur_server, casing, envelope):
    recur_server.reply(
        200,
        casing({"object": "list", "has_active_subscription": True, envelope: [SUBSCRIPTION]}),
    )
    page = client.subscriptions.list(
        email="a@example.com",
        external_id="42",
        customer_id="cus_1",
        product_id="prod_pro_monthly",
        product_slug="pro-monthly",
        active=True,
        status="ACTIVE",
        limit=5,
        starting_after="sub_0",
    )
    req = recur_server.last
    assert req.path == "/v1/subscriptions"
    assert req.query == {
        "email": "a@example.com",
        "external_id": "42",
        "customer_id": "cus_1",
        "product_id": "prod_pro_monthly",
        "product_slug": "pro-monthly",
        "active": "true",
        "status": "ACTIVE",
        "limit": "5",
        "starting_after": "sub_0",
    }
    sub = page.data[0]
    assert (sub.id, sub.status, sub.customer_id) == ("sub_1", "ACTIVE", "cus_1")
    assert (sub.product_id, sub.product_slug, sub.product_name) == (
        "prod_pro_monthly",
        "pro-monthly",
        "Pro (monthly)",
    )
    assert (sub.amount, sub.currency, sub.interval, sub.interval_count) == (299, "TWD", "month", 1)
    assert sub.current_period_start == datetime(2025, 1, 1, tzinfo=UTC)
    assert sub.current_period_end == datetime(2025, 2, 1, tzinfo=UTC)
    assert sub.canceled_at is None
    assert sub.cancel_at_period_end is False
    assert page.has_more is False


def test_subscription_variants_are_normalised(client, recur_server):
    variant = {
        "id": "sub_2",
        "status": "CANCELED",
        "plan_id": "prod_pro_yearly",
        "billing_period": "YEARLY",
        "cancelled_at": T0_TEXT,
        "customer": {"id": "cus_2"},
    }
    recur_server.reply(200, {"subscriptions": [variant]})
    sub = client.subscriptions.list().data[0]
    assert sub.product_id == "prod_pro_yearly"
    assert sub.interval == "year"
    assert sub.canceled_at == T0
    assert sub.customer_id == "cus_2"


def test_subscriptions_iter_passes_filters(client, recur_server):
    recur_server.reply(200, {"data": [SUBSCRIPTION], "has_more": True})
    recur_server.reply(200, {"data": [{**SUBSCRIPTION, "id": "sub_2"}], "has_more": False})
    ids = [s.id for s in client.subscriptions.iter(limit=1, email="a@example.com", active=True)]
    assert ids == ["sub_1", "sub_2"]
    assert recur_server.received[1].query == {
        "email": "a@example.com",
        "active": "true",
        "limit": "1",
        "starting_after": "sub_1",
    }


# -- entitlements ---------------------------------------------------------------------

ENTITLEMENTS = {
    "customer": {"id": "cus_1", "email": "a@example.com", "name": "A", "external_id": "42"},
    "subscription": {
        "id": "sub_1",
        "status": "ACTIVE",
        "product": {"id": "prod_pro_monthly", "slug": "pro-monthly", "name": "Pro"},
        "current_period_end": "2025-02-01T00:00:00Z",
    },
    "entitlements": [
        {
            "product": "pro-monthly",
            "product_id": "prod_pro_monthly",
            "status": "active",
            "subscription_id": "sub_1",
        },
        {
            "product": "ebook",
            "product_id": "prod_ebook",
            "status": "purchased",
            "source": "order",
            "source_id": "ord_1",
            "expires_at": None,
        },
        {
            "product": "old-course",
            "product_id": "prod_old",
            "status": "active",
            "expires_at": "2000-01-01T00:00:00Z",
        },
        {"product": "revoked-thing", "product_id": "prod_rev", "status": "revoked"},
    ],
}


def test_entitlements_list_query_and_fields(client, recur_server):
    recur_server.reply(200, ENTITLEMENTS)
    items = client.entitlements.list({"id": "cus_1", "email": "a@example.com", "external_id": "42"})
    req = recur_server.last
    assert (req.method, req.path) == ("GET", "/v1/customers/entitlements")
    assert req.query == {"customer_id": "cus_1", "email": "a@example.com", "external_id": "42"}
    assert [(e.product, e.product_id, e.status) for e in items] == [
        ("pro-monthly", "prod_pro_monthly", "active"),
        ("ebook", "prod_ebook", "purchased"),
        ("old-course", "prod_old", "active"),
        ("revoked-thing", "prod_rev", "revoked"),
    ]
    assert items[0].subscription_id == "sub_1"
    assert (items[1].source, items[1].source_id) == ("order", "ord_1")


@both_casings
def test_entitlements_retrieve_in_either_casing(client, recur_server, casing):
    recur_server.reply(200, casing(ENTITLEMENTS))
    result = client.entitlements.retrieve({"externalId": "42"})
    assert recur_server.last.query == {"external_id": "42"}
    assert result.customer_id == "cus_1"
    assert result.customer_external_id == "42"
    assert result.subscription is not None
    assert result.subscription.product_slug == "pro-monthly"
    assert result.subscription.current_period_end == datetime(2025, 2, 1, tzinfo=UTC)
    assert len(result.entitlements) == 4


@pytest.mark.parametrize(
    ("product", "allowed", "reason"),
    [
        ("pro-monthly", True, None),
        ("prod_pro_monthly", True, None),
        ("ebook", True, None),
        ("old-course", False, "expired"),
        ("revoked-thing", False, "expired"),
        ("unknown", False, "no_entitlement"),
    ],
)
def test_entitlements_check(client, recur_server, product, allowed, reason):
    recur_server.reply(200, ENTITLEMENTS)
    result = client.entitlements.check(product, {"email": "a@example.com"})
    assert isinstance(result, EntitlementCheck)
    assert result.allowed is allowed
    assert bool(result) is allowed
    assert result.reason == reason
    if allowed:
        assert result.entitlement is not None
        assert product in (result.entitlement.product, result.entitlement.product_id)


def test_entitlements_check_returns_matching_subscription(client, recur_server):
    recur_server.reply(200, ENTITLEMENTS, times=2)
    assert client.entitlements.check("pro-monthly", "cus_1").subscription.id == "sub_1"
    assert client.entitlements.check("ebook", "cus_1").subscription is None
    assert recur_server.last.query == {"customer_id": "cus_1"}


def test_entitlements_need_a_customer_and_product_before_sending(client, recur_server):
    with pytest.raises(InvalidRequestError) as info:
        client.entitlements.list({})
    assert info.value.code == "missing_customer_identifier"
    with pytest.raises(InvalidRequestError) as info:
        client.entitlements.check("", {"email": "a@example.com"})
    assert info.value.code == "missing_product"
    assert recur_server.received == []
