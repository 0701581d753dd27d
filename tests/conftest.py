"""Shared fixtures. The emulator fixtures live in recur_django.emulator.pytest_plugin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection

pytest_plugins = ["recur_django.emulator.pytest_plugin"]


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    """tests/teams runs alone, under its own settings (tests.teams.settings: teams own
    billing there); every other suite runs under tests.settings (users own billing)."""
    from django.conf import settings

    try:
        parts = collection_path.relative_to(config.rootpath).parts
    except ValueError:
        return None
    if len(parts) < 2 or parts[0] != "tests":
        return None
    teams_run = "tests.teams" in settings.INSTALLED_APPS
    return True if (parts[1] == "teams") != teams_run else None


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


@pytest.fixture(autouse=True)
def _clear_cache():
    """Cached product lists and throttles never leak from one test into the next."""
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
def staff_client(client):
    """The test client logged in as a superuser ("root"), for admin pages."""
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    return client
