"""The numbers of the billing overview admin page, in a bounded number of queries.

Four queries whatever the number of rows (aggregates in the database, never a row loop):

- subscription counts: active, trialing, past due, ended this month, live at month start;
- MRR: active (and past-due) subscriptions' amounts grouped by billing interval, each
  group normalised to a month (yearly / 12, weekly * 52 / 12, daily * 365 / 12, and
  ``interval_count`` periods divided out);
- refunds this month: count and total of refunds (not failed) recorded this month;
- revenue per month for the last 12 months: what was paid in the month minus what was
  refunded of those charges (``amount - refunded_amount``, by ``paid_at`` month).

Churn this month = subscriptions that ended this month (expired, or canceled with their
period ending this month) / subscriptions live at the start of the month.

Rows written by ``recur_trigger`` events (:mod:`recur_django.triggered`: Recur ids it made
up) are test data and count nowhere here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth
from django.utils import timezone

from recur_django import clock
from recur_django.models import Payment, Refund, Subscription
from recur_django.triggered import triggered_q

Status = Subscription.Status
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


def _mrr() -> int:
    rows = (
        _subscriptions()
        .filter(status__in=(Status.ACTIVE, Status.PAST_DUE))
        .annotate(
            interval=KeyTextTransform("interval", "raw"),
            period=KeyTextTransform("billing_period", "raw"),
            count=KeyTextTransform("interval_count", "raw"),
        )
        .values("interval", "period", "count")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    total = sum(
        (
            monthly_amount(row["total"] or 0, row["interval"] or row["period"], row["count"])
            for row in rows
        ),
        Decimal(0),
    )
    return int(total.quantize(Decimal(1)))


def _revenue(first: datetime) -> dict[date, int]:
    rows = (
        Payment.objects.exclude(triggered_q())
        .filter(paid_at__gte=first)
        .annotate(month=TruncMonth("paid_at"))
        .values("month")
        .annotate(net=Sum(F("amount") - F("refunded_amount")))
        .order_by("month")
    )
    return {
        timezone.localtime(r["month"]).date()
        if isinstance(r["month"], datetime)
        else r["month"]: int(r["net"] or 0)
        for r in rows
    }


def compute(now: datetime | None = None) -> Overview:
    """Every number of the overview page at ``now`` (default: the billing clock)."""
    now = now or clock.now()
    start = month_start(now)
    counts = _counts(start, now)
    refunds = (
        Refund.objects.filter(created_at__gte=start)
        .exclude(status=Refund.Status.FAILED)
        .exclude(triggered_q())
        .exclude(triggered_q("payment__recur_id"))
    )
    refund_totals = refunds.aggregate(n=Count("pk"), total=Sum("amount"))
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
        refunds_count=refund_totals["n"] or 0,
        refunds_total=int(refund_totals["total"] or 0),
        months=[(month, revenue.get(month, 0)) for month in months],
    )
