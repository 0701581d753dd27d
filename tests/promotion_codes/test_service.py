"""The promotion-code service against the emulator: Recur first, then the mirror."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from recur_django import promotion_codes as service
from recur_django.client.errors import InvalidRequestError, NotFoundError, RecurError
from recur_django.client_factory import get_client
from recur_django.models import PromotionCode
from tests.payment_links.conftest import recur_down


def test_create_stores_what_recur_returns(recur_emulator: Any, coupon: str) -> None:
    until = datetime(2099, 12, 31, tzinfo=UTC)
    promo = service.create_promotion_code(
        coupon_id=coupon,
        code="SPRING20",
        valid_until=until,
        max_redemptions=100,
        minimum_amount=300,
        customer_eligibility="NEW_CUSTOMERS",
        metadata={"campaign": "spring"},
    )
    promo.refresh_from_db()
    remote = recur_emulator.client.promotion_codes.retrieve(promo.recur_id)
    assert promo.recur_id == remote.id and promo.recur_id.startswith("promo_")
    assert (promo.code, promo.coupon_id, promo.valid_until) == ("SPRING20", coupon, until)
    assert (promo.max_redemptions, promo.max_redemptions_per_customer) == (100, 1)
    assert (promo.minimum_amount, promo.customer_eligibility) == (300, "NEW_CUSTOMERS")
    assert promo.metadata == {"campaign": "spring"} and promo.active
    assert promo.discount_display == "20% off, once"
    assert promo.redemptions_display == "0 / 100"
    assert promo.created_at is not None and promo.synced_at is not None


def test_refusals_store_nothing(recur_emulator: Any, coupon: str) -> None:
    with pytest.raises(InvalidRequestError):
        service.create_promotion_code(coupon_id=coupon, code="bad code")
    with pytest.raises(NotFoundError):
        service.create_promotion_code(coupon_id="cpn_missing", code="SPRING")
    service.create_promotion_code(coupon_id=coupon, code="SPRING")
    with pytest.raises(RecurError, match="already exists"):
        service.create_promotion_code(coupon_id=coupon, code="SPRING")
    assert PromotionCode.objects.count() == 1


def test_update_sends_only_changes(recur_emulator: Any, coupon: str) -> None:
    promo = service.create_promotion_code(coupon_id=coupon, code="SPRING", metadata={"a": "1"})
    client = get_client()
    with mock.patch.object(
        client.promotion_codes, "update", wraps=client.promotion_codes.update
    ) as spy:
        same = service.update_promotion_code(promo)
        promo = service.update_promotion_code(promo, metadata={})
    assert same is not None
    spy.assert_called_once_with(promo.recur_id, metadata=None)
    assert promo.metadata == {}
    with pytest.raises(TypeError):
        service.update_promotion_code(promo, code="OTHER")


def test_deactivate_activate_and_a_code_recur_lost(recur_emulator: Any, coupon: str) -> None:
    promo = service.create_promotion_code(coupon_id=coupon, code="SPRING")
    promo = service.deactivate_promotion_code(promo)
    assert not promo.active
    assert recur_emulator.client.promotion_codes.retrieve(promo.recur_id).active is False
    promo = service.activate_promotion_code(promo)
    assert promo.active
    ghost = PromotionCode.objects.create(recur_id="promo_ghost", code="GHOST", coupon_id=coupon)
    with pytest.raises(NotFoundError):
        service.deactivate_promotion_code(ghost)
    ghost.refresh_from_db()
    assert ghost.missing_from_recur and not ghost.active


def test_recur_accepted_but_storing_failed(recur_emulator: Any, coupon: str) -> None:
    with (
        mock.patch.object(service, "upsert_promotion_code", side_effect=DatabaseError("disk full")),
        pytest.raises(service.PromotionCodeNotStored) as caught,
    ):
        service.create_promotion_code(coupon_id=coupon, code="SPRING")
    assert not PromotionCode.objects.exists()
    repaired = service.refresh_promotion_code(caught.value.recur_id)
    assert repaired.code == "SPRING"


def test_sync_mirrors_every_code_and_flags_missing_ones(recur_emulator: Any, coupon: str) -> None:
    api = recur_emulator.client.promotion_codes
    codes = [api.create(coupon_id=coupon, code=f"CODE{n}") for n in range(5)]
    api.deactivate(codes[0].id)
    PromotionCode.objects.create(recur_id="promo_gone", code="GONE", coupon_id=coupon)
    with mock.patch.object(service, "SYNC_PAGE_SIZE", 2):
        result = service.sync_promotion_codes()
    assert (result.pages, result.seen, result.created, result.missing) == (3, 5, 5, 1)
    assert str(result).startswith("5 codes in 3 pages")
    assert PromotionCode.objects.get(recur_id=codes[0].id).active is False
    assert PromotionCode.objects.get(recur_id="promo_gone").missing_from_recur
    again = service.sync_promotion_codes()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_sync_command(recur_emulator: Any, coupon: str) -> None:
    recur_emulator.client.promotion_codes.create(coupon_id=coupon, code="SPRING")
    out = StringIO()
    call_command("recur_sync_promotion_codes", verbosity=2, stdout=out)
    assert "1 codes in 1 pages: 1 created" in out.getvalue()
    with (
        recur_down(recur_emulator, "GET", "/v1/promotion-codes"),
        pytest.raises(CommandError, match="sync stopped"),
    ):
        call_command("recur_sync_promotion_codes", stdout=StringIO())


def test_choices_offer_the_active_codes(recur_emulator: Any, coupon: str) -> None:
    service.create_promotion_code(coupon_id=coupon, code="SPRING")
    off = service.create_promotion_code(coupon_id=coupon, code="OLD")
    service.deactivate_promotion_code(off)
    assert service.choices() == [("SPRING", "SPRING — 20% off, once")]
