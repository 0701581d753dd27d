from __future__ import annotations

import os

import pytest


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a signed event and run the on-commit callbacks (signals) it queued."""
    from tests.recur_helpers import post_event

    def _deliver(event, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_event(client, event, **kwargs)

    return _deliver


# On PostgreSQL every test here (and in tests/ledger) runs twice: with the single-statement
# fast path off (the full path) and on, which must give the same answers, rows and signals.
FAST_PATH_MODES = [False, True] if os.environ.get("RECUR_TEST_DB") == "postgres" else [False]


def pytest_generate_tests(metafunc):
    # A module that sets CHOOSES_PATH = True picks the path in each test itself; the task
    # worker scenarios (task_worker_scenarios.py, run and counted by a subprocess) run once:
    # task mode never takes the fast path.
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    chooses = getattr(metafunc.module, "CHOOSES_PATH", False) or module.startswith("task")
    if "webhook_fast_path" in metafunc.fixturenames and not chooses:
        ids = ["fast" if on else "full" for on in FAST_PATH_MODES]
        metafunc.parametrize("webhook_fast_path", FAST_PATH_MODES, indirect=True, ids=ids)


@pytest.fixture(autouse=True)
def webhook_fast_path(request, settings):
    """``RECUR["WEBHOOK_FAST_PATH"]`` for this test (False in unittest-style tests)."""
    on = getattr(request, "param", False)
    settings.RECUR = {**settings.RECUR, "WEBHOOK_FAST_PATH": on}
    return on
