"""The recur_sync_payment_links management command."""

from __future__ import annotations

from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from recur_django import payment_links as service
from recur_django.models import PaymentLink
from tests.payment_links.conftest import recur_down, seed_links


def test_command_syncs_and_prints_progress(recur_emulator: Any) -> None:
    ids = seed_links(recur_emulator, 5)
    out = StringIO()
    with mock.patch.object(service, "SYNC_PAGE_SIZE", 2):
        call_command("recur_sync_payment_links", verbosity=2, stdout=out)
    text = out.getvalue()
    assert "Synced 2 payment links (1 pages)" in text
    assert "Synced 5 payment links (3 pages)" in text
    assert "5 links in 3 pages: 5 created" in text
    assert set(PaymentLink.objects.values_list("recur_id", flat=True)) == set(ids)


def test_command_fails_cleanly_when_recur_is_down(recur_emulator: Any) -> None:
    with (
        recur_down(recur_emulator, "GET", "/v1/payment-links"),
        pytest.raises(CommandError, match="sync stopped"),
    ):
        call_command("recur_sync_payment_links", stdout=StringIO())
    assert not PaymentLink.objects.exists()
