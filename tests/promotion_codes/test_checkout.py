"""A promotion code applied on Recur's hosted checkout: the site completes the purchase
for the discounted amount (amount + discount must make the expected price)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from recur_django.models import Payment, Transaction, WebhookEvent


@pytest.fixture
def shopper(recur_emulator: Any, user: Any) -> Client:
    browser = Client(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    browser.force_login(user)
    return browser


def start(browser: Client, product: str) -> Transaction:
    response = browser.post(reverse("recur:checkout"), {"product": product})
    assert response.status_code == 303, response.content
    return Transaction.objects.latest("created_at")


def apply_code(recur_emulator: Any, session_id: str, code: str) -> None:
    response = recur_emulator.http.post(
        recur_emulator.url(f"checkout/{session_id}/code"),
        data={"code": code},
        allow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.mark.parametrize("return_page_first", [True, False])
def test_a_discounted_purchase_completes(
    recur_emulator: Any, shopper: Client, coupon: str, return_page_first: bool
) -> None:
    recur_emulator.client.promotion_codes.create(coupon_id=coupon, code="SPRING")
    txn = start(shopper, "ebook")
    assert txn.amount == 590
    apply_code(recur_emulator, txn.checkout_session_id, "SPRING")
    paid = recur_emulator.pay(txn.checkout_session_id)
    assert paid.status_code == 303
    if return_page_first:
        page = shopper.get(
            reverse("recur:checkout-return"), {"session_id": txn.checkout_session_id}
        )
        assert page.context["state"] == "success"
    assert {d.status for d in recur_emulator.deliver()} == {"SUCCEEDED"}
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED, txn.failure_reason
    assert dict(WebhookEvent.objects.values_list("type", "status"))["checkout.completed"] == (
        "processed"
    )
    payment = Payment.objects.get()
    assert (payment.amount, payment.status) == (472, "paid")


def test_a_discount_that_does_not_add_up_is_refused(recur_emulator: Any, shopper: Client) -> None:
    from recur_django.checkout.checks import check_expected
    from recur_django.exceptions import FulfilmentRejected
    from recur_django.payloads import CheckoutData

    txn = start(shopper, "ebook")
    ours = txn.checkout_session_id
    fine = CheckoutData(session_id=ours, amount=472, discount_amount=118, currency="TWD")
    check_expected(txn, fine)
    for amount, discount in ((472, 100), (100, 0), (590, 118)):
        wrong = CheckoutData(session_id=ours, amount=amount, discount_amount=discount)
        with pytest.raises(FulfilmentRejected, match="does not match"):
            check_expected(txn, wrong)
