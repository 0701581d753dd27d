"""Benchmark: RecurClient vs naive ``requests.post`` vs a hand-written Session loop.

Run with ``python tests/benchmarks/bench_client.py [calls]`` (``make bench``). A local
threaded HTTP/1.1 keep-alive server answers every POST with a checkout-session JSON;
each contender makes the same number of sequential ``checkout_sessions.create`` calls.

Targets: RecurClient <= 0.6x the naive time (connection reuse pays off) and
<= 1.1x the hand-written Session loop (the client's own overhead stays small).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from recur_django.client import RecurClient

SECRET = "sk_test_benchmark_key_0000"
CALLS = 300
ROUNDS = 3  # best of N per contender, alternating, to damp noise on a shared machine
BODY = json.dumps(
    {
        "id": "cs_bench_123",
        "object": "checkout.session",
        "url": "https://checkout.recur.tw/cs_bench_123",
        "status": "OPEN",
        "mode": "SUBSCRIPTION",
        "expires_at": "2025-01-01T00:30:00Z",
        "product_id": "prod_pro_monthly",
        "amount": 299,
        "currency": "TWD",
        "metadata": {"transaction_id": "txn_1"},
    }
).encode()
REQUEST = {
    "productId": "prod_pro_monthly",
    "successUrl": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
    "cancelUrl": "https://shop.example/pricing",
    "customerEmail": "buyer@example.com",
    "metadata": {"transaction_id": "txn_1"},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every reply carries Content-Length
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus the
    # peer's delayed ACK stall every keep-alive reply by ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


def start_server() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {SECRET}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
    }


def run_naive(url: str, calls: int) -> None:
    for _ in range(calls):
        response = requests.post(
            url + "/v1/checkout/sessions", json=REQUEST, headers=headers(), timeout=(5, 30)
        )
        response.raise_for_status()
        response.json()


def run_session(url: str, calls: int) -> None:
    with requests.Session() as session:
        for _ in range(calls):
            response = session.post(
                url + "/v1/checkout/sessions", json=REQUEST, headers=headers(), timeout=(5, 30)
            )
            response.raise_for_status()
            response.json()


def run_client(url: str, calls: int) -> None:
    with RecurClient(SECRET, base_url=url) as client:
        for _ in range(calls):
            client.checkout_sessions.create(
                product_id="prod_pro_monthly",
                success_url="https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
                cancel_url="https://shop.example/pricing",
                customer_email="buyer@example.com",
                metadata={"transaction_id": "txn_1"},
            )


def timed(fn: Callable[[str, int], None], url: str, calls: int) -> float:
    started = time.perf_counter()
    fn(url, calls)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    calls = int(argv[1]) if len(argv) > 1 else CALLS
    server, url = start_server()
    try:
        contenders = {"naive": run_naive, "session": run_session, "client": run_client}
        for fn in contenders.values():  # warm up imports, DNS cache, the server threads
            fn(url, 10)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(ROUNDS):
            for name, fn in contenders.items():
                times[name].append(timed(fn, url, calls))
    finally:
        server.shutdown()
        server.server_close()

    best = {name: min(values) for name, values in times.items()}
    naive, session, client = best["naive"], best["session"], best["client"]
    vs_naive = client / naive
    vs_session = client / session
    print(f"{calls} sequential checkout_sessions.create calls, best of {ROUNDS} rounds")
    for name, label in (
        ("naive", "requests.post per call"),
        ("session", "hand-written Session"),
        ("client", "RecurClient"),
    ):
        per_call = best[name] / calls * 1000
        spread = statistics.median(times[name])
        print(f"  {label:<24} {best[name]:7.3f} s  ({per_call:.2f} ms/call, median {spread:.3f} s)")
    ok_naive = vs_naive <= 0.6
    ok_session = vs_session <= 1.1
    print(f"  RecurClient / naive    = {vs_naive:.2f}x (target <= 0.60x): {_verdict(ok_naive)}")
    print(f"  RecurClient / Session  = {vs_session:.2f}x (target <= 1.10x): {_verdict(ok_session)}")
    return 0 if ok_naive and ok_session else 1


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
