"""Settings for the webhook load benchmark (``make bench``): the test settings on PostgreSQL.

Extends :mod:`tests.settings` with the benchmark's URLconf (the baseline view), an app that
records every ``transaction_completed`` signal, and persistent database connections.
Environment: PGHOST/PGPORT/PGUSER/PGDATABASE (default ``recur_bench``) and
``RECUR_BENCH_CONN_MAX_AGE`` (seconds, default 60; a variant may set another),
``RECUR_BENCH_POOL=1`` (Django's connection pool, needs ``psycopg_pool``),
``RECUR_BENCH_PREPARE=1`` (server-side binding, statements prepared from the first use) and
``RECUR_BENCH_FAST_PATH=0`` (the webhook fast path off: the full path).
"""

from __future__ import annotations

import importlib.util
import os

import django

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, RECUR

CONN_MAX_AGE = int(os.environ.get("RECUR_BENCH_CONN_MAX_AGE", "60"))
OPTIONS: dict[str, object] = {}
if os.environ.get("RECUR_BENCH_POOL") == "1":
    OPTIONS["pool"] = {"min_size": 1, "max_size": 2}
if os.environ.get("RECUR_BENCH_PREPARE") == "1":
    OPTIONS.update(server_side_binding=True, prepare_threshold=1)

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "recur_bench"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        # A pool replaces persistent connections (Django refuses both at once).
        "CONN_MAX_AGE": 0 if "pool" in OPTIONS else CONN_MAX_AGE,
        "OPTIONS": OPTIONS,
    }
}
RECUR = {**RECUR, "WEBHOOK_FAST_PATH": os.environ.get("RECUR_BENCH_FAST_PATH", "1") == "1"}
INSTALLED_APPS = [*INSTALLED_APPS, "tests.benchmarks.apps.BenchmarkConfig"]

# Task mode (the "task" variant): RECUR_BENCH_WEBHOOK_PROCESSING=task, with django-tasks-db
# on the same database. Installed whenever it is importable, so `migrate` creates its table.
if importlib.util.find_spec("django_tasks_db") is not None:
    INSTALLED_APPS += [
        *(["django_tasks"] if django.VERSION < (6, 0) else []),
        "django_tasks_db",
    ]
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RECUR = {
    **RECUR,
    "WEBHOOK_PROCESSING": os.environ.get("RECUR_BENCH_WEBHOOK_PROCESSING", "sync"),
}
ROOT_URLCONF = "tests.benchmarks.urls"
