"""Prepaid credits: the owner's balance and deductions on Recur, and their local ledger.

Recur holds each customer's credit balance: a paid ``CREDITS`` product adds to it
(``credits.purchased``) and :func:`deduct` takes from it (``credits.deducted``). This
module finds the owner's Recur customer, calls Recur — never inside a database
transaction — and mirrors every movement as a :class:`~recur_django.models.CreditTransaction`
(unique on Recur's id), sending ``credits_purchased`` / ``credits_deducted`` once each.

The balance is Recur's: :func:`balance` asks Recur. The local rows are the history (what
moved it, when, with the balance Recur reported after each movement), for pages and
reports that must not call Recur.

A lost answer is safe: :func:`deduct` sends your ``idempotency_key`` as Recur's
``Idempotency-Key``. When a deduction fails without an answer (a timeout, a dropped
connection, a 5xx), Recur may or may not have taken the credits; call :func:`deduct` again
with the same key and Recur answers as it did the first time, taking nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from recur_django.client.casing import Reader
from recur_django.client.errors import RecurError
from recur_django.client.parsing import parse
from recur_django.client.types import CreditTransaction as RemoteCreditTransaction
from recur_django.client_factory import get_client
from recur_django.customers import linked_customer, upsert_customer
from recur_django.exceptions import InsufficientCredits, NoRecurCustomer
from recur_django.models import CreditTransaction, Customer, WebhookEvent
from recur_django.owners import owner_is_user_model
from recur_django.signals import credits_deducted, credits_purchased, send_after_commit
from recur_django.transaction_state import warn_if_in_transaction

__all__ = [
    "InsufficientCredits",
    "NoRecurCustomer",
    "balance",
    "deduct",
    "record",
    "transactions",
]

logger = logging.getLogger("recur_django.credits")

Kind = CreditTransaction.Kind
_SIGNALS = {Kind.PURCHASE: credits_purchased, Kind.DEDUCTION: credits_deducted}


def customer_of(owner: Any) -> Customer:
    """The Recur customer whose credits ``owner`` spends (the one place that says so).

    The owner (a user, or the model ``RECUR["OWNER_MODEL"]`` names) is linked to its
    customer by :func:`recur_django.customers.linked_customer`. Raises
    :class:`NoRecurCustomer` when there is none yet.
    """
    customer = linked_customer(owner) if owner is not None else None
    if customer is None:
        raise NoRecurCustomer()
    return customer


def balance(owner: Any) -> int:
    """The credits ``owner`` holds now, as Recur says (one API call).

    Raises :class:`NoRecurCustomer` when the owner has no Recur customer yet (nothing was
    ever bought) and the client's ``RecurError`` when Recur cannot answer.
    """
    customer = customer_of(owner)
    warn_if_in_transaction("recur_django.credits.balance")
    answer = get_client().credits.balance(customer.recur_id)
    return max(answer.balance or 0, 0)


def deduct(
    owner: Any, amount: int, description: str, idempotency_key: str, *, user: Any = None
) -> CreditTransaction:
    """Take ``amount`` credits from ``owner`` on Recur; returns the recorded movement.

    ``idempotency_key`` names what the credits pay for (an export's id, say): the same key
    is the same deduction, so a call whose answer was lost can be repeated safely.
    ``user``: who spent them (a team member, ``request.user``), passed on as the
    ``credits_deducted`` signal's ``user`` when this answer records the deduction (default:
    the owner when owners are users, else ``None``).
    Raises :class:`NoRecurCustomer` (no Recur customer), :class:`InsufficientCredits`
    (Recur's ``insufficient_balance``: nothing was taken) and the client's ``RecurError``
    for anything else (``InvalidRequestError`` for an amount that is not a positive whole
    number, before anything is sent).
    """
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise ValueError("deduct() needs an idempotency_key: the id of what the credits pay for.")
    customer = customer_of(owner)
    warn_if_in_transaction("recur_django.credits.deduct")
    try:
        answer = get_client().credits.deduct(
            customer.recur_id,
            amount=amount,
            description=description,
            idempotency_key=idempotency_key.strip(),
        )
    except RecurError as exc:
        if exc.code == "insufficient_balance":
            logger.info("Recur refused to deduct %s credits from %s: %s", amount, customer, exc)
            raise InsufficientCredits(amount, exc.message) from exc
        raise
    row, _created = record(answer, Kind.DEDUCTION, customer=customer, user=user)
    logger.info("Deducted %s credits from %s (%s)", amount, customer.recur_id, row.recur_id)
    return row


def transactions(owner: Any) -> QuerySet[CreditTransaction]:
    """The owner's recorded credit movements, newest first (no Recur call; empty when the
    owner has no Recur customer)."""
    customer = linked_customer(owner) if owner is not None else None
    if customer is None:
        return CreditTransaction.objects.none()
    return CreditTransaction.objects.filter(customer=customer)


def _kind_of(remote: RemoteCreditTransaction, fallback: str) -> str:
    stated = (remote.type or "").strip().upper()
    return {"PURCHASE": Kind.PURCHASE, "DEDUCTION": Kind.DEDUCTION}.get(stated, fallback)


def record(
    remote: RemoteCreditTransaction,
    kind: str,
    *,
    customer: Customer | None = None,
    event: WebhookEvent | None = None,
    user: Any = None,
) -> tuple[CreditTransaction, bool]:
    """Store one movement (once per Recur id) and announce it after commit when new.

    ``customer`` is the local customer when the caller knows it (a deduction we made);
    otherwise the one the movement names is looked up or created, linked to a user only
    through an external id this server signed (:func:`~recur_django.customers.upsert_customer`).
    ``user`` is who acted, when the caller knows it (see :func:`_parties`).
    """
    values = {
        "kind": _kind_of(remote, kind),
        "amount": max(remote.amount or 0, 0),
        "balance_after": remote.balance if (remote.balance or 0) >= 0 else None,
        "description": (remote.description or "")[:500],
        "order_id": (remote.order_id or "")[:128],
        "product_id": (remote.product_id or "")[:128],
        "occurred_at": remote.created_at,
        "raw": dict(remote.raw),
    }
    try:
        with transaction.atomic():
            if customer is None:
                customer = _customer_named(remote)
            row, created = CreditTransaction.objects.get_or_create(
                recur_id=remote.id, defaults={**values, "customer": customer}
            )
    except IntegrityError:  # recorded by a concurrent delivery or answer first
        return CreditTransaction.objects.get(recur_id=remote.id), False
    if created:
        signal = _SIGNALS[Kind(row.kind)]
        send_after_commit(
            signal,
            sender=CreditTransaction,
            credit_transaction=row,
            **_parties(row, user),
            event=event,
        )
    return row, created


def _parties(row: CreditTransaction, user: Any = None) -> dict[str, Any]:
    """The ``owner`` and ``user`` of a credit movement's signal: its customer's owner, and
    as ``user`` who acted when known, else that owner when owners are users (as for
    subscriptions)."""
    owner = row.customer.owner if row.customer is not None else None
    if user is None and owner is not None and owner_is_user_model():
        user = owner
    return {"owner": owner, "user": user}


def _customer_named(remote: RemoteCreditTransaction) -> Customer | None:
    if not remote.customer_id or len(remote.customer_id) > 64:
        return None
    r = Reader(remote.raw)
    nested = r.nested("customer")
    return upsert_customer(
        remote.customer_id,
        email=(r.text("customer_email") or nested.text("email") or "")[:254],
        external_id=(r.text("external_customer_id") or nested.text("external_id") or "")[:128],
        name=(nested.text("name") or "")[:255],
    )


def record_event(event_type: str, data: Mapping[str, Any], event: WebhookEvent) -> bool:
    """Record a ``credits.*`` event's movement; False when the data names none."""
    try:
        remote = parse(RemoteCreditTransaction, dict(data), what="credit transaction")
    except RecurError:
        return False
    kind = Kind.PURCHASE if event_type == "credits.purchased" else Kind.DEDUCTION
    record(remote, kind, event=event)
    return True
