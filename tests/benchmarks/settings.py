"""Settings for the webhook load benchmark (``make bench``): the test settings on PostgreSQL.

Extends :mod:`tests.settings` with the benchmark's URLconf (the baseline view), an app that
records every ``transaction_completed`` signal, and persistent database connections.
Environment: PGHOST/PGPORT/PGUSER/PGDATABASE (default ``recur_bench``) and
``RECUR_BENCH_CONN_MAX_AGE`` (seconds, default 60; a variant may set another).
"""

from __future__ import annotations

import importlib.util
import os

import django

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, RECUR

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "recur_bench"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "CONN_MAX_AGE": int(os.environ.get("RECUR_BENCH_CONN_MAX_AGE", "60")),
    }
}
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
