from __future__ import annotations

import pytest

from recur_django import signals
from tests.recur_helpers import SignalRecorder
from tests.webhooks.conftest import (  # noqa: F401 (every test on the full and fast path)
    pytest_generate_tests,
    webhook_fast_path,
)

LEDGER_SIGNALS = (
    "payment_succeeded",
    "payment_failed",
    "payment_refunded",
    "subscription_renewed",
    "trial_will_end",
    "transaction_completed",
)


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a signed event and run the on-commit callbacks (signals) it queued."""
    from tests.recur_helpers import post_event

    def _deliver(event, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_event(client, event, **kwargs)
        assert response.status_code == 200, response.content
        return response

    return _deliver


@pytest.fixture
def sent():
    """Every ledger signal's sends, by name: ``sent["payment_succeeded"]`` is a list."""
    recorders = {name: SignalRecorder(getattr(signals, name)) for name in LEDGER_SIGNALS}
    for recorder in recorders.values():
        recorder.__enter__()
    yield {name: recorder.calls for name, recorder in recorders.items()}
    for recorder in recorders.values():
        recorder.__exit__()
