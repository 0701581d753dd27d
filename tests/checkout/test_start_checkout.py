"""start_checkout: pending row first, metadata, URLs, failure handling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from django.utils import timezone

from recur_django import signals
from recur_django.checkout import build_success_url, start_checkout
from recur_django.client.errors import APIConnectionError, InvalidRequestError
from recur_django.models import Transaction
from tests.recur_helpers import SignalRecorder

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_():
    return RequestFactory().post("/billing/checkout/", HTTP_HOST="shop.example")


def test_creates_pending_transaction_then_session(user, fake_client, request_):
    seen_pending = []

    original = fake_client.checkout_sessions.create

    def create(**params):
        txn = Transaction.objects.get(public_id=params["metadata"]["transaction_id"])
        seen_pending.append(txn.status)
        return original(**params)

    fake_client.checkout_sessions.create = create
    txn = start_checkout(user, "credits-100", metadata={"plan": "x"}, request=request_)
    assert seen_pending == [Transaction.Status.PENDING]
    params = fake_client.created[0]
    assert params["product_id"] == "prod_credits_100"
    assert params["metadata"] == {"plan": "x", "transaction_id": txn.public_id}
    assert params["customer_email"] == "alice@example.com"
    assert params["external_customer_id"] == str(user.pk)
    assert params["success_url"] == (
        "http://shop.example/billing/checkout/return/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == "http://shop.example/"
    assert "mode" not in params
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert txn.public_id.startswith("txn_") and len(txn.public_id) > 20
    assert txn.checkout_session_id in fake_client.sessions
    assert txn.checkout_url.endswith(txn.checkout_session_id)
    assert txn.amount == 100 and txn.currency == "TWD"
    assert txn.product_slug == "credits-100"
    assert txn.mode == Transaction.Mode.PAYMENT
    ttl = txn.expires_at - timezone.now()
    assert timedelta(hours=23) < ttl <= timedelta(hours=24)


def test_caller_cannot_override_transaction_id(user, fake_client, request_):
    txn = start_checkout(
        user, "prod_ebook", metadata={"transaction_id": "txn_evil"}, request=request_
    )
    assert fake_client.created[0]["metadata"]["transaction_id"] == txn.public_id
    assert txn.metadata["transaction_id"] == txn.public_id


def test_subscription_mode_inferred_and_explicit_mode_sent(user, fake_client, request_):
    sub = start_checkout(user, "pro-monthly", request=request_)
    assert sub.mode == Transaction.Mode.SUBSCRIPTION
    assert sub.amount == 299
    setup = start_checkout(user, "prod_pro_monthly", mode="setup", request=request_)
    assert setup.mode == Transaction.Mode.SETUP
    assert setup.amount is None
    assert fake_client.created[1]["mode"] == "SETUP"


def test_unknown_product_is_sent_as_given_with_unknown_amount(user, fake_client, request_):
    txn = start_checkout(user, "prod_new", request=request_)
    assert fake_client.created[0]["product_id"] == "prod_new"
    assert txn.amount is None
    txn = start_checkout(user, "some-slug", request=request_)
    assert fake_client.created[1]["product_slug"] == "some-slug"
    assert txn.product_slug == "some-slug" and txn.product_id == ""


def test_product_list_is_cached(user, fake_client, request_):
    start_checkout(user, "prod_ebook", request=request_)
    start_checkout(user, "prod_ebook", request=request_)
    assert fake_client.product_calls == 1


def test_api_error_marks_failed_and_raises(
    user, fake_client, request_, django_capture_on_commit_callbacks
):
    fake_client.create_error = InvalidRequestError(
        "No such product", status=404, code="resource_not_found"
    )
    with (
        SignalRecorder(signals.transaction_failed) as failed,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(InvalidRequestError),
    ):
        start_checkout(user, "prod_ebook", request=request_)
    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.FAILED
    assert "resource_not_found" in txn.failure_reason
    assert "No such product" in txn.failure_reason
    assert len(failed.calls) == 1 and failed.calls[0]["source"] == "checkout"


def test_connection_error_marks_failed(user, fake_client, request_):
    fake_client.create_error = APIConnectionError("timed out")
    with pytest.raises(APIConnectionError):
        start_checkout(user, "prod_ebook", request=request_)
    assert Transaction.objects.get().status == Transaction.Status.FAILED


@pytest.mark.parametrize("bad", [{"product": ""}, {"product": "prod_x", "mode": "RENT"}])
def test_bad_input_raises_value_error(user, fake_client, request_, bad):
    with pytest.raises(ValueError):
        start_checkout(user, bad["product"], mode=bad.get("mode"), request=request_)
    assert not Transaction.objects.exists()


def test_anonymous_user_is_refused(fake_client, request_):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValueError):
        start_checkout(AnonymousUser(), "prod_ebook", request=request_)


def test_success_url_building():
    with override_settings(
        RECUR={
            "SECRET_KEY": "sk_test_x",
            "WEBHOOK_SECRET": "whsec_x",
            "CHECKOUT_SUCCESS_URL": "https://shop.example/thanks?x=1#top",
        }
    ):
        assert build_success_url() == (
            "https://shop.example/thanks?x=1&session_id={CHECKOUT_SESSION_ID}#top"
        )
    assert build_success_url("https://a.example/ok/{CHECKOUT_SESSION_ID}") == (
        "https://a.example/ok/{CHECKOUT_SESSION_ID}"
    )
    with pytest.raises(ImproperlyConfigured):
        build_success_url()  # a path and no request
