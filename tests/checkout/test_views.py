"""recur:checkout and recur:checkout-return views."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recur_django import signals
from recur_django.client.errors import APIConnectionError, APIError, InvalidRequestError
from recur_django.models import Transaction, WebhookEvent
from tests.recur_helpers import SignalRecorder, completed_data, envelope, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def checkout(client, **data):
    return client.post(reverse("recur:checkout"), data=data)


def checkout_json(client, payload):
    return client.post(reverse("recur:checkout"), data=payload, content_type="application/json")


def test_form_post_redirects_303_to_recur(logged_in, fake_client):
    response = checkout(logged_in, product="credits-100")
    assert response.status_code == 303
    txn = Transaction.objects.get()
    assert response["Location"] == txn.checkout_url
    assert txn.status == Transaction.Status.PENDING


def test_json_post_returns_url_and_transaction_id(logged_in, fake_client):
    response = checkout_json(logged_in, {"product": "prod_ebook", "mode": "PAYMENT"})
    assert response.status_code == 200
    txn = Transaction.objects.get()
    assert response.json() == {"url": txn.checkout_url, "transaction_id": txn.public_id}


def test_login_required(client, fake_client):
    response = checkout(client, product="prod_ebook")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    response = checkout_json(client, {"product": "prod_ebook"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Transaction.objects.exists()


def test_get_not_allowed(logged_in):
    assert logged_in.get(reverse("recur:checkout")).status_code == 405


def test_csrf_enforced(user, fake_client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert checkout(strict, product="prod_ebook").status_code == 403
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"product": ""}, {"product": "x" * 200}])
def test_missing_product_is_400(logged_in, fake_client, payload):
    response = checkout(logged_in, **payload)
    assert response.status_code == 400
    assert b"We could not start your checkout" in response.content
    response = checkout_json(logged_in, payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_bad_json_and_bad_mode_are_400(logged_in, fake_client):
    response = logged_in.post(
        reverse("recur:checkout"), data=b"{nope", content_type="application/json"
    )
    assert response.status_code == 400
    response = checkout_json(logged_in, {"product": "prod_ebook", "mode": "RENT"})
    assert response.status_code == 400
    response = checkout_json(logged_in, {"product": ["a"]})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            InvalidRequestError("bad", status=404, code="resource_not_found"),
            400,
            "checkout_rejected",
        ),
        (APIConnectionError("down"), 502, "service_unavailable"),
        (APIError("boom", status=500), 502, "service_unavailable"),
    ],
)
def test_api_failures_get_friendly_answers(logged_in, fake_client, error, status, code):
    fake_client.create_error = error
    response = checkout(logged_in, product="prod_ebook")
    assert response.status_code == status
    assert b"You have not been charged" in response.content
    response = checkout_json(logged_in, {"product": "prod_ebook"})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert set(Transaction.objects.values_list("status", flat=True)) == {"failed"}


def _start(client, fake_client):
    checkout(client, product="credits-100")
    return Transaction.objects.get()


def return_page(client, session_id, **extra):
    return client.get(reverse("recur:checkout-return"), {"session_id": session_id}, **extra)


def test_return_before_webhook_fulfils_then_webhook_changes_nothing(
    logged_in, fake_client, django_capture_on_commit_callbacks
):
    txn = _start(logged_in, fake_client)
    fake_client.complete(txn.checkout_session_id, amount=100, customer_id="cus_r")
    with SignalRecorder(signals.transaction_completed) as completed:
        with django_capture_on_commit_callbacks(execute=True):
            response = return_page(logged_in, txn.checkout_session_id)
        assert response.status_code == 200
        assert response.context["state"] == "success"
        assert b"your payment was received" in response.content
        with django_capture_on_commit_callbacks(execute=True):
            hook = post_event(
                logged_in,
                envelope(
                    "checkout.completed",
                    completed_data(Transaction.objects.get(pk=txn.pk), customer_id="cus_r"),
                ),
            )
    assert hook.status_code == 200
    assert len(completed.calls) == 1
    assert completed.calls[0]["source"] == "return_page"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.user.recur_customer.recur_id == "cus_r"


def test_webhook_before_return_page(logged_in, fake_client, django_capture_on_commit_callbacks):
    txn = _start(logged_in, fake_client)
    with (
        SignalRecorder(signals.transaction_completed) as completed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        post_event(logged_in, envelope("checkout.completed", completed_data(txn)))
        fake_client.retrieve_error = AssertionError("no API call needed")
        response = return_page(logged_in, txn.checkout_session_id)
    assert response.context["state"] == "success"
    assert len(completed.calls) == 1
    assert completed.calls[0]["source"] == "webhook"


def test_return_page_shows_processing_when_not_paid_yet(logged_in, fake_client):
    txn = _start(logged_in, fake_client)
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.status_code == 200
    assert response.context["state"] == "processing"
    assert b'http-equiv="refresh"' in response.content
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_return_page_survives_api_errors(logged_in, fake_client):
    txn = _start(logged_in, fake_client)
    fake_client.retrieve_error = APIConnectionError("down")
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.status_code == 200
    assert response.context["state"] == "processing"


def test_return_page_shows_failed_for_expired_session(logged_in, fake_client):
    txn = _start(logged_in, fake_client)
    fake_client.sessions[txn.checkout_session_id].status = "EXPIRED"
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.context["state"] == "failed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.EXPIRED


def test_return_page_with_tampered_amount_does_not_fulfil(logged_in, fake_client):
    txn = _start(logged_in, fake_client)
    fake_client.complete(txn.checkout_session_id, amount=1)
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.context["state"] == "processing"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_return_page_of_another_users_session_is_404(client, user, other_user, fake_client):
    client.force_login(user)
    txn = _start(client, fake_client)
    fake_client.complete(txn.checkout_session_id)
    client.force_login(other_user)
    response = return_page(client, txn.checkout_session_id)
    assert response.status_code == 404
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_return_page_input_errors(client, logged_in, fake_client):
    assert logged_in.get(reverse("recur:checkout-return")).status_code == 400
    assert return_page(logged_in, "cs_unknown").status_code == 404
    response = return_page(logged_in, "cs_unknown", HTTP_ACCEPT="application/json")
    assert response.json()["error"]["code"] == "not_found"
    logged_in.logout()
    response = return_page(logged_in, "cs_x")
    assert response.status_code == 302


def test_return_page_json(logged_in, fake_client):
    txn = _start(logged_in, fake_client)
    response = return_page(logged_in, txn.checkout_session_id, HTTP_ACCEPT="application/json")
    assert response.json() == {
        "transaction_id": txn.public_id,
        "state": "processing",
        "status": "pending",
    }
    assert not WebhookEvent.objects.exists()
