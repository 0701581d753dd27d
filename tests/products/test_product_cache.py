"""The product cache: every product type, refreshed by product events (issue 21)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from recur_django import products
from recur_django.checkout import start_checkout
from recur_django.client_factory import get_client
from recur_django.emulator.models import Product as EmulatedProduct
from recur_django.emulator.services import catalog
from recur_django.models import Payment, Transaction, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)

CANCEL = "https://shop.example/pricing"


def test_credits_and_donations_are_known(recur_emulator: Any) -> None:
    catalog.ensure_products()
    EmulatedProduct.objects.create(
        id="prod_tip", slug="tip", name="Tip jar", type="DONATION", price=100, currency="TWD"
    )
    pack = products.get_product("credits-100")
    assert pack is not None
    assert (pack.type, pack.amount, pack.credits) == ("CREDITS", 100, 100)
    assert not pack.amount_is_chosen_by_buyer
    tip = products.get_product("tip")
    assert tip is not None and tip.type == "DONATION" and tip.amount_is_chosen_by_buyer
    assert products.get_product("ebook").credits is None


def test_a_product_event_refreshes_the_cached_price(recur_emulator: Any, user: Any) -> None:
    assert products.get_product("ebook").amount == 590
    recur_emulator.update_product("prod_ebook", price=650)
    assert products.get_product("ebook").amount == 590  # cached until the event arrives
    assert {d.status for d in recur_emulator.deliver()} == {"SUCCEEDED"}
    assert WebhookEvent.objects.get(type="product.updated").status == "processed"
    assert products.get_product("ebook").amount == 650
    txn = start_checkout(user, "ebook", success_url="https://shop.example/ok", cancel_url=CANCEL)
    assert txn.amount == 650  # no stale expected price after an edit on Recur


def test_a_list_fetched_while_an_event_arrives_is_not_cached(recur_emulator: Any) -> None:
    client = get_client()
    real = client.products.list

    def racing(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        products.forget()  # a product.updated committed while Recur answered
        return answer

    with mock.patch.object(client.products, "list", side_effect=racing):
        products.list_products()
    with mock.patch.object(client.products, "list", wraps=real) as spy:
        products.list_products()
        products.list_products()
    assert spy.call_count == 1  # fetched again once, then cached


def test_a_donation_completes_for_the_amount_the_donor_chose(
    recur_emulator: Any, user: Any
) -> None:
    catalog.ensure_products()
    EmulatedProduct.objects.create(
        id="prod_tip", slug="tip", name="Tip jar", type="DONATION", price=100, currency="TWD"
    )
    browser = Client(SERVER_NAME="localhost")
    browser.force_login(user)
    response = browser.post(reverse("recur:checkout"), {"product": "tip"})
    assert response.status_code == 303, response.content
    txn = Transaction.objects.get()
    assert (txn.mode, txn.amount) == ("PAYMENT", None)
    page = recur_emulator.http.get(txn.checkout_url).text
    assert 'name="amount"' in page and 'name="code"' not in page
    assert recur_emulator.pay(txn.checkout_session_id, amount=500).status_code == 303
    recur_emulator.deliver()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED, txn.failure_reason
    assert Payment.objects.get().amount == 500
    bad = recur_emulator.client.checkout_sessions.create(
        product_id="prod_tip",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/no",
    )
    refused = recur_emulator.pay(bad.id, amount=0)
    assert refused.status_code == 400 and "at least NT$1" in refused.text


def test_credit_packs_skip_the_one_plan_rule(recur_emulator: Any, user: Any) -> None:
    first = start_checkout(
        user, "credits-100", success_url="https://shop.example/ok", cancel_url=CANCEL
    )
    recur_emulator.pay(first.checkout_session_id)
    recur_emulator.deliver()
    again = start_checkout(
        user, "credits-100", success_url="https://shop.example/ok", cancel_url=CANCEL
    )
    assert again.mode == "PAYMENT" and again.status == "pending"
