"""Run one ``bench_*`` function of a benchmark script under pytest (shared by the scripts).

The scripts that need the test fixtures (``recur_emulator``, ``admin_client``, the database)
call :func:`run_bench` from their ``main()``: it points Django at ``tests.settings``, picks
PostgreSQL when ``RECUR_BENCH_DB=postgres`` (set by ``make bench``) or else a throwaway
SQLite file, and offers each keyword argument as an integer fixture of that name.
"""

from __future__ import annotations

import os
import tempfile
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _int_fixture(name: str, value: int) -> Callable[[], int]:
    import pytest

    @pytest.fixture(name=name)
    def provide() -> int:
        return value

    return provide


def run_bench(script: str, bench: str, **fixtures: int) -> int:
    """Run ``bench`` from the file ``script``; return pytest's exit code."""
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    if os.environ.get("RECUR_BENCH_DB") == "postgres":
        os.environ["RECUR_TEST_DB"] = "postgres"
    tmp = tempfile.TemporaryDirectory(prefix="recur-bench-")
    os.environ.setdefault("RECUR_TEST_SQLITE", str(Path(tmp.name) / "bench.sqlite3"))

    import pytest

    arguments = types.ModuleType("bench_arguments")
    for name, value in fixtures.items():
        setattr(arguments, f"fixture_{name}", _int_fixture(name, int(value)))

    code = pytest.main(
        [
            f"{Path(script).resolve()}::{bench}",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "-o",
            "python_functions=bench_*",
            "-o",
            "python_files=bench_*.py",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
        ],
        plugins=[arguments],
    )
    tmp.cleanup()
    return int(code)
