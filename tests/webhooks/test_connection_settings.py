"""The connection settings docs/deploying.md recommends work with the webhook endpoint.

PostgreSQL only: persistent connections (``CONN_MAX_AGE``), Django's connection pool
(``OPTIONS["pool"]``, needs ``psycopg_pool``) and server-side binding with prepared
statements (``OPTIONS["server_side_binding"]`` + ``prepare_threshold``). Each test opens a
connection with the settings, delivers fast-path and full-path events through the real
view, and checks the outcome and the setting's effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from recur_django.customers import external_id_for
from recur_django.models import Transaction
from tests.recur_helpers import completed_data, envelope, make_transaction, post_event

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL settings"),
    pytest.mark.django_db(transaction=True),
]


CHOOSES_PATH = True  # the fast path, as shipped


@pytest.fixture(autouse=True)
def webhook_fast_path(settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_FAST_PATH": True}
    return True


@contextmanager
def database_settings(**changes: Any) -> Iterator[None]:
    """Reconnect ``default`` with ``changes`` to its settings; restore them afterwards."""
    saved = {key: connection.settings_dict.get(key) for key in changes}
    connection.close()
    connection.settings_dict.update(changes)
    try:
        yield
    finally:
        connection.close()
        if "pool" in (changes.get("OPTIONS") or {}):
            connection.close_pool()
        connection.settings_dict.update(saved)


def _deliver(django_user_model, n: int) -> list[str]:
    client, answers = Client(), []
    for i in range(n):
        user = django_user_model.objects.create_user(f"conn{i}", f"conn{i}@example.com", "pw")
        txn = make_transaction(user)
        data = completed_data(txn, external_customer_id=external_id_for(user))
        answers.append(post_event(client, envelope("checkout.completed", data)).json()["status"])
    return answers


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_persistent_connection_is_reused(django_user_model):
    with database_settings(CONN_MAX_AGE=60):
        pid = _backend_pid()
        assert _deliver(django_user_model, 3) == ["processed"] * 3
        assert _backend_pid() == pid
    assert Transaction.objects.filter(status="completed").count() == 3


def test_server_side_binding_prepares_the_fast_statement(django_user_model):
    options = {"server_side_binding": True, "prepare_threshold": 1}
    with database_settings(CONN_MAX_AGE=60, OPTIONS=options):
        assert _deliver(django_user_model, 3) == ["processed"] * 3
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
    assert any("txn AS ( UPDATE" in statement for statement in prepared), prepared


def test_connection_pool(django_user_model):
    pytest.importorskip("psycopg_pool")
    options = {"pool": {"min_size": 1, "max_size": 2}}
    with database_settings(CONN_MAX_AGE=0, OPTIONS=options):
        assert connection.pool is not None
        assert _deliver(django_user_model, 3) == ["processed"] * 3
    assert Transaction.objects.filter(status="completed").count() == 3
