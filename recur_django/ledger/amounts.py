"""A charge's amount and currency: one authority, whatever order its events arrive in.

The authority is the event that completed the charge — a paid ``order.paid``,
``invoice.paid``, ``checkout.completed`` or ``invoice.refunded`` (a failed attempt's amount
only fills a row that knows none). When that is not enough, Recur's own object is asked,
outside the database transaction, through the pipeline's confirmation step
(:class:`ChargeUnconfirmed`: ``GET /v1/invoices/{id}`` or ``/v1/orders/{id}``, see
:mod:`recur_django.client.charges`):

- a paid charge whose event sent **no amount**, when no event of the charge said one
  yet: the amount is Recur's; an object Recur does not have (404) or one naming another customer
  refuses the event (``EventRejected``: stored failed, nothing recorded, nothing sent);
- two events of one charge that **disagree** on amount or currency: Recur's object
  decides. Should Recur not have it (404 — Recur documents no such endpoint), a TWD
  figure is kept over another currency, then the smaller amount: the same whatever the
  delivery order, and never more money than some event said was taken. Either way the
  disagreement is written on the row (``Payment.review_reason``): a later event never
  overwrites the amount silently.

A malformed amount (``"abc"``, negative, fractional, ``10**30``) never gets here: the
ledger refuses the event first (:mod:`recur_django.ledger.facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from recur_django.checkout.proof import PaymentUnconfirmed
from recur_django.client.errors import NotFoundError
from recur_django.client_factory import get_client
from recur_django.exceptions import ConfirmationNeeded, ConfirmationUnavailable, EventRejected
from recur_django.ledger.facts import ChargeFacts, read_charge
from recur_django.money import format_twd
from recur_django.payloads import CheckoutData, parse_amount
from recur_django.webhooks.confirmation import confirmation

if TYPE_CHECKING:
    from recur_django.models import Payment


@dataclass(frozen=True)
class ChargeAnswer:
    """What Recur says about one charge: its facts, or None when it has no such object."""

    charge_id: str
    facts: ChargeFacts | None


class ChargeUnconfirmed(ConfirmationNeeded):
    """The events do not settle a charge's amount; Recur's invoice or order must."""

    kind = "charge"

    def __init__(self, charge_id: str, reason: str) -> None:
        super().__init__(f"charge {charge_id}: {reason}; asking Recur")
        self.charge_id = charge_id

    def confirm(self) -> ChargeAnswer:
        """Retrieve the invoice (``in_…``) or order; a 404 is an answer (no such object)."""
        client = get_client()
        is_invoice = self.charge_id.startswith("in_")
        resource = client.invoices if is_invoice else client.orders
        try:
            charge = resource.retrieve(self.charge_id)
        except NotFoundError:
            return ChargeAnswer(self.charge_id, None)
        event_type = "invoice.paid" if is_invoice else "order.paid"
        return ChargeAnswer(self.charge_id, read_charge(event_type, charge.raw, "paid"))


def recur_says(facts: ChargeFacts, reason: str) -> ChargeFacts | None:
    """Recur's facts about the charge ``facts`` describe (None: Recur has no such object).

    The checkout session this delivery already retrieved answers for its own order; else
    the invoice or order is retrieved. Raises :class:`ChargeUnconfirmed` until the pipeline
    has asked, and ``ConfirmationUnavailable`` (retryable) when asking failed.
    """
    session = confirmation(PaymentUnconfirmed.kind)
    if isinstance(session, CheckoutData) and facts.order_id and session.order_id == facts.order_id:
        # This delivery already asked Recur for the checkout session that made this order.
        try:
            amount = parse_amount(session.amount)
        except ValueError:
            amount = None
        if amount is not None:
            return replace(
                facts,
                amount=amount,
                currency=(session.currency or facts.currency).upper()[:3],
                customer_id=session.customer_id or facts.customer_id,
            )
    answer = confirmation(ChargeUnconfirmed.kind)
    if isinstance(answer, Exception):
        raise ConfirmationUnavailable(f"Recur could not confirm charge {facts.key}: {answer}")
    if not isinstance(answer, ChargeAnswer) or answer.charge_id != facts.key:
        raise ChargeUnconfirmed(facts.key, reason)
    told = answer.facts
    if told is None or told.key not in facts.ids or told.malformed or told.amount is None:
        return None
    if facts.customer_id and told.customer_id and told.customer_id != facts.customer_id:
        raise EventRejected(
            f"{facts.key}: the event names customer {facts.customer_id}, Recur's object "
            f"names {told.customer_id}."
        )
    return told


@dataclass(frozen=True)
class Decision:
    """The amount and currency to record (``amount`` None: leave the row's), and the
    disagreement to write on the row ("" when there is none)."""

    amount: int | None
    currency: str
    note: str = ""


def _shown(amount: int, currency: str) -> str:
    return format_twd(amount, currency or "TWD")


def decide(facts: ChargeFacts, payment: Payment | None) -> Decision:
    """The amount ``facts`` give the charge whose row is ``payment`` (None: new)."""
    if facts.outcome != "paid":
        unknown = payment is None or (payment.paid_at is None and not payment.amount)
        if facts.amount is not None and unknown:
            return Decision(facts.amount, facts.currency)
        return Decision(None, "")
    paid_before = payment is not None and payment.paid_at is not None
    if facts.amount is None:
        if payment is not None and (paid_before or payment.amount):
            return Decision(None, "")  # another event of the charge said it: nothing to add
        told = recur_says(facts, "the event sent no amount")
        if told is None or told.amount is None:
            raise EventRejected(
                f"{facts.key} was reported paid without an amount, and Recur has no "
                "order or invoice to confirm one."
            )
        return Decision(told.amount, told.currency or facts.currency)
    if payment is None or not paid_before:
        return Decision(facts.amount, facts.currency)
    currency = facts.currency or payment.currency
    if facts.amount == payment.amount and currency == payment.currency:
        return Decision(None, "")
    ours, theirs = _shown(payment.amount, payment.currency), _shown(facts.amount, currency)
    told = recur_says(facts, f"events disagree ({ours} and {theirs})")
    said = f"Events of {facts.key} disagree: {ours} and {theirs}"
    if told is not None and told.amount is not None:
        recur_currency = told.currency or currency
        kept = _shown(told.amount, recur_currency)
        return Decision(told.amount, recur_currency, f"{said}; Recur's object says {kept}.")
    # Recur charges TWD: a TWD figure first, then the smaller amount (a total order, so
    # the same figure is kept whatever the delivery order).
    amount, kept_currency = min(
        (payment.amount, payment.currency),
        (facts.amount, currency),
        key=lambda pair: (pair[1] != "TWD", pair[0], pair[1]),
    )
    note = f"{said}; Recur cannot say which is right, so {_shown(amount, kept_currency)} is kept."
    return Decision(amount, kept_currency, note)
