"""The suite runs on the database it was asked for (make test runs it on both)."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_runs_on_the_requested_database() -> None:
    wanted = "postgresql" if os.environ.get("RECUR_TEST_DB") == "postgres" else "sqlite"
    assert connection.vendor == wanted
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
