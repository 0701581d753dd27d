"""``recur_trigger`` events write rows whose Recur ids it made up: test data, kept out of the
billing overview (and recognisable anywhere by ``recur_django.triggered``)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from recur_django import billing_overview, triggered
from recur_django.models import Customer, Payment, Refund, Subscription
from tests.recur_helpers import make_transaction

pytestmark = pytest.mark.django_db

EVENTS = [
    "subscription.activated",
    "subscription.canceled",
    "subscription.expired",
    "order.paid",
    "invoice.paid",
    "checkout.completed",
]


def trigger(*args: str) -> str:
    out = StringIO()
    call_command("recur_trigger", *args, "--local", stdout=out)
    return out.getvalue()


def test_every_row_a_trigger_writes_is_recognisable_as_test_data():
    for event_type in EVENTS:
        trigger(event_type)
    rows = [*Customer.objects.all(), *Subscription.objects.all(), *Payment.objects.all()]
    assert Subscription.objects.exists() and Payment.objects.exists()
    assert all(triggered.is_triggered(row.recur_id) for row in rows), [r.recur_id for r in rows]
    for model in (Customer, Subscription, Payment):
        assert not model.objects.exclude(triggered.triggered_q()).exists()


def test_triggered_rows_stay_out_of_the_overview():
    real = Subscription.objects.create(
        recur_id="sub_real", status="ACTIVE", amount=299, raw={"interval": "month"}
    )
    Subscription.objects.filter(pk=real.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=90)
    )
    before = billing_overview.compute()

    for event_type in EVENTS:
        trigger(event_type)
    paid = Payment.objects.filter(status="paid").first()
    assert paid is not None
    Refund.objects.create(recur_id="re_real_on_a_test_payment", payment=paid, amount=10)

    after = billing_overview.compute()
    assert after == before
    assert (after.active, after.mrr, after.ended_this_month) == (1, 299, 0)
    assert after.churn == 0 and after.refunds_count == 0
    assert sum(value for _month, value in after.months) == 0


def test_the_overview_page_does_not_count_them(staff_client):
    for event_type in ("subscription.expired", "order.paid"):
        trigger(event_type)
    page = staff_client.get(reverse("admin:recur_django_billingoverview_changelist"))
    assert page.status_code == 200
    overview = page.context["overview"]
    assert (overview.ended_this_month, overview.refunds_count) == (0, 0)
    assert sum(value for _month, value in overview.months) == 0


def test_with_a_transaction_the_made_up_charge_is_test_data_too(user):
    txn = make_transaction(user, amount=100, product_id="prod_credits_100")
    out = trigger("checkout.completed", "--transaction", txn.public_id)
    assert "processed" in out
    txn.refresh_from_db()
    assert txn.status == "completed"  # what the developer asked for
    payment = Payment.objects.get(transaction=txn)
    assert triggered.is_triggered(payment.recur_id)
    assert sum(value for _month, value in billing_overview.compute().months) == 0


def test_recurs_own_ids_are_not_test_data():
    for recur_id in ("sub_3f9a8c", "cus_abc123", "in_test_1", "cs_test_xyz", "ord_1"):
        assert not triggered.is_triggered(recur_id)
