"""Counts ``transaction_completed`` (and, for the renewal-day benchmark,
``payment_succeeded`` and ``subscription_renewed``) signals for the benchmarks' audits.

Every signal appends one line (the transaction's public id; ``payment:<Recur id>`` or
``renewed:<subscription id>`` in ``renewals-<pid>.log``) to a per-process file in
``RECUR_BENCH_SIGNAL_DIR``; the benchmark reads them all at the end and checks that every
completed transaction (renewal) was announced exactly once. A file append, not a database
row, so the count adds no commit (and no fsync) to the path being measured.
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig

_files: dict[tuple[int, str], int] = {}  # (pid, prefix) -> file descriptor


def _append(prefix: str, line: str) -> None:
    directory = os.environ.get("RECUR_BENCH_SIGNAL_DIR")
    if not directory:
        return
    key = (os.getpid(), prefix)
    fd = _files.get(key)
    if fd is None:
        path = os.path.join(directory, f"{prefix}-{key[0]}.log")
        fd = _files[key] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, f"{line}\n".encode())


def record_signal(sender: Any, transaction: Any, **kwargs: Any) -> None:
    _append("signals", transaction.public_id)


def record_payment(sender: Any, payment: Any, **kwargs: Any) -> None:
    _append("renewals", f"payment:{payment.invoice_id or payment.recur_id}")


def record_renewal(sender: Any, subscription: Any, **kwargs: Any) -> None:
    _append("renewals", f"renewed:{subscription.recur_id}")


def count_signals(directory: str, prefix: str = "signals") -> dict[str, int]:
    """Line -> how many times it was written: transaction public id -> number of
    ``transaction_completed`` signals seen (``prefix="renewals"``: the renewal signals)."""
    counts: dict[str, int] = {}
    for name in os.listdir(directory):
        if name.startswith(f"{prefix}-"):
            with open(os.path.join(directory, name)) as lines:
                for line in lines:
                    key = line.strip()
                    counts[key] = counts.get(key, 0) + 1
    return counts


class BenchmarkConfig(AppConfig):
    name = "tests.benchmarks"
    label = "recur_bench"
    verbose_name = "recur-django benchmark"

    def ready(self) -> None:
        from recur_django.signals import (
            payment_succeeded,
            subscription_renewed,
            transaction_completed,
        )

        transaction_completed.connect(record_signal, dispatch_uid="recur-bench-signal-log")
        payment_succeeded.connect(record_payment, dispatch_uid="recur-bench-payment-log")
        subscription_renewed.connect(record_renewal, dispatch_uid="recur-bench-renewal-log")
