from __future__ import annotations

import pytest


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a signed event and run the on-commit callbacks (signals) it queued."""
    from tests.recur_helpers import post_event

    def _deliver(event, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_event(client, event, **kwargs)

    return _deliver
