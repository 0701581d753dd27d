"""Shared fixtures. The emulator fixtures live in recur_django.emulator.pytest_plugin."""

from __future__ import annotations

import pytest
from django.db import connection

pytest_plugins = ["recur_django.emulator.pytest_plugin"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (RECUR_TEST_DB=postgres)")
    for item in items:
        if "postgres_only" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"
