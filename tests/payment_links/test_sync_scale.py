"""Syncing many links: database work grows with pages, not with links."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from recur_django import payment_links as service
from recur_django.client_factory import get_client
from recur_django.models import PaymentLink
from tests.payment_links.conftest import seed_links


def _sync_counting() -> tuple[service.SyncResult, int, int]:
    """Run a sync; return its result, SQL queries on the payment-link table and API list calls.

    Only statements on ``recur_django_paymentlink`` are counted: with in-memory SQLite the
    emulator's server thread shares the test's connection, so its own queries are captured too.
    """
    client = get_client()
    with (
        mock.patch.object(client.payment_links, "list", wraps=client.payment_links.list) as spy,
        CaptureQueriesContext(connection) as queries,
    ):
        result = service.sync_payment_links()
    ours = [q for q in queries.captured_queries if "recur_django_paymentlink" in q["sql"]]
    return result, len(ours), spy.call_count


def test_sync_1050_links_in_11_pages_with_queries_per_page(recur_emulator: Any) -> None:
    seed_links(recur_emulator, 105)
    small, small_queries, small_calls = _sync_counting()
    assert (small.seen, small.pages, small_calls) == (105, 2, 2)
    PaymentLink.objects.all().delete()

    seed_links(recur_emulator, 945)
    big, big_queries, big_calls = _sync_counting()
    assert (big.seen, big.pages, big.created, big_calls) == (1050, 11, 1050, 11)
    assert PaymentLink.objects.count() == 1050

    # Ten times the links but five and a half times the pages: queries follow pages.
    assert big_queries / small_queries < 7, (small_queries, big_queries)
    assert big_queries <= 4 * big.pages + 3, big_queries


def test_resync_of_unchanged_links_is_cheap(recur_emulator: Any) -> None:
    seed_links(recur_emulator, 150)
    service.sync_payment_links()
    result, queries, calls = _sync_counting()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 150)
    assert calls == 2
    assert 0 < queries <= 2 * 3 + 2, queries
