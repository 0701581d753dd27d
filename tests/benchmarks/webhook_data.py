"""Data for the webhook load benchmark: bulk-seeded pending transactions, their signed
``checkout.completed`` events, the queries-per-event count and the audit afterwards.

Everything here runs in the harness process (Django set up with the benchmark settings);
seeding is set-based SQL (``generate_series``), so thousands of rows cost one statement.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection

from recur_django.webhooks.signature import compute_signature

SECRET = "whsec_test_secret"  # RECUR["WEBHOOK_SECRET"] in tests/settings.py
AMOUNT, CURRENCY, PRODUCT = 100, "TWD", "prod_credits_100"

SEED_PENDING = """
WITH users AS (
    INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                           is_staff, is_active, date_joined)
    SELECT '!', false, %(tag)s || '-' || g, '', '', %(tag)s || '-' || g || '@example.com',
           false, true, now()
    FROM generate_series(1, %(n)s) AS g
    RETURNING id, username
)
INSERT INTO recur_django_transaction (public_id, owner_id, user_id, product_id, product_slug,
    product_name, mode, status, amount, currency, metadata, checkout_session_id, checkout_url,
    order_id, subscription_id, failure_reason, invoice_choice, created_at, updated_at)
SELECT 'txn_' || substr(md5(random()::text || users.id), 1, 24), users.id, users.id, %(product)s,
       'credits-100', '100 credits', 'PAYMENT', 'pending', %(amount)s, %(currency)s, '{}',
       'cs_' || users.username, '', '', '', '', '{}', now(), now()
FROM users
RETURNING public_id, checkout_session_id, user_id
"""

SEED_BACKGROUND = """
INSERT INTO recur_django_transaction (public_id, user_id, product_id, product_slug,
    product_name, mode, status, amount, currency, metadata, checkout_session_id, checkout_url,
    order_id, subscription_id, failure_reason, invoice_choice, created_at, updated_at,
    completed_at)
SELECT 'txn_bg' || substr(md5(g::text), 1, 24), NULL, %(product)s, 'credits-100',
       '100 credits', 'PAYMENT', 'completed', %(amount)s, %(currency)s, '{}',
       'cs_bg_' || g, '', 'ord_bg_' || g, '', '', '{}', now(), now(), now()
FROM generate_series(%(start)s, %(stop)s) AS g
"""


@dataclass(frozen=True)
class Delivery:
    """One signed POST: the raw body and its headers, ready before the clock starts."""

    event_id: str
    transaction_id: str
    body: bytes
    headers: dict[str, str]


def seed_pending(tag: str, n: int) -> list[tuple[str, str, int]]:
    """``n`` new users, each with one pending transaction; returns (public_id, session_id,
    user_id)."""
    params = {"tag": tag, "n": n, "product": PRODUCT, "amount": AMOUNT, "currency": CURRENCY}
    with connection.cursor() as cursor:
        cursor.execute(SEED_PENDING, params)
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]


def seed_background(total: int) -> int:
    """Grow the transaction table to ``total`` rows with completed purchases; return its size."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM recur_django_transaction")
        existing = cursor.fetchone()[0]
        if total > existing:
            params = {"start": 1, "stop": total - existing}
            params.update(product=PRODUCT, amount=AMOUNT, currency=CURRENCY)
            cursor.execute(SEED_BACKGROUND, params)
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM recur_django_transaction")
        return int(cursor.fetchone()[0])


def signed_deliveries(tag: str, pending: list[tuple[str, str, int]]) -> list[Delivery]:
    """A first-purchase ``checkout.completed`` per transaction (a new Recur customer each),
    carrying the ``external_customer_id`` the checkout was started with, as Recur echoes it."""
    from recur_django.customers import external_id_for

    user_model = get_user_model()
    deliveries = []
    for i, (public_id, session_id, user_id) in enumerate(pending):
        event_id = f"evt_{tag}_{i}"
        event = {
            "id": event_id,
            "type": "checkout.completed",
            "timestamp": "2026-01-15T10:30:00.000Z",
            "data": {
                "id": session_id,
                "status": "COMPLETE",
                "metadata": {"transaction_id": public_id},
                "amount": AMOUNT,
                "currency": CURRENCY,
                "product_id": PRODUCT,
                "customer_id": f"cus_{tag}_{i}",
                "customer_email": f"{session_id[3:]}@example.com",
                "order_id": f"ord_{tag}_{i}",
                "external_customer_id": external_id_for(user_model(pk=user_id)),
            },
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Recur-Signature": compute_signature(body, SECRET),
            "X-Recur-Event-Id": event_id,
            "X-Recur-Event-Type": "checkout.completed",
        }
        deliveries.append(Delivery(event_id, public_id, body, headers))
    return deliveries


def queries_per_event(path: str, deliveries: list[Delivery]) -> tuple[int, float]:
    """(max, median) queries of one delivery each through ``path``, in this process."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = []
    for delivery in deliveries:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in delivery.headers.items()}
        extra.pop("HTTP_CONTENT_TYPE")
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                path, data=delivery.body, content_type="application/json", **extra
            )
        if response.status_code != 200 or response.json().get("status") != "processed":
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        counts.append(len(captured.captured_queries))
    return max(counts), statistics.median(counts)


def audit(
    posted: dict[str, list[Delivery]],
    completes: set[str],
    signals: dict[str, int],
    silent: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """Check the database after a run; returns the problems found (empty: all good).

    ``posted`` maps a variant to its deliveries, ``completes`` names the variants that apply
    events, ``signals`` counts ``transaction_completed`` per transaction public id, and
    ``silent`` names applying variants that send no signal (the benchmark's floor).
    """
    problems: list[str] = []
    with connection.cursor() as cursor:
        for variant, deliveries in posted.items():
            event_ids = [d.event_id for d in deliveries]
            txn_ids = [d.transaction_id for d in deliveries]
            cursor.execute(
                "SELECT count(*), count(DISTINCT event_id) FROM recur_django_webhookevent "
                "WHERE event_id = ANY(%s)",
                [event_ids],
            )
            rows, distinct = cursor.fetchone()
            if rows != len(event_ids) or distinct != len(event_ids):
                problems.append(f"{variant}: {rows} event rows for {len(event_ids)} events")
            cursor.execute(
                "SELECT count(*) FROM recur_django_transaction "
                "WHERE public_id = ANY(%s) AND status = 'completed'",
                [txn_ids],
            )
            completed = cursor.fetchone()[0]
            expected = len(txn_ids) if variant in completes else 0
            if completed != expected:
                problems.append(f"{variant}: {completed} of {len(txn_ids)} completed")
            if variant in completes:
                cursor.execute(
                    "SELECT count(*) FROM recur_django_customer c "
                    "JOIN recur_django_transaction t ON t.owner_id = c.owner_id "
                    "WHERE t.public_id = ANY(%s)",
                    [txn_ids],
                )
                mapped = cursor.fetchone()[0]
                if mapped != len(txn_ids):
                    problems.append(f"{variant}: {mapped} of {len(txn_ids)} customers mapped")
        cursor.execute("SELECT public_id FROM recur_django_transaction WHERE status = 'completed'")
        completed_ids = {row[0] for row in cursor.fetchall() if not row[0].startswith("txn_bg")}
    completed_ids -= {d.transaction_id for name in silent for d in posted.get(name, [])}
    twice = sum(1 for count in signals.values() if count > 1)
    if twice:
        problems.append(f"{twice} transactions were announced more than once")
    unannounced = len(completed_ids - set(signals))
    if unannounced:
        problems.append(f"{unannounced} completed transactions were never announced")
    stray = len(set(signals) - completed_ids)
    if stray:
        problems.append(f"{stray} signals name a transaction that is not completed")
    return problems
