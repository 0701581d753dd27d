"""Task mode with real worker processes on PostgreSQL: runs task_worker_scenarios.py in a
child pytest with ``tests.task_settings`` (see that file for the scenarios: two with real
workers, two on how the endpoint writes an event and its task)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recur_django import tasks

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not tasks.available(), reason="no tasks framework installed"),
]


def _django_tasks_db_installed() -> bool:
    try:
        import django_tasks_db  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _django_tasks_db_installed(), reason="django-tasks-db not installed")
def test_real_workers_apply_every_event_once():
    scenarios = Path(__file__).with_name("task_worker_scenarios.py")
    # Its own database (test_recur_django_tasks): the child must not clobber this run's.
    name = os.environ.get("PGDATABASE", "recur_django")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.task_settings"}
    env["PGDATABASE"] = f"{name}_tasks"
    child = subprocess.run(
        [sys.executable, "-m", "pytest", str(scenarios), "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert "4 passed" in child.stdout, child.stdout[-3000:]
