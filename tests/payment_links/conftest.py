"""Fixtures for payment link tests: an admin session on top of the emulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import requests
import responses

from recur_django.admin import product_choices


@pytest.fixture(autouse=True)
def _fresh_product_cache() -> Iterator[None]:
    product_choices.clear_cache()
    yield
    product_choices.clear_cache()


@pytest.fixture
def staff(recur_emulator: Any, admin_client: Any) -> Any:
    """A logged-in superuser's test client; the emulator serves the Recur API."""
    return admin_client


def seed_links(emulator: Any, count: int, product_id: str = "prod_ebook") -> list[str]:
    """Create ``count`` links directly in the emulator's database (fast); returns their ids.

    Newest first, as the emulator lists them.
    """
    from recur_django.emulator import clock
    from recur_django.emulator.ids import new_id, short_code
    from recur_django.emulator.models import PaymentLink as EmulatorLink
    from recur_django.emulator.services import catalog

    product = catalog.find_product(product_id)
    assert product is not None, product_id
    now = clock.now()
    links = [
        EmulatorLink(
            id=new_id("plink"),
            url_id=short_code(15),
            product=product,
            created_at=now - timedelta(milliseconds=n),
            metadata={"n": str(n)},
        )
        for n in range(count)
    ]
    EmulatorLink.objects.bulk_create(links, batch_size=500)
    return [link.id for link in links]


@contextmanager
def recur_down(emulator: Any, method: str, path: str) -> Iterator[responses.RequestsMock]:
    """Make ``method path`` on the emulator fail to connect; other calls go through."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r".*"))
        mock.add(
            method,
            re.compile(re.escape(emulator.base_url) + path),
            body=requests.ConnectionError("connection refused"),
        )
        yield mock
