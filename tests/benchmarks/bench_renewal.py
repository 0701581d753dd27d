"""Benchmark: SQL queries per renewal webhook, at 10 and at 100,000 existing payments.

A renewal is two deliveries of one charge (``invoice.paid`` and its ``order.paid``) plus
``subscription.renewed``. Each is posted, signed, to the real endpoint; the queries of
each delivery are counted (BEGIN and COMMIT included) with few and with many payments in
the ledger. The figure must not grow with the table. Run from the repository root:

    python tests/benchmarks/bench_renewal.py [--payments 100000]

``RECUR_BENCH_DB=postgres`` (set by ``make bench``) runs it on PostgreSQL via PGHOST/PGPORT/
PGUSER; otherwise a throwaway SQLite file is used. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def seed_payments(customer: Any, subscription: Any, count: int, start: int) -> None:
    from django.utils import timezone

    from recur_django.models import Payment

    now = timezone.now()
    Payment.objects.bulk_create(
        (
            Payment(
                recur_id=f"in_seed_{start + i}",
                invoice_id=f"in_seed_{start + i}",
                order_id=f"ord_seed_{start + i}",
                kind="renewal",
                status="paid",
                amount=299,
                customer=customer,
                subscription=subscription,
                paid_at=now - timedelta(minutes=i),
            )
            for i in range(count)
        ),
        batch_size=5_000,
    )


def renewal_events(n: int) -> list[tuple[str, dict[str, Any]]]:
    """The three events of renewal ``n`` of ``sub_bench`` (ids unique per ``n``)."""
    from django.utils import timezone

    start = timezone.now() + timedelta(days=30 * n)
    end = start + timedelta(days=30)
    charge = {
        "amount": 299,
        "currency": "TWD",
        "customer_id": "cus_bench",
        "subscription_id": "sub_bench",
        "product_id": "prod_pro_monthly",
        "billing_reason": "subscription_cycle",
        "paid_at": start.isoformat(),
    }
    return [
        (
            "invoice.paid",
            {**charge, "id": f"in_r{n}", "order_id": f"ord_r{n}", "status": "PAID"},
        ),
        ("order.paid", {**charge, "id": f"ord_r{n}", "invoice_id": f"in_r{n}", "status": "PAID"}),
        (
            "subscription.renewed",
            {
                "id": "sub_bench",
                "customer_id": "cus_bench",
                "product_id": "prod_pro_monthly",
                "status": "ACTIVE",
                "amount": 299,
                "current_period_start": start.isoformat(),
                "current_period_end": end.isoformat(),
            },
        ),
    ]


def measure(client: Any, n: int) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recur_django.testing import make_event, post_event

    counts = {}
    for event_type, data in renewal_events(n):
        with CaptureQueriesContext(connection) as queries:
            response = post_event(client, make_event(event_type, data))
        assert response.status_code == 200, response.content
        counts[event_type] = len(queries)
    return counts


def bench_renewal(client: Any, transactional_db: Any, payments: int) -> None:
    from django.db import connection

    from recur_django.models import Customer, Payment, Subscription

    customer = Customer.objects.create(recur_id="cus_bench", email="bench@example.com")
    subscription = Subscription.objects.create(
        recur_id="sub_bench", customer=customer, status="ACTIVE", amount=299
    )
    seed_payments(customer, subscription, 10, 0)
    measure(client, 0)  # warm caches (product list, prepared state)
    few = measure(client, 1)
    seed_payments(customer, subscription, payments - 10, 10)
    many = measure(client, 2)
    total = Payment.objects.count()
    print(f"\nRenewal webhook path ({connection.vendor}); queries per delivery:")
    print(f"{'event':<24}{'~10 payments':>14}{f'{total:,} payments':>18}")
    for event_type in few:
        print(f"{event_type:<24}{few[event_type]:>14}{many[event_type]:>18}")
    constant = few == many
    print(f"constant with table size: {'yes' if constant else 'NO'}")
    assert constant, (few, many)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.pytest_bench import run_bench

    return run_bench(__file__, "bench_renewal", payments=args.payments)


if __name__ == "__main__":
    sys.exit(main())
