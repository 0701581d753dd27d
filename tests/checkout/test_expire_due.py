"""``checkout.expire_due``: the service behind ``recur_expire``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recur_django import signals
from recur_django.checkout import EXPIRED_REASON, due_for_expiry, expire_due
from recur_django.models import Transaction
from tests.recur_helpers import SignalRecorder, make_transaction

pytestmark = pytest.mark.django_db


def test_expire_due_expires_only_pending_rows_past_now(user, django_capture_on_commit_callbacks):
    now = timezone.now()
    overdue = make_transaction(user, expires_at=now - timedelta(minutes=1))
    later = make_transaction(user, expires_at=now + timedelta(hours=1))
    done = make_transaction(
        user, expires_at=now - timedelta(hours=1), status=Transaction.Status.COMPLETED
    )
    assert list(due_for_expiry(now)) == [overdue]
    with (
        SignalRecorder(signals.transaction_failed) as failed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert expire_due(now) == 1
    for txn in (overdue, later, done):
        txn.refresh_from_db()
    assert overdue.status == Transaction.Status.EXPIRED
    assert overdue.failure_reason == EXPIRED_REASON
    assert later.status == Transaction.Status.PENDING
    assert done.status == Transaction.Status.COMPLETED
    assert [(c["transaction"].pk, c["source"]) for c in failed.calls] == [(overdue.pk, "expire")]
    # Later on the billing clock, the other one is due too; a second run finds nothing.
    assert expire_due(now + timedelta(hours=2)) == 1
    assert expire_due(now + timedelta(hours=2)) == 0


def test_expire_due_works_in_batches(user, monkeypatch):
    from recur_django.checkout import fulfilment

    monkeypatch.setattr(fulfilment, "EXPIRE_BATCH", 2)
    past = timezone.now() - timedelta(minutes=1)
    for _ in range(5):
        make_transaction(user, expires_at=past)
    assert expire_due() == 5
    assert not Transaction.objects.filter(status=Transaction.Status.PENDING).exists()
