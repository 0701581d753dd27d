"""PortalView and start_portal_session against a mocked Recur API (faults and wire checks)."""

from __future__ import annotations

import json

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from recur_django.models import Customer
from recur_django.portal import NoCustomerError, portal_locale, start_portal_session
from tests.settings import RECUR

pytestmark = pytest.mark.django_db

API = RECUR["API_BASE"] + "/v1/portal/sessions"
PORTAL_URL = "https://portal.recur.tw/s/ps_abc"


def session_body(customer="cus_alice", url=PORTAL_URL):
    return {
        "id": "portal_session_1",
        "object": "portal.session",
        "url": url,
        "customer_id": customer,
        "return_url": "http://testserver/",
        "status": "active",
        "expires_at": "2025-01-01T01:00:00Z",
        "accessed_at": None,
        "created_at": "2025-01-01T00:00:00Z",
    }


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def alice():
    user = get_user_model().objects.create_user("alice", "alice@example.com", "pw")
    Customer.objects.create(owner=user, recur_id="cus_alice", email="alice@example.com")
    return user


@pytest.fixture
def bob():
    user = get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    Customer.objects.create(owner=user, recur_id="cus_bob", email="bob@example.com")
    return user


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


def sent_bodies(mocked):
    return [json.loads(call.request.body) for call in mocked.calls]


def portal_url():
    return reverse("recur:portal")


def test_post_redirects_303_to_a_fresh_portal_session(mocked, alice_client):
    mocked.post(API, json=session_body())
    response = alice_client.post(portal_url())
    assert response.status_code == 303
    assert response["Location"] == PORTAL_URL
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    (body,) = sent_bodies(mocked)
    assert body["customerId"] == "cus_alice"
    assert body["locale"] == "en"
    assert body["returnUrl"] == "http://testserver/"
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer sk_test_tests"


def test_json_request_gets_the_url(mocked, alice_client):
    mocked.post(API, json=session_body())
    response = alice_client.post(portal_url(), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == {"url": PORTAL_URL}


def test_portal_urls_are_never_reused(mocked, alice_client):
    mocked.post(API, json=session_body(url=PORTAL_URL))
    mocked.post(API, json=session_body(url=PORTAL_URL + "2"))
    first = alice_client.post(portal_url())
    second = alice_client.post(portal_url())
    assert len(mocked.calls) == 2
    assert first["Location"] != second["Location"]


@pytest.mark.parametrize(
    "attack",
    [
        {"data": {"customer": "cus_bob", "customer_id": "cus_bob", "customerId": "cus_bob"}},
        {"data": {"email": "bob@example.com", "external_id": "2", "externalId": "2"}},
        {"query": "?customer=cus_bob&customer_id=cus_bob&email=bob@example.com"},
        {"json": {"customerId": "cus_bob", "customer_id": "cus_bob", "email": "bob@example.com"}},
    ],
)
def test_idor_user_a_never_gets_bs_portal(mocked, alice_client, bob, attack):
    mocked.post(API, json=session_body())
    url = portal_url() + attack.get("query", "")
    if "json" in attack:
        alice_client.post(url, data=json.dumps(attack["json"]), content_type="application/json")
    else:
        alice_client.post(url, data=attack.get("data", {}))
    (body,) = sent_bodies(mocked)
    assert body["customerId"] == "cus_alice"
    assert "email" not in body
    assert "externalId" not in body
    assert "cus_bob" not in json.dumps(body)


def test_get_is_not_allowed_and_has_no_side_effects(mocked, alice_client):
    response = alice_client.get(portal_url() + "?customer=cus_alice")
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert len(mocked.calls) == 0
    assert Customer.objects.count() == 1


def test_csrf_is_enforced(mocked, alice):
    mocked.post(API, json=session_body())
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(portal_url()).status_code == 403
    assert client.post(portal_url(), HTTP_ACCEPT="application/json").status_code == 403
    assert len(mocked.calls) == 0
    # With the token from a page it works.
    client.get(reverse("admin:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(portal_url(), {"csrfmiddlewaretoken": token})
    assert response.status_code == 303


def test_anonymous_html_is_sent_to_login(mocked):
    response = Client().post(portal_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert len(mocked.calls) == 0


def test_anonymous_json_gets_401(mocked):
    response = Client().post(portal_url(), HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_user_without_customer_sees_a_friendly_page(mocked):
    user = get_user_model().objects.create_user("carol", "carol@example.com", "pw")
    client = Client()
    client.force_login(user)
    response = client.post(portal_url())
    assert response.status_code == 404
    assert b"No subscription yet" in response.content
    response = client.post(portal_url(), HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_customer"
    assert len(mocked.calls) == 0


def test_locale_follows_the_active_language(mocked, alice_client):
    mocked.post(API, json=session_body())
    alice_client.post(portal_url(), HTTP_ACCEPT_LANGUAGE="zh-Hant")
    alice_client.post(portal_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert [b["locale"] for b in sent_bodies(mocked)] == ["zh-TW", "en"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hant", "zh-TW"), ("zh-Hant", "zh-TW"), ("zh-tw", "zh-TW"), ("en", "en"), ("ja", "en")],
)
def test_portal_locale(language, expected):
    assert portal_locale(language) == expected


def test_configured_return_url_path_is_made_absolute(mocked, alice_client):
    mocked.post(API, json=session_body())
    with override_settings(RECUR={**RECUR, "PORTAL_RETURN_URL": "/account/"}):
        alice_client.post(portal_url())
    assert sent_bodies(mocked)[0]["returnUrl"] == "http://testserver/account/"


def test_same_site_return_url_from_form_is_used_but_foreign_ones_are_not(mocked, alice_client):
    mocked.post(API, json=session_body())
    alice_client.post(portal_url(), {"return_url": "/account/billing/"})
    alice_client.post(portal_url(), {"return_url": "https://evil.example/phish"})
    bodies = sent_bodies(mocked)
    assert bodies[0]["returnUrl"] == "http://testserver/account/billing/"
    assert bodies[1]["returnUrl"] == "http://testserver/"


@pytest.mark.parametrize(
    ("status", "code", "expected_status", "expected_code", "text"),
    [
        (404, "customer_not_found", 404, "customer_not_found", b"could not find your billing"),
        (400, "missing_return_url", 503, "missing_return_url", b"no return address"),
        (500, "internal_error", 503, "portal_unavailable", b"not available right now"),
        (401, "unauthorized", 503, "portal_unavailable", b"not available right now"),
    ],
)
def test_recur_errors_become_clear_messages(
    mocked, alice_client, status, code, expected_status, expected_code, text
):
    mocked.post(API, status=status, json={"error": {"code": code, "message": "nope"}})
    response = alice_client.post(portal_url())
    assert response.status_code == expected_status
    assert text in response.content
    response = alice_client.post(portal_url(), HTTP_ACCEPT="application/json")
    assert response.status_code == expected_status
    assert response.json()["error"]["code"] == expected_code


def test_connection_failure_is_a_503_not_a_500(mocked, alice_client):
    mocked.post(API, body=requests.exceptions.ConnectionError("refused"))
    response = alice_client.post(portal_url(), HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "portal_unavailable"


def test_service_refuses_users_without_mapping():
    user = get_user_model().objects.create_user("dan", "dan@example.com", "pw")
    with pytest.raises(NoCustomerError):
        start_portal_session(user)


def test_service_uses_explicit_arguments(mocked, alice):
    mocked.post(API, json=session_body())
    session = start_portal_session(alice, return_url="https://shop.example/me", locale="zh-TW")
    assert session.url == PORTAL_URL
    body = sent_bodies(mocked)[0]
    assert body["returnUrl"] == "https://shop.example/me"
    assert body["locale"] == "zh-TW"
