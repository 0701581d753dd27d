"""start_checkout against the emulator over HTTP: pending row first, metadata, URLs,
failure handling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from django.utils import timezone

from recur_django import signals
from recur_django.checkout import build_success_url, start_checkout
from recur_django.client.errors import APIConnectionError, APIError, NotFoundError
from recur_django.client_factory import get_client
from recur_django.customers import external_id_for
from recur_django.models import Transaction
from recur_django.products import get_product
from tests.recur_helpers import SignalRecorder


@pytest.fixture
def request_():
    # Recur (and the emulator) require HTTPS success/cancel URLs off loopback hosts.
    return RequestFactory().post("/billing/checkout/", HTTP_HOST="shop.example", secure=True)


def test_creates_pending_transaction_then_session(
    recur_emulator, user, request_, emulated_session, monkeypatch
):
    client = get_client()
    real_create = client.checkout_sessions.create
    seen = []

    def spy(**params):
        txn = Transaction.objects.get(public_id=params["metadata"]["transaction_id"])
        seen.append((txn.status, txn.checkout_session_id))
        return real_create(**params)

    monkeypatch.setattr(client.checkout_sessions, "create", spy)
    txn = start_checkout(user, "credits-100", metadata={"plan": "x"}, request=request_)
    assert seen == [(Transaction.Status.PENDING, None)]

    txn.refresh_from_db()
    session = emulated_session(txn.checkout_session_id)
    assert session.metadata == {"plan": "x", "transaction_id": txn.public_id}
    assert session.customer_email == "alice@example.com"
    assert session.customer_name == "Alice Lin"
    assert session.external_customer_id == external_id_for(user)
    assert session.success_url == (
        "https://shop.example/billing/checkout/return/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert session.cancel_url == "https://shop.example/"
    assert session.product_id == "prod_credits_100"

    assert txn.status == Transaction.Status.PENDING
    assert txn.public_id.startswith("txn_") and len(txn.public_id) > 20
    assert txn.checkout_url == recur_emulator.base_url + f"/checkout/{txn.checkout_session_id}"
    assert (txn.amount, txn.currency) == (100, "TWD")
    assert (txn.product_id, txn.product_slug) == ("prod_credits_100", "credits-100")
    assert txn.product_name == "100 credits"
    assert txn.mode == Transaction.Mode.PAYMENT
    assert abs(txn.expires_at - session.expires_at) < timedelta(seconds=1)


def test_public_ids_are_unique_and_unguessable(recur_emulator, user, request_):
    ids = {start_checkout(user, "prod_ebook", request=request_).public_id for _ in range(3)}
    assert len(ids) == 3


def test_caller_cannot_override_transaction_id(recur_emulator, user, request_, emulated_session):
    txn = start_checkout(
        user, "prod_ebook", metadata={"transaction_id": "txn_evil"}, request=request_
    )
    assert emulated_session(txn.checkout_session_id).metadata["transaction_id"] == txn.public_id
    assert txn.metadata["transaction_id"] == txn.public_id


def test_modes(recur_emulator, user, request_, emulated_session):
    sub = start_checkout(user, "pro-monthly", request=request_)
    assert sub.mode == Transaction.Mode.SUBSCRIPTION
    assert emulated_session(sub.checkout_session_id).mode == "SUBSCRIPTION"
    assert sub.amount == 299
    setup = start_checkout(user, "prod_pro_monthly", mode="setup", request=request_)
    assert setup.mode == Transaction.Mode.SETUP
    assert emulated_session(setup.checkout_session_id).mode == "SETUP"
    assert setup.amount is None


def test_product_list_is_cached(recur_emulator, user, request_, monkeypatch):
    client = get_client()
    calls = []
    real_list = client.products.list
    monkeypatch.setattr(client.products, "list", lambda **kw: calls.append(1) or real_list(**kw))
    start_checkout(user, "prod_ebook", request=request_)
    start_checkout(user, "ebook", request=request_)
    assert len(calls) == 1


def test_unknown_product_marks_failed_and_raises(
    recur_emulator, user, request_, django_capture_on_commit_callbacks
):
    with (
        SignalRecorder(signals.transaction_failed) as failed,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(NotFoundError),
    ):
        start_checkout(user, "prod_nope", request=request_)
    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.FAILED
    assert txn.product_id == "prod_nope" and txn.amount is None
    assert "resource_not_found" in txn.failure_reason
    assert [c["source"] for c in failed.calls] == ["checkout"]


def test_server_error_marks_failed(recur_emulator, user, request_):
    get_product("prod_ebook")  # the product list is cached; the fault hits the create call
    recur_emulator.fault("500", count=5)
    with pytest.raises(APIError):
        start_checkout(user, "prod_ebook", request=request_)
    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.FAILED
    assert txn.checkout_session_id is None


def test_unreachable_api_marks_failed(recur_emulator, user, request_, settings):
    settings.RECUR = {**settings.RECUR, "API_BASE": "http://127.0.0.1:1/_recur"}
    with pytest.raises(APIConnectionError):
        start_checkout(user, "prod_ebook", request=request_)
    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.FAILED
    assert txn.amount is None  # the product list could not be read either


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [{"product": ""}, {"product": "prod_x", "mode": "RENT"}])
def test_bad_input_raises_value_error(user, request_, bad, monkeypatch):
    monkeypatch.setattr("recur_django.checkout.start.get_product", lambda ref: None)
    with pytest.raises(ValueError):
        start_checkout(user, bad["product"], mode=bad.get("mode"), request=request_)
    assert not Transaction.objects.exists()


def test_anonymous_user_is_refused(request_):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValueError):
        start_checkout(AnonymousUser(), "prod_ebook", request=request_)


def test_success_url_building():
    recur = {
        "SECRET_KEY": "sk_test_x",
        "WEBHOOK_SECRET": "whsec_x",
        "CHECKOUT_SUCCESS_URL": "https://shop.example/thanks?x=1#top",
    }
    with override_settings(RECUR=recur):
        assert build_success_url() == (
            "https://shop.example/thanks?x=1&session_id={CHECKOUT_SESSION_ID}#top"
        )
    assert build_success_url("https://a.example/ok/{CHECKOUT_SESSION_ID}") == (
        "https://a.example/ok/{CHECKOUT_SESSION_ID}"
    )
    with pytest.raises(ImproperlyConfigured):
        build_success_url()  # a path and no request


def test_default_expiry_when_recur_gives_none(recur_emulator, user, request_, monkeypatch):
    client = get_client()
    real_create = client.checkout_sessions.create

    def without_expiry(**params):
        import dataclasses

        return dataclasses.replace(real_create(**params), expires_at=None)

    monkeypatch.setattr(client.checkout_sessions, "create", without_expiry)
    txn = start_checkout(user, "prod_ebook", request=request_)
    txn.refresh_from_db()
    ttl = txn.expires_at - timezone.now()
    assert timedelta(hours=23) < ttl <= timedelta(hours=24)
