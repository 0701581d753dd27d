from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from recur_django.models import Customer, Transaction


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    user = get_user_model().objects.create_user("alice", "alice@example.com", "pw")
    Customer.objects.create(owner=user, recur_id="cus_alice", email="alice@example.com")
    return user


@pytest.fixture
def bob(db):
    user = get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    Customer.objects.create(owner=user, recur_id="cus_bob", email="bob@example.com")
    return user


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


class FakeCheckout:
    """Stands in for recur_django.checkout.start_checkout; records its calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None

    def start_checkout(self, owner, product, **kwargs):
        self.calls.append({"owner": owner, "product": product, **kwargs})
        if self.error is not None:
            raise self.error
        return Transaction.objects.create(
            owner=owner,
            user=kwargs.get("user"),
            product_id="prod_pro_monthly",
            product_slug=product,
            mode=kwargs.get("mode") or "SUBSCRIPTION",
            amount=299,
            checkout_session_id=f"cs_test_{len(self.calls)}",
            checkout_url="https://checkout.recur.tw/cs_test",
        )


@pytest.fixture
def fake_checkout(monkeypatch):
    fake = FakeCheckout()
    try:
        import recur_django.checkout as module
    except ImportError:
        module = types.ModuleType("recur_django.checkout")
        monkeypatch.setitem(sys.modules, "recur_django.checkout", module)
    monkeypatch.setattr(module, "start_checkout", fake.start_checkout, raising=False)
    return fake
