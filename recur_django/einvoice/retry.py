"""Re-drive what did not finish: ``manage.py recur_einvoice retry`` (cron) and the admin.

:func:`retry_all` takes every invoice and allowance that is ``pending`` and due (its
backoff passed, no worker holds it), every ``failed`` one (a fresh round of attempts; the
provider is asked first, so a retry never issues twice), and every issued invoice whose
void did not finish, and runs each in this process. It returns a :class:`RetryReport`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from recur_django.einvoice.allowances import issue_allowance
from recur_django.einvoice.errors import EInvoiceError
from recur_django.einvoice.issuing import issue_einvoice
from recur_django.einvoice.refunds import void_einvoice
from recur_django.models import EInvoice, EInvoiceAllowance


@dataclass
class RetryReport:
    """Counts by status after the retry: ``invoices["issued"]``, ``allowances["failed"]``…
    (``invoices["voided"]`` counts finished voids)."""

    invoices: Counter[str] = field(default_factory=Counter)
    allowances: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.invoices.values()) + sum(self.allowances.values())

    def __str__(self) -> str:
        def line(counts: Counter[str]) -> str:
            return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"

        return f"invoices: {line(self.invoices)}; allowances: {line(self.allowances)}"


def _due(now: datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _reopen(model: type[EInvoice] | type[EInvoiceAllowance], pk: int) -> None:
    """A failed row becomes pending for a fresh round of attempts (its ``last_error``
    stays: the provider is asked first)."""
    with transaction.atomic():
        model.objects.select_for_update().filter(pk=pk, status="failed").update(
            status="pending", attempts=0, next_attempt_at=None, updated_at=timezone.now()
        )


def retry_einvoices(queryset: QuerySet[EInvoice], now: datetime | None = None) -> Counter[str]:
    """Re-drive the invoices of ``queryset`` that need it; their statuses afterwards."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    wanted = queryset.filter(
        Q(status=EInvoice.Status.FAILED)
        | (Q(status=EInvoice.Status.PENDING) & _due(now))
        | (Q(status=EInvoice.Status.ISSUED) & ~Q(void_reason="") & _due(now))
    )
    for einvoice in wanted.order_by("pk"):
        if einvoice.status == EInvoice.Status.ISSUED:
            try:
                einvoice = void_einvoice(einvoice, einvoice.void_reason)
            except (EInvoiceError, ValueError) as exc:
                counts["failed"] += 1
                einvoice.last_error = str(exc)
                continue
        else:
            if einvoice.status == EInvoice.Status.FAILED:
                _reopen(EInvoice, einvoice.pk)
            einvoice = issue_einvoice(einvoice.pk)
        counts[str(einvoice.status)] += 1
    return counts


def retry_allowances(
    queryset: QuerySet[EInvoiceAllowance], now: datetime | None = None
) -> Counter[str]:
    """Re-drive the allowances of ``queryset`` that need it; their statuses afterwards."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    wanted = queryset.filter(
        Q(status=EInvoiceAllowance.Status.FAILED)
        | (Q(status=EInvoiceAllowance.Status.PENDING) & _due(now))
    )
    for allowance in wanted.order_by("pk"):
        if allowance.status == EInvoiceAllowance.Status.FAILED:
            _reopen(EInvoiceAllowance, allowance.pk)
        counts[str(issue_allowance(allowance.pk).status)] += 1
    return counts


def retry_all(now: datetime | None = None) -> RetryReport:
    """Re-drive every pending (due) or failed invoice and allowance, and unfinished voids."""
    now = now or timezone.now()
    report = RetryReport()
    report.invoices = retry_einvoices(EInvoice.objects.all(), now)
    report.allowances = retry_allowances(EInvoiceAllowance.objects.all(), now)
    return report
