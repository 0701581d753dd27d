from __future__ import annotations

import pytest


@pytest.fixture
def emulated_session(recur_emulator):
    """The emulator's stored checkout session by id."""
    from recur_django.emulator.models import CheckoutSession

    return lambda session_id: CheckoutSession.objects.get(id=session_id)
