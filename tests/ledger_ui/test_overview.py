"""The billing overview: its numbers on a small known dataset, and a bounded page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from recur_django import billing_overview
from recur_django.billing_overview import monthly_amount
from recur_django.models import Customer, Payment, Refund, Subscription
from tests.settings import RECUR

pytestmark = pytest.mark.django_db

TPE = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 3, 15, 12, tzinfo=TPE)
JAN = datetime(2026, 1, 1, 12, tzinfo=TPE)


def at(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


def sub(recur_id, status, amount, raw=None, created=JAN, **fields):
    row = Subscription.objects.create(
        recur_id=recur_id, status=status, amount=amount, raw=raw or {}, **fields
    )
    at(Subscription, row.pk, created_at=created)
    return row


@pytest.fixture
def known():
    sub("sub_a", "ACTIVE", 299, {"interval": "month", "interval_count": 1})
    sub("sub_b", "ACTIVE", 2990, {"billing_period": "YEARLY"})  # 249.17 a month
    sub("sub_c", "PAST_DUE", 120, {"interval": "week"})  # 520 a month
    sub("sub_d", "TRIALING", 500, {"interval": "month"})  # not revenue yet
    sub("sub_e", "CANCELED", 299, current_period_end=datetime(2026, 3, 5, tzinfo=TPE))
    sub("sub_f", "EXPIRED", 299, current_period_end=datetime(2026, 2, 10, tzinfo=TPE))
    sub("sub_g", "ACTIVE", 100, {"interval": "month"}, created=datetime(2026, 3, 10, tzinfo=TPE))

    march = Payment.objects.create(
        recur_id="in_mar",
        kind="renewal",
        status="partially_refunded",
        amount=299,
        refunded_amount=100,
        paid_at=datetime(2026, 3, 2, tzinfo=TPE),
    )
    Payment.objects.create(
        recur_id="in_jan", kind="checkout", status="paid", amount=2990, paid_at=JAN
    )
    Payment.objects.create(  # older than the 12 months shown
        recur_id="in_old",
        kind="renewal",
        status="paid",
        amount=999,
        paid_at=NOW.replace(year=2025, month=3),
    )
    Payment.objects.create(recur_id="ord_failed", kind="renewal", status="failed", amount=299)
    r1 = Refund.objects.create(recur_id="re_1", payment=march, amount=100, status="succeeded")
    r2 = Refund.objects.create(recur_id="re_2", payment=march, amount=50, status="failed")
    r3 = Refund.objects.create(recur_id="re_3", payment=march, amount=70, status="succeeded")
    at(Refund, r1.pk, created_at=datetime(2026, 3, 3, tzinfo=TPE))
    at(Refund, r2.pk, created_at=datetime(2026, 3, 3, tzinfo=TPE))
    at(Refund, r3.pk, created_at=datetime(2026, 2, 20, tzinfo=TPE))


def test_monthly_normalisation():
    assert monthly_amount(1200, "year", 1) == 100
    assert monthly_amount(120, "week", None) == 520
    assert monthly_amount(300, "month", 3) == 100
    assert monthly_amount(299, None, None) == 299


def test_numbers_on_a_known_dataset(known):
    o = billing_overview.compute(now=NOW)
    assert o.mrr == 1168  # 299 + 2990/12 + 120*52/12 + 100
    assert (o.active, o.trialing, o.past_due) == (3, 1, 1)
    assert (o.ended_this_month, o.live_at_month_start) == (1, 4)
    assert o.churn == 0.25
    assert (o.refunds_count, o.refunds_total) == (1, 100)
    assert o.months[0][0] == date(2025, 4, 1)
    assert len(o.months) == 12 and o.months[-1][0] == date(2026, 3, 1)
    revenue = dict(o.months)
    assert revenue[date(2026, 3, 1)] == 199 and revenue[date(2026, 1, 1)] == 2990
    assert sum(revenue.values()) == 3189


def overview_page(client):
    response = client.get(reverse("admin:recur_django_billingoverview_changelist"))
    assert response.status_code == 200
    return response.content.decode()


def test_page_shows_the_numbers_and_an_svg_chart(staff_client, known):
    with override_settings(RECUR={**RECUR, "CLOCK": lambda: NOW}):
        page = overview_page(staff_client)
    assert "NT$1,168" in page and "25.0%" in page and "1 of 4 ended" in page
    assert "<svg" in page and page.count("<rect") == 12
    assert "2026-01: NT$2,990" in page  # each bar's <title>, readable without JavaScript
    assert "<script" not in page.split('id="content-main"')[1]


def test_page_in_traditional_chinese(staff_client, known):
    staff_client.cookies["django_language"] = "zh-hant"
    page = overview_page(staff_client)
    assert "每月經常性收入" in page


def test_queries_are_bounded_at_a_realistic_row_count(staff_client, django_assert_max_num_queries):
    customer = Customer.objects.create(recur_id="cus_many", email="many@example.com")
    subs = Subscription.objects.bulk_create(
        Subscription(recur_id=f"sub_{i}", customer=customer, status="ACTIVE", amount=299)
        for i in range(500)
    )
    start = timezone.now() - timedelta(days=360)
    Payment.objects.bulk_create(
        Payment(
            recur_id=f"in_{i}",
            kind="renewal",
            status="paid",
            amount=299,
            customer=customer,
            subscription=subs[i % len(subs)],
            paid_at=start + timedelta(minutes=i * 50),
        )
        for i in range(10_000)
    )
    with django_assert_max_num_queries(10):
        page = overview_page(staff_client)
    assert "NT$149,500" in page  # MRR: 500 * 299


def test_refunds_this_month_sum_what_was_applied_not_what_was_asked(staff_client):
    """A NT$5,000 refund on a NT$299 payment refunded NT$299; two refunds of one payment
    count together up to its amount."""
    paid = datetime(2026, 3, 2, tzinfo=TPE)
    small = Payment.objects.create(
        recur_id="in_small", status="refunded", amount=299, refunded_amount=299, paid_at=paid
    )
    other = Payment.objects.create(
        recur_id="in_other", status="refunded", amount=500, refunded_amount=500, paid_at=paid
    )
    for recur_id, payment, amount in (
        ("re_big", small, 5000),
        ("re_a", other, 400),
        ("re_b", other, 400),
    ):
        refund = Refund.objects.create(
            recur_id=recur_id, payment=payment, amount=amount, status="succeeded"
        )
        at(Refund, refund.pk, created_at=datetime(2026, 3, 3, tzinfo=TPE))
    waiting = Refund.objects.create(recur_id="re_waiting", amount=70, status="pending")
    at(Refund, waiting.pk, created_at=datetime(2026, 3, 3, tzinfo=TPE))
    o = billing_overview.compute(now=NOW)
    assert o.refunds_total == 299 + 500
    with override_settings(RECUR={**RECUR, "CLOCK": lambda: NOW}):
        page = overview_page(staff_client)
    assert "NT$799" in page and "NT$5,000" not in page


def test_sums_beyond_64_bits_are_shown_exactly(staff_client):
    """SQLite's SUM stops at 64 bits ("integer overflow", a 500 before): the page computes
    such sums exactly instead."""
    huge = 2**63 - 1
    paid = datetime(2026, 3, 2, tzinfo=TPE)
    for n in range(3):
        payment = Payment.objects.create(
            recur_id=f"in_huge_{n}",
            status="refunded",
            amount=huge,
            refunded_amount=huge // 2,
            paid_at=paid,
        )
        refund = Refund.objects.create(
            recur_id=f"re_huge_{n}", payment=payment, amount=huge, status="succeeded"
        )
        at(Refund, refund.pk, created_at=datetime(2026, 3, 3, tzinfo=TPE))
    o = billing_overview.compute(now=NOW)
    assert o.refunds_total == 3 * huge
    assert dict(o.months)[date(2026, 3, 1)] == 3 * (huge - huge // 2)
    with override_settings(RECUR={**RECUR, "CLOCK": lambda: NOW}):
        page = overview_page(staff_client)
    assert f"NT${3 * huge:,}" in page
