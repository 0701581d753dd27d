"""Issue each paid payment's uniform invoice exactly once.

:func:`ensure_einvoice` (the ``payment_succeeded`` receiver calls it) creates the
payment's ``pending`` :class:`~recur_django.models.EInvoice` once, with the buyer's choice
frozen on the row, and enqueues :func:`issue_einvoice` after the commit
(:mod:`recur_django.einvoice.jobs`). That task claims the row in a short transaction,
calls the provider outside any transaction, then writes the answer:

- a lost answer (``AnswerLost``: timeout, 5xx, dropped connection) or a refusal of the
  relate number as used (``DuplicateReference``) is resolved by asking the provider
  (``backend.query(relate_number)``) first: the invoice it knows completes the row; only
  when it has none is the invoice issued again. A row tried before (a failure, a worker
  that died mid-call) is always asked about first;
- any other failure counts an attempt, sets ``next_attempt_at`` (exponential backoff) and
  ``last_error`` (the provider's message; no secrets); after
  :data:`~recur_django.einvoice.jobs.MAX_ATTEMPTS` the row is ``failed`` and
  ``einvoice_failed`` is sent.

``einvoice_issued`` is sent once (``issued_signaled``, set under the row lock). Refunds
that arrived while the invoice was pending are settled once it is issued
(:func:`recur_django.einvoice.refunds.settle_refunds`).

What is invoiced: a paid payment (first purchase, renewal, payment-link sale, and a
trial's verification charge: money received) of more than zero TWD. A zero amount or a
charge in another currency gets no invoice.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from recur_django import signals
from recur_django.einvoice import factory, jobs, refunds
from recur_django.einvoice.backends.base import (
    EInvoiceBackend,
    InvoiceItem,
    IssuedInvoice,
    IssueRequest,
    ProviderInvoice,
)
from recur_django.einvoice.choice import InvoiceChoice
from recur_django.einvoice.errors import AnswerLost, DuplicateReference, EInvoiceError
from recur_django.einvoice.rules import tax_split
from recur_django.models import EInvoice, InvoicePreference, Payment, Transaction
from recur_django.owners import owner_email, owner_name, payment_owner
from recur_django.signals import send_after_commit

logger = logging.getLogger("recur_django.einvoice")

ITEM_NAME_MAX_LENGTH = 100
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def invoiceable(payment: Payment) -> bool:
    """Whether ``payment`` gets a uniform invoice: paid, more than zero, in TWD."""
    return (
        payment.paid_at is not None
        and int(payment.amount or 0) > 0
        and (payment.currency or "TWD").upper() == "TWD"
    )


def relate_number_for(payment: Payment, max_length: int = 30) -> str:
    """Our reference for ``payment``'s invoice at the provider: its Recur charge id
    (``in_…``/``ord_…``, unique at Recur) without the punctuation, when that fits in
    ``max_length`` letters and digits; else ``R`` and a hash of the id (base 32, the same
    every time). Frozen on the row when it is created."""
    plain = _NOT_ALNUM.sub("", payment.recur_id)
    if plain and len(plain) <= max_length and payment.recur_id.count("_") <= 1:
        return plain
    digest = hashlib.sha256(payment.recur_id.encode()).digest()
    return "R" + base64.b32encode(digest).decode().rstrip("=")[: max_length - 1]


def choice_for(payment: Payment) -> InvoiceChoice:
    """The buyer's choice for ``payment``: the checkout's (``Transaction.invoice_choice``)
    when the payment has a transaction that recorded one, else the owner's
    :class:`~recur_django.models.InvoicePreference`, else the choice made at the checkout
    that started the payment's subscription, else a member carrier. The buyer's e-mail
    and name are the owner's (else the Recur customer's)."""
    owner = payment_owner(payment)
    customer = payment.customer
    email = owner_email(owner) or str(getattr(customer, "email", "") or "").strip()
    name = owner_name(owner) or str(getattr(customer, "name", "") or "").strip()
    fields: dict[str, Any] | None = None
    txn = payment.transaction
    if txn is not None and txn.invoice_choice:
        fields = dict(txn.invoice_choice)
    if fields is None:
        preference = InvoicePreference.for_owner(owner)
        if preference is not None:
            fields = preference.as_fields()
    if fields is None and payment.subscription is not None:
        started = (
            Transaction.objects.filter(subscription_id=payment.subscription.recur_id)
            .exclude(invoice_choice={})
            .order_by("-created_at")
            .first()
        )
        if started is not None:
            fields = dict(started.invoice_choice)
    return InvoiceChoice.from_fields(fields or {}, email=email, name=name)


def item_name(payment: Payment) -> str:
    """The invoice line's name: the product's name, else its id, else "Service"."""
    for source in (payment.subscription, payment.transaction, payment.payment_link):
        if source is not None:
            found = getattr(source, "product_name", "") or getattr(source, "product_slug", "")
            if found:
                return str(found)[:ITEM_NAME_MAX_LENGTH]
    return str(payment.product_id or "Service")[:ITEM_NAME_MAX_LENGTH]


def ensure_einvoice(payment: Payment) -> EInvoice | None:
    """The payment's invoice, created ``pending`` once (then issued by a task after the
    commit); None when e-invoicing is off, the payment is not invoiced
    (:func:`invoiceable`) or the backend is misconfigured (logged; the checks say why).

    Concurrent and repeated calls create one row (the one-to-one on the payment)."""
    if not factory.is_enabled():
        return None
    payment = Payment.objects.select_related(
        "owner", "customer__owner", "transaction", "subscription", "payment_link"
    ).get(pk=payment.pk)
    if not invoiceable(payment):
        return None
    existing = EInvoice.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    try:
        backend = factory.get_backend()
    except ImproperlyConfigured as exc:
        logger.error("E-invoice for payment %s not created: %s", payment.recur_id, exc)
        return None
    choice = choice_for(payment)
    split = tax_split(int(payment.amount))
    einvoice, created = EInvoice.objects.get_or_create(
        payment=payment,
        defaults={
            "relate_number": relate_number_for(payment, backend.max_relate_number_length),
            "provider": backend.name,
            "amount": int(payment.amount),
            "sales_amount": split.sales_amount,
            "tax_amount": split.tax_amount,
            "email": choice.email[:254],
            "name": choice.name[:255],
            **choice.attribute_values(),
        },
    )
    if created:
        logger.info(
            "E-invoice %s created for payment %s.", einvoice.relate_number, payment.recur_id
        )
        jobs.enqueue_on_commit(issue_einvoice_task, issue_einvoice, einvoice.pk, "invoice")
    return einvoice


def issue_request(einvoice: EInvoice) -> IssueRequest:
    """What the provider is asked to issue for ``einvoice`` (one line: the product)."""
    amount = int(einvoice.amount)
    return IssueRequest(
        relate_number=einvoice.relate_number,
        choice=einvoice.as_choice(email=einvoice.email, name=einvoice.name),
        items=(InvoiceItem(item_name(einvoice.payment), 1, amount, amount),),
        amount=amount,
    )


def issue_einvoice(einvoice_id: int) -> EInvoice:
    """Issue a pending invoice (the task body); the row as it stands afterwards.

    A row that is not pending, or not due (another worker holds it, or its backoff has
    not passed), is returned untouched."""
    claimed = _claim(einvoice_id)
    if claimed is None:
        return EInvoice.objects.get(pk=einvoice_id)
    einvoice, ask_first = claimed
    try:
        backend = factory.get_backend()
        found = _issue_or_find(backend, einvoice, ask_first)
    except EInvoiceError as exc:
        return _record_failure(einvoice.pk, exc.message or str(exc))
    except ImproperlyConfigured as exc:
        return _record_failure(einvoice.pk, str(exc))
    except ValueError as exc:  # data the provider cannot take: retrying changes nothing
        return _record_failure(einvoice.pk, str(exc), final=True)
    return _complete(einvoice.pk, found)


def _claim(einvoice_id: int) -> tuple[EInvoice, bool] | None:
    with transaction.atomic():
        einvoice = (
            EInvoice.objects.select_for_update(of=("self",))
            .select_related("payment__subscription", "payment__transaction")
            .select_related("payment__payment_link")
            .filter(pk=einvoice_id)
            .first()
        )
        now = timezone.now()
        if einvoice is None or einvoice.status != EInvoice.Status.PENDING:
            return None
        if einvoice.next_attempt_at is not None and einvoice.next_attempt_at > now:
            return None
        ask_first = einvoice.attempts > 0 or bool(einvoice.last_error)
        einvoice.attempts += 1
        einvoice.next_attempt_at = now + jobs.LEASE
        einvoice.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    return einvoice, ask_first


def _issue_or_find(
    backend: EInvoiceBackend, einvoice: EInvoice, ask_first: bool
) -> IssuedInvoice | ProviderInvoice:
    request = issue_request(einvoice)
    if ask_first:
        found = backend.query(einvoice.relate_number, amount=request.amount)
        if found is not None:
            return found
    for attempt in (1, 2):
        try:
            return backend.issue(request)
        except (AnswerLost, DuplicateReference) as exc:
            logger.warning(
                "E-invoice %s: %s; asking the provider before anything else.",
                einvoice.relate_number,
                type(exc).__name__,
            )
            found = backend.query(einvoice.relate_number, amount=request.amount)
            if found is not None:
                return found
            if attempt == 2 or isinstance(exc, DuplicateReference):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _complete(einvoice_id: int, found: IssuedInvoice | ProviderInvoice) -> EInvoice:
    with transaction.atomic():
        einvoice = (
            EInvoice.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=einvoice_id)
        )
        if einvoice.status in (EInvoice.Status.PENDING, EInvoice.Status.FAILED):
            einvoice.number = found.number
            einvoice.random_number = found.random_number
            einvoice.issued_at = found.issued_at
            einvoice.raw = _json_safe(found.raw)
            einvoice.status = EInvoice.Status.ISSUED
            einvoice.next_attempt_at = None
            einvoice.last_error = ""
            if isinstance(found, ProviderInvoice) and found.voided:
                einvoice.status = EInvoice.Status.VOIDED
                einvoice.voided_at = einvoice.voided_at or timezone.now()
            if int(found.amount) != int(einvoice.amount):
                logger.error(
                    "E-invoice %s: the provider's amount %s is not ours (%s).",
                    einvoice.relate_number,
                    found.amount,
                    einvoice.amount,
                )
        if einvoice.number and not einvoice.issued_signaled:
            einvoice.issued_signaled = True
            send_after_commit(
                signals.einvoice_issued,
                sender=EInvoice,
                einvoice=einvoice,
                payment=einvoice.payment,
                owner=payment_owner(einvoice.payment),
            )
        einvoice.save()
    logger.info("E-invoice %s issued as %s.", einvoice.relate_number, einvoice.number)
    if einvoice.status == EInvoice.Status.ISSUED:
        refunds.settle_refunds(einvoice.pk)
    return einvoice


def _record_failure(einvoice_id: int, message: str, *, final: bool = False) -> EInvoice:
    with transaction.atomic():
        einvoice = (
            EInvoice.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=einvoice_id)
        )
        if einvoice.status != EInvoice.Status.PENDING:
            return einvoice
        jobs.fail_attempt(einvoice, message, final=final, einvoice=einvoice, allowance=None)
        einvoice.save()
    logger.warning(
        "E-invoice %s: attempt %d failed (%s)%s.",
        einvoice.relate_number,
        einvoice.attempts,
        einvoice.last_error,
        "; left failed" if einvoice.status == EInvoice.Status.FAILED else "",
    )
    if einvoice.status == EInvoice.Status.PENDING and einvoice.next_attempt_at is not None:
        jobs.enqueue_later(issue_einvoice_task, einvoice.pk, einvoice.next_attempt_at, "invoice")
    return einvoice


def _json_safe(raw: Any) -> dict[str, Any]:
    try:
        return {
            str(k): v if isinstance(v, str | int | float | bool | None) else str(v)
            for k, v in dict(raw).items()
        }
    except (TypeError, ValueError):
        return {}


def _run_issue(einvoice_id: int) -> str:
    """The task: issue one invoice; its status afterwards."""
    return str(issue_einvoice(einvoice_id).status)


#: The task (None without a tasks framework): ``issue_einvoice_task.enqueue(einvoice_id)``.
issue_einvoice_task: Any = jobs.define(_run_issue, "issue_einvoice_task")
