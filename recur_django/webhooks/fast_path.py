"""The single-statement fast path for the hot events: a paid first purchase.

On PostgreSQL (``RECUR["WEBHOOK_FAST_PATH"]``, default True) a ``checkout.completed`` or
``order.paid`` with a paid status that proves itself (it names our stored checkout session
and carries an amount), names its transaction, its order, a new or already-linked Recur
customer and our signed ``external_customer_id``, and belongs to no subscription, is
applied with ONE SQL statement (:mod:`.fast_sql`) — one round trip under autocommit.
Recur sends both events for one first purchase; whichever arrives first takes this path,
the other finds the transaction completed and the charge recorded, and the full path
answers it as the duplicate charge it is. The statement's data-modifying CTEs:

1. ``txn``: ``UPDATE`` the transaction to completed only when it is fulfillable and every
   check of :func:`~recur_django.checkout.checks.check_belongs` /
   :func:`~recur_django.checkout.checks.check_expected` holds (same session, user, amount,
   currency, product), the event is not applied yet, the ledger knows nothing of the
   charge (no payment, no waiting refund, its lock free), and the customer mapping is the
   simple one (the user has none and nobody has the Recur customer, or the user already
   has exactly this one with the same email);
2. ``ev``: a new delivery (:func:`attempt`) INSERTs the
   :class:`~recur_django.models.WebhookEvent` with ``ON CONFLICT (event_id) DO NOTHING``:
   PROCESSED when ``txn`` returned a row, else RECEIVED (stored, not applied: the pipeline
   then applies it on the full path). A task worker (:func:`apply_stored`) UPDATEs the
   RECEIVED row it locked first, and only when ``txn`` applied;
3. ``cust``: link the Recur customer to the user (what ``map_customer`` inserts);
4. ``pay``: ``INSERT`` the ledger's :class:`~recur_django.models.Payment`, with the fields
   ``record_charge`` would give it.

Why this keeps exactly-once: the statement is atomic (autocommit: it commits as a whole or
not at all), so there is no state with the transaction completed but the event or payment
missing. A concurrent delivery of the same event waits on the transaction's row lock and
then finds it completed (PostgreSQL re-checks the ``WHERE`` on the new row version), so
its ``txn`` is empty. A conflict on any unique key (event id, payment ids, customer) raises
and rolls the whole statement back; so does the guard that divides by zero when ``txn``
updated a row but ``ev`` wrote none. Then nothing was written and the full path runs.
A process that dies after the statement leaves either nothing or everything committed;
a RECEIVED row (``txn`` did not apply) is pending, so redelivery and ``recur_replay``
apply it and never count it as a duplicate.

Signals (``transaction_completed``, ``payment_succeeded``, and for a new delivery
``webhook_received``) are sent through :func:`~recur_django.signals.send_after_commit`
only when ``txn`` returned a row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from recur_django import signals
from recur_django.checkout.proof import parse_amount
from recur_django.conf import recur_settings
from recur_django.customers import signed_user_pk
from recur_django.ledger.charges import json_safe, kind_of
from recur_django.ledger.facts import ChargeFacts, read_charge
from recur_django.models import Payment, Transaction, WebhookEvent
from recur_django.payloads import CheckoutData, Outcome
from recur_django.signals import send_after_commit
from recur_django.subscriptions import event_time
from recur_django.webhooks import dispatch
from recur_django.webhooks.fast_sql import statement
from recur_django.webhooks.handlers import checkout as checkout_handlers
from recur_django.webhooks.registry import get_handler

logger = logging.getLogger("recur_django.webhooks")

#: The fast event types, each with the reader its handler uses for the payment's facts.
READERS: dict[str, Callable[[Mapping[str, Any]], CheckoutData]] = {
    "checkout.completed": CheckoutData.from_checkout,
    "order.paid": CheckoutData.from_order,
}
FAST_TYPES = frozenset(READERS)
#: The handlers the statement stands in for; a site that registers its own handler for one
#: of these types (``@handles``) gets it called: the event takes the full path.
BUILT_IN = {
    "checkout.completed": checkout_handlers.checkout_completed,
    "order.paid": checkout_handlers.order_paid,
}


def enabled() -> bool:
    """Whether the fast path may run here (PostgreSQL and the setting on)."""
    return connection.vendor == "postgresql" and bool(recur_settings.WEBHOOK_FAST_PATH)


@dataclass(frozen=True)
class Attempt:
    """What the statement did: ``applied`` (``event`` processed), ``stored`` (``event``
    inserted as RECEIVED, not applied) or neither (nothing written)."""

    applied: bool
    event: WebhookEvent | None


def _unsigned_user_pk(external_id: str) -> int | None:
    """The integer user pk our token carries (None: no token, or a non-integer pk)."""
    pk = signed_user_pk(external_id)
    try:
        return None if pk is None else int(pk)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Prepared:
    """A fast event's statement parameters and the rows it writes when it applies."""

    params: dict[str, Any]
    by_public_id: bool
    payment: Payment


def _prepare(envelope: Mapping[str, Any], stored: WebhookEvent, now: datetime) -> _Prepared | None:
    """The statement's parameters, or None when the event is not a fast one.

    ``stored`` is the event's row (new and unsaved, or the RECEIVED one), ``now`` the time
    written as completed/processed; the payment is built from the event with the fields
    ``record_charge`` would give it.
    """
    data, event_type = envelope.get("data"), str(envelope.get("type"))
    reader = READERS.get(event_type)
    if reader is None or not isinstance(data, Mapping):
        return None
    if get_handler(event_type) is not BUILT_IN[event_type]:
        return None
    info = reader(data)
    if info.outcome is not Outcome.SUCCEEDED or not info.session_id:
        return None
    if info.discount_amount:  # a promotion code: the full path checks amount + discount
        return None
    try:
        amount = parse_amount(info.amount)
    except ValueError:
        return None
    facts: ChargeFacts = read_charge(event_type, data, "paid")
    # check_belongs: the external id (Recur echoes the one our checkout sent) must be one we
    # signed for the transaction's user; an event without one is not fast.
    user_pk = _unsigned_user_pk(info.external_customer_id)
    if amount is None:
        return None
    simple = (
        0 <= amount < 2**63
        and user_pk is not None
        and info.customer_id
        and len(info.customer_id) <= 64
        and len(info.session_id) <= 128
        and not info.subscription_id
        and facts.order_id == info.order_id != ""
        and (info.transaction_id, info.session_id) == (facts.transaction_id, facts.session_id)
        and (info.customer_id, info.product_id) == (facts.customer_id, facts.product_id)
        and (info.customer_email, info.customer_name) == (facts.customer_email, facts.customer_name)
        and facts.amount == amount
        and not (facts.subscription_id or facts.payment_link_id)
        and facts.refunded_total is None
    )
    if not simple:
        return None
    payment = Payment(
        recur_id=facts.key,
        order_id=facts.order_id or None,
        invoice_id=facts.invoice_id or None,
        status=Payment.Status.PAID,
        amount=amount,
        currency=facts.currency or "TWD",
        checkout_session_id=facts.session_id[:128],
        product_id=facts.product_id[:128],
        billing_reason=facts.billing_reason[:128],
        paid_at=facts.at or event_time(stored, data),
        success_signaled=True,
        raw=json_safe(data),
        created_at=now,
        updated_at=now,
    )
    payment.transaction_id = 0  # linked to the transaction: kind_of reads that
    payment.kind = kind_of(payment)
    params = {
        "now": now,
        "ref": info.transaction_id or info.session_id,
        "session_id": info.session_id,
        "user_id": user_pk,
        "amount": amount,
        "currency": info.currency,
        "product_id": info.product_id,
        "order_id": info.order_id,
        "event_id": stored.event_id,
        "ids": facts.ids,
        "customer_id": info.customer_id,
        "email": info.customer_email,
        "name": info.customer_name,
        "external_id": info.external_customer_id,
        "pay_key": payment.recur_id,
        "pay_order_id": payment.order_id,
        "pay_invoice_id": payment.invoice_id,
        "kind": payment.kind,
        "pay_currency": payment.currency,
        "pay_session_id": payment.checkout_session_id,
        "pay_product_id": payment.product_id,
        "billing_reason": payment.billing_reason,
        "paid_at": payment.paid_at,
    }
    return _Prepared(params, bool(info.transaction_id), payment)


def _execute(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run the statement; None when it raised (then it wrote nothing)."""
    try:
        if transaction.get_autocommit():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return tuple(cursor.fetchone())
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint
            cursor.execute(sql, params)
            return tuple(cursor.fetchone())
    except DatabaseError as exc:
        logger.info("Webhook fast path gave way to the full path: %s", type(exc).__name__)
        return None


def attempt(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> Attempt:
    """Try the single statement on a new delivery; see :class:`Attempt` for what the caller
    does next."""
    now = timezone.now()
    stored = dispatch.new_row(body, headers, envelope)  # RECEIVED, no attempt yet
    stored.received_at = now
    prepared = _prepare(envelope, stored, now)
    if prepared is None:
        return Attempt(False, None)
    params = {
        **prepared.params,
        "type": stored.type,
        "body": body,
        "headers": json.dumps(stored.headers),
        "payload": json.dumps(stored.payload),
    }
    row = _execute(statement(prepared.by_public_id), params)
    if row is None or row[0] is None:
        return Attempt(False, None)
    stored.pk = row[0]
    if row[1] != WebhookEvent.Status.PROCESSED:
        return Attempt(False, stored)
    _applied(stored, prepared, row, webhook_received=True)
    return Attempt(True, stored)


def apply_stored(stored: WebhookEvent, envelope: Mapping[str, Any]) -> bool:
    """Apply a RECEIVED row (a task worker) with the statement's stored form; True when it
    did. False: nothing was written, and the caller applies the event on the full path
    (``redispatch``), which answers a row no longer RECEIVED as a duplicate.
    ``webhook_received`` is not sent again: it was when the row was stored.
    """
    prepared = _prepare(envelope, stored, timezone.now())
    if prepared is None:
        return False
    row = _execute(statement(prepared.by_public_id, stored=True), prepared.params)
    if row is None or row[0] is None:
        return False
    _applied(stored, prepared, row, webhook_received=False)
    return True


def _applied(
    stored: WebhookEvent, prepared: _Prepared, row: tuple[Any, ...], *, webhook_received: bool
) -> None:
    """Bring the Python objects in line with what the statement wrote, then announce it."""
    _event_pk, _status, payment_pk, customer_pk, _guard, *txn_values = row
    stored.status, stored.attempts = WebhookEvent.Status.PROCESSED, stored.attempts + 1
    stored.error, stored.traceback, stored.retryable = "", "", False
    stored.processed_at = prepared.params["now"]
    txn = _from_row(Transaction, txn_values)
    payment = prepared.payment
    payment.pk, payment.customer_id = payment_pk, customer_pk
    payment.user_id, payment.transaction_id = txn.user_id, txn.pk
    send_after_commit(
        signals.transaction_completed,
        sender=Transaction,
        transaction=txn,
        event=stored,
        source="webhook",
    )
    send_after_commit(signals.payment_succeeded, sender=Payment, payment=payment, event=stored)
    if webhook_received:
        send_after_commit(signals.webhook_received, sender=WebhookEvent, event=stored)
    logger.info("Transaction %s completed (webhook)", txn.public_id)
    logger.info("Webhook %s (%s) processed.", stored.event_id, stored.type)


def _from_row(model: Any, values: list[Any]) -> Any:
    fields = model._meta.concrete_fields
    converted = [
        f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v
        for f, v in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)
