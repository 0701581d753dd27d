"""Whatever JSON Recur answers, with whatever status, the client raises only RecurError."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recur_django.client import RecurClient, RecurError, envelopes, types

BASE = "https://api.test"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["2025-01-01T00:30:00Z", "", "cs_1", "1735691400000"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "url",
                    "data",
                    "products",
                    "subscriptions",
                    "entitlements",
                    "subscription",
                    "customer",
                    "product",
                    "has_more",
                    "hasMore",
                    "next_cursor",
                    "expires_at",
                    "expiresAt",
                    "amount",
                    "metadata",
                    "status",
                    "error",
                    "code",
                    "message",
                    "deleted",
                    "product_id",
                    "productId",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)

CALLS: list[tuple[str, str, Callable[[RecurClient], Any]]] = [
    (
        "POST",
        "/v1/checkout/sessions",
        lambda c: c.checkout_sessions.create(product_id="p", success_url="s", cancel_url="c"),
    ),
    ("GET", "/v1/checkout/sessions/cs_1", lambda c: c.checkout_sessions.retrieve("cs_1")),
    ("POST", "/v1/portal/sessions", lambda c: c.portal_sessions.create(email="a@b.c")),
    ("POST", "/v1/payment-links", lambda c: c.payment_links.create(product_id="p")),
    ("GET", "/v1/payment-links/pl_1", lambda c: c.payment_links.retrieve("pl_1")),
    ("PATCH", "/v1/payment-links/pl_1", lambda c: c.payment_links.update("pl_1", active=False)),
    ("DELETE", "/v1/payment-links/pl_1", lambda c: c.payment_links.delete("pl_1")),
    ("GET", "/v1/payment-links", lambda c: c.payment_links.list()),
    ("GET", "/v1/payment-links", lambda c: list(c.payment_links.iter())),
    ("GET", "/v1/products", lambda c: c.products.list()),
    ("GET", "/v1/customers", lambda c: c.customers.list()),
    ("GET", "/v1/subscriptions", lambda c: c.subscriptions.list()),
    ("GET", "/v1/customers/entitlements", lambda c: c.entitlements.list({"id": "cus_1"})),
    ("GET", "/v1/customers/entitlements", lambda c: c.entitlements.check("p", {"id": "cus_1"})),
]

statuses = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 503]) | (
    st.integers(min_value=200, max_value=599)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    call=st.sampled_from(CALLS),
    status=statuses,
    body=json_values,
    raw_text=st.none() | st.binary(max_size=40),
)
def test_any_response_yields_a_result_or_a_recur_error(call, status, body, raw_text):
    method, path, invoke = call
    client = RecurClient("sk_test_fuzz", base_url=BASE, max_retries=0)
    payload = raw_text if raw_text is not None else json.dumps(body).encode()
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            # Serve the same answer for every page an iterator may request.
            mock.add(method, BASE + path, body=payload, status=status)
            with contextlib.suppress(RecurError):
                invoke(client)
    finally:
        client.close()


PARSERS = [
    types.parse_checkout_session,
    types.parse_portal_session,
    types.parse_payment_link,
    types.parse_product,
    types.parse_customer,
    types.parse_subscription,
    types.parse_entitlement,
    types.parse_customer_entitlements,
    types.parse_product_summary,
    types.parse_entitlement_subscription,
    types.parse_promotion_code,
    types.parse_credit_balance,
    types.parse_credit_transaction,
    lambda d: envelopes.parse_deleted(d, "pl_1"),
    lambda d: envelopes.parse_list(d, types.parse_subscription, "subscriptions", "data"),
]


@settings(max_examples=500, deadline=None)
@given(parser=st.sampled_from(PARSERS), body=json_values)
def test_parsers_raise_only_recur_errors(parser, body):
    with contextlib.suppress(RecurError):
        parser(body)
