"""Benchmark: sync 10,000 payment links from the emulator into an empty database, then again.

Prints API calls (target <= 101), SQL queries, peak traced memory and wall time for a first
sync (everything new) and a second one (nothing changed). Run from the repository root:

    python tests/benchmarks/bench_payment_links.py [--links 10000]

``RECUR_BENCH_DB=postgres`` (set by ``make bench``) runs it on PostgreSQL via PGHOST/PGPORT/
PGUSER; otherwise a throwaway SQLite file is used, so the emulator (served by the in-process
live server) gets its own database connection and its queries are not counted.

The emulator runs in this process, so peak memory includes its share of serving the pages.
Not collected by pytest (the file name does not start with ``test_``).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
API_CALL_TARGET = 101


def _count_api_calls(base_url: str) -> tuple[list[float], Any]:
    """Patch requests so every HTTP request to the emulator is recorded with its duration."""
    import requests.adapters

    calls: list[float] = []
    original = requests.adapters.HTTPAdapter.send

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, request, *args, **kwargs)
        finally:
            if request.url.startswith(base_url):
                calls.append(time.perf_counter() - started)

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    return calls, lambda: setattr(requests.adapters.HTTPAdapter, "send", original)


def _measure(label: str, base_url: str) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recur_django.payment_links import sync_payment_links

    calls, restore = _count_api_calls(base_url)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with CaptureQueriesContext(connection) as queries:
            result = sync_payment_links()
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        restore()
    figures = {
        "label": label,
        "result": result,
        "api_calls": len(calls),
        "queries": len(queries),
        "peak_mib": peak / 2**20,
        "seconds": elapsed,
        "api_seconds": sum(calls),
    }
    print(
        f"{label:<22} {result.seen:>6} links  {result.pages:>4} pages  "
        f"API calls {len(calls):>4}  SQL queries {len(queries):>5}  "
        f"peak memory {peak / 2**20:6.1f} MiB  time {elapsed:6.2f} s "
        f"(waiting for the emulator {sum(calls):5.2f} s)"
    )
    print(f"{'':<22} {result}")
    return figures


def bench_sync_payment_links(recur_emulator: Any, links_to_seed: int) -> None:
    """Seed the emulator, sync twice, check the API call budget."""
    from django.db import connection

    from recur_django.models import PaymentLink
    from tests.payment_links.conftest import seed_links

    started = time.perf_counter()
    seed_links(recur_emulator, links_to_seed)
    print(
        f"\nSeeded {links_to_seed} links in the emulator in "
        f"{time.perf_counter() - started:.1f} s ({connection.vendor})"
    )
    first = _measure("first sync (all new)", recur_emulator.base_url)
    second = _measure("second sync (no change)", recur_emulator.base_url)
    assert PaymentLink.objects.count() == links_to_seed
    budget = links_to_seed // 100 + 1
    for figures in (first, second):
        status = "OK" if figures["api_calls"] <= budget else "OVER"
        print(f"{figures['label']}: {figures['api_calls']} API calls, budget {budget}: {status}")
        assert figures["api_calls"] <= budget


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.pytest_bench import run_bench

    return run_bench(__file__, "bench_sync_payment_links", links_to_seed=args.links)


if __name__ == "__main__":
    sys.exit(main())
