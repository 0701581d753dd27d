"""The service layer against the emulator: writes go to Recur first, then the mirror."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from recur_django import payment_links as service
from recur_django.client.errors import NotFoundError, RecurError
from recur_django.client_factory import get_client
from recur_django.models import PaymentLink
from tests.payment_links.conftest import recur_down, seed_links


def test_create_stores_what_recur_returns(recur_emulator: Any) -> None:
    link = service.create_payment_link(
        product_id="prod_ebook",
        promotion_code="SPRING",
        collect_payment_method="if_required",
        success_url="https://shop.example/thanks",
        max_completions=25,
        metadata={"campaign": "spring"},
    )
    remote = recur_emulator.client.payment_links.retrieve(link.recur_id)
    link.refresh_from_db()
    assert link.url == remote.url and link.url
    assert link.url_id == remote.url_id
    assert link.product_id == "prod_ebook"
    assert link.product_name == "Django billing e-book"
    assert link.product_price == 590 and link.product_currency == "TWD"
    assert link.display_price == "NT$590"
    assert link.promotion_code == "SPRING"
    assert link.collect_payment_method == "if_required"
    assert link.success_url == "https://shop.example/thanks"
    assert link.max_completions == 25
    assert link.metadata == {"campaign": "spring"}
    assert link.active is True
    assert link.created_at is not None and link.synced_at is not None
    assert link.completions_display == "0 / 25"


def test_create_failure_stores_nothing(recur_emulator: Any) -> None:
    with pytest.raises(RecurError):
        service.create_payment_link(product_id="prod_does_not_exist")
    assert not PaymentLink.objects.exists()


def test_update_sends_only_changes_and_null_clears(recur_emulator: Any) -> None:
    link = service.create_payment_link(
        product_id="prod_ebook", promotion_code="SPRING", max_completions=5
    )
    client = get_client()
    with mock.patch.object(
        client.payment_links, "update", wraps=client.payment_links.update
    ) as spy:
        link = service.update_payment_link(link, promotion_code="", max_completions=9)
    spy.assert_called_once_with(link.recur_id, promotion_code=None, max_completions=9)
    remote = recur_emulator.client.payment_links.retrieve(link.recur_id)
    assert remote.promotion_code is None and remote.max_completions == 9
    assert link.promotion_code == "" and link.max_completions == 9


def test_update_rejects_fields_recur_does_not_update(recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    with pytest.raises(TypeError):
        service.update_payment_link(link, product_id="prod_pro_monthly")


def test_deactivate_and_activate(recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    service.deactivate_payment_link(link)
    assert recur_emulator.client.payment_links.retrieve(link.recur_id).active is False
    link.refresh_from_db()
    assert link.active is False
    service.activate_payment_link(link)
    assert recur_emulator.client.payment_links.retrieve(link.recur_id).active is True
    link.refresh_from_db()
    assert link.active is True


def test_deactivate_unknown_link_marks_it_missing(recur_emulator: Any) -> None:
    link = PaymentLink.objects.create(recur_id="pl_gone", product_id="prod_ebook")
    with pytest.raises(NotFoundError):
        service.deactivate_payment_link(link)
    link.refresh_from_db()
    assert link.missing_from_recur is True and link.active is False


def test_sync_creates_updates_and_marks_missing(recur_emulator: Any) -> None:
    ids = seed_links(recur_emulator, 3)
    stale = PaymentLink.objects.create(recur_id="pl_stale", product_id="prod_ebook")
    result = service.sync_payment_links()
    assert (result.seen, result.created, result.missing) == (3, 3, 1)
    assert set(
        PaymentLink.objects.filter(missing_from_recur=False).values_list("recur_id", flat=True)
    ) == set(ids)
    stale.refresh_from_db()
    assert stale.missing_from_recur is True

    recur_emulator.client.payment_links.update(ids[0], promotion_code="AUTUMN")
    result = service.sync_payment_links()
    assert (result.created, result.updated, result.unchanged, result.missing) == (0, 1, 2, 0)
    assert PaymentLink.objects.get(recur_id=ids[0]).promotion_code == "AUTUMN"


def test_sync_reports_progress_per_page(recur_emulator: Any) -> None:
    seed_links(recur_emulator, 3)
    calls: list[tuple[int, int]] = []
    with mock.patch.object(service, "SYNC_PAGE_SIZE", 2):
        service.sync_payment_links(progress=lambda pages, seen: calls.append((pages, seen)))
    assert calls == [(1, 2), (2, 3)]


def test_interrupted_sync_keeps_pages_and_marks_nothing_missing(recur_emulator: Any) -> None:
    seed_links(recur_emulator, 3)
    stale = PaymentLink.objects.create(recur_id="pl_stale", product_id="prod_ebook")
    real_list = get_client().payment_links.list
    pages: list[Any] = []

    def flaky_list(**kwargs: Any) -> Any:
        if pages:
            raise RecurError("Recur is down", status=503, code="internal_error")
        pages.append(1)
        return real_list(**kwargs)

    with (
        mock.patch.object(service, "SYNC_PAGE_SIZE", 2),
        mock.patch.object(get_client().payment_links, "list", side_effect=flaky_list),
        pytest.raises(RecurError),
    ):
        service.sync_payment_links()
    assert PaymentLink.objects.filter(missing_from_recur=False).count() == 3  # 2 synced + stale
    stale.refresh_from_db()
    assert stale.missing_from_recur is False


def test_sync_when_recur_is_down_raises_and_writes_nothing(recur_emulator: Any) -> None:
    seed_links(recur_emulator, 2)
    with recur_down(recur_emulator, "GET", "/v1/payment-links"), pytest.raises(RecurError):
        service.sync_payment_links()
    assert not PaymentLink.objects.exists()
