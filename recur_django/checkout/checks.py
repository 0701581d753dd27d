"""The checks fulfilment makes before a transaction leaves ``pending``.

A payment completes a transaction only when it belongs to it (same transaction, session
and owner: :func:`check_belongs`) and matches what was expected (amount, currency,
product: :func:`check_expected`, which asks :mod:`recur_django.checkout.proof` whether the
event proves the payment by itself). :func:`map_customer` then links the owner to the
paying Recur customer. All of them run inside :func:`~recur_django.checkout.fulfil`'s
locked block.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from recur_django.checkout.proof import PaymentUnconfirmed, foreign, proven, refusal
from recur_django.customers import external_id_for, external_id_is_owners
from recur_django.exceptions import ConfirmationUnavailable, ForeignCharge, FulfilmentRejected
from recur_django.models import Customer, Transaction
from recur_django.payloads import CheckoutData
from recur_django.payloads.amounts import parse_amount, parse_discount


def _id_kind(value: str) -> str:
    return value.split("_", 1)[0] if "_" in value else ""


def check_belongs(txn: Transaction, data: CheckoutData) -> None:
    """Refuse data that names another transaction, session or customer
    (:class:`ForeignCharge`: the payment is someone else's)."""
    if data.transaction_id and data.transaction_id != txn.public_id:
        raise ForeignCharge(
            f"metadata.transaction_id {data.transaction_id} is not transaction {txn.public_id}."
        )
    stored = txn.checkout_session_id or ""
    # Only ids of the same kind are compared: Recur may name the checkout chk_… in events
    # while the session it returned was cs_….
    same_kind = _id_kind(data.session_id) == _id_kind(stored)
    if data.session_id and stored and data.session_id != stored and same_kind:
        raise ForeignCharge(
            f"checkout session {data.session_id} does not belong to transaction "
            f"{txn.public_id} (session {stored})."
        )
    owner = txn.owner
    if (
        data.external_customer_id
        and owner is not None
        and not external_id_is_owners(data.external_customer_id, owner)
    ):
        raise ForeignCharge(
            f"the payment's external customer id does not match the owner of {txn.public_id}."
        )


def _as_amount(value: Any) -> int | None:
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise FulfilmentRejected(str(exc)) from None


def _as_discount(value: Any) -> int:
    try:
        return parse_discount(value)
    except ValueError as exc:
        raise FulfilmentRejected(str(exc)) from None


def _confirmed_amount(txn: Transaction, data: CheckoutData, confirmed: Any) -> int | None:
    """The amount Recur confirms for the stored session of ``txn``.

    Without an answer yet, raises :class:`PaymentUnconfirmed` (the pipeline asks Recur
    outside the transaction and runs the event again); a failed ask raises
    :class:`ConfirmationUnavailable` (retryable); an answer that does not confirm the
    payment raises :class:`FulfilmentRejected`.
    """
    if not txn.checkout_session_id:
        raise ForeignCharge(
            f"transaction {txn.public_id} has no stored checkout session to tie a payment to."
        )
    if confirmed is None:
        raise PaymentUnconfirmed(txn.checkout_session_id)
    if isinstance(confirmed, Exception):
        raise ConfirmationUnavailable(
            f"Recur could not confirm checkout session {txn.checkout_session_id}: {confirmed}"
        )
    not_ours = foreign(txn, data, confirmed)
    if not_ours:
        raise ForeignCharge(not_ours)
    problem = refusal(txn, data, confirmed)
    if problem:
        raise FulfilmentRejected(problem)
    return _as_amount(confirmed.amount)


def check_names_session(txn: Transaction, data: CheckoutData) -> None:
    """Raise :class:`ForeignCharge` unless ``data`` names the checkout session stored on
    ``txn``: what a failure needs to move a transaction (nobody confirms a failure)."""
    stored = txn.checkout_session_id or ""
    if not stored or data.session_id != stored:
        named = data.session_id or "no checkout session"
        raise ForeignCharge(
            f"the failure names {named}, not the checkout session of {txn.public_id}."
        )


def check_expected(txn: Transaction, data: CheckoutData, confirmed: Any = None) -> None:
    """Refuse a payment whose amount, currency or product differs from the expected one.

    A payment that does not name the stored session or does not say what was paid is
    confirmed with Recur first (:mod:`recur_django.checkout.proof`).
    """
    amount = _as_amount(data.amount)
    # A promotion code on Recur's page: what was paid plus what it took off is the price.
    discount = _as_discount(data.discount_amount)
    if not proven(txn, data, amount):
        confirmed_amount = _confirmed_amount(txn, data, confirmed)
        if amount is None:
            amount = confirmed_amount
            discount = _as_discount(confirmed.discount_amount)
    if txn.amount is not None and amount is not None and amount + discount != txn.amount:
        off = f" after a discount of {discount}" if discount else ""
        raise FulfilmentRejected(
            f"amount {amount} {data.currency or txn.currency}{off} does not match the expected "
            f"{txn.amount} {txn.currency} of {txn.public_id}."
        )
    if txn.currency and data.currency and data.currency.upper() != txn.currency.upper():
        raise FulfilmentRejected(
            f"currency {data.currency} does not match the expected {txn.currency} of "
            f"{txn.public_id}."
        )
    if txn.product_id and data.product_id and data.product_id != txn.product_id:
        raise FulfilmentRejected(
            f"product {data.product_id} does not match the expected {txn.product_id} of "
            f"{txn.public_id}."
        )


def map_customer(txn: Transaction, data: CheckoutData) -> None:
    """Link the owner to the paying Recur customer, never moving an existing mapping.

    Uses what :func:`~recur_django.checkout.fulfilment._lock` fetched, so a returning
    customer costs no query and a new one a single INSERT (or UPDATE when an unlinked row
    for the customer already exists).
    """
    owner = txn.owner
    if not data.customer_id or owner is None:
        return
    try:
        existing = owner.recur_customer
    except ObjectDoesNotExist:
        existing = None
    if existing is not None:
        if existing.recur_id == data.customer_id and (
            data.customer_email and existing.email != data.customer_email
        ):
            existing.email = data.customer_email
            existing.save(update_fields=["email", "updated_at"])
        return  # an owner linked to another Recur customer keeps that link
    external_id = data.external_customer_id or external_id_for(owner)
    if not getattr(txn, "payer_exists", False):
        # ignore_conflicts: a concurrent first payment of the same customer is harmless.
        Customer.objects.bulk_create(
            [
                Customer(
                    owner=owner,
                    recur_id=data.customer_id,
                    email=data.customer_email,
                    name=data.customer_name,
                    external_id=external_id,
                )
            ],
            ignore_conflicts=True,
        )
    elif getattr(txn, "payer_owner_id", None) is None:
        Customer.objects.filter(recur_id=data.customer_id, owner__isnull=True).update(
            owner=owner, external_id=external_id, updated_at=timezone.now()
        )
