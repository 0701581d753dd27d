"""Counts ``transaction_completed`` signals for the benchmark's audit.

Every signal appends one line (the transaction's public id) to a per-process file in
``RECUR_BENCH_SIGNAL_DIR``; the benchmark reads them all at the end and checks that every
completed transaction was announced exactly once. A file append, not a database row, so the
count adds no commit (and no fsync) to the path being measured.
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig

_files: dict[int, int] = {}  # pid -> file descriptor


def record_signal(sender: Any, transaction: Any, **kwargs: Any) -> None:
    directory = os.environ.get("RECUR_BENCH_SIGNAL_DIR")
    if not directory:
        return
    pid = os.getpid()
    fd = _files.get(pid)
    if fd is None:
        path = os.path.join(directory, f"signals-{pid}.log")
        fd = _files[pid] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, f"{transaction.public_id}\n".encode())


def count_signals(directory: str) -> dict[str, int]:
    """Transaction public id -> number of ``transaction_completed`` signals seen."""
    counts: dict[str, int] = {}
    for name in os.listdir(directory):
        if name.startswith("signals-"):
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
        from recur_django.signals import transaction_completed

        transaction_completed.connect(record_signal, dispatch_uid="recur-bench-signal-log")
