from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from recur_django.api.permissions import HasEntitlement
from recur_django.client.errors import APIConnectionError, InvalidRequestError
from recur_django.models import Customer, Subscription, Transaction
from tests.settings import RECUR

pytestmark = pytest.mark.django_db

PORTAL_API = RECUR["API_BASE"] + "/v1/portal/sessions"
PORTAL_URL = "https://portal.recur.tw/s/ps_api"


def url(name, **kwargs):
    return reverse(f"recur-api:{name}", kwargs=kwargs or None)


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def portal_ok(mocked):
    mocked.post(
        PORTAL_API,
        json={
            "id": "portal_session_1",
            "url": PORTAL_URL,
            "customer_id": "cus_alice",
            "status": "active",
            "expires_at": "2030-01-01T01:00:00Z",
        },
    )


# --- authentication and CSRF -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "transactions"),
        ("get", "subscriptions"),
        ("get", "entitlements"),
        ("post", "portal-sessions"),
        ("post", "checkout-sessions"),
    ],
)
def test_anonymous_requests_get_401(method, name):
    response = getattr(APIClient(), method)(url(name))
    assert_error(response, 401, "not_authenticated")


def test_token_authentication(alice, mocked):
    portal_ok(mocked)
    token = Token.objects.create(user=alice)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(url("transactions")).status_code == 200
    # No CSRF token needed with token authentication.
    assert client.post(url("portal-sessions")).status_code == 201


def test_bad_token_is_401(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get(url("transactions"))
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Token")


def test_session_auth_enforces_csrf(alice, mocked):
    portal_ok(mocked)
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="alice", password="pw")
    assert client.get(url("transactions")).status_code == 200  # safe methods need no token
    response = client.post(url("portal-sessions"), {}, format="json")
    assert_error(response, 403, "csrf_failed")
    assert len(mocked.calls) == 0
    client.get(reverse("admin:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(url("portal-sessions"), {}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_authentication_classes_are_configurable(alice):
    token = Token.objects.create(user=alice)
    settings = {
        **RECUR,
        "API_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    }
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with override_settings(RECUR=settings):
        assert_error(client.get(url("transactions")), 401, "not_authenticated")


# --- throttling ----------------------------------------------------------------------


def test_user_throttle_from_recur_settings(api):
    rates = {"user": "2/min", "anon": None, "sessions": None}
    with override_settings(RECUR={**RECUR, "API_THROTTLE_RATES": rates}):
        assert api.get(url("transactions")).status_code == 200
        assert api.get(url("subscriptions")).status_code == 200
        response = api.get(url("entitlements"))
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_session_creation_has_its_own_throttle(api, mocked):
    portal_ok(mocked)
    rates = {"user": None, "anon": None, "sessions": "1/min"}
    with override_settings(RECUR={**RECUR, "API_THROTTLE_RATES": rates}):
        assert api.post(url("portal-sessions")).status_code == 201
        assert_error(api.post(url("portal-sessions")), 429, "throttled")
        assert api.get(url("transactions")).status_code == 200
    assert len(mocked.calls) == 1


def test_anon_throttle(db):
    rates = {"user": None, "anon": "1/min", "sessions": None}
    client = APIClient()
    with override_settings(RECUR={**RECUR, "API_THROTTLE_RATES": rates}):
        assert_error(client.get(url("transactions")), 401, "not_authenticated")
        assert_error(client.get(url("transactions")), 429, "throttled")


def test_throttle_classes_can_be_turned_off(api):
    settings = {**RECUR, "API_THROTTLE_CLASSES": [], "API_THROTTLE_RATES": {"user": "1/min"}}
    with override_settings(RECUR=settings):
        for _ in range(3):
            assert api.get(url("transactions")).status_code == 200


# --- portal sessions -------------------------------------------------------------------


def test_portal_session_for_me(api, mocked, bob):
    portal_ok(mocked)
    response = api.post(
        url("portal-sessions") + "?customer=cus_bob",
        {"customer": "cus_bob", "customerId": "cus_bob", "email": "bob@example.com"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == PORTAL_URL
    assert datetime.fromisoformat(body["expires_at"]) == datetime(2030, 1, 1, 1, tzinfo=UTC)
    assert "no-store" in response["Cache-Control"]
    sent = json.loads(mocked.calls[0].request.body)
    assert sent["customerId"] == "cus_alice"
    assert "email" not in sent


def test_portal_session_without_customer_is_404(mocked):
    user = get_user_model().objects.create_user("carol", "c@example.com", "pw")
    client = APIClient()
    client.force_authenticate(user)
    assert_error(client.post(url("portal-sessions")), 404, "no_customer")
    assert len(mocked.calls) == 0


def test_portal_session_return_url_must_be_same_site(api, mocked):
    portal_ok(mocked)
    response = api.post(
        url("portal-sessions"), {"return_url": "https://evil.example/"}, format="json"
    )
    assert_error(response, 400, "invalid_request")
    assert "return_url" in response.json()["error"]["fields"]
    assert (
        api.post(url("portal-sessions"), {"return_url": "/me/"}, format="json").status_code == 201
    )
    assert json.loads(mocked.calls[0].request.body)["returnUrl"] == "http://testserver/me/"


def test_portal_session_recur_outage_is_503(api, mocked):
    mocked.post(PORTAL_API, body=requests.exceptions.ConnectionError("down"))
    assert_error(api.post(url("portal-sessions")), 503, "portal_unavailable")


def test_get_on_session_endpoints_is_405_without_side_effects(api, mocked, fake_checkout):
    assert_error(api.get(url("portal-sessions")), 405, "method_not_allowed")
    assert_error(api.get(url("checkout-sessions")), 405, "method_not_allowed")
    assert len(mocked.calls) == 0
    assert fake_checkout.calls == []


# --- checkout sessions -----------------------------------------------------------------


def test_create_checkout_session(api, alice, fake_checkout):
    response = api.post(
        url("checkout-sessions"),
        {"product": "pro-monthly", "metadata": {"plan": "a"}, "success_url": "/thanks/"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("txn_")
    assert body["url"] == "https://checkout.recur.tw/cs_test"
    assert body["status"] == "pending"
    (call,) = fake_checkout.calls
    assert call["owner"] == alice and call["user"] == alice
    assert call["product"] == "pro-monthly"
    assert call["metadata"] == {"plan": "a"}
    assert call["success_url"] == "http://testserver/thanks/"
    assert call["cancel_url"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"product": ""},
        {"product": "x" * 200},
        {"product": "pro-monthly", "mode": "FREE"},
        {"product": "pro-monthly", "metadata": "not-a-dict"},
        {"product": "pro-monthly", "metadata": {str(i): "v" for i in range(25)}},
        {"product": "pro-monthly", "success_url": "https://evil.example/"},
        {"product": "pro-monthly", "cancel_url": "//evil.example/"},
    ],
)
def test_checkout_session_bad_input_is_400(api, fake_checkout, body):
    assert_error(api.post(url("checkout-sessions"), body, format="json"), 400, "invalid_request")
    assert fake_checkout.calls == []


def test_checkout_session_unparseable_json_is_400(api, fake_checkout):
    response = api.post(url("checkout-sessions"), "{nope", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_checkout_session_service_refusal_is_400(api, fake_checkout):
    fake_checkout.error = ValueError("Unknown product.")
    assert_error(api.post(url("checkout-sessions"), {"product": "zzz"}), 400, "invalid_request")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (APIConnectionError("down"), 503, "recur_unavailable"),
        (InvalidRequestError("bad product", status=400, code="invalid"), 502, "recur_error"),
    ],
)
def test_checkout_session_recur_errors(api, fake_checkout, error, status, code):
    fake_checkout.error = error
    assert_error(api.post(url("checkout-sessions"), {"product": "pro-monthly"}), status, code)


# --- lists -------------------------------------------------------------------------------


def test_transactions_are_mine_only_and_paginated(api, alice, bob):
    for i in range(3):
        Transaction.objects.create(
            owner=alice, user=alice, product_id=f"prod_{i}", status="completed"
        )
    Transaction.objects.create(owner=bob, user=bob, product_id="prod_bob")
    with override_settings(RECUR={**RECUR, "API_PAGE_SIZE": 2}):
        response = api.get(url("transactions"))
        body = response.json()
        assert body["count"] == 3
        assert len(body["results"]) == 2
        assert body["next"]
        assert {"id", "status", "product_id", "amount", "currency"} <= set(body["results"][0])
        assert "user" not in body["results"][0]
        page2 = api.get(body["next"]).json()
    ids = {t["product_id"] for t in body["results"] + page2["results"]}
    assert ids == {"prod_0", "prod_1", "prod_2"}


def test_subscriptions_are_mine_only(api, alice, bob):
    mine = Customer.objects.get(owner=alice)
    Subscription.objects.create(
        recur_id="sub_a", customer=mine, status="ACTIVE", product_slug="pro-monthly"
    )
    Subscription.objects.create(recur_id="sub_b", customer=Customer.objects.get(owner=bob))
    results = api.get(url("subscriptions")).json()["results"]
    assert [(r["id"], r["status"], r["grants_access"]) for r in results] == [
        ("sub_a", "ACTIVE", True)
    ]


def test_entitlements(api, alice):
    customer = Customer.objects.get(owner=alice)
    Subscription.objects.create(
        recur_id="sub_a",
        customer=customer,
        status="CANCELED",
        cancel_at_period_end=True,
        current_period_end=timezone.now() + timedelta(days=3),
        product_id="prod_pro_monthly",
        product_slug="pro-monthly",
    )
    Transaction.objects.create(
        owner=alice,
        user=alice,
        product_id="prod_ebook",
        product_slug="ebook",
        mode="PAYMENT",
        status="completed",
    )
    results = api.get(url("entitlements")).json()["results"]
    assert [(r["product_slug"], r["source"]) for r in results] == [
        ("pro-monthly", "subscription"),
        ("ebook", "purchase"),
    ]
    assert results[0]["expires_at"] is not None
    check = api.get(url("entitlement-check", product="ebook")).json()
    assert check == {"product": "ebook", "entitled": True}
    check = api.get(url("entitlement-check", product="pro-yearly")).json()
    assert check == {"product": "pro-yearly", "entitled": False}


# --- HasEntitlement ----------------------------------------------------------------------


class PremiumAPI(APIView):
    permission_classes = [HasEntitlement]
    required_product = "pro-monthly"

    def get(self, request):
        return Response({"ok": True})


class EbookAPI(APIView):
    permission_classes = [HasEntitlement.for_product("ebook", "prod_ebook")]

    def get(self, request):
        return Response({"ok": True})


def test_has_entitlement_permission(alice):
    factory = APIRequestFactory()
    request = factory.get("/premium/")
    force_authenticate(request, alice)
    assert PremiumAPI.as_view()(request).status_code == 403
    assert EbookAPI.as_view()(request).status_code == 403
    Subscription.objects.create(
        recur_id="sub_a",
        customer=Customer.objects.get(owner=alice),
        status="ACTIVE",
        product_slug="pro-monthly",
    )
    request = factory.get("/premium/")
    force_authenticate(request, alice)
    assert PremiumAPI.as_view()(request).status_code == 200
    assert EbookAPI.as_view()(request).status_code == 403
    anonymous = factory.get("/premium/")
    assert PremiumAPI.as_view()(anonymous).status_code in (401, 403)
