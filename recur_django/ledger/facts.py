"""Reading order, invoice, checkout and refund payloads for the ledger.

Recur documents none of these shapes beyond ``checkout.completed``: every field is read
through the one casing reader (:class:`~recur_django.client.casing.Reader`, snake_case or
camelCase), unknown fields are kept in ``Payment.raw``, and where Recur is silent the
Stripe-like reading is chosen:

- an order (``ord_…``) or invoice (``in_…``) has ``id``, ``amount`` (integer TWD),
  ``currency``, ``status``, ``customer_id`` (or ``customer.id``), ``subscription_id``,
  ``product_id``, ``billing_reason`` (``subscription_create``, ``subscription_cycle``,
  ``subscription_update``, ``trial_verification``), ``paid_at``, ``failure_reason``,
  ``metadata`` and ``checkout_session_id`` (or ``checkout_id``); an invoice names its order
  as ``order_id`` and an order its invoice as ``invoice_id`` (a nested object's ``id``
  is read too);
- a refund (``re_…``) has ``id``, ``amount`` (this refund only), ``currency``,
  ``order_id`` and/or ``invoice_id`` (or ``charge``/``payment_id``), ``customer_id`` (or
  ``customer.id``), ``status`` and ``refunded_total`` (all refunds of the charge so far).

Every amount goes through the one amount reader
(:func:`~recur_django.payloads.amounts.parse_amount`): the first of its names that was
sent decides, and a malformed one is not skipped — the facts say why
(``malformed``) and the ledger refuses the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recur_django.client.casing import Reader
from recur_django.payloads.amounts import parse_amount

MAX_ID = 128


def _ref(reader: Reader, *names: str, longest: int = MAX_ID) -> str:
    """An id given as text, or as a nested object's ``id``; ``""`` when absent or too long
    (an id is never truncated: that could merge two of Recur's objects)."""
    for name in names:
        value = reader.text(name)
        if value is None:
            value = Reader(reader.obj(name)).text("id")
        if value and len(value.strip()) <= longest:
            return value.strip()
    return ""


def _amount(reader: Reader, *names: str) -> tuple[int | None, str]:
    """The first of ``names`` sent (not null), read by the one amount reader
    (:func:`~recur_django.payloads.amounts.parse_amount`): ``(amount, "")``, ``(None,
    "")`` when none was sent, ``(None, why)`` when it is malformed."""
    for name in names:
        value = reader.get(name)
        if value is None:
            continue
        try:
            return parse_amount(value), ""
        except ValueError as exc:
            return None, f"{name}: {exc}"
    return None, ""


@dataclass(frozen=True)
class ChargeFacts:
    """What one order/invoice/checkout event says about a charge."""

    order_id: str
    invoice_id: str
    outcome: str  # "paid", "failed" or "" (nothing to record)
    amount: int | None
    currency: str
    customer_id: str
    customer_email: str
    customer_name: str
    subscription_id: str
    product_id: str
    billing_reason: str
    transaction_id: str
    session_id: str
    payment_link_id: str
    failure_reason: str
    at: datetime | None  # paid_at / failed_at as Recur says, else None
    refunded_total: int | None
    malformed: str = ""  # why an amount the event sent is unusable ("" when none is)

    @property
    def key(self) -> str:
        """The ledger key: the invoice id when known, else the order id."""
        return self.invoice_id or self.order_id

    @property
    def ids(self) -> list[str]:
        return [i for i in (self.order_id, self.invoice_id) if i]


def read_charge(event_type: str, data: Mapping[str, Any], outcome: str) -> ChargeFacts:
    """Read an ``order.*``, ``invoice.*`` or ``checkout.completed`` payload."""
    r = Reader(data)
    own = _ref(r, "id")
    if event_type.startswith("invoice."):
        invoice_id, order_id = own, _ref(r, "order_id", "order")
        session_id = _ref(r, "checkout_session_id", "checkout_id")
    elif event_type.startswith("checkout."):
        invoice_id, order_id = _ref(r, "invoice_id", "invoice"), _ref(r, "order_id", "order")
        session_id = own or _ref(r, "checkout_id", "checkout_session_id")
    else:
        invoice_id, order_id = _ref(r, "invoice_id", "invoice"), own
        session_id = _ref(r, "checkout_session_id", "checkout_id", "session_id")
    customer = r.nested("customer")
    metadata = r.nested("metadata")
    status = (r.text("status") or "").lower()
    amount, bad_amount = _amount(r, "amount", "amount_paid", "amount_total", "total")
    refunded_total, bad_total = _amount(r, "refunded_total", "amount_refunded", "refunded_amount")
    return ChargeFacts(
        order_id=order_id,
        invoice_id=invoice_id,
        outcome=outcome,
        amount=amount,
        currency=(r.text("currency") or "").upper()[:3],
        customer_id=_ref(r, "customer_id", longest=64) or _ref(customer, "id", longest=64),
        customer_email=(r.text("customer_email") or customer.text("email") or "")[:254],
        customer_name=(r.text("customer_name") or customer.text("name") or "")[:255],
        subscription_id=_ref(r, "subscription_id", "subscription", longest=64),
        product_id=(r.text("product_id") or "")[:128],
        billing_reason=(r.text("billing_reason") or "").lower()[:64],
        transaction_id=_ref(metadata, "transaction_id", longest=40),
        session_id=session_id,
        payment_link_id=_ref(r, "payment_link_id", "payment_link", longest=64),
        failure_reason=(r.text("failure_reason", "failure_message", "reason") or "")[:2000]
        if outcome == "failed" or status in ("failed", "payment_failed")
        else "",
        at=r.dt("paid_at", "failed_at") if outcome else None,
        refunded_total=refunded_total,
        malformed="; ".join(filter(None, (bad_amount, bad_total))),
    )


@dataclass(frozen=True)
class RefundFacts:
    """What one ``refund.*`` event says about a refund."""

    refund_id: str
    status: str  # Refund.Status value
    amount: int | None
    currency: str
    order_id: str
    invoice_id: str
    refunded_total: int | None
    customer_id: str = ""
    malformed: str = ""  # why an amount the event sent is unusable ("" when none is)

    @property
    def ids(self) -> list[str]:
        return [i for i in (self.order_id, self.invoice_id) if i]


_REFUND_STATUS = {
    "refund.created": "pending",
    "refund.succeeded": "succeeded",
    "refund.failed": "failed",
}
_STATUS_WORDS = {
    "succeeded": "succeeded",
    "success": "succeeded",
    "completed": "succeeded",
    "refunded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
    "cancelled": "failed",
}


def read_refund(event_type: str, data: Mapping[str, Any]) -> RefundFacts:
    """Read a ``refund.*`` payload; the event type wins over a pending ``status``."""
    r = Reader(data)
    status = _REFUND_STATUS.get(event_type, "pending")
    if status == "pending":
        status = _STATUS_WORDS.get((r.text("status") or "").lower(), "pending")
    order_id = _ref(r, "order_id", "order")
    invoice_id = _ref(r, "invoice_id", "invoice")
    if not order_id and not invoice_id:
        # Stripe names the refunded charge "charge"; some integrations "payment_id".
        other = _ref(r, "charge", "payment_id", "charge_id")
        order_id, invoice_id = (other, "") if not other.startswith("in_") else ("", other)
    amount, bad_amount = _amount(r, "amount", "amount_refunded")
    refunded_total, bad_total = _amount(r, "refunded_total")
    return RefundFacts(
        refund_id=_ref(r, "id", "refund_id"),
        status=status,
        amount=amount,
        currency=(r.text("currency") or "").upper()[:3],
        order_id=order_id,
        invoice_id=invoice_id,
        refunded_total=refunded_total,
        customer_id=_ref(r, "customer_id", longest=64)
        or _ref(r.nested("customer"), "id", longest=64),
        malformed="; ".join(filter(None, (bad_amount, bad_total))),
    )
