"""Webhook throughput and queries per event, on PostgreSQL.

    RECUR_TEST_DB=postgres PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres \\
        python tests/benchmarks/bench_webhook.py [--events 2000]

Creates a fresh database (``recur_bench`` unless PGDATABASE names another), migrates it,
then in one process against that one database:

1. posts N signed ``checkout.completed`` events through the real endpoint
   (``recur:webhook``: verify, store, lock, check, fulfil, map the customer) and N events
   through a minimal view that only verifies the signature and INSERTs the raw body;
   prints events/s for both and the ratio (target >= 0.75);
2. counts the queries of one event with 10 and with 100,000 existing transactions
   (target <= 6 and equal), BEGIN and COMMIT included.

Every event is a first purchase (a new Recur customer), the most expensive path.
Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RECUR_TEST_DB", "postgres")
os.environ.setdefault("PGDATABASE", "recur_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

SECRET = "whsec_test_secret"


def fresh_database() -> None:
    import psycopg

    name = os.environ["PGDATABASE"]
    params = {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "postgres"),
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    import django
    from django.conf import settings

    urls = types.ModuleType("bench_urls")
    sys.modules["bench_urls"] = urls
    django.setup()
    settings.ROOT_URLCONF = "bench_urls"
    settings.ALLOWED_HOSTS = ["*"]

    from django.http import HttpRequest, JsonResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    from recur_django.conf import recur_settings
    from recur_django.webhooks.signature import SignatureError, verify_signature

    @csrf_exempt
    def minimal(request: HttpRequest) -> JsonResponse:
        """The floor: verify the signature, INSERT the raw body, answer."""
        from django.db import connection

        body = request.body
        try:
            verify_signature(body, request.headers, recur_settings.WEBHOOK_SECRETS)
        except SignatureError:
            return JsonResponse({"error": "signature"}, status=400)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_raw_event (event_id, body) VALUES (%s, %s)",
                [request.headers.get("X-Recur-Event-Id", ""), body],
            )
        return JsonResponse({"received": True})

    @csrf_exempt
    def floor(request: HttpRequest) -> JsonResponse:
        """The statements exactly-once fulfilment needs, in raw SQL with no ORM: the floor
        for the required semantics (store, lock, complete, map the customer, one commit)."""
        import json as _json

        from django.db import connection, transaction
        from django.utils import timezone

        body = request.body
        try:
            verify_signature(body, request.headers, recur_settings.WEBHOOK_SECRETS)
        except SignatureError:
            return JsonResponse({"error": "signature"}, status=400)
        event = _json.loads(body)
        data = event["data"]
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_raw_event (event_id, body) VALUES (%s, %s)", [event["id"], body]
            )
            cursor.execute(
                "SELECT id, user_id, status FROM recur_django_transaction "
                "WHERE public_id = %s FOR UPDATE",
                [data["metadata"]["transaction_id"]],
            )
            txn_id, user_id, _status = cursor.fetchone()
            cursor.execute(
                "UPDATE recur_django_transaction SET status = 'completed', completed_at = %s, "
                "order_id = %s, updated_at = %s WHERE id = %s",
                [now, data["order_id"], now, txn_id],
            )
            cursor.execute(
                "INSERT INTO recur_django_customer (user_id, recur_id, email, name, external_id, "
                "created_at, updated_at) VALUES (%s, %s, %s, '', %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [user_id, data["customer_id"], data["customer_email"], str(user_id), now, now],
            )
        return JsonResponse({"received": True})

    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("billing/", include("recur_django.urls")),
        path("minimal/", minimal),
        path("floor/", floor),
    ]

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_raw_event (id bigserial PRIMARY KEY, "
            "event_id varchar(128) UNIQUE NOT NULL, body bytea NOT NULL, "
            "received_at timestamptz NOT NULL DEFAULT now())"
        )


def make_pending(n: int, tag: str) -> list:
    from django.contrib.auth import get_user_model

    from recur_django.models import Transaction

    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{tag}{i}", email=f"{tag}{i}@example.com") for i in range(n)]
    )
    txns = []
    for user in users:
        txn = Transaction(
            user=user,
            product_id="prod_credits_100",
            amount=100,
            currency="TWD",
            mode="PAYMENT",
            checkout_session_id=f"cs_{secrets.token_hex(10)}",
        )
        txn.metadata = {"transaction_id": txn.public_id}
        txns.append(txn)
    return Transaction.objects.bulk_create(txns, batch_size=1000)


def add_background(n: int) -> None:
    """``n`` completed transactions of other users, as a busy shop would have."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from recur_django.models import Transaction

    User = get_user_model()
    owners = User.objects.bulk_create(
        [User(username=f"bg{secrets.token_hex(6)}") for _ in range(max(1, n // 20))]
    )
    now = timezone.now()
    batch = []
    for i in range(n):
        batch.append(
            Transaction(
                user=owners[i % len(owners)],
                product_id="prod_credits_100",
                amount=100,
                status="completed",
                completed_at=now,
                checkout_session_id=f"cs_bg_{secrets.token_hex(10)}",
                order_id=f"ord_bg_{i}",
            )
        )
        if len(batch) == 5000:
            Transaction.objects.bulk_create(batch)
            batch = []
    if batch:
        Transaction.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def signed_event(txn) -> tuple[bytes, dict[str, str]]:
    """A signed ``checkout.completed`` built ahead, so signing is not part of the timing."""
    from recur_django.testing import body_of, checkout_completed, sign

    event = checkout_completed(
        transaction=txn,
        event_id=f"evt_{secrets.token_hex(12)}",
        timestamp="2026-01-15T10:30:00.000Z",
        status="COMPLETE",
        amount=100,
        customer_id=f"cus_{secrets.token_hex(8)}",
        order_id=f"ord_{secrets.token_hex(8)}",
    )
    body = body_of(event)
    headers = {
        "HTTP_X_RECUR_SIGNATURE": sign(body, SECRET),
        "HTTP_X_RECUR_EVENT_ID": event["id"],
        "HTTP_X_RECUR_EVENT_TYPE": event["type"],
    }
    return body, headers


def post_all(url: str, events: list[tuple[bytes, dict[str, str]]]) -> float:
    from django.test import Client

    client = Client()
    start = time.perf_counter()
    for body, headers in events:
        response = client.post(url, data=body, content_type="application/json", **headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]!r}")
    return time.perf_counter() - start


def queries_per_event(txns: list) -> list[int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = []
    for txn in txns:
        body, headers = signed_event(txn)
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                "/billing/webhook/", data=body, content_type="application/json", **headers
            )
        assert response.json()["status"] == "processed", response.content
        counts.append(len(ctx.captured_queries))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--background", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    fresh_database()
    setup_django()
    from recur_django.models import Transaction

    n = args.events
    print(f"PostgreSQL database {os.environ['PGDATABASE']}; {n} events per path.")

    make_pending(10, "seed")
    Transaction.objects.filter(user__username__startswith="seed").update(status="completed")
    sample = 50
    existing = Transaction.objects.count()
    small = queries_per_event(make_pending(sample, "qa"))

    full_times, minimal_times, floor_times = [], [], []
    for round_no in range(args.rounds):
        pending = make_pending(n, f"r{round_no}u")
        full_events = [signed_event(t) for t in pending]
        minimal_events = [signed_event(t) for t in pending]
        minimal_times.append(post_all("/minimal/", minimal_events))
        full_times.append(post_all("/billing/webhook/", full_events))
        done = Transaction.objects.filter(pk__in=[t.pk for t in pending], status="completed")
        assert done.count() == n, "not every event fulfilled its transaction"
        floor_pending = make_pending(n, f"f{round_no}u")
        floor_times.append(post_all("/floor/", [signed_event(t) for t in floor_pending]))

    full_eps = n / min(full_times)
    minimal_eps = n / min(minimal_times)
    ratio = full_eps / minimal_eps
    print(f"minimal view (verify + INSERT):  {minimal_eps:8.0f} events/s")
    print(f"full checkout.completed path:    {full_eps:8.0f} events/s")
    print(f"ratio full/minimal:              {ratio:8.2f}   (target >= 0.75)")
    floor_eps = n / min(floor_times)
    print(
        f"same statements in raw SQL:      {floor_eps:8.0f} events/s  "
        f"(ratio to minimal {floor_eps / minimal_eps:.2f}; full path reaches "
        f"{full_eps / floor_eps:.2f} of this floor)"
    )

    # Start the 100,000-row run from a table of that size.
    add_background(max(0, args.background - Transaction.objects.count()))
    large_existing = Transaction.objects.count()
    large = queries_per_event(make_pending(sample, "qb"))
    print(
        f"queries per event with {existing:>7,} existing transactions: "
        f"max {max(small)}, median {statistics.median(small)}"
    )
    print(
        f"queries per event with {large_existing:>7,} existing transactions: "
        f"max {max(large)}, median {statistics.median(large)}   (target <= 6, equal)"
    )
    print("(BEGIN and COMMIT are counted; every event creates a new customer mapping.)")


if __name__ == "__main__":
    main()
