"""Webhook throughput under load: gunicorn, PostgreSQL, concurrent clients (issue 12).

    scripts/bench.sh                        # make bench: fsync on and off, every variant
    python tests/benchmarks/bench_webhook.py --fsync on   # one mode, PG* from the environment

Against a fresh database (``recur_bench``) on the PostgreSQL cluster in the environment:
gunicorn with 4 sync workers serves ``tests.benchmarks.settings``; 8 client threads POST
distinct signed ``checkout.completed`` events, each for its own pending transaction (a
first purchase: a new Recur customer). The variants below are interleaved in rounds (the
order rotates each round), 3 rounds; the medians are printed with ratios to the baseline.
Then queries per event of the real endpoint with 10 and with ``--large`` existing
transactions, and an audit: every event stored once, every transaction of an applying
variant completed once, every ``transaction_completed`` signal sent once.

Exit 1 on a request error or an audit problem (and, with ``--strict``, a missed target).
Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.benchmarks.webhook_load import LoadResult

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Variant:
    """One way of receiving the same events; adding a variant is one entry in VARIANTS.

    ``env`` is given to the gunicorn serving it (switches read by the benchmark settings,
    e.g. ``RECUR_BENCH_CONN_MAX_AGE``); variants with equal ``env`` share one server.
    ``worker`` is a command that applies the stored events after the load (task mode): its
    drain rate is measured too. ``applies``: the events end applied (transactions completed);
    ``announces``: with ``transaction_completed`` sent once each (the audit checks both).
    """

    name: str
    path: str
    env: dict[str, str] = field(default_factory=dict)
    worker: tuple[str, ...] = ()
    applies: bool = True
    announces: bool = True  # sends transaction_completed for what it applies


BASELINE = Variant("baseline", "/bench/baseline/", applies=False)
# The floor of applying: the same four rows the fast path writes, no checks, no signals.
FLOOR = Variant("floor", "/bench/floor/", announces=False)
# Task mode: the endpoint only stores the event (one row; a wake task at most once a second
# per process); after the load, TASK_WORKERS db_worker processes (as many as gunicorn's
# sync workers) run the wakes, drain the stored events and exit (--batch).
TASK_WORKERS = 4
TASK_WORKER = (
    "sh",
    "-c",
    f'for i in $(seq {TASK_WORKERS}); do "$0" -m django db_worker --batch '
    "--no-startup-delay --interval 0.01 --verbosity 0 & done; wait",
    sys.executable,
)
TASK = Variant("task", "/billing/webhook/", {"RECUR_BENCH_WEBHOOK_PROCESSING": "task"}, TASK_WORKER)
VARIANTS: tuple[Variant, ...] = (
    BASELINE,
    FLOOR,
    # The real endpoint as shipped: fast path on, persistent connections (CONN_MAX_AGE=60).
    Variant("sync", "/billing/webhook/"),
    # The full path (fast path off): what every unusual event costs.
    Variant("sync-full", "/billing/webhook/", {"RECUR_BENCH_FAST_PATH": "0"}),
    # A new connection per request (CONN_MAX_AGE=0, Django's default).
    Variant("sync-conn0", "/billing/webhook/", {"RECUR_BENCH_CONN_MAX_AGE": "0"}),
    # Django's connection pool (OPTIONS["pool"], psycopg_pool) instead of CONN_MAX_AGE.
    Variant("sync-pool", "/billing/webhook/", {"RECUR_BENCH_POOL": "1"}),
    # Server-side binding with prepared statements (prepare_threshold=1).
    Variant("sync-prep", "/billing/webhook/", {"RECUR_BENCH_PREPARE": "1"}),
    *((TASK,) if importlib.util.find_spec("django_tasks_db") else ()),
)
# Issue 12's targets (with fsync on): throughput ratio >= , p99 ratio <= (none for task).
TARGETS = {"sync": (0.75, 1.5), "task": (0.9, float("inf"))}
# The task worker's drain rate >= this times the sync path's throughput.
DRAIN_TARGET = 0.75
# Issue 19: the first purchase's sync throughput >= this times the floor's.
FLOOR_TARGET = 0.75
QUERY_TARGET = 3
SYNC_PATH = "/billing/webhook/"


def available(variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
    """``variants`` without those this environment cannot run (the pool needs psycopg_pool)."""
    import importlib.util

    if importlib.util.find_spec("psycopg_pool") is not None:
        return variants
    print("(psycopg_pool is not installed: the sync-pool variant is skipped)")
    return tuple(v for v in variants if v.env.get("RECUR_BENCH_POOL") != "1")


def fresh_database(name: str) -> None:
    import psycopg

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


def setup(signal_dir: str) -> None:
    os.environ.setdefault("PGDATABASE", "recur_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.settings"
    os.environ["RECUR_BENCH_SIGNAL_DIR"] = signal_dir
    fresh_database(os.environ["PGDATABASE"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def durability() -> dict[str, str]:
    """The server's durability settings, as it reports them."""
    from django.db import connection

    names = ("fsync", "synchronous_commit", "full_page_writes")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(names)])
        found = dict(cursor.fetchall())
    return {name: found.get(name, "?") for name in names}


def checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fsync",
        choices=["on", "off"],
        required=True,
        help="how the cluster in the environment runs (checked against the server)",
    )
    parser.add_argument("--events", type=int, default=3000, help="per variant per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--warmup", type=int, default=200, help="events per variant, unmeasured")
    parser.add_argument(
        "--large",
        type=int,
        default=0,
        help="also count queries with this many existing transactions",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    variants = available(VARIANTS)

    signal_dir = tempfile.mkdtemp(prefix="recur-bench-signals-")
    setup(signal_dir)
    from tests.benchmarks import webhook_data as data
    from tests.benchmarks.apps import count_signals
    from tests.benchmarks.webhook_load import Gunicorn, drain, run_load

    server = durability()
    if server["fsync"] != args.fsync:
        raise SystemExit(f"--fsync {args.fsync}, but the server runs with fsync={server['fsync']}")
    label = "on (production durability)" if args.fsync == "on" else "off (CPU-bound)"
    print(f"== fsync {label}: " + ", ".join(f"{k}={v}" for k, v in server.items()))
    print(
        f"gunicorn {args.workers} sync workers, {args.clients} clients, {args.rounds} rounds x "
        f"{len(variants)} variants x {args.events} events (+{args.warmup} warm-up per variant)"
    )
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    posted: dict[str, list[data.Delivery]] = {}

    small = data.signed_deliveries("q10", data.seed_pending("q10", 10))
    posted["sync (query count)"] = list(small)
    queries = [(10, *data.queries_per_event(SYNC_PATH, small))]
    full = data.signed_deliveries("q10full", data.seed_pending("q10full", 10))
    posted["sync (query count, full path)"] = list(full)
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(RECUR={**settings.RECUR, "WEBHOOK_FAST_PATH": False}):
        full_queries = data.queries_per_event(SYNC_PATH, full)
    print(
        f"queries per event with the fast path off (the full path, every unusual event): "
        f"max {full_queries[0]}, median {full_queries[1]:g}"
    )

    results: dict[str, list[LoadResult]] = {v.name: [] for v in variants}
    drains: dict[str, list[float]] = {v.name: [] for v in variants}
    errors_seen: list[int] = []

    def measure(variant: Variant, tag: str, n: int, port: int) -> LoadResult:
        deliveries = data.signed_deliveries(tag, data.seed_pending(tag, n))
        posted.setdefault(variant.name, []).extend(deliveries)
        checkpoint()
        result = run_load(port, variant.path, deliveries, args.clients)
        if variant.worker:
            ids = [d.event_id for d in deliveries]
            seconds = drain(list(variant.worker), variant.env, lambda: _received(ids), 600)
            drains[variant.name].append(n / seconds)
        return result

    with ExitStack() as stack:
        servers: dict[tuple[tuple[str, str], ...], Gunicorn] = {}
        for variant in variants:
            key = tuple(sorted(variant.env.items()))
            if key not in servers:
                servers[key] = stack.enter_context(Gunicorn(variant.env, args.workers))
        port = {v.name: servers[tuple(sorted(v.env.items()))].port for v in variants}
        for variant in variants:
            measure(variant, f"w-{variant.name}", args.warmup, port[variant.name])
        for round_no in range(args.rounds):
            order = variants[round_no % len(variants) :] + variants[: round_no % len(variants)]
            for variant in order:
                tag = f"r{round_no}-{variant.name}"
                result = measure(variant, tag, args.events, port[variant.name])
                results[variant.name].append(result)
                print(
                    f"  round {round_no + 1} {variant.name:<10} {result.throughput:7.0f} ev/s  "
                    f"p50 {result.percentile(50) * 1000:6.1f} ms  "
                    f"p99 {result.percentile(99) * 1000:6.1f} ms  errors {result.errors}  "
                    f"CPU/event: web {result.per_event(result.web_cpu):5.0f} µs, "
                    f"db {result.per_event(result.db_cpu):5.0f} µs, "
                    f"clients {result.per_event(result.client_cpu):4.0f} µs"
                    + (f" (first: {result.first_error})" if result.errors else "")
                )

        # Redeliveries: Recur retries; a second copy must change nothing (checked by the audit).
        redelivered = 0
        for variant in variants:
            again = posted[variant.name][args.warmup :][: args.events // 10]
            result = run_load(port[variant.name], variant.path, again, args.clients)
            redelivered += len(again)
            errors_seen.append(result.errors)
        print(
            f"  redelivered {redelivered} events ({args.events // 10} per variant) a second "
            f"time: errors {sum(errors_seen)}"
        )

    if args.large:
        print(f"  seeding up to {args.large:,} transactions ...", flush=True)
        size = data.seed_background(args.large)
        large = data.signed_deliveries("qbig", data.seed_pending("qbig", 10))
        posted["sync (query count, large)"] = list(large)
        queries.append((size, *data.queries_per_event(SYNC_PATH, large)))

    failed = report(results, drains, queries, args.fsync == "on")
    completes = {name for name in posted if name.startswith("sync")}
    completes |= {v.name for v in variants if v.applies}
    silent = {v.name for v in variants if not v.announces}
    problems = data.audit(posted, completes, count_signals(signal_dir), silent)
    shutil.rmtree(signal_dir, ignore_errors=True)
    total = sum(len(d) for d in posted.values())
    if problems:
        print("AUDIT FAILED: " + "; ".join(problems))
    else:
        print(
            f"audit: {total} events stored once each; every transaction of an applying variant "
            "completed once and announced by exactly one transaction_completed signal; "
            "baseline transactions untouched"
        )
    print(
        f"({time.perf_counter() - started:.0f} s; 1-minute load average {load_before:.1f} "
        f"before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)"
    )
    errors = sum(r.errors for rs in results.values() for r in rs) + sum(errors_seen)
    return 1 if problems or errors or (args.strict and failed) else 0


def _received(event_ids: list[str]) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM recur_django_webhookevent "
            "WHERE event_id = ANY(%s) AND status = 'received'",
            [event_ids],
        )
        return int(cursor.fetchone()[0])


def report(
    results: dict[str, list[LoadResult]],
    drains: dict[str, list[float]],
    queries: list[tuple[int, int, float]],
    production: bool,
) -> bool:
    """Print medians and ratios; return True when a target was missed."""
    base = results[BASELINE.name]
    print(
        f"{'variant':<10} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'x thr':>7} {'x p50':>7} {'x p99':>7} {'web µs':>7} {'db µs':>7}"
    )
    missed = False
    for name, rounds in results.items():
        thr = median([r.throughput for r in rounds])
        p50 = median([r.percentile(50) * 1000 for r in rounds])
        p99 = median([r.percentile(99) * 1000 for r in rounds])
        errors = sum(r.errors for r in rounds)
        # Ratios are taken within a round (same minute, same machine load), then the median.
        pairs = list(zip(rounds, base, strict=True))
        r_thr = median([r.throughput / b.throughput for r, b in pairs])
        r_p50 = median([r.percentile(50) / b.percentile(50) for r, b in pairs])
        r_p99 = median([r.percentile(99) / b.percentile(99) for r, b in pairs])
        web = median([r.per_event(r.web_cpu) for r in rounds])
        db = median([r.per_event(r.db_cpu) for r in rounds])
        print(
            f"{name:<10} {thr:9.0f} {p50:8.1f} {p99:8.1f} {errors:7d} "
            f"{r_thr:7.2f} {r_p50:7.2f} {r_p99:7.2f} {web:7.0f} {db:7.0f}"
        )
        if drains.get(name):
            drain = median(drains[name])
            sync = median([r.throughput for r in results.get("sync", [])])
            ok = drain >= DRAIN_TARGET * sync
            print(
                f"{'':<10} worker drain rate {drain:.0f} events/s ({TASK_WORKERS} workers) = "
                f"{drain / sync:.2f}x the sync path; target >= {DRAIN_TARGET}x: "
                f"{'met' if ok else 'NOT MET'}"
            )
            missed |= production and not ok
        if name in TARGETS:
            want_thr, want_p99 = TARGETS[name]
            ok_thr, ok_p99 = r_thr >= want_thr, r_p99 <= want_p99
            scope = "" if production else " (the targets are for fsync on)"
            print(
                f"{'':<10} target throughput >= {want_thr}x: {'met' if ok_thr else 'NOT MET'} "
                f"({r_thr:.2f}x); p99 <= {want_p99}x: {'met' if ok_p99 else 'NOT MET'} "
                f"({r_p99:.2f}x){scope}"
            )
            missed |= production and not (ok_thr and ok_p99)
    floor = results.get(FLOOR.name)
    if floor:
        for name, rounds in results.items():
            if name in (BASELINE.name, FLOOR.name):
                continue
            pairs = list(zip(rounds, floor, strict=True))
            ratio = median([r.throughput / f.throughput for r, f in pairs])
            target = ""
            if name == "sync":  # issue 19: first purchase sync >= 0.75x its floor
                ok = ratio >= FLOOR_TARGET
                target = f"; target >= {FLOOR_TARGET}x: {'met' if ok else 'NOT MET'}"
                missed |= production and not ok
            print(
                f"{name:<10} {ratio:.2f}x the floor (the same rows written by one unchecked "
                f"statement): what correctness costs{target}"
            )
    for size, most, mid in queries:
        print(
            f"queries per sync event with {size:>9,} existing transactions: max {most}, "
            f"median {mid:g} (target <= {QUERY_TARGET}, constant)"
        )
    counts = {most for _, most, _ in queries}
    missed |= max(counts) > QUERY_TARGET or len(counts) > 1
    return missed


if __name__ == "__main__":
    sys.exit(main())
