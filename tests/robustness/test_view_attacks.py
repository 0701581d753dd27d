"""Bad input at ``recur:checkout``, ``recur:checkout-return`` and ``recur:portal``.

Recur is unreachable here (``API_BASE`` points at a closed port) unless a test says
otherwise, which is also the "API down" case.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from recur_django.models import Transaction
from tests.recur_helpers import make_transaction
from tests.robustness.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

CHECKOUT = "recur:checkout"


def post_json(client, name, body, **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(reverse(name), data=data, content_type="application/json", **extra)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'"prod"',
        b"null",
        b"12",
        b"\xff\xfe",
        b'{"product": NaN}',
        b"[" * 100000 + b"]" * 100000,
        {"product": None},
        {"product": 5},
        {"product": True},
        {"product": ["prod_ebook"]},
        {"product": {"id": "prod_ebook"}},
        {"product": ""},
        {"product": "   "},
        {"product": "p" * 129},
        {"product_id": 3.5},
        {"product": "prod_ebook", "mode": 1},
        {"product": "prod_ebook", "mode": ["PAYMENT"]},
        {"product": "prod_ebook", "mode": {"a": 1}},
        {"product": "prod_ebook", "mode": "BOGUS"},
        {"product": "prod_ebook", "mode": "payment; drop table"},
        {},
    ],
)
def test_checkout_json_garbage_answers_4xx(client, user, body):
    client.force_login(user)
    response = post_json(client, CHECKOUT, body)
    assert 400 <= response.status_code < 500, response.content
    assert_error_shape(response)
    assert not Transaction.objects.filter(status=Transaction.Status.PENDING).exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"product": ""},
        {"product": "x" * 500},
        {"product": "prod_ebook", "mode": "WHATEVER"},
    ],
)
def test_checkout_form_garbage_answers_400_html(client, user, data):
    client.force_login(user)
    response = client.post(reverse(CHECKOUT), data=data)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"Traceback" not in response.content


def test_checkout_with_the_api_down_answers_502_and_fails_the_transaction(client, user):
    client.force_login(user)
    response = post_json(client, CHECKOUT, {"product": "prod_ebook"})
    assert_error_shape(response, 502)
    for txn in Transaction.objects.all():
        assert txn.status == Transaction.Status.FAILED


def test_checkout_html_with_the_api_down_is_a_friendly_page(client, user):
    client.force_login(user)
    response = client.post(reverse(CHECKOUT), data={"product": "prod_ebook"})
    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")


def test_checkout_anonymous(client):
    response = post_json(client, CHECKOUT, {"product": "prod_ebook"})
    assert_error_shape(response, 401)
    response = client.post(reverse(CHECKOUT), data={"product": "prod_ebook"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_checkout_anonymous_with_a_foreign_referer_does_not_redirect_there(client):
    response = client.post(
        reverse(CHECKOUT), data={"product": "prod_ebook"}, HTTP_REFERER="https://evil.example/x"
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"].split("?", 1)[0]
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_checkout_other_methods_are_405(client, user, method):
    client.force_login(user)
    response = getattr(client, method)(reverse(CHECKOUT))
    assert response.status_code == 405


def test_checkout_enforces_csrf(user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(reverse(CHECKOUT), data={"product": "prod_ebook"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?session_id=",
        "?session_id=%20%20",
        "?session_id=" + "x" * 500,
        "?session_id=cs_unknown",
        "?session_id=%00%ff",
        "?session_id=cs_1&session_id=cs_2",
        "?session_id[]=cs_1",
        "?session_id=%E4%B8%AD%F0%9F%98%80",
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_checkout_return_garbage(client, user, query, accept):
    client.force_login(user)
    response = client.get(reverse("recur:checkout-return") + query, HTTP_ACCEPT=accept)
    assert response.status_code in (400, 404), response.content
    if accept == "application/json":
        assert_error_shape(response)
    else:
        assert response["Content-Type"].startswith("text/html")


def test_checkout_return_for_another_users_session_is_404(client, user, other_user):
    txn = make_transaction(other_user)
    client.force_login(user)
    response = client.get(
        reverse("recur:checkout-return"),
        {"session_id": txn.checkout_session_id},
        HTTP_ACCEPT="application/json",
    )
    assert_error_shape(response, 404)
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_checkout_return_with_the_api_down_says_processing(client, user):
    txn = make_transaction(user)
    client.force_login(user)
    response = client.get(
        reverse("recur:checkout-return"),
        {"session_id": txn.checkout_session_id},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "processing"
    html = client.get(reverse("recur:checkout-return"), {"session_id": txn.checkout_session_id})
    assert html.status_code == 200


def test_checkout_return_anonymous(client):
    response = client.get(
        reverse("recur:checkout-return"), {"session_id": "cs_1"}, HTTP_ACCEPT="application/json"
    )
    assert_error_shape(response, 401)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b"null",
        b"\xff",
        b"[" * 100000 + b"]" * 100000,
        {"return_url": 5},
        {"return_url": ["/"]},
        {"return_url": "https://evil.example/"},
        {"return_url": "javascript:alert(1)"},
        {"return_url": "//evil.example"},
        {"next": {"a": 1}},
    ],
)
def test_portal_json_garbage_never_500(client, user, body):
    client.force_login(user)
    response = post_json(client, "recur:portal", body)
    # No Recur customer yet: a clear 4xx either way, never the evil URL.
    assert 400 <= response.status_code < 500, response.content
    assert_error_shape(response)


def test_portal_anonymous_and_get(client, user):
    response = post_json(client, "recur:portal", {})
    assert_error_shape(response, 401)
    client.force_login(user)
    assert client.get(reverse("recur:portal")).status_code == 405


def test_portal_with_the_api_down(client, user):
    from recur_django.customers import upsert_customer

    upsert_customer("cus_1", email=user.email, owner=user)
    client.force_login(user)
    response = post_json(client, "recur:portal", {"return_url": "https://evil.example"})
    assert 500 < response.status_code < 600 or 400 <= response.status_code < 500
    assert response.status_code != 500
    assert_error_shape(response)
    html = client.post(reverse("recur:portal"))
    assert html.status_code != 500 and html["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("name", [CHECKOUT, "recur:portal"])
def test_empty_json_body_is_a_clear_4xx(client, user, name):
    client.force_login(user)
    response = client.generic(
        "POST", reverse(name), data=b"", CONTENT_TYPE="application/json", CONTENT_LENGTH="0"
    )
    assert 400 <= response.status_code < 500
    assert_error_shape(response)
