"""A checkout whose return URL is not HTTPS: Recur refuses it; the log names the cause, and
so does the page under DEBUG (never in production). Django's test client host counts as
local for the emulator, so the plain test client buys without any setting."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from recur_django.models import Transaction

PROXY_HINT = "SECURE_PROXY_SSL_HEADER"


@pytest.fixture
def plain_http_shopper(recur_emulator, user):
    """A browser on http://shop.example: listed in ALLOWED_REDIRECT_HOSTS, but not HTTPS."""
    browser = Client(HTTP_HOST="shop.example")
    browser.force_login(user)
    return browser


def test_the_test_client_host_buys_with_the_emulator_out_of_the_box(
    recur_emulator, emulated_session, client, user
):
    client.force_login(user)
    response = client.post(reverse("recur:checkout"), {"product": "ebook"})
    assert response.status_code == 303, response.content
    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.PENDING
    assert txn.checkout_url and response["Location"] == txn.checkout_url
    assert emulated_session(txn.checkout_session_id).success_url.startswith("http://testserver/")


def test_a_plain_http_return_url_logs_its_cause(plain_http_shopper, caplog):
    with caplog.at_level(logging.WARNING, logger="recur_django.checkout"):
        response = plain_http_shopper.post(reverse("recur:checkout"), {"product": "ebook"})
    assert response.status_code == 400
    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.FAILED
    assert "HTTPS" in txn.failure_reason
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "http://shop.example/" in logged and "HTTPS" in logged and PROXY_HINT in logged


def test_in_production_the_shopper_sees_no_internals(plain_http_shopper):
    response = plain_http_shopper.post(reverse("recur:checkout"), {"product": "ebook"})
    text = response.content.decode()
    assert "This product cannot be purchased right now." in text
    assert PROXY_HINT not in text and "shop.example/" not in text


def test_under_debug_the_page_names_the_cause(plain_http_shopper):
    with override_settings(DEBUG=True):
        response = plain_http_shopper.post(reverse("recur:checkout"), {"product": "ebook"})
        as_json = plain_http_shopper.post(
            reverse("recur:checkout"), {"product": "ebook"}, HTTP_ACCEPT="application/json"
        )
    assert response.status_code == 400
    text = response.content.decode()
    assert "http://shop.example/" in text and "HTTPS" in text and PROXY_HINT in text
    assert PROXY_HINT in as_json.json()["error"]["message"]


def test_behind_a_tls_proxy_the_header_setting_makes_it_work(emulated_session, user):
    browser = Client(HTTP_HOST="shop.example", HTTP_X_FORWARDED_PROTO="https")
    browser.force_login(user)
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        response = browser.post(reverse("recur:checkout"), {"product": "ebook"})
    assert response.status_code == 303, response.content
    session = emulated_session(Transaction.objects.get().checkout_session_id)
    assert session.success_url.startswith("https://shop.example/")
