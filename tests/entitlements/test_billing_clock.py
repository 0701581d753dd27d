"""The site follows the emulator's clock: RECUR["CLOCK"] drives billing "now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from recur_django import clock
from recur_django.checkout import start_checkout
from recur_django.entitlements import entitlements_for, has_entitlement
from recur_django.models import Customer, Subscription, Transaction

FIXED = datetime(2030, 1, 1, tzinfo=UTC)


def fixed_now() -> datetime:
    return FIXED


def test_the_default_clock_is_real_time(settings):
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()


def test_a_dotted_path_or_a_callable(settings):
    settings.RECUR = {**settings.RECUR, "CLOCK": f"{__name__}.fixed_now"}
    assert clock.now() == FIXED
    settings.RECUR = {**settings.RECUR, "CLOCK": fixed_now}
    assert clock.now() == FIXED


def test_an_unimportable_clock_says_which_setting(settings):
    settings.RECUR = {**settings.RECUR, "CLOCK": "nowhere.now"}
    with pytest.raises(ImproperlyConfigured, match=r"RECUR\['CLOCK'\]"):
        clock.now()


def test_the_emulator_fixture_makes_the_site_follow_its_clock(recur_emulator):
    before = clock.now()
    recur_emulator.advance(days=10)
    assert clock.now() - before >= timedelta(days=10)


def test_advancing_past_a_session_expiry_lets_recur_expire_expire_it(recur_emulator, user):
    txn = start_checkout(
        user, "ebook", success_url="https://shop.example/ok", cancel_url="https://shop.example/"
    )
    assert txn.status == Transaction.Status.PENDING and txn.expires_at is not None
    call_command("recur_expire")
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING  # not yet

    recur_emulator.advance(days=2)
    call_command("recur_expire")
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.EXPIRED
    assert txn.updated_at <= timezone.now()  # audit timestamps stay on real time


def test_advancing_past_a_period_end_ends_the_entitlement(recur_emulator, user):
    customer = Customer.objects.create(owner=user, recur_id="cus_clock", email=user.email)
    Subscription.objects.create(
        recur_id="sub_clock",
        customer=customer,
        product_id="prod_pro_monthly",
        product_slug="pro-monthly",
        status="ACTIVE",
        current_period_end=timezone.now() + timedelta(days=10),
        cancel_at_period_end=True,
    )
    assert has_entitlement(user, "pro-monthly")
    assert entitlements_for(user)

    recur_emulator.advance(days=11)
    assert not has_entitlement(user, "pro-monthly")
    assert entitlements_for(user) == []
