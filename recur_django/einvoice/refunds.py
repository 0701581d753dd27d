"""Refunds of invoiced payments: void the invoice, or make allowances.

:func:`settle_refunds` reads the payment's refunds against its invoice, under the
invoice's row lock, and does what they still need:

- the payment fully refunded while the invoice has no allowance, **before the filing
  cut-off** (:func:`recur_django.einvoice.rules.can_void` at the billing clock's
  :func:`recur_django.clock.now`, so the emulator's clock drives it): the invoice is
  voided (:func:`void_einvoice`);
- otherwise (a partial refund, a refund after the cut-off, a refund after earlier
  allowances): one allowance per refund not yet covered, of exactly its amount
  (:func:`~recur_django.einvoice.allowances.make_allowance`), and one for a refunded total
  Recur reported without refund events. Allowances never add up to more than the invoice.

A refund that arrives while the invoice is still ``pending`` waits: the invoice's issue
calls :func:`settle_refunds` once it is issued, and decides then (a full refund before the
cut-off still voids). The decision reads the ledger's current state, so a repeated call
does nothing more.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from recur_django import clock, signals
from recur_django.einvoice import factory, jobs
from recur_django.einvoice.allowances import make_allowance
from recur_django.einvoice.backends.base import EInvoiceBackend
from recur_django.einvoice.errors import AnswerLost, EInvoiceError, ProviderRefused
from recur_django.einvoice.rules import can_void
from recur_django.models import EInvoice, EInvoiceAllowance, Payment
from recur_django.owners import payment_owner
from recur_django.signals import send_after_commit

logger = logging.getLogger("recur_django.einvoice")

#: The void reason of a refund (providers require one; ECPay takes 20 characters).
REFUND_REASON = "Refunded"


def settle_refunds(einvoice_id: int, *, allow_void: bool = True) -> EInvoice:
    """Void the invoice or make the allowances its payment's refunds still need."""
    void = False
    with transaction.atomic():
        einvoice = EInvoice.objects.select_for_update(of=("self",)).get(pk=einvoice_id)
        if einvoice.status != EInvoice.Status.ISSUED or einvoice.void_reason:
            return einvoice  # pending: settled once issued; voided, failed or voiding: done
        payment = Payment.objects.get(pk=einvoice.payment_id)
        refunded = min(int(payment.refunded_amount), int(einvoice.amount))
        standing = list(einvoice.allowances.exclude(status=EInvoiceAllowance.Status.VOIDED))
        covered = sum(int(a.amount) for a in standing)
        if refunded <= covered:
            return einvoice
        assert einvoice.issued_at is not None  # an issued invoice has its date
        if (
            allow_void
            and refunded >= einvoice.amount
            and not standing
            and can_void(einvoice.issued_at, clock.now())
        ):
            einvoice.void_reason = REFUND_REASON
            einvoice.save(update_fields=["void_reason", "updated_at"])
            void = True
        else:
            uncovered = refunded - covered
            waiting = payment.refunds.filter(einvoice_allowance__isnull=True).order_by("pk")
            for refund in waiting:
                if uncovered <= 0:
                    break
                if refund.counts and refund.amount > 0:
                    amount = min(int(refund.amount), uncovered)
                    make_allowance(einvoice, amount, refund=refund)
                    uncovered -= amount
            if uncovered > 0:  # a refunded total Recur reported without refund events
                make_allowance(einvoice, uncovered)
    if void:
        return void_einvoice(einvoice, REFUND_REASON)
    return einvoice


def void_einvoice(einvoice: EInvoice, reason: str) -> EInvoice:
    """Void an issued invoice at the provider (outside any transaction), then record it;
    ``einvoice_voided`` is sent once. ``ValueError`` when it is not issued or has standing
    allowances. A voided invoice is returned as it is.

    A lost answer is resolved by asking the provider (``query(...).voided``). A failure
    that may pass leaves the invoice ``issued`` with its ``void_reason`` and
    ``last_error``: ``recur_einvoice retry`` voids it later. A refusal clears
    ``void_reason`` and raises :class:`~recur_django.einvoice.errors.ProviderRefused`
    (for a refund, the refunds are then settled with allowances)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            EInvoice.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=einvoice.pk)
        )
        if row.status == EInvoice.Status.VOIDED:
            return row
        if row.status != EInvoice.Status.ISSUED or row.issued_at is None:
            raise ValueError(f"invoice {row} is {row.status}: only an issued one can be voided")
        if row.allowances.exclude(status=EInvoiceAllowance.Status.VOIDED).exists():
            raise ValueError(f"invoice {row} has allowances: void them first")
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return row  # another worker is voiding it
        ask_first = bool(row.void_reason)  # asked for before: it may have happened
        row.void_reason = (reason or REFUND_REASON)[:255]
        row.next_attempt_at = now + jobs.LEASE
        row.save(update_fields=["void_reason", "next_attempt_at", "updated_at"])
    try:
        backend = factory.get_backend()
        done = ask_first and _voided_at_provider(backend, row)
        if not done:
            try:
                backend.void(row.number, row.issued_at, row.void_reason)
            except AnswerLost:
                if not _voided_at_provider(backend, row):
                    raise
    except ProviderRefused as exc:
        _void_failed(row.pk, exc.message or str(exc), refused=True)
        if reason == REFUND_REASON:
            logger.warning("E-invoice %s: void refused; making allowances.", row.number)
            return settle_refunds(row.pk, allow_void=False)
        raise
    except (EInvoiceError, ImproperlyConfigured) as exc:
        return _void_failed(row.pk, getattr(exc, "message", "") or str(exc), refused=False)
    return _voided(row.pk)


def _voided_at_provider(backend: EInvoiceBackend, row: EInvoice) -> bool:
    found = backend.query(row.relate_number, amount=int(row.amount))
    return bool(found is not None and found.voided)


def _voided(einvoice_id: int) -> EInvoice:
    with transaction.atomic():
        row = (
            EInvoice.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=einvoice_id)
        )
        if row.status == EInvoice.Status.ISSUED:
            row.status = EInvoice.Status.VOIDED
            row.voided_at = clock.now()
            row.next_attempt_at = None
            row.last_error = ""
        if row.status == EInvoice.Status.VOIDED and not row.voided_signaled:
            row.voided_signaled = True
            send_after_commit(
                signals.einvoice_voided,
                sender=EInvoice,
                einvoice=row,
                payment=row.payment,
                owner=payment_owner(row.payment),
                reason=row.void_reason,
            )
        row.save()
    logger.info("E-invoice %s voided.", row.number)
    return row


def _void_failed(einvoice_id: int, message: str, *, refused: bool) -> EInvoice:
    with transaction.atomic():
        row = EInvoice.objects.select_for_update(of=("self",)).get(pk=einvoice_id)
        if row.status == EInvoice.Status.ISSUED:
            row.last_error = message[:2000]
            row.next_attempt_at = None
            if refused:
                row.void_reason = ""
            row.save(update_fields=["last_error", "next_attempt_at", "void_reason", "updated_at"])
    logger.warning("E-invoice %s: void failed (%s).", row.number, message)
    return row
