"""Random JSON bodies and query strings against the emulator's API and pages: the
documented ``{"error": {...}}`` envelope, and never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robustness.test_api_sweep import json_values

pytestmark = pytest.mark.django_db

AUTH = {"HTTP_AUTHORIZATION": "Bearer sk_test_tests"}
V1 = "/_recur/v1/"
COLLECTIONS = [
    "checkout/sessions",
    "portal/sessions",
    "payment-links",
    "products",
    "customers",
    "customers/entitlements",
    "subscriptions",
]
DETAILS = [
    "checkout/sessions/cs_unknown",
    "payment-links/plink_unknown",
    "products/prod_unknown",
    "customers/cus_unknown",
    "subscriptions/sub_unknown",
    "products/prod_ebook",
    "no/such/endpoint",
]
FIELDS = [
    "product_id",
    "productId",
    "product_slug",
    "success_url",
    "cancel_url",
    "mode",
    "metadata",
    "customer",
    "email",
    "external_id",
    "return_url",
    "max_completions",
    "active",
    "promotion_code",
    "customer_email",
    "limit",
    "starting_after",
]
bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
)
query_values = st.one_of(
    st.sampled_from(["-1", "0", "abc", "maybe", "9" * 5000, "", "1e3", "cs_nope", "%00"]),
    st.text(max_size=40),
)
queries = st.dictionaries(
    st.sampled_from(
        ["limit", "starting_after", "active", "email", "status", "type", "customer", "product"]
    ),
    query_values,
    max_size=3,
)
SWEEP = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api(db):
    return Client()


def check(response) -> None:
    assert response.status_code != 500 and response.status_code < 502, (
        response.status_code,
        response.content[:300],
    )
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("error"), dict), body
        assert body["error"].get("message")


@pytest.mark.parametrize("path", COLLECTIONS + DETAILS)
@SWEEP
@given(body=bodies)
def test_random_json_bodies(api, path, body):
    for method in ("post", "patch"):
        response = getattr(api, method)(
            V1 + path, data=json.dumps(body), content_type="application/json", **AUTH
        )
        check(response)


@pytest.mark.parametrize("path", COLLECTIONS + DETAILS)
@SWEEP
@given(params=queries)
def test_random_query_strings(api, path, params):
    check(api.get(V1 + path, params, **AUTH))


@pytest.mark.parametrize("path", COLLECTIONS)
@pytest.mark.parametrize(
    "raw", [b"{", b"\xff", b"[]", b"NaN", b'{"a": NaN}', b"[" * 100000 + b"]" * 100000]
)
def test_hostile_bodies(api, path, raw):
    check(api.post(V1 + path, data=raw, content_type="application/json", **AUTH))


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "-1"},
        {"limit": "abc"},
        {"limit": "9" * 5000},
        {"starting_after": "unknown"},
        {"starting_after": "x" * 500},
    ],
)
@pytest.mark.parametrize("path", ["payment-links", "customers", "subscriptions"])
def test_documented_list_params_are_400(api, path, params):
    response = api.get(V1 + path, params, **AUTH)
    assert response.status_code == 400, response.content
    check(response)


@pytest.mark.parametrize("path", ["payment-links", "subscriptions"])
def test_active_must_be_a_boolean(api, path):
    response = api.get(V1 + path, {"active": "maybe"}, **AUTH)
    assert response.status_code == 400, response.content
    check(response)


@pytest.mark.parametrize("path", COLLECTIONS + DETAILS)
def test_missing_and_bad_keys(api, path):
    check(api.get(V1 + path))
    check(api.get(V1 + path, HTTP_AUTHORIZATION="Bearer sk_wrong"))
    check(api.get(V1 + path, HTTP_AUTHORIZATION="Bearer " + "\u00e9" * 300))
    check(api.delete(V1 + path, **AUTH))


@pytest.mark.parametrize(
    "page",
    [
        "checkout/cs_unknown",
        "checkout/" + "x" * 600,
        "checkout/%E4%B8%AD",
        "checkout/cs_unknown/done",
        "portal/ps_unknown",
        "portal/ps_unknown?done=" + "x" * 100,
        "buy/unknown",
        "buy/" + "%ff" * 10,
    ],
)
def test_pages_with_unknown_ids(api, page):
    response = api.get("/_recur/" + page)
    assert response.status_code in (200, 404, 410), response.status_code


@pytest.mark.parametrize(
    "page, data",
    [
        ("checkout/cs_unknown/pay", {"card_number": "4147631000000001"}),
        ("checkout/cs_unknown/pay", {"card_number": "x" * 1000}),
        ("portal/ps_unknown/cancel", {"subscription_id": "sub_x", "when": "now"}),
    ],
)
def test_page_posts_with_unknown_ids(api, page, data):
    response = api.post("/_recur/" + page, data)
    assert 400 <= response.status_code < 500, response.status_code


@SWEEP
@given(body=bodies)
def test_control_endpoint_random_bodies(api, body):
    response = api.post("/_recur/_control/", data=json.dumps(body), content_type="application/json")
    check(response)


@pytest.mark.parametrize("raw", [b"{", b"[]", b"\xff", b"[" * 100000 + b"]" * 100000])
def test_control_endpoint_hostile_bodies(api, raw):
    check(api.post("/_recur/_control/", data=raw, content_type="application/json"))
