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
   :func:`~recur_django.checkout.checks.check_expected` holds (same session, owner, amount,
   currency, product), the event is not applied yet, the ledger knows nothing of the
   charge (no payment, no waiting refund, its lock free), and the customer mapping is the
   simple one (the owner has none and nobody has the Recur customer, or the owner already
   has exactly this one with the same email);
2. ``ev``: a new delivery (:func:`attempt`) INSERTs the
   :class:`~recur_django.models.WebhookEvent` with ``ON CONFLICT (event_id) DO NOTHING``:
   PROCESSED when ``txn`` returned a row, else RECEIVED (stored, not applied: the pipeline
   then applies it on the full path). A task worker (:func:`apply_stored`) UPDATEs the
   RECEIVED row it locked first, and only when ``txn`` applied;
3. ``cust``: link the Recur customer to the owner (what ``map_customer`` inserts);
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

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from recur_django import signals
from recur_django.conf import recur_settings
from recur_django.customers import signed_owner_pk
from recur_django.event_time import event_time
from recur_django.ledger.charges import json_safe, kind_of
from recur_django.ledger.facts import ChargeFacts, read_charge
from recur_django.models import Payment, Transaction, WebhookEvent
from recur_django.owners import owner_is_user_model, owner_model
from recur_django.payloads import CheckoutData, Outcome
from recur_django.payloads.amounts import parse_amount
from recur_django.signals import send_after_commit
from recur_django.webhooks import dispatch
from recur_django.webhooks.fast_sql import event_params, joined_fields, statement
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


def _unsigned_owner_pk(external_id: str) -> Any:
    """The owner pk our token carries, as its field's Python value (None: no token, or a
    value the owner's primary key does not accept). ``None`` too when the owner or user
    model spans several tables (multi-table inheritance): the statement joins one each."""
    pk = signed_owner_pk(external_id)
    model = owner_model()
    spread = any(
        f.model is not m for m in (model, get_user_model()) for f in m._meta.concrete_fields
    )
    if pk is None or spread:
        return None
    try:
        return model._meta.pk.to_python(pk)
    except ValidationError:
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
    # signed for the transaction's owner; an event without one is not fast.
    owner_pk = _unsigned_owner_pk(info.external_customer_id)
    if amount is None:
        return None
    simple = (
        0 <= amount < 2**63
        and owner_pk is not None
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
        "owner_id": owner_pk,
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


def _run(sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """Execute; the row's trailing ``txn.*`` columns (the table's order) become one dict by
    column name, its last item."""
    head = 5 + sum(len(fields) for fields in joined_fields())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description[head:]]
    return (*row[:head], dict(zip(names, row[head:], strict=True)))


def _execute(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run the statement; None when it raised (then it wrote nothing). The last item of the
    row is the transaction's columns by name."""
    try:
        if transaction.get_autocommit():
            return _run(sql, params)
        with transaction.atomic():  # a savepoint
            return _run(sql, params)
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
    params = {**prepared.params, **event_params(stored), "payload": json.dumps(stored.payload)}
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
    _event_pk, _status, payment_pk, customer_pk, _guard, *joined, txn_columns = row
    stored.status, stored.attempts = WebhookEvent.Status.PROCESSED, stored.attempts + 1
    stored.error, stored.traceback, stored.retryable = "", "", False
    stored.processed_at = prepared.params["now"]
    fields = list(Transaction._meta.concrete_fields)
    txn = _from_row(Transaction, fields, [txn_columns[f.column] for f in fields])
    owner_fields, user_fields = joined_fields()
    owner = _from_row(owner_model(), owner_fields, joined[: len(owner_fields)])
    user = None
    if txn.user_id is not None:
        user = _from_row(get_user_model(), user_fields, joined[len(owner_fields) :])
    txn.owner, txn.user = owner, user
    payment = prepared.payment
    payment.pk, payment.customer_id = payment_pk, customer_pk
    payment.owner, payment.transaction_id = owner, txn.pk
    payment.user = user if user is not None or not owner_is_user_model() else owner
    parties = {"owner": owner, "user": payment.user}
    send_after_commit(
        signals.transaction_completed,
        sender=Transaction,
        transaction=txn,
        owner=owner,
        user=user,
        event=stored,
        source="webhook",
    )
    send_after_commit(
        signals.payment_succeeded, sender=Payment, payment=payment, **parties, event=stored
    )
    if webhook_received:
        send_after_commit(signals.webhook_received, sender=WebhookEvent, event=stored)
    logger.info("Transaction %s completed (webhook)", txn.public_id)
    logger.info("Webhook %s (%s) processed.", stored.event_id, stored.type)


def _from_row(model: Any, fields: list[Any], values: list[Any]) -> Any:
    """An instance of ``model`` from the ``values`` of its ``fields`` (as loaded)."""
    converted = [
        f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v
        for f, v in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)
