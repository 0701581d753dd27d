"""The single-statement fast path for the hot events: a paid first purchase.

On PostgreSQL (``RECUR["WEBHOOK_FAST_PATH"]``, default True) a ``checkout.completed`` or
``order.paid`` with a paid status that proves itself (it names our stored checkout session
and carries an amount), names its transaction, its order, a new or already-linked Recur
customer and our signed ``external_customer_id``, and belongs to no subscription, is
applied with ONE SQL statement — one round trip under autocommit — built once per process.
Recur sends both events for one first purchase; whichever arrives first takes this path,
the other finds the transaction completed and the charge recorded, and the full path
answers it as the duplicate charge it is. Its data-modifying CTEs:

1. ``txn``: ``UPDATE`` the transaction to completed only when it is fulfillable and every
   check of :func:`~recur_django.checkout.checks.check_belongs` /
   :func:`~recur_django.checkout.checks.check_expected` holds (same session, user, amount,
   currency, product), no row of the event exists yet, the ledger knows nothing of the
   charge (no payment, no waiting refund, its lock free), and the customer mapping is the
   simple one (the user has none and nobody has the Recur customer, or the user already
   has exactly this one with the same email);
2. ``ev``: ``INSERT`` the :class:`~recur_django.models.WebhookEvent` with
   ``ON CONFLICT (event_id) DO NOTHING``: PROCESSED when ``txn`` returned a row, else
   RECEIVED (stored, not applied: the pipeline then applies it on the slow path);
3. ``cust``: link the Recur customer to the user (what ``map_customer`` inserts);
4. ``pay``: ``INSERT`` the ledger's :class:`~recur_django.models.Payment`, with the fields
   ``record_charge`` would give it.

Why this keeps exactly-once: the statement is atomic (autocommit: it commits as a whole or
not at all), so there is no state with the transaction completed but the event or payment
missing. A concurrent delivery of the same event waits on the transaction's row lock and
then finds it completed (PostgreSQL re-checks the ``WHERE`` on the new row version), so
its ``txn`` is empty. A conflict on any unique key (event id, payment ids, customer) raises
and rolls the whole statement back; so does the guard that divides by zero when ``txn``
updated a row but ``ev`` inserted none. Then nothing was written and the slow path runs.
A process that dies after the statement leaves either nothing or everything committed;
a RECEIVED row (``txn`` did not apply) is pending, so redelivery and ``recur_replay``
apply it and never count it as a duplicate.

Signals (``transaction_completed``, ``payment_succeeded``, ``webhook_received``) are sent
through :func:`~recur_django.signals.send_after_commit` only when ``txn`` returned a row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core import signing
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from recur_django import signals
from recur_django.checkout.proof import parse_amount
from recur_django.conf import recur_settings
from recur_django.customers import _signer
from recur_django.ledger.charges import LOCK_NAMESPACE, kind_of
from recur_django.ledger.facts import ChargeFacts, read_charge
from recur_django.models import Customer, Payment, Refund, Transaction, WebhookEvent
from recur_django.payloads import CheckoutData, Outcome
from recur_django.signals import send_after_commit
from recur_django.subscriptions import event_time
from recur_django.webhooks.envelope import recorded_headers

logger = logging.getLogger("recur_django.webhooks")

#: The fast event types, each with the reader its handler uses for the payment's facts.
READERS: dict[str, Callable[[Mapping[str, Any]], CheckoutData]] = {
    "checkout.completed": CheckoutData.from_checkout,
    "order.paid": CheckoutData.from_order,
}
FAST_TYPES = frozenset(READERS)
FULFILLABLE = ("pending", "failed", "expired")


def enabled() -> bool:
    """Whether the fast path may run here (PostgreSQL and the setting on)."""
    return connection.vendor == "postgresql" and bool(recur_settings.WEBHOOK_FAST_PATH)


@dataclass(frozen=True)
class Attempt:
    """What the statement did: ``applied`` (``event`` processed), ``stored`` (``event``
    inserted as RECEIVED, not applied) or neither (nothing written)."""

    applied: bool
    event: WebhookEvent | None


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


@lru_cache(maxsize=2)
def statement(by_public_id: bool) -> str:
    """The SQL, built once per process for each lookup (public id or session id)."""
    t, e = Transaction._meta.db_table, WebhookEvent._meta.db_table
    c, p, r = Customer._meta.db_table, Payment._meta.db_table, Refund._meta.db_table
    lookup = "public_id" if by_public_id else "checkout_session_id"
    txn_cols = ", ".join(f"t.{col}" for col in _columns(Transaction))
    fulfillable = ", ".join(f"'{s}'" for s in FULFILLABLE)
    # Only table and column names from the models are interpolated; every value is a parameter.
    sql = f"""
WITH src AS (SELECT %(payload)s::jsonb AS payload),
txn AS (
    UPDATE {t} AS t SET status = 'completed', completed_at = %(now)s, failure_reason = '',
        updated_at = %(now)s,
        order_id = CASE WHEN %(order_id)s <> '' THEN %(order_id)s ELSE t.order_id END,
        product_id = CASE WHEN t.product_id = '' THEN %(product_id)s ELSE t.product_id END
    WHERE t.{lookup} = %(ref)s
      AND t.status IN ({fulfillable})
      AND t.checkout_session_id = %(session_id)s
      AND t.user_id = %(user_id)s
      AND (t.amount IS NULL OR t.amount = %(amount)s)
      AND (t.currency = '' OR %(currency)s = '' OR upper(t.currency) = %(currency)s)
      AND (t.product_id = '' OR %(product_id)s = '' OR t.product_id = %(product_id)s)
      AND NOT EXISTS (SELECT 1 FROM {e} WHERE event_id = %(event_id)s)
      AND NOT EXISTS (SELECT 1 FROM {p} WHERE recur_id = ANY(%(ids)s)
                      OR order_id = ANY(%(ids)s) OR invoice_id = ANY(%(ids)s))
      AND NOT EXISTS (SELECT 1 FROM {r} WHERE payment_id IS NULL
                      AND (order_id = ANY(%(ids)s) OR invoice_id = ANY(%(ids)s)))
      AND ((NOT EXISTS (SELECT 1 FROM {c} WHERE user_id = t.user_id)
            AND NOT EXISTS (SELECT 1 FROM {c} WHERE recur_id = %(customer_id)s))
           OR EXISTS (SELECT 1 FROM {c} WHERE user_id = t.user_id
                      AND recur_id = %(customer_id)s
                      AND (%(email)s = '' OR email = %(email)s)))
      AND (SELECT bool_and(pg_try_advisory_xact_lock({LOCK_NAMESPACE}, hashtext(i)))
           FROM unnest(%(ids)s::text[]) AS i)
    RETURNING {txn_cols}
),
ev AS (
    INSERT INTO {e} (event_id, type, body, headers, payload, status, error, traceback,
                     retryable, attempts, received_at, processed_at)
    SELECT %(event_id)s, %(type)s, %(body)s, %(headers)s::jsonb, (SELECT payload FROM src),
           CASE WHEN applied THEN 'processed' ELSE 'received' END, '', '', false,
           CASE WHEN applied THEN 1 ELSE 0 END, %(now)s,
           CASE WHEN applied THEN %(now)s::timestamptz END
    FROM (SELECT EXISTS (SELECT 1 FROM txn) AS applied) AS a
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id, status
),
cust AS (
    INSERT INTO {c} (user_id, recur_id, email, name, external_id, created_at, updated_at)
    SELECT txn.user_id, %(customer_id)s, %(email)s, %(name)s, %(external_id)s,
           %(now)s, %(now)s
    FROM txn WHERE NOT EXISTS (SELECT 1 FROM {c} WHERE user_id = txn.user_id)
    RETURNING id
),
payer AS (
    SELECT COALESCE((SELECT id FROM cust),
                    (SELECT id FROM {c} WHERE recur_id = %(customer_id)s)) AS id
),
pay AS (
    INSERT INTO {p} (recur_id, order_id, invoice_id, kind, status, amount, currency,
        refunded_amount, reported_refunded_total, customer_id, user_id, subscription_id,
        transaction_id, payment_link_id, checkout_session_id, product_id, billing_reason,
        failure_reason, paid_at, failed_at, success_signaled, failure_signaled,
        refund_signaled_amount, raw, created_at, updated_at)
    SELECT %(pay_key)s, %(pay_order_id)s, %(pay_invoice_id)s, %(kind)s, 'paid',
           %(amount)s, %(pay_currency)s, 0, 0, payer.id, txn.user_id, NULL, txn.id, NULL,
           %(pay_session_id)s, %(pay_product_id)s, %(billing_reason)s, '', %(paid_at)s,
           NULL, true, false, 0, (SELECT payload -> 'data' FROM src), %(now)s, %(now)s
    FROM txn, payer
    RETURNING id, customer_id
)
SELECT ev.id, ev.status, pay.id, pay.customer_id,
       CASE WHEN ev.id IS NULL AND EXISTS (SELECT 1 FROM txn)
            THEN 1 / (SELECT count(*) FROM ev)::int END,
       {", ".join(f"txn.{col}" for col in _columns(Transaction))}
FROM (SELECT 1) AS one
LEFT JOIN ev ON true LEFT JOIN pay ON true LEFT JOIN txn ON true
"""  # noqa: S608
    # One line, under psycopg's 4,096-character limit for caching the parsed query.
    return " ".join(sql.split())


def _unsigned_user_pk(external_id: str) -> int | None:
    if not external_id:
        return None
    try:
        return int(_signer().unsign(external_id))
    except (signing.BadSignature, ValueError):
        return None


@dataclass(frozen=True)
class _Prepared:
    """A fast event's statement parameters and the rows it writes when it applies."""

    params: dict[str, Any]
    by_public_id: bool
    stored: WebhookEvent
    payment: Payment


def _params(
    body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]
) -> _Prepared | None:
    """The statement's parameters, or None when the event is not a fast one."""
    data, event_type = envelope.get("data"), str(envelope.get("type"))
    reader = READERS.get(event_type)
    if reader is None or not isinstance(data, Mapping):
        return None
    info = reader(data)
    if info.outcome is not Outcome.SUCCEEDED or not info.session_id:
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
    now = timezone.now()
    recorded = recorded_headers(headers)
    payload = json.dumps(dict(envelope))
    copied: dict[str, Any] = json.loads(payload)
    stored = WebhookEvent(
        event_id=envelope["id"],
        type=event_type,
        body=body,
        headers=recorded,
        payload=copied,
        received_at=now,
    )
    # What record_charge would store; its pk, customer and transaction come from the row.
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
        raw=copied["data"],
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
        "type": stored.type,
        "body": body,
        "headers": json.dumps(recorded),
        "payload": payload,
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
    return _Prepared(params, bool(info.transaction_id), stored, payment)


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
    """Try the single statement; see :class:`Attempt` for what the caller does next."""
    prepared = _params(body, headers, envelope)
    if prepared is None:
        return Attempt(False, None)
    stored, payment = prepared.stored, prepared.payment
    row = _execute(statement(prepared.by_public_id), prepared.params)
    if row is None or row[0] is None:
        return Attempt(False, None)
    event_pk, status, payment_pk, customer_pk, _guard, *txn_values = row
    stored.pk = event_pk
    if status != WebhookEvent.Status.PROCESSED:
        stored.status, stored.attempts = WebhookEvent.Status.RECEIVED, 0
        return Attempt(False, stored)
    stored.status, stored.attempts = WebhookEvent.Status.PROCESSED, 1
    stored.processed_at = prepared.params["now"]
    txn = _from_row(Transaction, txn_values)
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
    send_after_commit(signals.webhook_received, sender=WebhookEvent, event=stored)
    logger.info("Transaction %s completed (webhook)", txn.public_id)
    logger.info("Webhook %s (%s) processed.", stored.event_id, stored.type)
    return Attempt(True, stored)


def _from_row(model: Any, values: list[Any]) -> Any:
    fields = model._meta.concrete_fields
    converted = [
        f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v
        for f, v in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)
