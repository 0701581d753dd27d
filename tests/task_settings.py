"""The test settings in webhook task mode, with the durable django-tasks-db backend.

Used by the real-worker tests (tests/webhooks/task_worker_scenarios.py, run in a child
pytest) and by the ``db_worker`` processes they start, which reach the same database through
PG* variables. ``transaction_completed`` signals are appended to files in
``RECUR_BENCH_SIGNAL_DIR`` (tests.benchmarks.apps), one line per signal, in every process.
"""

from __future__ import annotations

import django

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, RECUR

_backport = ["django_tasks"] if django.VERSION < (6, 0) else []
INSTALLED_APPS = [
    *INSTALLED_APPS,
    *_backport,
    "django_tasks_db",
    "tests.benchmarks.apps.BenchmarkConfig",
]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RECUR = {**RECUR, "WEBHOOK_PROCESSING": "task"}
