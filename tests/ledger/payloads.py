"""Payloads as the emulator sends them (snake_case) for orders, invoices and refunds."""

from __future__ import annotations

from typing import Any

from recur_django.models import Transaction


def order(id: str, *, amount: int = 290, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "object": "order",
        "id": id,
        "amount": amount,
        "currency": "TWD",
        "status": "PAID",
        "customer_id": "cus_ann",
        "product_id": "prod_pro_monthly",
        "metadata": None,
    }
    data.update(extra)
    return data


def invoice(id: str, *, amount: int = 290, **extra: Any) -> dict[str, Any]:
    data = order(id, amount=amount, **extra)
    data["object"] = "invoice"
    return data


def refund(id: str, *, amount: int, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": id, "amount": amount, "currency": "TWD", "status": "PENDING"}
    data.update(extra)
    return data


def first_order(txn: Transaction, id: str, **extra: Any) -> dict[str, Any]:
    """The first purchase's order: it echoes the checkout's metadata and session."""
    return order(
        id,
        amount=txn.amount or 0,
        product_id=txn.product_id,
        metadata={"transaction_id": txn.public_id},
        checkout_session_id=txn.checkout_session_id,
        billing_reason="subscription_create" if txn.mode == "SUBSCRIPTION" else None,
        **extra,
    )
