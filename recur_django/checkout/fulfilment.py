"""Every transition of a transaction out of ``pending``, and nowhere else.

``fulfil`` (→ completed), ``mark_failed`` (→ failed / canceled / expired), ``fail_on_start``
(Recur refused to start the checkout), ``expire_due`` (sessions past their expiry, for
``recur_expire``) and ``expire_if_due`` (one of them, when it blocks a new checkout of
its plan family). The webhook handlers, the return page, ``recur_replay`` and the
management commands all go through them. Each locks the row (``select_for_update``), so
duplicate or concurrent deliveries complete a transaction once and send
``transaction_completed`` once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db import transaction as db_transaction
from django.db.models import Exists, QuerySet, Subquery, prefetch_related_objects
from django.utils import timezone

import recur_django.checkout.checks as checks
from recur_django import clock as billing_clock
from recur_django import signals
from recur_django.exceptions import FulfilmentRejected
from recur_django.models import Customer, Transaction, WebhookEvent
from recur_django.payloads import CheckoutData, Outcome
from recur_django.signals import send_after_commit
from recur_django.subscriptions import claim_for_checkout

logger = logging.getLogger("recur_django.checkout")

# Statuses from which a confirmed payment still completes the transaction: a card declined
# on the first try (failed) or a session we expired locally can be paid afterwards, and a
# payment Recur took must never go unrecorded.
FULFILLABLE = frozenset(
    {Transaction.Status.PENDING, Transaction.Status.FAILED, Transaction.Status.EXPIRED}
)

#: The ``transaction_failed`` reason of a transaction expired by :func:`expire_due`.
EXPIRED_REASON = "checkout session expired"
#: Rows expired per database transaction by :func:`expire_due`.
EXPIRE_BATCH = 500


@dataclass(frozen=True)
class FulfilmentResult:
    """What ``fulfil`` / ``mark_failed`` did. ``changed`` is True only for the call that
    moved the transaction out of its previous state."""

    transaction: Transaction
    changed: bool


def _as_data(session_data: CheckoutData | Mapping[str, Any] | None) -> CheckoutData:
    if isinstance(session_data, CheckoutData):
        return session_data
    if session_data is None:
        return CheckoutData()
    if isinstance(session_data, Mapping):
        return CheckoutData.from_checkout(session_data)
    return CheckoutData.from_session(session_data)


def _lock(ref: Transaction | str | int | None, data: CheckoutData) -> Transaction:
    """Lock and return the transaction: by ``ref``, else by metadata id, else by session id.

    Raises ``Transaction.DoesNotExist``; never looks up by email, customer or product.
    """
    qs = Transaction.objects.select_related("owner", "owner__recur_customer", "user")
    if connection.features.has_select_for_update_of:
        qs = qs.select_for_update(of=("self",))
    else:
        qs = qs.select_for_update()
    if data.customer_id:
        # What checks.map_customer needs about the payer's Customer row, in the same query.
        payer = Customer.objects.filter(recur_id=data.customer_id)
        qs = qs.annotate(
            payer_exists=Exists(payer), payer_owner_id=Subquery(payer.values("owner_id")[:1])
        )
    if isinstance(ref, Transaction):
        return qs.get(pk=ref.pk)
    if isinstance(ref, int):
        return qs.get(pk=ref)
    if isinstance(ref, str) and ref:
        return qs.get(public_id=ref)
    if data.transaction_id:
        return qs.get(public_id=data.transaction_id)
    if data.session_id:
        return qs.get(checkout_session_id=data.session_id)
    raise Transaction.DoesNotExist("No transaction id or checkout session id to match on.")


def _complete(txn: Transaction, data: CheckoutData, confirmed: Any) -> None:
    """Complete ``txn``; the order and subscription recorded are Recur's own answer for the
    stored session when it was asked (``confirmed``), else the proven event's. The ledger
    attaches that order's charges to ``txn``."""
    txn.status = Transaction.Status.COMPLETED
    txn.completed_at = timezone.now()
    txn.failure_reason = ""
    fields = ["status", "completed_at", "failure_reason", "updated_at"]
    told = confirmed if isinstance(confirmed, CheckoutData) else data
    ids = (
        ("order_id", told.order_id or data.order_id),
        ("subscription_id", told.subscription_id or data.subscription_id),
    )
    for name, value in ids:
        if value and getattr(txn, name) != value:
            setattr(txn, name, value)
            fields.append(name)
    if not txn.checkout_session_id and data.session_id:
        txn.checkout_session_id = data.session_id
        fields.append("checkout_session_id")
    if not txn.product_id and data.product_id:
        txn.product_id = data.product_id
        fields.append("product_id")
    txn.save(update_fields=fields)
    checks.map_customer(txn, data)
    payer = told.customer_id or data.customer_id
    if txn.subscription_id and payer:
        # Our session paid for this subscription: the one evidence that sets its customer.
        customer, _ = Customer.objects.get_or_create(recur_id=payer)
        claim_for_checkout(txn.subscription_id, customer)


def fulfil(
    transaction_or_id: Transaction | str | int | None = None,
    *,
    session_data: CheckoutData | Mapping[str, Any] | Any = None,
    event: WebhookEvent | None = None,
    source: str = "webhook",
    confirmed: CheckoutData | Exception | None = None,
) -> FulfilmentResult:
    """Mark a transaction completed, exactly once, and send ``transaction_completed``.

    ``transaction_or_id`` is a Transaction, its pk or its public id (``txn_…``); when None
    the transaction is located from ``session_data`` (``metadata.transaction_id``, else the
    checkout session id). ``session_data`` is what Recur says about the payment: webhook
    ``data``, a retrieved ``CheckoutSession``, or a :class:`CheckoutData`. Its amount,
    currency, product, session and external customer id are checked against the
    transaction; a contradiction raises :class:`FulfilmentRejected` and changes nothing.

    Only a payment naming the checkout session stored on the transaction and saying what
    was paid completes it by itself. Otherwise ``confirmed`` must be Recur's own view of the
    stored session (a retrieved session); without it :class:`PaymentUnconfirmed` is raised
    for the webhook pipeline to ask Recur outside the transaction.

    Idempotent: a transaction that is already completed is returned unchanged
    (``changed=False``). Raises ``Transaction.DoesNotExist`` when nothing matches.
    ``source`` ("webhook", "return_page", …) is passed to the signal.
    """
    data = _as_data(session_data)
    # Refusals are raised after the block: the reads succeeded, so the caller's
    # transaction must not be marked for rollback.
    refusal: Exception | None = None
    with db_transaction.atomic(savepoint=False):
        try:
            txn = _lock(transaction_or_id, data)
            checks.check_belongs(txn, data)
            if txn.status != Transaction.Status.COMPLETED:
                if txn.status not in FULFILLABLE:
                    raise FulfilmentRejected(f"transaction {txn.public_id} is {txn.status}.")
                checks.check_expected(txn, data, confirmed)
        except (FulfilmentRejected, Transaction.DoesNotExist) as exc:
            refusal = exc
        else:
            if txn.status == Transaction.Status.COMPLETED:
                return FulfilmentResult(txn, changed=False)
            _complete(txn, data, confirmed)
            send_after_commit(
                signals.transaction_completed,
                sender=Transaction,
                transaction=txn,
                owner=txn.owner,
                user=txn.user,
                event=event,
                source=source,
            )
    if refusal is not None:
        raise refusal
    logger.info("Transaction %s completed (%s)", txn.public_id, source)
    return FulfilmentResult(txn, changed=True)


FAILED_STATUS = {
    Outcome.FAILED: Transaction.Status.FAILED,
    Outcome.CANCELED: Transaction.Status.CANCELED,
    Outcome.EXPIRED: Transaction.Status.EXPIRED,
}


def mark_failed(
    transaction_or_id: Transaction | str | int | None = None,
    *,
    reason: str,
    outcome: Outcome = Outcome.FAILED,
    session_data: CheckoutData | Mapping[str, Any] | Any = None,
    event: WebhookEvent | None = None,
    source: str = "webhook",
) -> FulfilmentResult:
    """Move a *pending* transaction to failed / canceled / expired and send
    ``transaction_failed``. A transaction in any other state is left alone (a completed
    payment is never downgraded). Lookup and ownership checks are those of :func:`fulfil`,
    and the failure must name the checkout session stored on the transaction: nobody
    confirms a failure, so one from a checkout someone else started (carrying this
    transaction's id in its metadata) raises ``ForeignCharge`` and changes nothing.
    """
    data = _as_data(session_data)
    status = FAILED_STATUS.get(outcome, Transaction.Status.FAILED)
    refusal: Exception | None = None
    with db_transaction.atomic(savepoint=False):
        try:
            txn = _lock(transaction_or_id, data)
            checks.check_belongs(txn, data)
            checks.check_names_session(txn, data)
        except (FulfilmentRejected, Transaction.DoesNotExist) as exc:
            refusal = exc
        else:
            if txn.status != Transaction.Status.PENDING:
                if txn.status == status == Transaction.Status.FAILED and reason:
                    # Another declined card on the same checkout: keep the latest reason.
                    txn.failure_reason = reason[:2000]
                    txn.save(update_fields=["failure_reason", "updated_at"])
                return FulfilmentResult(txn, changed=False)
            txn.status = status
            txn.failure_reason = reason[:2000]
            fields = ["status", "failure_reason", "updated_at"]
            if data.order_id and not txn.order_id:
                txn.order_id = data.order_id
                fields.append("order_id")
            txn.save(update_fields=fields)
            _announce_failure(txn, event, source)
    if refusal is not None:
        raise refusal
    logger.info("Transaction %s %s (%s)", txn.public_id, status, source)
    return FulfilmentResult(txn, changed=True)


def _announce_failure(txn: Transaction, event: WebhookEvent | None, source: str) -> None:
    """``transaction_failed`` for ``txn`` (its ``failure_reason``), after commit."""
    send_after_commit(
        signals.transaction_failed,
        sender=Transaction,
        transaction=txn,
        owner=txn.owner,
        user=txn.user,
        reason=txn.failure_reason,
        event=event,
        source=source,
    )


def fail_on_start(txn: Transaction, reason: str) -> None:
    """Mark a transaction whose checkout Recur refused to start failed (if still pending)."""
    with db_transaction.atomic():
        updated = Transaction.objects.filter(pk=txn.pk, status=Transaction.Status.PENDING).update(
            status=Transaction.Status.FAILED, failure_reason=reason, updated_at=timezone.now()
        )
        txn.status, txn.failure_reason = Transaction.Status.FAILED, reason
        if updated:
            _announce_failure(txn, None, "checkout")


def due_for_expiry(now: datetime | None = None) -> QuerySet[Transaction]:
    """Pending transactions whose checkout session expired before ``now``.

    ``now`` defaults to the billing clock (``RECUR["CLOCK"]``: the emulator's clock in the
    demo), since expiry is a billing decision.
    """
    return Transaction.objects.filter(
        status=Transaction.Status.PENDING, expires_at__lt=now or billing_clock.now()
    )


def expire_due(now: datetime | None = None) -> int:
    """Mark every pending transaction whose session expired before ``now`` expired.

    Works in batches of :data:`EXPIRE_BATCH`, each in its own database transaction; a row
    locked right now (being fulfilled by its webhook) is skipped and left to it. Each
    expired transaction sends ``transaction_failed`` (``reason=EXPIRED_REASON``,
    ``source="expire"``) after commit. A payment that still arrives later completes the
    transaction anyway (:data:`FULFILLABLE`). Returns how many were expired.
    """
    due = due_for_expiry(now)
    total = 0
    while True:
        expired = _expire(due.order_by("pk")[:EXPIRE_BATCH])
        if not expired:
            break
        total += expired
    if total:
        logger.info("Expired %d pending transaction(s).", total)
    return total


def expire_if_due(txn: Transaction, now: datetime | None = None) -> bool:
    """Expire ``txn`` if it is still pending and its session expired before ``now`` (the
    billing clock), as :func:`expire_due` would; True when this call expired it."""
    return bool(_expire(due_for_expiry(now).filter(pk=txn.pk)))


def _expire(due: QuerySet[Transaction]) -> int:
    """Expire the pending transactions of ``due`` not locked right now, in one database
    transaction, announcing each; returns how many."""
    with db_transaction.atomic():
        batch = list(due.select_for_update(skip_locked=True))
        if not batch:
            return 0
        prefetch_related_objects(batch, "owner", "user")  # for the signals
        Transaction.objects.filter(pk__in=[t.pk for t in batch]).update(
            status=Transaction.Status.EXPIRED,
            failure_reason=EXPIRED_REASON,
            updated_at=timezone.now(),  # audit time stays real time
        )
        for txn in batch:
            txn.status, txn.failure_reason = Transaction.Status.EXPIRED, EXPIRED_REASON
            _announce_failure(txn, None, "expire")
    return len(batch)
