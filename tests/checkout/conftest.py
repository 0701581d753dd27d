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
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("bob", "bob@example.com", "pw")


@pytest.fixture
def fake_client(monkeypatch):
    """A stand-in client for the service layer (HTTP behaviour is tested on the emulator)."""
    from recur_django import checkout, client_factory
    from tests.recur_helpers import PRODUCTS, FakeClient

    fake = FakeClient(PRODUCTS)
    monkeypatch.setattr(checkout, "get_client", lambda: fake)
    monkeypatch.setattr(client_factory, "get_client", lambda: fake)
    return fake
