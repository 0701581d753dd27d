"""Allowances (折讓): a partial refund, or any refund after the filing cut-off.

:func:`make_allowance` records a ``pending`` :class:`~recur_django.models.EInvoiceAllowance`
of exactly the refunded amount (never above what the invoice may still allow) and
enqueues :func:`issue_allowance` after the commit. That task claims the row, calls the
provider outside any transaction, then writes. Providers take no reference for an
allowance, so after a lost answer the invoice is queried and its remaining allowance
compared with ``remaining_before`` (what our books said the invoice could still allow,
taken when the attempt was claimed): lower by this allowance's amount, it was made (its
number is then in the provider's dashboard; ``last_error`` says so); unchanged, it was
not (it is sent again once); anything else, or a provider that does not say (ezPay), is
left ``failed`` for a person. The allowances of one invoice are sent one at a time.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from recur_django import clock, signals
from recur_django.einvoice import factory, jobs
from recur_django.einvoice.backends.base import (
    AllowanceRequest,
    EInvoiceBackend,
    InvoiceItem,
    IssuedAllowance,
)
from recur_django.einvoice.errors import AnswerLost, EInvoiceError
from recur_django.models import EInvoice, EInvoiceAllowance, Refund
from recur_django.owners import payment_owner
from recur_django.signals import send_after_commit

logger = logging.getLogger("recur_django.einvoice")

ITEM_NAME = "折讓"
#: Why an allowance whose answer was lost is left for a person.
UNKNOWN = "The answer was lost and the provider's remaining amount does not tell whether it was made: check the provider's dashboard."  # noqa: E501
MADE_WITHOUT_NUMBER = (
    "Made (its answer was lost): the allowance number is in the provider's dashboard."
)


def make_allowance(
    einvoice: EInvoice, amount: int, *, refund: Refund | None = None
) -> EInvoiceAllowance:
    """A pending allowance of ``amount`` against an issued invoice, issued by a task after
    the commit; the refund's existing allowance when it has one. ``ValueError`` when the
    invoice is not issued or ``amount`` is not between 1 and its remaining amount."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"an allowance amount must be a positive int of TWD, not {amount!r}")
    with transaction.atomic():
        locked = EInvoice.objects.select_for_update(of=("self",)).get(pk=einvoice.pk)
        if refund is not None:
            existing = EInvoiceAllowance.objects.filter(refund=refund).first()
            if existing is not None:
                return existing
        if locked.status != EInvoice.Status.ISSUED:
            raise ValueError(
                f"invoice {locked} is {locked.status}: only an issued one takes allowances"
            )
        remaining = locked.remaining_amount
        if amount > remaining:
            raise ValueError(f"invoice {locked} may still allow {remaining}, not {amount}")
        allowance = EInvoiceAllowance.objects.create(
            einvoice=locked, refund=refund, amount=amount, remaining_before=remaining
        )
        jobs.enqueue_on_commit(issue_allowance_task, issue_allowance, allowance.pk, "allowance")
    return allowance


def issue_allowance(allowance_id: int) -> EInvoiceAllowance:
    """Issue a pending allowance (the task body); the row as it stands afterwards. One not
    pending, not due, whose invoice is not issued, or whose invoice has another allowance
    in flight, is returned untouched."""
    claimed = _claim(allowance_id)
    if claimed is None:
        return EInvoiceAllowance.objects.get(pk=allowance_id)
    allowance, ask_first = claimed
    try:
        backend = factory.get_backend()
        issued = _allow_or_find(backend, allowance, ask_first)
    except _Unknown as exc:
        return _record_failure(allowance.pk, str(exc), final=True)
    except EInvoiceError as exc:
        return _record_failure(allowance.pk, exc.message or str(exc))
    except ImproperlyConfigured as exc:
        return _record_failure(allowance.pk, str(exc))
    except ValueError as exc:
        return _record_failure(allowance.pk, str(exc), final=True)
    return _complete(allowance.pk, issued)


class _Unknown(Exception):
    """Whether the allowance was made cannot be told: a person decides."""


def _claim(allowance_id: int) -> tuple[EInvoiceAllowance, bool] | None:
    now = timezone.now()
    with transaction.atomic():
        allowance = EInvoiceAllowance.objects.filter(pk=allowance_id).first()
        if allowance is None:
            return None
        # The invoice first (every path locks it before its allowances): one at a time.
        einvoice = (
            EInvoice.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=allowance.einvoice_id)
        )
        allowance = EInvoiceAllowance.objects.select_for_update(of=("self",)).get(pk=allowance_id)
        if allowance.status != EInvoiceAllowance.Status.PENDING:
            return None
        if allowance.next_attempt_at is not None and allowance.next_attempt_at > now:
            return None
        if einvoice.status != EInvoice.Status.ISSUED:
            return None  # settled when the invoice is issued; a voided one takes none
        siblings = einvoice.allowances.exclude(pk=allowance.pk)
        if siblings.filter(
            status=EInvoiceAllowance.Status.PENDING, attempts__gt=0, next_attempt_at__gt=now
        ).exists():
            return None  # another allowance of this invoice is in flight
        issued = siblings.filter(status=EInvoiceAllowance.Status.ISSUED)
        allowance.remaining_before = max(int(einvoice.amount) - sum(a.amount for a in issued), 0)
        ask_first = allowance.attempts > 0 or bool(allowance.last_error)
        allowance.attempts += 1
        allowance.next_attempt_at = now + jobs.LEASE
        allowance.save(
            update_fields=["remaining_before", "attempts", "next_attempt_at", "updated_at"]
        )
        allowance.einvoice = einvoice
    return allowance, ask_first


def _request(allowance: EInvoiceAllowance) -> AllowanceRequest:
    einvoice = allowance.einvoice
    amount = int(allowance.amount)
    if einvoice.issued_at is None:
        raise ValueError(f"invoice {einvoice} has no issue date")
    return AllowanceRequest(
        invoice_number=einvoice.number,
        invoice_issued_at=einvoice.issued_at,
        relate_number=einvoice.relate_number,
        amount=amount,
        items=(InvoiceItem(ITEM_NAME, 1, amount, amount),),
        email=einvoice.email,
        name=einvoice.name,
    )


def _was_made(backend: EInvoiceBackend, allowance: EInvoiceAllowance) -> bool:
    """Whether the provider's books show this allowance made (base.py's rule)."""
    einvoice = allowance.einvoice
    found = backend.query(einvoice.relate_number, amount=int(einvoice.amount))
    before = allowance.remaining_before
    remaining = None if found is None else found.remaining_allowance
    if remaining is None or before is None:
        raise _Unknown(UNKNOWN)
    if remaining == before - allowance.amount:
        return True
    if remaining == before:
        return False
    raise _Unknown(UNKNOWN)


def _allow_or_find(
    backend: EInvoiceBackend, allowance: EInvoiceAllowance, ask_first: bool
) -> IssuedAllowance | None:
    """The provider's answer, or None when it was made but its answer lost."""
    request = _request(allowance)
    if ask_first and _was_made(backend, allowance):
        return None
    for attempt in (1, 2):
        try:
            return backend.allowance(request)
        except AnswerLost:
            logger.warning("E-invoice allowance %s: answer lost; asking.", allowance.pk)
            if _was_made(backend, allowance):
                return None
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _complete(allowance_id: int, issued: IssuedAllowance | None) -> EInvoiceAllowance:
    with transaction.atomic():
        allowance = (
            EInvoiceAllowance.objects.select_for_update(of=("self",))
            .select_related("einvoice__payment")
            .get(pk=allowance_id)
        )
        if allowance.status in (EInvoiceAllowance.Status.PENDING, EInvoiceAllowance.Status.FAILED):
            allowance.status = EInvoiceAllowance.Status.ISSUED
            allowance.next_attempt_at = None
            if issued is None:
                allowance.issued_at = clock.now()
                allowance.last_error = MADE_WITHOUT_NUMBER
            else:
                allowance.number = issued.number[:32]
                allowance.issued_at = issued.issued_at
                allowance.raw = {str(k): str(v) for k, v in dict(issued.raw).items()}
                allowance.last_error = ""
        if allowance.status == EInvoiceAllowance.Status.ISSUED and not allowance.issued_signaled:
            allowance.issued_signaled = True
            einvoice = allowance.einvoice
            send_after_commit(
                signals.einvoice_allowance_issued,
                sender=EInvoiceAllowance,
                allowance=allowance,
                einvoice=einvoice,
                payment=einvoice.payment,
                owner=payment_owner(einvoice.payment),
            )
        allowance.save()
    logger.info(
        "E-invoice allowance %s issued (%s).", allowance.pk, allowance.number or "no number"
    )
    return allowance


def _record_failure(allowance_id: int, message: str, *, final: bool = False) -> EInvoiceAllowance:
    with transaction.atomic():
        allowance = (
            EInvoiceAllowance.objects.select_for_update(of=("self",))
            .select_related("einvoice__payment")
            .get(pk=allowance_id)
        )
        if allowance.status != EInvoiceAllowance.Status.PENDING:
            return allowance
        jobs.fail_attempt(
            allowance, message, final=final, einvoice=allowance.einvoice, allowance=allowance
        )
        allowance.save()
    logger.warning(
        "E-invoice allowance %s: attempt %d failed (%s).",
        allowance.pk,
        allowance.attempts,
        allowance.last_error,
    )
    if allowance.status == EInvoiceAllowance.Status.PENDING and allowance.next_attempt_at:
        jobs.enqueue_later(
            issue_allowance_task, allowance.pk, allowance.next_attempt_at, "allowance"
        )
    return allowance


def _run_allowance(allowance_id: int) -> str:
    """The task: issue one allowance; its status afterwards."""
    return str(issue_allowance(allowance_id).status)


#: The task (None without a tasks framework): ``issue_allowance_task.enqueue(allowance_id)``.
issue_allowance_task: Any = jobs.define(_run_allowance, "issue_allowance_task")
