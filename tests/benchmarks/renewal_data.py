"""Data for the renewal-day benchmark: active subscriptions, their renewal trios as the
emulator sends them, the renewal floor's statements and the audit afterwards.

A renewal is three deliveries (the emulator's order): ``order.paid`` and ``invoice.paid`` of
one charge, then ``subscription.renewed`` with the next period. Everything here runs in
the harness process (Django set up with the benchmark settings).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from tests.benchmarks.webhook_data import SECRET, Delivery

AMOUNT, CURRENCY, PRODUCT = 299, "TWD", "prod_pro_monthly"
#: The renewal day: every seeded period ends here, and the next one starts.
DAY = datetime(2026, 2, 1, tzinfo=timezone.get_fixed_timezone(0))
DUPLICATES = 0.2  # of the events, delivered a second time later
REORDERED = 0.1  # of the trios, delivered in a random order


def seed_subscriptions(tag: str, n: int) -> list[str]:
    """``n`` users, each a Recur customer with one ACTIVE monthly subscription whose period
    ends on :data:`DAY`; returns the subscription ids."""
    from recur_django.customers import external_id_for
    from recur_django.models import Customer, Subscription

    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{tag}-{i}", email=f"{tag}-{i}@example.com", password="!")
        for i in range(n)
    )
    customers = Customer.objects.bulk_create(
        Customer(
            owner=user,
            recur_id=f"cus_{tag}_{i}",
            email=user.email,
            external_id=external_id_for(user),
        )
        for i, user in enumerate(users)
    )
    subs = Subscription.objects.bulk_create(
        Subscription(
            recur_id=f"sub_{tag}_{i}",
            customer=customer,
            product_id=PRODUCT,
            status="ACTIVE",
            amount=AMOUNT,
            current_period_start=DAY - timedelta(days=31),
            current_period_end=DAY,
        )
        for i, customer in enumerate(customers)
    )
    return [s.recur_id for s in subs]


def _customer(tag: str, i: int) -> dict[str, object]:
    return {
        "customer_id": f"cus_{tag}_{i}",
        "customer_email": f"{tag}-{i}@example.com",
        "customer": {"id": f"cus_{tag}_{i}", "email": f"{tag}-{i}@example.com", "name": None},
    }


def trio(tag: str, i: int) -> list[dict[str, object]]:
    """The three envelopes of renewal ``i`` (the emulator's shapes and order)."""
    end, paid = DAY + timedelta(days=28), DAY.isoformat()
    sub, order, invoice = f"sub_{tag}_{i}", f"ord_{tag}_{i}", f"in_{tag}_{i}"
    charge = {
        "status": "PAID",
        "amount": AMOUNT,
        "currency": CURRENCY,
        "product_id": PRODUCT,
        **_customer(tag, i),
        "billing_reason": "subscription_cycle",
        "subscription_id": sub,
        "period_start": paid,
        "period_end": end.isoformat(),
        "paid_at": paid,
        "created_at": paid,
    }
    order_data = {"object": "order", "id": order, **charge, "invoice_id": invoice}
    invoice_data = {"object": "invoice", "id": invoice, **charge, "order_id": order}
    renewed = {
        "object": "subscription",
        "id": sub,
        "status": "ACTIVE",
        **_customer(tag, i),
        "product_id": PRODUCT,
        "amount": AMOUNT,
        "currency": CURRENCY,
        "interval": "month",
        "interval_count": 1,
        "current_period_start": paid,
        "current_period_end": end.isoformat(),
    }
    stamp = "2026-02-01T00:00:00.000Z"
    return [
        {"id": f"evt_{tag}_{i}_o", "type": "order.paid", "timestamp": stamp, "data": order_data},
        {
            "id": f"evt_{tag}_{i}_i",
            "type": "invoice.paid",
            "timestamp": stamp,
            "data": invoice_data,
        },
        {
            "id": f"evt_{tag}_{i}_s",
            "type": "subscription.renewed",
            "timestamp": stamp,
            "data": renewed,
        },
    ]


def signed(event: dict[str, object], subscription: str) -> Delivery:
    from recur_django.webhooks.signature import compute_signature

    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Recur-Signature": compute_signature(body, SECRET),
        "X-Recur-Event-Id": str(event["id"]),
        "X-Recur-Event-Type": str(event["type"]),
    }
    return Delivery(str(event["id"]), subscription, body, headers)


def renewal_day(tag: str, n: int, seed: int = 19) -> tuple[list[Delivery], list[Delivery]]:
    """Seed ``n`` subscriptions; return (the stream as sent: trios in order except
    :data:`REORDERED` of them, then :data:`DUPLICATES` of the events again, shuffled; the
    distinct deliveries)."""
    rng = random.Random(seed)
    subs = seed_subscriptions(tag, n)
    distinct: list[Delivery] = []
    stream: list[Delivery] = []
    for i, sub in enumerate(subs):
        three = [signed(event, sub) for event in trio(tag, i)]
        distinct += three
        if rng.random() < REORDERED:
            rng.shuffle(three)
        stream += three
    again = rng.sample(distinct, k=int(len(distinct) * DUPLICATES))
    for delivery in again:  # a redelivery comes a little later, anywhere after
        stream.insert(rng.randrange(len(stream) // 2, len(stream) + 1), delivery)
    return stream, distinct


def seed_payments(total: int) -> int:
    """Grow the payment table to ``total`` rows (past renewals of a background customer)."""
    from recur_django.models import Customer, Payment, Subscription

    existing = Payment.objects.count()
    if total > existing:
        customer, _ = Customer.objects.get_or_create(recur_id="cus_bg", email="bg@example.com")
        sub, _ = Subscription.objects.get_or_create(
            recur_id="sub_bg", defaults={"customer": customer, "status": "ACTIVE"}
        )
        now = timezone.now()
        Payment.objects.bulk_create(
            (
                Payment(
                    recur_id=f"in_bg_{k}",
                    invoice_id=f"in_bg_{k}",
                    order_id=f"ord_bg_{k}",
                    kind="renewal",
                    status="paid",
                    amount=AMOUNT,
                    customer=customer,
                    subscription=sub,
                    paid_at=now - timedelta(minutes=k),
                )
                for k in range(existing, total)
            ),
            batch_size=5_000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Payment.objects.count()


def audit(
    posted: dict[str, list[Delivery]], applies: set[str], signals: dict[str, int]
) -> list[str]:
    """Every event stored once; for an applying variant every renewal recorded once (one
    paid payment per renewal charge, the subscription in its new period) and, except for
    the floor, ``payment_succeeded`` and ``subscription_renewed`` once each."""
    problems: list[str] = []
    with connection.cursor() as cursor:
        for variant, deliveries in posted.items():
            ids = [d.event_id for d in deliveries]
            subs = sorted({d.transaction_id for d in deliveries})
            cursor.execute(
                "SELECT count(*), count(DISTINCT event_id) FROM recur_django_webhookevent "
                "WHERE event_id = ANY(%s)",
                [ids],
            )
            rows, distinct = cursor.fetchone()
            if rows != len(ids) or distinct != len(ids):
                problems.append(f"{variant}: {rows} event rows for {len(ids)} events")
            if variant not in applies:
                continue
            invoices = [s.replace("sub_", "in_", 1) for s in subs]
            cursor.execute(
                "SELECT count(*), count(DISTINCT invoice_id) FROM recur_django_payment "
                "WHERE invoice_id = ANY(%s) AND status = 'paid'",
                [invoices],
            )
            payments, charges = cursor.fetchone()
            if payments != len(subs) or charges != len(subs):
                problems.append(f"{variant}: {payments} payments for {len(subs)} renewals")
            cursor.execute(
                "SELECT count(*) FROM recur_django_subscription "
                "WHERE recur_id = ANY(%s) AND current_period_start = %s",
                [subs, DAY],
            )
            renewed = cursor.fetchone()[0]
            if renewed != len(subs):
                problems.append(f"{variant}: {renewed} of {len(subs)} subscriptions renewed")
            if variant == "floor":
                continue
            for kind, keys in (("payment", invoices), ("renewed", subs)):
                counts = [signals.get(f"{kind}:{key}", 0) for key in keys]
                if any(c != 1 for c in counts):
                    missing, twice = counts.count(0), sum(c > 1 for c in counts)
                    problems.append(f"{variant}: {kind} signals: {missing} missing, {twice} twice")
    return problems
