"""The e-invoice part of the billing overview, in four queries whatever the row count.

- invoices and allowances pending or failed (one count query each);
- paid payments (amount above zero) with no issued invoice 24 hours after being paid:
  the provider must upload a B2C invoice within 48 hours, so these need a look now. A
  payment counts when it has no invoice row at all, or one still pending or failed; a
  voided invoice was issued. Only payments paid since e-invoicing started count (the
  first invoice row recorded; the last 7 days while there is none yet), so a shop that
  turns e-invoicing on is not warned about its whole history. ``recur_trigger``'s test
  data count nowhere (one count, and the oldest :data:`LATE_SHOWN` rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from recur_django import clock
from recur_django.models import EInvoice, EInvoiceAllowance, Payment
from recur_django.triggered import triggered_q

#: How long after payment an invoice should be issued before the overview warns.
LATE_AFTER = timedelta(hours=24)
#: How far back the warning looks while no invoice row exists yet.
FIRST_LOOKBACK = timedelta(days=7)
#: How many late payments the overview lists (the count covers them all).
LATE_SHOWN = 10


@dataclass
class EInvoiceOverview:
    invoices_pending: int = 0
    invoices_failed: int = 0
    allowances_pending: int = 0
    allowances_failed: int = 0
    #: Paid payments without an issued invoice 24 hours on: how many, and the oldest.
    late_count: int = 0
    late: list[Payment] = field(default_factory=list)


def _status_counts(model: type[EInvoice] | type[EInvoiceAllowance]) -> dict[str, int]:
    status = model.Status
    return model.objects.aggregate(
        pending=Count("pk", filter=Q(status=status.PENDING)),
        failed=Count("pk", filter=Q(status=status.FAILED)),
    )


def late_payments(now: datetime) -> QuerySet[Payment]:
    """The paid payments (amount > 0) still without an issued invoice 24 hours after
    being paid, paid since e-invoicing started; oldest first."""
    first_invoice = EInvoice.objects.order_by("pk").values("created_at")[:1]
    since = Coalesce(Subquery(first_invoice), Value(now - FIRST_LOOKBACK))
    return (
        Payment.objects.exclude(status=Payment.Status.FAILED)
        .exclude(triggered_q())
        .filter(amount__gt=0, paid_at__lte=now - LATE_AFTER, paid_at__gte=since)
        .filter(
            Q(einvoice__isnull=True)
            | Q(einvoice__status__in=(EInvoice.Status.PENDING, EInvoice.Status.FAILED))
        )
        .order_by("paid_at", "pk")
    )


def compute(now: datetime | None = None) -> EInvoiceOverview:
    """The e-invoice numbers at ``now`` (default: the billing clock)."""
    now = now or clock.now()
    invoices = _status_counts(EInvoice)
    allowances = _status_counts(EInvoiceAllowance)
    late = late_payments(now)
    late_count = late.count()
    return EInvoiceOverview(
        invoices_pending=invoices["pending"],
        invoices_failed=invoices["failed"],
        allowances_pending=allowances["pending"],
        allowances_failed=allowances["failed"],
        late_count=late_count,
        late=list(late[:LATE_SHOWN]) if late_count else [],
    )
