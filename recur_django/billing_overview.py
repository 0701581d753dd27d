"""The numbers of the billing overview admin page, in a bounded number of queries.

Seven queries whatever the number of rows, eleven with e-invoicing on (aggregates in the
database, never a row loop over all payments):

- subscription counts: active, trialing, past due, ended this month, live at month start;
- MRR: active (and past-due) subscriptions' amounts grouped by billing interval, each
  group normalised to a month (yearly / 12, weekly * 52 / 12, daily * 365 / 12, and
  ``interval_count`` periods divided out);
- refunds this month: the refunds (not failed, not held for review) recorded this month
  and what each *applied* to its payment — a refund counts at most what was left of its
  payment's amount after the refunds before it (a NT$5,000 refund of a NT$299 payment
  refunded NT$299) — summed in Python (one query for the month's refunds, one for the
  refunds before them of the same payments);
- revenue per month for the last 12 months: what was paid in the month minus what was
  refunded of those charges (``amount - refunded_amount``, by ``paid_at`` month);
- how many payments and refunds the ledger flagged for review (two counts);
- when e-invoicing is on, :mod:`recur_django.einvoice.overview` (four more): invoices and
  allowances pending or failed, paid payments without an issued invoice after 24 hours.

Sums are exact whatever their size: PostgreSQL sums ``bigint`` into ``numeric``, and where
SQLite's 64-bit ``SUM`` overflows ("integer overflow") the same figure is computed in
Python from the rows instead.

Churn this month = subscriptions that ended this month (expired, or canceled with their
period ending this month) / subscriptions live at the start of the month.

Rows written by ``recur_trigger`` events (:mod:`recur_django.triggered`: Recur ids it made
up) are test data and count nowhere here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import OperationalError, connection
from django.db.models import Count, F, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth
from django.utils import timezone

from recur_django import clock
from recur_django.einvoice import factory
from recur_django.einvoice import overview as einvoice_overview
from recur_django.models import Payment, Refund, Subscription
from recur_django.triggered import triggered_q

Status = Subscription.Status
T = TypeVar("T")
ENDED = (Status.CANCELED, Status.EXPIRED)
#: Periods per month for each Recur interval (``billing_period`` spelled the same way).
MONTHLY_FACTOR = {
    "day": Decimal(365) / 12,
    "daily": Decimal(365) / 12,
    "week": Decimal(52) / 12,
    "weekly": Decimal(52) / 12,
    "month": Decimal(1),
    "monthly": Decimal(1),
    "quarter": Decimal(1) / 3,
    "quarterly": Decimal(1) / 3,
    "year": Decimal(1) / 12,
    "yearly": Decimal(1) / 12,
}


@dataclass
class Overview:
    mrr: int = 0
    active: int = 0
    trialing: int = 0
    past_due: int = 0
    ended_this_month: int = 0
    live_at_month_start: int = 0
    refunds_count: int = 0
    refunds_total: int = 0
    months: list[tuple[date, int]] = field(default_factory=list)
    #: Payments and refunds the ledger flagged for review (``review_reason`` set).
    payments_to_review: int = 0
    refunds_to_review: int = 0
    #: The e-invoice numbers; None while e-invoicing is off.
    einvoices: einvoice_overview.EInvoiceOverview | None = None

    @property
    def churn(self) -> float | None:
        """Share of the subscriptions live at month start that ended this month (0 to 1)."""
        if not self.live_at_month_start:
            return None
        return self.ended_this_month / self.live_at_month_start


def month_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def monthly_amount(amount: int, interval: Any, count: Any) -> Decimal:
    """``amount`` per ``count`` ``interval`` s, as a monthly amount (unknown interval: month)."""
    factor = MONTHLY_FACTOR.get(str(interval or "month").lower(), Decimal(1))
    try:
        periods = max(1, int(count or 1))
    except (TypeError, ValueError):
        periods = 1
    return Decimal(amount) * factor / periods


def _subscriptions() -> Any:
    """Every subscription but ``recur_trigger``'s test data."""
    return Subscription.objects.exclude(triggered_q())


def _counts(start: datetime, now: datetime) -> dict[str, Any]:
    ended_before = Q(status__in=ENDED, current_period_end__lt=start)
    return _subscriptions().aggregate(
        active=Count("pk", filter=Q(status=Status.ACTIVE)),
        trialing=Count("pk", filter=Q(status=Status.TRIALING)),
        past_due=Count("pk", filter=Q(status=Status.PAST_DUE)),
        ended=Count(
            "pk",
            filter=Q(status__in=ENDED, current_period_end__gte=start, current_period_end__lte=now),
        ),
        live_at_start=Count(
            "pk",
            filter=Q(created_at__lt=start)
            & ~ended_before
            & ~Q(status__in=(Status.PENDING, Status.TRIALING)),
        ),
    )


def _exactly(in_database: Callable[[], T], in_python: Callable[[], T]) -> T:
    """``in_database()``, or ``in_python()`` when the database's sum overflowed.

    Only SQLite's ``SUM`` of integers raises ("integer overflow" past 64 bits), and a
    failed statement leaves an SQLite transaction usable, so no savepoint is needed for
    the caller's transaction (``ATOMIC_REQUESTS``) to survive it.
    """
    if connection.vendor != "sqlite":
        return in_database()
    try:
        return in_database()
    except OperationalError as exc:
        if "overflow" not in str(exc).lower():
            raise
    return in_python()


_LIVE = Q(status__in=(Status.ACTIVE, Status.PAST_DUE))


def _live_with_intervals() -> Any:  # a QuerySet with three annotations
    return (
        _subscriptions()
        .filter(_LIVE)
        .annotate(
            interval=KeyTextTransform("interval", "raw"),
            period=KeyTextTransform("billing_period", "raw"),
            count=KeyTextTransform("interval_count", "raw"),
        )
    )


def _mrr_rows() -> list[dict[str, Any]]:
    rows = (
        _live_with_intervals()
        .values("interval", "period", "count")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return list(rows)


def _mrr_rows_in_python() -> list[dict[str, Any]]:
    totals: defaultdict[tuple[Any, ...], int] = defaultdict(int)
    rows = _live_with_intervals().values("interval", "period", "count", "amount")
    for row in rows.iterator():
        totals[row["interval"], row["period"], row["count"]] += row["amount"] or 0
    return [
        {"interval": interval, "period": period, "count": count, "total": total}
        for (interval, period, count), total in totals.items()
    ]


def _mrr() -> int:
    total = sum(
        (
            monthly_amount(row["total"] or 0, row["interval"] or row["period"], row["count"])
            for row in _exactly(_mrr_rows, _mrr_rows_in_python)
        ),
        Decimal(0),
    )
    return int(total.quantize(Decimal(1)))


def _local_month(value: date | datetime) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


def _revenue(first: datetime) -> dict[date, int]:
    paid = Payment.objects.exclude(triggered_q()).filter(paid_at__gte=first)

    def in_database() -> dict[date, int]:
        rows = (
            paid.annotate(month=TruncMonth("paid_at"))
            .values("month")
            .annotate(net=Sum(F("amount") - F("refunded_amount")))
            .order_by("month")
        )
        return {_local_month(r["month"]): int(r["net"] or 0) for r in rows}

    def in_python() -> dict[date, int]:
        net: defaultdict[date, int] = defaultdict(int)
        rows = paid.values_list("paid_at", "amount", "refunded_amount")
        for paid_at, amount, refunded in rows.iterator():
            if paid_at is not None:  # always: filtered on paid_at
                net[month_start(paid_at).date()] += amount - refunded
        return dict(net)

    return _exactly(in_database, in_python)


def _refunds(start: datetime) -> tuple[int, int]:
    """How many refunds recorded since ``start`` count, and what they applied in total.

    Per payment, the month's refunds applied ``min(before + month, cap) - min(before,
    cap)``: ``before`` is what its earlier refunds asked, ``cap`` its amount (its refunded
    amount when the amount is unknown). A refund waiting for its payment applied nothing.
    """
    counting = (
        Refund.objects.exclude(status=Refund.Status.FAILED)
        .filter(review_reason="")
        .exclude(triggered_q())
        .exclude(triggered_q("payment__recur_id"))
    )
    month = list(
        counting.filter(created_at__gte=start, payment__isnull=False).values_list(
            "payment_id", "amount", "payment__amount", "payment__refunded_amount"
        )
    )
    asked: defaultdict[int, int] = defaultdict(int)
    caps: dict[int, int] = {}
    for payment_id, amount, payment_amount, refunded_amount in month:
        asked[payment_id] += amount
        caps[payment_id] = payment_amount or refunded_amount
    before: defaultdict[int, int] = defaultdict(int)
    earlier = counting.filter(created_at__lt=start, payment_id__in=list(asked))
    for payment_id, amount in earlier.values_list("payment_id", "amount"):
        before[payment_id] += amount
    applied = sum(
        min(before[pk] + asked[pk], cap) - min(before[pk], cap) for pk, cap in caps.items()
    )
    return len(month), applied


def compute(now: datetime | None = None) -> Overview:
    """Every number of the overview page at ``now`` (default: the billing clock)."""
    now = now or clock.now()
    start = month_start(now)
    counts = _counts(start, now)
    refunds_count, refunds_total = _refunds(start)
    first = add_months(start, -11)
    revenue = _revenue(first)
    months = [add_months(start, -i).date() for i in range(11, -1, -1)]
    return Overview(
        mrr=_mrr(),
        active=counts["active"],
        trialing=counts["trialing"],
        past_due=counts["past_due"],
        ended_this_month=counts["ended"],
        live_at_month_start=counts["live_at_start"],
        refunds_count=refunds_count,
        refunds_total=refunds_total,
        months=[(month, revenue.get(month, 0)) for month in months],
        payments_to_review=Payment.objects.exclude(review_reason="").count(),
        refunds_to_review=Refund.objects.exclude(review_reason="").count(),
        einvoices=einvoice_overview.compute(now) if factory.is_enabled() else None,
    )
