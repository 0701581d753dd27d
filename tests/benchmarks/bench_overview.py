"""Benchmark: the billing overview admin page at 100,000 payments.

Seeds 2,000 subscriptions and 100,000 payments over 12 months (with refunds), then renders
the page three times and prints SQL queries (target <= 10) and wall time. Run from the
repository root:

    python tests/benchmarks/bench_overview.py [--payments 100000]

``RECUR_BENCH_DB=postgres`` (set by ``make bench``) runs it on PostgreSQL via PGHOST/PGPORT/
PGUSER; otherwise a throwaway SQLite file is used. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
QUERY_TARGET = 10


def seed(payments: int) -> None:
    from django.utils import timezone

    from recur_django.models import Customer, Payment, Refund, Subscription

    customer = Customer.objects.create(recur_id="cus_bench", email="bench@example.com")
    intervals = [{"interval": "month"}, {"interval": "year"}, {"interval": "week"}]
    statuses = ["ACTIVE"] * 8 + ["TRIALING", "PAST_DUE", "CANCELED", "EXPIRED"]
    subs = Subscription.objects.bulk_create(
        (
            Subscription(
                recur_id=f"sub_{i}",
                customer=customer,
                status=statuses[i % len(statuses)],
                amount=299,
                raw=intervals[i % 3],
                current_period_end=timezone.now() + timedelta(days=i % 40 - 10),
            )
            for i in range(2_000)
        ),
        batch_size=1_000,
    )
    start = timezone.now() - timedelta(days=365)
    step = timedelta(days=365) / payments
    Payment.objects.bulk_create(
        (
            Payment(
                recur_id=f"in_{i}",
                kind="renewal" if i % 10 else "checkout",
                status="paid" if i % 50 else "partially_refunded",
                amount=299,
                refunded_amount=0 if i % 50 else 100,
                customer=customer,
                subscription=subs[i % len(subs)],
                paid_at=start + step * i,
            )
            for i in range(payments)
        ),
        batch_size=5_000,
    )
    refunded = Payment.objects.filter(refunded_amount__gt=0).values_list("pk", flat=True)
    Refund.objects.bulk_create(
        (
            Refund(recur_id=f"re_{pk}", payment_id=pk, amount=100, status="succeeded")
            for pk in refunded
        ),
        batch_size=5_000,
    )


def bench_overview(client: Any, db: Any, payments: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    started = time.perf_counter()
    seed(payments)
    print(
        f"\nSeeded {payments} payments in {time.perf_counter() - started:.1f} s "
        f"({connection.vendor})"
    )
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    url = reverse("admin:recur_django_billingoverview_changelist")
    for run in range(1, 4):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        status = "OK" if len(queries) <= QUERY_TARGET else "OVER"
        print(
            f"overview page, run {run}: SQL queries {len(queries):>3} (target {QUERY_TARGET}: "
            f"{status})  time {elapsed * 1000:7.1f} ms"
        )
        assert len(queries) <= QUERY_TARGET


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.pytest_bench import run_bench

    return run_bench(__file__, "bench_overview", payments=args.payments)


if __name__ == "__main__":
    sys.exit(main())
