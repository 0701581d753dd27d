"""Recording charges: one :class:`~recur_django.models.Payment` row per Recur charge.

Exactly once under duplicate, concurrent and reordered deliveries:

- every write for a charge first takes a lock on each id the event names (order id,
  invoice id; a PostgreSQL transaction-level advisory lock, released at commit; SQLite
  serialises writers by itself), then reads the row with ``SELECT … FOR UPDATE`` — so two
  events of one charge (its ``invoice.paid`` and its ``order.paid``, or a refund) never
  interleave, and a refund recorded first is always seen by the payment that follows;
- ``recur_id``, ``order_id`` and ``invoice_id`` are unique, so the database refuses a
  second row for a charge whatever happens;
- the merge is order-independent: ids and links only fill in, ``paid_at``/``failed_at``
  keep the earliest time, the status and kind are derived from the merged facts, and each
  signal has a marker on the row set under the lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from recur_django import signals
from recur_django.event_time import event_time
from recur_django.exceptions import EventRejected
from recur_django.ledger.amounts import Decision, decide
from recur_django.ledger.facts import ChargeFacts
from recur_django.ledger.links import Links, link, resolve
from recur_django.ledger.review import check_charge, flag, refund_conflict
from recur_django.models import Payment, Refund, Subscription
from recur_django.signals import send_after_commit

if TYPE_CHECKING:
    from recur_django.models import WebhookEvent

logger = logging.getLogger("recur_django.ledger")

Kind = Payment.Kind
Status = Payment.Status

# The first key of PostgreSQL's two-key advisory locks taken by the ledger ("RcLg").
LOCK_NAMESPACE = 0x52634C67


# Ids whose lock this code path already holds (set by holding(), inside one transaction).
_held: ContextVar[frozenset[str]] = ContextVar("recur_ledger_locks", default=frozenset())


def lock_ids(ids: list[str]) -> None:
    """Serialise every writer of the charges named by ``ids`` until the transaction ends.

    Taken first thing in a delivery (the webhook handlers run inside
    :func:`recur_django.ledger.locked`, before fulfilment or the subscription mirror lock
    their rows), in sorted id order: every path takes the charge lock before any row lock,
    so concurrent deliveries cannot deadlock.
    """
    if connection.vendor != "postgresql":
        return  # SQLite: one writer at a time already
    wanted = sorted(set(filter(None, ids)) - _held.get())
    if not wanted:
        return
    # One round trip: the locks are taken left to right, in the sorted order.
    calls = ", ".join(["pg_advisory_xact_lock(%s, hashtext(%s))"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", [a for v in wanted for a in (LOCK_NAMESPACE, v)])


@contextmanager
def holding(ids: list[str]) -> Iterator[None]:
    """Lock ``ids`` and let the ledger calls inside the block know they hold them."""
    lock_ids(ids)
    token = _held.set(_held.get() | frozenset(filter(None, ids)))
    try:
        yield
    finally:
        _held.reset(token)


def _refunds_of(ids: list[str]) -> Exists:
    """Whether a refund is attached to the outer payment or waits for it (by the event's ids
    or the row's own): what :func:`settle` reads, asked in the payment's query."""
    named = Q(order_id__in=ids) | Q(invoice_id__in=ids)
    for column in ("recur_id", "order_id", "invoice_id"):
        named |= Q(order_id=OuterRef(column)) | Q(invoice_id=OuterRef(column))
    return Exists(
        Refund.objects.filter(Q(payment=OuterRef("pk")) | Q(payment__isnull=True) & named)
    )


def find_payment(ids: list[str]) -> tuple[Payment | None, set[str]]:
    """The locked payment row of the charge named by any of ``ids`` (None if none), and the
    ids another row already holds (left off this one)."""
    ids = [i for i in ids if i]
    if not ids:
        return None, set()
    found = Payment.objects.select_related("customer__owner", "subscription")
    if connection.features.has_select_for_update_of:
        found = found.select_for_update(of=("self",))
    else:
        found = found.select_for_update()
    rows = list(
        found.filter(Q(recur_id__in=ids) | Q(order_id__in=ids) | Q(invoice_id__in=ids))
        .annotate(has_refunds=_refunds_of(ids))
        .order_by("pk")[:2]
    )
    if len(rows) > 1:
        # An order row and an invoice row recorded before either event named the other.
        logger.warning("Ids %s match two payments; using %s.", ", ".join(ids), rows[0].recur_id)
        return rows[0], {rows[1].recur_id, rows[1].order_id or "", rows[1].invoice_id or ""}
    return (rows[0] if rows else None), set()


def json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    value = json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder))
    return value if isinstance(value, dict) else {}


def kind_of(payment: Payment) -> str:
    """The kind, from everything known about the charge (so it does not depend on order).

    Recur's ``billing_reason`` decides when it says something; otherwise a local payment
    link, the first purchase's transaction or checkout session, then the subscription.
    """
    reason = payment.billing_reason
    if reason == "trial_verification":
        return Kind.VERIFICATION
    if reason == "subscription_cycle":
        return Kind.RENEWAL
    if reason == "subscription_update":
        return Kind.OTHER  # a plan change's charge
    if payment.payment_link_id is not None:
        return Kind.PAYMENT_LINK
    if (
        payment.transaction_id is not None
        or reason == "subscription_create"
        or payment.checkout_session_id
    ):
        return Kind.CHECKOUT
    if payment.subscription_id is not None:
        return Kind.RENEWAL
    return Kind.OTHER


def status_of(payment: Payment) -> str:
    if payment.paid_at is None:
        return Status.FAILED
    if payment.refunded_amount and payment.refunded_amount >= payment.amount:
        return Status.REFUNDED
    if payment.refunded_amount:
        return Status.PARTIALLY_REFUNDED
    return Status.PAID


def _earliest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new < current else current


def merge(
    payment: Payment,
    facts: ChargeFacts,
    links: Links,
    at: datetime,
    data: Mapping[str, Any],
    taken: set[str] = frozenset(),  # type: ignore[assignment]
    decision: Decision | None = None,
) -> None:
    """Fold one event's facts into ``payment`` (unsaved); the result is order-independent.

    ``decision`` (:func:`recur_django.ledger.amounts.decide`) sets the amount and currency;
    without one the event's own paid amount is taken.
    """
    if facts.order_id and not payment.order_id and facts.order_id not in taken:
        payment.order_id = facts.order_id
    if facts.invoice_id and not payment.invoice_id and facts.invoice_id not in taken:
        payment.invoice_id = facts.invoice_id
    payment.recur_id = payment.invoice_id or payment.order_id or payment.recur_id
    if decision is None:
        decision = Decision(facts.amount, facts.currency) if facts.outcome == "paid" else None
    if decision is not None and decision.amount is not None:
        payment.amount = decision.amount
        payment.currency = decision.currency or payment.currency
    if decision is not None:
        flag(payment, decision.note)
    flag(payment, links.review)
    for name in ("checkout_session_id", "product_id", "billing_reason"):
        value = {
            "checkout_session_id": facts.session_id,
            "product_id": facts.product_id,
            "billing_reason": facts.billing_reason,
        }[name]
        if value and not getattr(payment, name):
            setattr(payment, name, value[:128])
    link(payment, links)
    when = facts.at or at
    if facts.outcome == "paid":
        payment.paid_at = _earliest(payment.paid_at, when)
    elif facts.outcome == "failed":
        first_failure = payment.failed_at is None or when < payment.failed_at
        payment.failed_at = _earliest(payment.failed_at, when)
        if facts.failure_reason and (first_failure or not payment.failure_reason):
            payment.failure_reason = facts.failure_reason
    if facts.refunded_total is not None and facts.refunded_total > payment.reported_refunded_total:
        payment.reported_refunded_total = facts.refunded_total
    payment.kind = kind_of(payment)
    payment.raw = json_safe(data)


def settle(
    payment: Payment, event: WebhookEvent | None, before: dict[str, Any] | None = None
) -> None:
    """Attach waiting refunds, recompute the refunded amount and status, send what is due,
    and save ``payment`` (locked; saved or not yet) and the refunds it touched. ``before``
    (:func:`snapshot` of the row as read) skips the UPDATE when nothing but ``raw`` changed.

    ``payment_refunded`` is sent once per refund (its ``amount`` is that refund's) when the
    payment is paid; a refunded total Recur reported beyond our refund rows
    (``invoice.refunded`` without refund events) is announced once as its own
    ``payment_refunded`` with ``refund=None``. The announced amounts add up to
    ``refunded_amount``, never more.
    """
    ids = [i for i in (payment.order_id, payment.invoice_id, payment.recur_id) if i]
    waiting = Q(payment__isnull=True) & (Q(order_id__in=ids) | Q(invoice_id__in=ids))
    if payment.pk is not None:
        waiting |= Q(payment_id=payment.pk)
    # A charge event's find_payment() said whether any refund is attached or waiting (one
    # query fewer); a refund event inserts its refund after that read, so it always reads.
    none_waiting = before is not None and getattr(payment, "has_refunds", None) is False
    refunds = [] if none_waiting else list(Refund.objects.filter(waiting).order_by("pk"))
    flagged = [
        r.pk for r in refunds if r.payment_id is None and flag(r, refund_conflict(r, payment))
    ]
    counted = sum(r.amount for r in refunds if r.counts)
    refunded = max(counted, payment.reported_refunded_total)
    payment.refunded_amount = min(refunded, payment.amount) if payment.amount else refunded
    payment.status = status_of(payment)
    announced: list[int] = []
    if payment.paid_at is not None and not held(payment):
        for refund in refunds:
            if refund.counts and not refund.signaled:
                share = min(refund.amount, payment.refunded_amount - payment.refund_signaled_amount)
                refund.signaled = True
                announced.append(refund.pk)
                if share > 0:
                    _announce_refund(payment, share, refund, event)
        rest = payment.refunded_amount - payment.refund_signaled_amount
        if rest > 0 and payment.reported_refunded_total > counted:
            _announce_refund(payment, rest, None, event)
    announce(payment, event)
    if before is None or snapshot(payment) != before:
        payment.save()
    orphans = [r.pk for r in refunds if r.payment_id is None]
    now = timezone.now()
    for refund in refunds:
        if refund.pk in flagged:
            Refund.objects.filter(pk=refund.pk).update(
                review_reason=refund.review_reason, updated_at=now
            )
    if orphans:
        Refund.objects.filter(pk__in=orphans).update(payment=payment, updated_at=now)
    if announced:
        Refund.objects.filter(pk__in=announced).update(signaled=True, updated_at=now)


def snapshot(payment: Payment) -> dict[str, Any]:
    """The row's stored values but ``raw`` (the last event's data) and ``updated_at``: what
    decides whether an event changed the charge."""
    return {
        f.attname: getattr(payment, f.attname)
        for f in Payment._meta.concrete_fields
        if f.attname not in ("raw", "updated_at")
    }


def _announce_refund(
    payment: Payment, amount: int, refund: Refund | None, event: WebhookEvent | None
) -> None:
    payment.refund_signaled_amount += amount
    send_after_commit(
        signals.payment_refunded,
        sender=Payment,
        payment=payment,
        **payment_parties(payment),
        amount=amount,
        refund=refund,
        event=event,
    )


def held(payment: Payment) -> bool:
    """Whether ``payment`` was flagged for review before it was announced: then it
    announces nothing (neither its success, its failure nor its refunds)."""
    return bool(payment.review_reason) and not (
        payment.success_signaled or payment.failure_signaled
    )


def payment_parties(payment: Payment) -> dict[str, Any]:
    """The ``owner`` and ``user`` arguments of a payment's signals (see
    :mod:`recur_django.signals`)."""
    return {"owner": payment.owner, "user": payment.user}


def announce(payment: Payment, event: WebhookEvent | None) -> None:
    """Send ``payment_succeeded`` (+ ``subscription_renewed``) and ``payment_failed`` once
    (nothing for a payment :func:`held` for review)."""
    if held(payment):
        return
    if payment.paid_at is not None and not payment.success_signaled:
        payment.success_signaled = True
        send_after_commit(
            signals.payment_succeeded,
            sender=Payment,
            payment=payment,
            **payment_parties(payment),
            event=event,
        )
        if payment.kind == Kind.RENEWAL and payment.subscription is not None:
            send_after_commit(
                signals.subscription_renewed,
                sender=Subscription,
                subscription=payment.subscription,
                payment=payment,
                **payment_parties(payment),
                event=event,
            )
    # Once per failed charge, even when its retry was paid first (delivery order must not
    # change what is sent); ``payment.status`` tells a receiver the charge recovered.
    if payment.failed_at is not None and not payment.failure_signaled:
        payment.failure_signaled = True
        send_after_commit(
            signals.payment_failed,
            sender=Payment,
            payment=payment,
            **payment_parties(payment),
            reason=payment.failure_reason,
            event=event,
        )


def record_charge(
    facts: ChargeFacts, event: WebhookEvent | None, data: Mapping[str, Any]
) -> Payment | None:
    """Create or update the payment ``facts`` describe; call inside a transaction.

    Raises ``EventRejected`` for a malformed amount, :class:`CustomerConflict` for an event
    naming another customer or subscription than the charge's, and, through
    :func:`~recur_django.ledger.amounts.decide`, asks Recur (``ChargeUnconfirmed``) for an
    amount that was not sent or that two events disagree on.
    """
    if facts.outcome not in ("paid", "failed"):
        return None
    if facts.malformed:
        raise EventRejected(f"{facts.key or 'The charge'}: {facts.malformed} Nothing recorded.")
    if not facts.key:
        return None
    lock_ids(facts.ids)
    payment, taken = find_payment(facts.ids)
    links = resolve(facts, payment)
    check_charge(facts, payment, links.customer, links.subscription)
    decision = decide(facts, payment)
    before = None if payment is None else snapshot(payment)
    if payment is None:
        payment = Payment(recur_id=facts.key, status=Status.FAILED)
    merge(payment, facts, links, event_time(event, data), data, taken, decision)
    settle(payment, event, before)
    return payment
