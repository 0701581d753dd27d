from __future__ import annotations

import pytest

from recur_django.emulator.models import CheckoutSession

from .conftest import PUBLISHABLE

URLS = {"successUrl": "https://shop.example/", "cancelUrl": "https://shop.example/"}


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] and error["message"]
    return error


def test_missing_key_is_401(api):
    error = assert_error(api.get("products", key=None), 401, "unauthorized")
    assert error["type"] == "authentication_error"


def test_wrong_secret_key_is_401(api):
    assert_error(api.get("customers", key="sk_test_wrong"), 401, "unauthorized")


def test_secret_key_header_is_accepted(api):
    response = api.get("customers", key=None, headers={"X-Recur-Secret-Key": "sk_test_tests"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["products", "customers/entitlements?email=a@b.co"])
def test_publishable_key_where_allowed(api, path):
    response = api.get(path, key=None, headers={"X-Recur-Publishable-Key": PUBLISHABLE})
    assert response.status_code == 200


def test_publishable_key_creates_checkout_without_metadata(api):
    response = api.post(
        "checkout/sessions",
        key=None,
        headers={"X-Recur-Publishable-Key": PUBLISHABLE},
        json={
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/ok",
            "cancelUrl": "https://shop.example/",
        },
    )
    assert response.status_code == 200


def test_publishable_key_cannot_set_metadata(api):
    response = api.post(
        "checkout/sessions",
        key=None,
        headers={"X-Recur-Publishable-Key": PUBLISHABLE},
        json={
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
            "metadata": {"a": "1"},
        },
    )
    assert_error(response, 403, "forbidden")
    assert not CheckoutSession.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "customers"),
        ("GET", "subscriptions"),
        ("GET", "payment-links"),
        ("POST", "portal/sessions"),
        ("GET", "checkout/sessions/cs_x"),
    ],
)
def test_publishable_key_where_not_allowed(api, method, path):
    response = api.call(
        method, path, key=None, headers={"X-Recur-Publishable-Key": PUBLISHABLE}, json={}
    )
    assert_error(response, 401, "unauthorized")


def test_publishable_key_as_bearer_is_rejected(api):
    assert_error(api.get("products", key=PUBLISHABLE), 401, "unauthorized")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_malformed_body_is_400(api, body):
    response = api.post(
        "checkout/sessions", data=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        {
            "productId": 123,
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
        },
        {"productId": "prod_ebook", "successUrl": 5},
        {"productId": "prod_ebook", "successUrl": "not a url"},
        {
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
            "metadata": "x",
        },
        {
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
            "metadata": {"a": [1]},
        },
        {
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
            "mode": "BOGUS",
        },
        {
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
            "mode": "SUBSCRIPTION",
        },
        {
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
            "customerEmail": "nope",
        },
        {"productId": "prod_ebook"},
        {**URLS},
    ],
)
def test_wrong_types_and_missing_fields_are_400(api, body):
    assert_error(api.post("checkout/sessions", json=body), 400, "invalid_request")


def test_snake_case_request_keys_are_accepted(api):
    response = api.post(
        "checkout/sessions",
        json={
            "product_id": "prod_ebook",
            "success_url": "https://shop.example/",
            "cancel_url": "https://shop.example/",
            "customer_email": "a@b.co",
        },
    )
    assert response.status_code == 200
    assert response.json()["customer_email"] == "a@b.co"


@pytest.mark.parametrize(
    "path",
    [
        "checkout/sessions/cs_missing",
        "payment-links/plink_missing",
        "customers/cus_missing",
        "subscriptions/sub_missing",
        "products/prod_missing",
        "no/such/endpoint",
    ],
)
def test_unknown_ids_are_404(api, path):
    assert_error(api.get(path), 404, "resource_not_found")


def test_unknown_product_is_404(api):
    response = api.post(
        "checkout/sessions",
        json={
            "productId": "prod_nope",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
        },
    )
    assert_error(response, 404, "resource_not_found")


def test_method_not_allowed_is_json(api):
    assert_error(api.call("DELETE", "products"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "active=maybe", "starting_after=plink_nope"]
)
def test_bad_list_parameters_are_400(api, query):
    assert_error(api.get(f"payment-links?{query}"), 400, "invalid_request")


def test_idempotency_key_replays_the_same_response(api):
    body = {
        "productId": "prod_ebook",
        "successUrl": "https://shop.example/",
        "cancelUrl": "https://shop.example/",
    }
    first = api.post("checkout/sessions", json=body, headers={"Idempotency-Key": "k1"})
    second = api.post("checkout/sessions", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert CheckoutSession.objects.count() == 1
    third = api.post("checkout/sessions", json=body, headers={"Idempotency-Key": "k2"})
    assert third.json()["id"] != first.json()["id"]


def test_idempotency_key_with_another_body_is_400(api):
    api.post(
        "checkout/sessions",
        json={
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
        },
        headers={"Idempotency-Key": "k1"},
    )
    other = api.post(
        "checkout/sessions",
        json={
            "productId": "prod_pro_monthly",
            "successUrl": "https://shop.example/",
            "cancelUrl": "https://shop.example/",
        },
        headers={"Idempotency-Key": "k1"},
    )
    assert_error(other, 400, "invalid_request")
    assert CheckoutSession.objects.count() == 1


def test_checkout_page_for_unknown_session_is_404_html(recur_emulator):
    response = recur_emulator.http.get(recur_emulator.url("checkout/cs_nope"))
    assert response.status_code == 404
    assert "text/html" in response.headers["Content-Type"]


def test_pay_with_garbage_card_is_a_form_error(recur_emulator, api):
    session = api.checkout("prod_ebook")
    response = recur_emulator.pay(session["id"], "not-a-card")
    assert response.status_code == 400
    assert recur_emulator.events("order.payment_failed") == []
