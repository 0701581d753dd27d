"""Renewal day: N active subscriptions renew at once, under gunicorn on PostgreSQL (issue 19).

    scripts/bench.sh                                   # make bench: N = 1,000 and 10,000
    python tests/benchmarks/bench_renewal_day.py --quick   # N = 200, while developing

On the 1st of the month every monthly subscription renews: three deliveries each, as the
emulator sends them (``order.paid``, ``invoice.paid``, ``subscription.renewed``), 10 % of
the trios reordered and 20 % of the events delivered twice. Against a fresh database
(``recur_bench_renewal``) on the PostgreSQL cluster in the environment, gunicorn (4 sync
workers) serves them to 8 concurrent clients. The variants are interleaved in rounds (the
order rotates each round; 3 rounds, 1 for N = 10,000 unless ``--large-rounds``), each on
its own N subscriptions; medians are printed:

- ``baseline``: the store-only baseline (verify, one INSERT of the event);
- ``floor``: the renewal floor — the same rows the real path writes (event, payment,
  subscription period) by unchecked statements, no signals;
- ``sync``: the real endpoint applying each event in the request;
- ``task``: the task endpoint (stores one row); after the load, 4 ``db_worker`` processes
  drain the stored events (``drain``): its rate is compared with the sync path's.

Then the queries of one renewal trio with 1,000 and with 100,000 existing payments, and an
audit: every event stored once, every renewal recorded once (one paid payment, the
subscription in its new period), ``payment_succeeded`` and ``subscription_renewed`` sent
once per renewal. Exit 1 on a request error or an audit problem (and, with ``--strict``,
a missed target). Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_webhook import (  # noqa: E402
    TASK_WORKER,
    TASK_WORKERS,
    Variant,
    _received,
    checkpoint,
    durability,
    median,
    setup,
)

if TYPE_CHECKING:
    from tests.benchmarks.webhook_load import LoadResult

BASELINE = Variant("baseline", "/bench/baseline/", applies=False)
FLOOR = Variant("floor", "/bench/renewal-floor/", announces=False)
SYNC = Variant("sync", "/billing/webhook/")
TASK = Variant("task", "/billing/webhook/", {"RECUR_BENCH_WEBHOOK_PROCESSING": "task"}, TASK_WORKER)
VARIANTS = (BASELINE, FLOOR, SYNC, TASK)
#: Issue 19's targets.
TASK_TARGET = 0.9  # task endpoint throughput >= this times the store-only baseline
DRAIN_TARGET = 1.0  # worker drain rate >= this times the sync path's (renewals per second)
RENEWAL_FLOOR_TARGET = 0.6  # renewal sync throughput >= this times the renewal floor
PURCHASE_FLOOR_TARGET = 0.75  # first purchase (bench_webhook.py): sync >= this x its floor
TRIO_TARGET = 12  # queries per renewal trio, constant with table size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="subscriptions renewing")
    parser.add_argument("--quick", action="store_true", help="N = 200, 2 rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--large-rounds", type=int, default=1, help="rounds for N >= 10,000 (each is long)"
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--payments", default="1000,100000", help="for the query count")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    sizes = [200] if args.quick else [int(s) for s in args.sizes.split(",")]
    rounds = 2 if args.quick else args.rounds

    os.environ.setdefault("PGDATABASE", "recur_bench_renewal")
    signal_dir = tempfile.mkdtemp(prefix="recur-bench-renewal-")
    setup(signal_dir)
    from tests.benchmarks import renewal_data as data
    from tests.benchmarks.apps import count_signals
    from tests.benchmarks.webhook_load import Gunicorn, drain, run_load

    server = durability()
    print("== renewal day: " + ", ".join(f"{k}={v}" for k, v in server.items()))
    print(
        f"gunicorn {args.workers} sync workers, {args.clients} clients, {rounds} rounds "
        f"({args.large_rounds} for N >= 10,000) x {len(VARIANTS)} variants; "
        f"N = {', '.join(f'{n:,}' for n in sizes)}"
    )
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    payments = [int(p) for p in args.payments.split(",")]
    queries = trio_queries(data, payments[:1], warm=True)  # before the load grows the table
    posted: dict[str, list] = {v.name: [] for v in VARIANTS}
    results: dict[int, dict[str, list[LoadResult]]] = {}
    drains: dict[int, list[float]] = {}

    with ExitStack() as stack:
        servers: dict[tuple[tuple[str, str], ...], Gunicorn] = {}
        for variant in VARIANTS:
            key = tuple(sorted(variant.env.items()))
            if key not in servers:
                servers[key] = stack.enter_context(Gunicorn(variant.env, args.workers))
        port = {v.name: servers[tuple(sorted(v.env.items()))].port for v in VARIANTS}
        for variant in VARIANTS:  # warm-up: imports, caches, connections
            stream, warm = data.renewal_day(f"w{variant.name}", 50)
            run_load(port[variant.name], variant.path, stream, args.clients)
            if variant.worker:
                drain(list(variant.worker), variant.env, _waiting(warm), 120)
        for n in sizes:
            results[n] = {v.name: [] for v in VARIANTS}
            drains[n] = []
            for round_no in range(rounds if n < 10_000 else min(rounds, args.large_rounds)):
                k = round_no % len(VARIANTS)
                for variant in VARIANTS[k:] + VARIANTS[:k]:
                    stream, distinct = data.renewal_day(f"n{n}r{round_no}{variant.name}", n)
                    posted[variant.name] += distinct
                    checkpoint()
                    result = run_load(port[variant.name], variant.path, stream, args.clients)
                    results[n][variant.name].append(result)
                    line = (
                        f"  N={n:<6} round {round_no + 1} {variant.name:<9}"
                        f"{n / result.seconds:7.0f} renewals/s {result.throughput:6.0f} ev/s  "
                        f"p50 {result.percentile(50) * 1000:6.1f} ms  "
                        f"p99 {result.percentile(99) * 1000:6.1f} ms  errors {result.errors}"
                    )
                    if variant.worker:
                        command = list(variant.worker)
                        seconds = drain(command, variant.env, _waiting(distinct), 900)
                        drains[n].append(n / seconds)
                        line += f"  drain {n / seconds:5.0f} renewals/s"
                    print(line + (f" (first: {result.first_error})" if result.errors else ""))

    queries += trio_queries(data, payments[1:])
    missed = report(results, drains, queries)
    applies = {v.name for v in VARIANTS if v.applies}
    problems = data.audit(posted, applies, count_signals(signal_dir, "renewals"))
    shutil.rmtree(signal_dir, ignore_errors=True)
    if problems:
        print("AUDIT FAILED: " + "; ".join(problems))
    else:
        total = sum(len(d) for d in posted.values())
        print(
            f"audit: {total} events stored once each; every renewal of an applying variant "
            "recorded once (one paid payment, the new period); payment_succeeded and "
            "subscription_renewed sent once per renewal"
        )
    print(
        f"({time.perf_counter() - started:.0f} s; 1-minute load average {load_before:.1f} "
        f"before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)"
    )
    errors = sum(r.errors for by in results.values() for rs in by.values() for r in rs)
    return 1 if problems or errors or (args.strict and missed) else 0


def _waiting(deliveries: list) -> Callable[[], int]:
    """How many of ``deliveries`` are still RECEIVED (for the drain's wait)."""
    ids = [d.event_id for d in deliveries]
    return lambda: _received(ids)


def trio_queries(
    data: object, sizes: list[int], *, warm: bool = False
) -> list[tuple[int, dict[str, int]]]:
    """Queries of each delivery of one renewal trio (sync endpoint, in this process) with
    the payment table grown to each of ``sizes`` (``warm``: one uncounted trio first)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, found = Client(), []
    for size in [0, *sizes] if warm else sizes:  # a trio at 0 warms the caches, uncounted
        total = data.seed_payments(size)  # type: ignore[attr-defined]
        _, distinct = data.renewal_day(f"q{size}", 1)  # type: ignore[attr-defined]
        counts: dict[str, int] = {}
        for delivery in distinct:
            extra = {
                f"HTTP_{k.upper().replace('-', '_')}": v
                for k, v in delivery.headers.items()
                if k != "Content-Type"
            }
            with CaptureQueriesContext(connection) as captured:
                response = client.post(
                    SYNC.path, data=delivery.body, content_type="application/json", **extra
                )
            if response.status_code != 200:
                raise SystemExit(f"trio answered {response.status_code}: {response.content!r}")
            kind = delivery.headers["X-Recur-Event-Type"]
            counts[kind] = len(captured.captured_queries)
            counts[f"{kind} status"] = response.json().get("status")  # type: ignore[assignment]
        if size:
            found.append((total, counts))
    return found


def report(
    results: dict[int, dict[str, list[LoadResult]]],
    drains: dict[int, list[float]],
    queries: list[tuple[int, dict[str, int]]],
) -> bool:
    """Print medians, ratios and the targets beside them; True when a target was missed."""
    missed = False

    def ratio(rounds: list[LoadResult], base: list[LoadResult]) -> float:
        # Within a round (same minute, same machine load), then the median.
        return median([r.throughput / b.throughput for r, b in zip(rounds, base, strict=True)])

    def verdict(ok: bool) -> str:
        nonlocal missed
        missed |= not ok
        return "met" if ok else "NOT MET"

    for n, by in results.items():
        print(f"\nN = {n:,} subscriptions ({3 * n:,} events + duplicates), medians:")
        print(
            f"{'variant':<10}{'renew/s':>9}{'ev/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'x base':>8}{'x floor':>8}{'x p99':>7}"
        )
        base, floor = by[BASELINE.name], by[FLOOR.name]
        for name, rounds in by.items():
            pairs = zip(rounds, base, strict=True)
            p99 = median([r.percentile(99) / b.percentile(99) for r, b in pairs])
            print(
                f"{name:<10}{median([n / r.seconds for r in rounds]):9.0f}"
                f"{median([r.throughput for r in rounds]):8.0f}"
                f"{median([r.percentile(50) * 1000 for r in rounds]):8.1f}"
                f"{median([r.percentile(99) * 1000 for r in rounds]):8.1f}"
                f"{ratio(rounds, base):8.2f}{ratio(rounds, floor):8.2f}{p99:7.2f}"
            )
        task, sync = ratio(by[TASK.name], base), ratio(by[SYNC.name], floor)
        sync_rate = median([n / r.seconds for r in by[SYNC.name]])
        drain_rate = median(drains[n])
        print(f"  task endpoint {task:.2f}x the store-only baseline; target >= {TASK_TARGET}x: "
              f"{verdict(task >= TASK_TARGET)}")  # fmt: skip
        print(
            f"  worker drain {drain_rate:.0f} renewals/s ({TASK_WORKERS} workers) = "
            f"{drain_rate / sync_rate:.2f}x the sync path; target >= {DRAIN_TARGET}x: "
            f"{verdict(drain_rate >= DRAIN_TARGET * sync_rate)}"
        )
        print(f"  renewal sync {sync:.2f}x the renewal floor; target >= {RENEWAL_FLOOR_TARGET}x: "
              f"{verdict(sync >= RENEWAL_FLOOR_TARGET)}")  # fmt: skip
    print(
        f"  first purchase sync >= {PURCHASE_FLOOR_TARGET}x its floor: measured by "
        "bench_webhook.py (its 'x the floor' line for sync)"
    )
    totals = set()
    for size, counts in queries:
        trio = sum(v for k, v in counts.items() if not k.endswith("status"))
        totals.add(trio)
        detail = ", ".join(
            f"{k} {v} ({counts[k + ' status']})"
            for k, v in counts.items()
            if not k.endswith("status")
        )
        print(f"queries per renewal trio with {size:>9,} payments: {trio} ({detail}); "
              f"target <= {TRIO_TARGET}, constant: {verdict(trio <= TRIO_TARGET)}")  # fmt: skip
    if len(totals) > 1:
        print("  NOT constant with table size")
        missed = True
    return missed


if __name__ == "__main__":
    sys.exit(main())
