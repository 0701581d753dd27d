from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(
        "alice", "alice@example.com", "pw", first_name="Alice", last_name="Lin"
    )


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("bob", "bob@example.com", "pw")


@pytest.fixture
def emulated_session(recur_emulator):
    """The emulator's stored checkout session by id."""
    from recur_django.emulator.models import CheckoutSession

    return lambda session_id: CheckoutSession.objects.get(id=session_id)
