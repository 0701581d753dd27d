"""``subscriptions.sync_from_recur`` (behind ``recur_sync_subscriptions``), over real HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from recur_django.customers import external_id_for
from recur_django.management.commands import recur_sync_subscriptions
from recur_django.models import Subscription
from recur_django.subscriptions import SyncInterrupted, sync_from_recur
from tests.portal.test_portal_emulator import buy, users  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_sync_from_recur_counts_filters_and_reports_progress(recur_emulator, users):  # noqa: F811
    alice, bob = users
    alice_customer = buy(recur_emulator, alice)
    buy(recur_emulator, bob)
    buy(recur_emulator, alice, "prod_pro_yearly")
    seen: list[int] = []
    result = sync_from_recur(page_size=2, progress=seen.append, progress_every=2)
    assert (result.seen, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert seen == [2]
    stored = Subscription.objects.filter(customer__recur_id=alice_customer)
    assert stored.count() == 2
    assert {s.customer.email for s in stored} == {"alice@example.com"}
    again = sync_from_recur(external_id=external_id_for(bob))
    assert (again.seen, again.unchanged) == (1, 1)
    assert sync_from_recur(product="pro-yearly").seen == 1


def test_sync_command_prints_a_progress_line(recur_emulator, users, monkeypatch):  # noqa: F811
    alice, bob = users
    buy(recur_emulator, alice)
    buy(recur_emulator, bob)
    monkeypatch.setattr(recur_sync_subscriptions, "PROGRESS_EVERY", 1)
    out = StringIO()
    call_command("recur_sync_subscriptions", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["… 1 subscriptions", "… 2 subscriptions"]
    assert lines[2].startswith("Synced 2 subscriptions")


def test_sync_from_recur_keeps_what_it_synced_when_recur_fails(recur_emulator):
    recur_emulator.fault("500", count=10)
    with pytest.raises(SyncInterrupted) as caught:
        sync_from_recur()
    assert caught.value.result.seen == 0


def test_sync_from_recur_refuses_a_bad_page_size():
    with pytest.raises(ValueError, match="page_size"):
        sync_from_recur(page_size=0)


def test_a_listing_naming_another_customer_moves_nothing(recur_emulator, users, caplog):  # noqa: F811
    """A subscription's customer, once known, changes only through our own checkout: a
    listing that names another customer is skipped (and logged), the rest is synced."""
    from recur_django.emulator.models import Subscription as Emulated
    from recur_django.models import Customer

    alice, bob = users
    buy(recur_emulator, alice)
    buy(recur_emulator, bob)
    sync_from_recur()
    alices = Emulated.objects.get(customer__email="alice@example.com")
    mirrored = Subscription.objects.get(recur_id=alices.id)
    someone = Customer.objects.create(recur_id="cus_someone_else")
    Subscription.objects.filter(pk=mirrored.pk).update(customer=someone, status="PAST_DUE")
    result = sync_from_recur()
    assert (result.seen, result.skipped) == (2, 1)
    mirrored.refresh_from_db()
    assert (mirrored.customer, mirrored.status) == (someone, "PAST_DUE")
    assert "cus_someone_else" in caplog.text
