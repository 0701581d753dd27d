"""Prepaid credits in the emulator: granted by paid CREDITS products, spent with deduct."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection

from recur_django.emulator.models import CreditTransaction, Customer

from .test_portal_and_lists import subscribe


def buy_pack(recur_emulator: Any, api: Any, product: str = "prod_credits_100") -> str:
    done = subscribe(recur_emulator, api, product=product)
    return str(done["customer_id"])


def deduct(api: Any, customer: str, amount: Any, key: str | None = None, **extra: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(
        f"customers/{customer}/credits/deduct",
        json={"amount": amount, "description": "An export", **extra},
        headers=headers,
    )


def test_a_paid_pack_grants_its_credits_and_says_so(recur_emulator, api):
    customer = buy_pack(recur_emulator, api)
    assert api.get(f"customers/{customer}/credits").json()["balance"] == 100
    buy_pack(recur_emulator, api, "prod_credits_1000")
    assert api.get(f"customers/{customer}/credits").json()["balance"] == 1100
    purchased = recur_emulator.events("credits.purchased")
    assert [e["data"]["amount"] for e in purchased] == [100, 1000]
    data = purchased[-1]["data"]
    assert (data["type"], data["balance"], data["customer_id"]) == ("PURCHASE", 1100, customer)
    assert data["order_id"].startswith("ord_") and data["product_id"] == "prod_credits_1000"
    assert data["id"].startswith("ctx_")


def test_credits_default_to_the_price_and_follow_the_product(recur_emulator, api):
    recur_emulator.update_product("prod_credits_1000", credits=1200)
    customer = buy_pack(recur_emulator, api, "prod_credits_1000")
    assert recur_emulator.credit_balance(customer) == 1200
    listed = {p["id"]: p for p in api.get("products").json()["products"]}
    assert listed["prod_credits_100"]["credits"] == 100
    assert listed["prod_credits_1000"]["credits"] == 1200
    assert listed["prod_ebook"]["credits"] is None


def test_other_products_grant_nothing(recur_emulator, api):
    customer = buy_pack(recur_emulator, api, "prod_ebook")
    assert api.get(f"customers/{customer}/credits").json()["balance"] == 0
    assert recur_emulator.events("credits.purchased") == []


def test_deduct_takes_credits_once_per_idempotency_key(recur_emulator, api):
    customer = buy_pack(recur_emulator, api)
    first = deduct(api, customer, 30, key="export-1")
    assert first.status_code == 200, first.text
    assert (first.json()["amount"], first.json()["balance"], first.json()["type"]) == (
        30,
        70,
        "DEDUCTION",
    )
    again = deduct(api, customer, 30, key="export-1")
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert recur_emulator.credit_balance(customer) == 70
    other = deduct(api, customer, 30, key="export-2")
    assert other.json()["balance"] == 40
    deducted = recur_emulator.events("credits.deducted")
    assert [e["data"]["id"] for e in deducted] == [first.json()["id"], other.json()["id"]]
    assert deducted[0]["data"]["description"] == "An export"


def test_the_service_keeps_one_deduction_per_key_even_without_the_api_record(recur_emulator, api):
    from recur_django.emulator.services import credits

    customer = buy_pack(recur_emulator, api)
    one = credits.deduct(customer, 10, "a", "key-1")
    two = credits.deduct(customer, 10, "a", "key-1")
    assert one.id == two.id
    assert Customer.objects.get(id=customer).credit_balance == 90


def test_concurrent_requests_with_one_key_deduct_once(recur_emulator, api):
    if connection.vendor == "sqlite":
        return  # SQLite serialises writers: there is no race to show
    customer = buy_pack(recur_emulator, api)
    answers: list[Any] = []

    def send() -> None:
        answers.append(deduct(api, customer, 10, key="race"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
    assert recur_emulator.credit_balance(customer) == 90


def test_refusals(recur_emulator, api):
    customer = buy_pack(recur_emulator, api)
    too_much = deduct(api, customer, 101)
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "insufficient_balance"
    assert recur_emulator.credit_balance(customer) == 100
    assert deduct(api, customer, 0).status_code == 400
    assert deduct(api, customer, "ten").status_code == 400
    missing = deduct(api, "cus_nope", 1)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "customer_not_found"
    assert api.get("customers/cus_nope/credits").status_code == 404
    assert api.get(f"customers/{customer}/credits", key="pk_test_tests").status_code == 401
    assert not CreditTransaction.objects.filter(type="DEDUCTION").exists()
