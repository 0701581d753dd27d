"""recur:checkout and recur:checkout-return against the emulator over HTTP."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from recur_django import signals
from recur_django.models import Transaction, WebhookEvent
from recur_django.products import get_product
from tests.recur_helpers import SignalRecorder, completed_data, envelope, post_event

DECLINED = "4000000000000002"


@pytest.fixture
def logged_in(recur_emulator, user):
    browser = Client(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    browser.force_login(user)
    return browser


def checkout(client, **data):
    return client.post(reverse("recur:checkout"), data=data)


def checkout_json(client, payload):
    return client.post(reverse("recur:checkout"), data=payload, content_type="application/json")


def return_page(client, session_id, **extra):
    return client.get(reverse("recur:checkout-return"), {"session_id": session_id}, **extra)


def start(client, product="credits-100"):
    assert checkout(client, product=product).status_code == 303
    return Transaction.objects.latest("created_at")


# ----------------------------------------------------------------- recur:checkout


def test_form_post_redirects_303_to_recur(logged_in, recur_emulator):
    response = checkout(logged_in, product="credits-100")
    assert response.status_code == 303
    txn = Transaction.objects.get()
    assert response["Location"] == txn.checkout_url
    assert txn.checkout_url.startswith(recur_emulator.base_url)
    assert txn.status == Transaction.Status.PENDING


def test_json_post_returns_url_and_transaction_id(logged_in):
    response = checkout_json(logged_in, {"product": "prod_ebook", "mode": "PAYMENT"})
    assert response.status_code == 200
    txn = Transaction.objects.get()
    assert response.json() == {"url": txn.checkout_url, "transaction_id": txn.public_id}
    assert txn.amount == 590


@pytest.mark.django_db
def test_login_required(client):
    response = checkout(client, product="prod_ebook")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    response = checkout_json(client, {"product": "prod_ebook"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Transaction.objects.exists()


@pytest.mark.django_db
def test_get_not_allowed(client, user):
    client.force_login(user)
    assert client.get(reverse("recur:checkout")).status_code == 405


@pytest.mark.django_db
def test_csrf_enforced(user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert checkout(strict, product="prod_ebook").status_code == 403
    assert not Transaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"product": ""}, {"product": "x" * 200}])
def test_missing_product_is_400(client, user, payload):
    client.force_login(user)
    response = checkout(client, **payload)
    assert response.status_code == 400
    assert b"We could not start your checkout" in response.content
    response = checkout_json(client, payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert not Transaction.objects.exists()


def test_bad_json_and_bad_mode_are_400(logged_in):
    response = logged_in.post(
        reverse("recur:checkout"), data=b"{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert checkout_json(logged_in, {"product": "prod_ebook", "mode": "RENT"}).status_code == 400
    assert checkout_json(logged_in, {"product": ["a"]}).status_code == 400
    assert checkout_json(logged_in, ["prod_ebook"]).status_code == 400


def test_unknown_product_is_a_friendly_400(logged_in):
    response = checkout(logged_in, product="prod_nope")
    assert response.status_code == 400
    assert b"You have not been charged" in response.content
    response = checkout_json(logged_in, {"product": "prod_nope"})
    assert response.json()["error"]["code"] == "checkout_rejected"
    assert set(Transaction.objects.values_list("status", flat=True)) == {"failed"}


def test_recur_down_is_a_friendly_502(logged_in, recur_emulator, settings, caplog):
    get_product("prod_ebook")
    recur_emulator.fault("500", count=10)
    response = checkout(logged_in, product="prod_ebook")
    assert response.status_code == 502
    assert b"unavailable" in response.content
    settings.RECUR = {**settings.RECUR, "API_BASE": "http://127.0.0.1:1/_recur"}
    response = checkout_json(logged_in, {"product": "prod_ebook"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "service_unavailable"
    assert list(Transaction.objects.values_list("status", flat=True)) == ["failed", "failed"]
    assert "could not reach Recur at http://127.0.0.1:1/_recur" in caplog.text  # the URL tried


def test_a_refused_secret_key_is_logged_as_such(logged_in, recur_emulator, settings, caplog):
    get_product("prod_ebook")  # cached with the right key
    settings.RECUR = {**settings.RECUR, "SECRET_KEY": "sk_test_not_the_emulators"}
    with caplog.at_level("WARNING", logger="recur_django"):
        response = checkout(logged_in, product="prod_ebook")
    assert response.status_code == 502
    messages = [r.getMessage() for r in caplog.records]
    assert any("Recur refused the secret key" in m for m in messages), messages
    assert not any("could not reach Recur" in m for m in messages), messages


# ----------------------------------------------------------------- recur:checkout-return


def test_return_page_shows_processing_when_not_paid_yet(logged_in):
    txn = start(logged_in)
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.status_code == 200
    assert response.context["state"] == "processing"
    assert b'http-equiv="refresh"' in response.content
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_return_page_fulfils_a_paid_session(
    logged_in, recur_emulator, django_capture_on_commit_callbacks
):
    txn = start(logged_in)
    recur_emulator.pay(txn.checkout_session_id)
    with (
        SignalRecorder(signals.transaction_completed) as completed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = return_page(logged_in, txn.checkout_session_id)
        again = return_page(logged_in, txn.checkout_session_id)
    assert response.context["state"] == again.context["state"] == "success"
    assert b"your payment was received" in response.content
    assert len(completed.calls) == 1 and completed.calls[0]["source"] == "return_page"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.order_id.startswith("ord_")
    assert txn.user.recur_customer.recur_id.startswith("cus_")


def test_webhook_already_won(logged_in, recur_emulator):
    txn = start(logged_in)
    post_event(logged_in, envelope("checkout.completed", completed_data(txn)))
    recur_emulator.fault("500", count=10)  # no API call is needed any more
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.context["state"] == "success"


def test_return_page_survives_api_errors(logged_in, recur_emulator):
    txn = start(logged_in)
    recur_emulator.pay(txn.checkout_session_id)
    recur_emulator.fault("500", count=10)
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.status_code == 200
    assert response.context["state"] == "processing"


def test_return_page_shows_failed_for_expired_session(logged_in, recur_emulator):
    txn = start(logged_in)
    recur_emulator.advance(days=2)
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.context["state"] == "failed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.EXPIRED


def test_declined_card_shows_processing_and_webhook_fails_it(logged_in, recur_emulator):
    txn = start(logged_in)
    recur_emulator.pay(txn.checkout_session_id, card=DECLINED)
    assert return_page(logged_in, txn.checkout_session_id).context["state"] == "processing"
    recur_emulator.deliver()
    assert return_page(logged_in, txn.checkout_session_id).context["state"] == "failed"


def test_return_page_with_mismatching_amount_does_not_fulfil(logged_in, recur_emulator):
    txn = start(logged_in)
    Transaction.objects.filter(pk=txn.pk).update(amount=99)  # expected differs from paid
    recur_emulator.pay(txn.checkout_session_id)
    response = return_page(logged_in, txn.checkout_session_id)
    assert response.context["state"] == "processing"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_return_page_of_another_users_session_is_404(recur_emulator, user, other_user):
    browser = Client(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    browser.force_login(user)
    txn = start(browser)
    recur_emulator.pay(txn.checkout_session_id)
    browser.force_login(other_user)
    response = return_page(browser, txn.checkout_session_id)
    assert response.status_code == 404
    assert txn.public_id.encode() not in response.content
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


@pytest.mark.django_db
def test_return_page_input_errors(client, user):
    client.force_login(user)
    assert client.get(reverse("recur:checkout-return")).status_code == 400
    assert return_page(client, "cs_unknown").status_code == 404
    response = return_page(client, "cs_unknown", HTTP_ACCEPT="application/json")
    assert response.json()["error"]["code"] == "not_found"
    client.logout()
    assert return_page(client, "cs_x").status_code == 302
    response = return_page(client, "cs_x", HTTP_ACCEPT="application/json")
    assert response.status_code == 401


def test_return_page_json(logged_in):
    txn = start(logged_in)
    response = return_page(logged_in, txn.checkout_session_id, HTTP_ACCEPT="application/json")
    assert response.json() == {
        "transaction_id": txn.public_id,
        "state": "processing",
        "status": "pending",
    }
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"},
        {"HTTP_ACCEPT": "application/json, text/html;q=0.5"},
    ],
)
def test_checkout_negotiates_json_like_the_other_views(client, user, headers):
    client.force_login(user)
    response = client.post(reverse("recur:checkout"), {"product": ""}, **headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    # The portal answers the same request in JSON as well.
    portal = client.post(reverse("recur:portal"), {}, **headers)
    assert portal["Content-Type"].startswith("application/json")
