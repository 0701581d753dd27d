"""Renewals, dunning and recovery, as a receiving endpoint sees them over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recur_django.emulator import clock
from recur_django.emulator.models import Invoice, Order, Subscription

from .billing_helpers import advance_to, delivered, of_type, types_of
from .test_portal_and_lists import subscribe


def test_twelve_months_make_twelve_renewals_in_order(recur_emulator, api, capture):
    done = subscribe(recur_emulator, api)
    delivered(recur_emulator, capture)
    sub = Subscription.objects.get()
    year_later = clock.add_interval(sub.started_at, "month", 12)

    advance_to(recur_emulator, year_later)

    events = delivered(recur_emulator, capture)
    renewed = of_type(events, "subscription.renewed")
    invoices = of_type(events, "invoice.paid")
    orders = of_type(events, "order.paid")
    assert len(renewed) == len(invoices) == len(orders) == 12
    assert types_of(events)[:4] == [
        "invoice.created",
        "order.paid",
        "invoice.paid",
        "subscription.renewed",
    ]
    assert len({i["id"] for i in invoices}) == 12
    assert len({o["id"] for o in orders}) == 12
    assert all(i["id"].startswith("in_") for i in invoices)
    assert all(o["id"].startswith("ord_") for o in orders)
    for invoice, order in zip(invoices, orders, strict=True):
        assert invoice["order_id"] == order["id"] and order["invoice_id"] == invoice["id"]
        assert (invoice["amount"], invoice["currency"], invoice["status"]) == (299, "TWD", "PAID")
        assert order["billing_reason"] == invoice["billing_reason"] == "subscription_cycle"
        assert order["subscription_id"] == invoice["subscription_id"] == sub.id
        assert order["customer_id"] == done["customer_id"]
        assert order["product_id"] == "prod_pro_monthly"
        assert order["paid_at"] and order["metadata"] == {} and order["checkout_session_id"] is None
    # Each renewal happens at its period end: ordered timestamps and periods, no drift.
    stamps = [e["timestamp"] for e in events if e["type"] == "subscription.renewed"]
    assert stamps == sorted(stamps) and len(set(stamps)) == 12
    ends = [r["current_period_end"] for r in renewed]
    assert ends == sorted(ends) and len(set(ends)) == 12
    assert renewed[-1]["current_period_start"] == clock.iso(year_later)
    sub.refresh_from_db()
    assert sub.status == "ACTIVE" and sub.current_period_start == year_later
    assert Order.objects.filter(kind="RENEWAL", status="PAID").count() == 12


def test_declined_renewal_retries_daily_then_expires(recur_emulator, api, capture):
    subscribe(recur_emulator, api)
    recur_emulator.fail_card("amy@example.com")
    delivered(recur_emulator, capture)
    period_end = Subscription.objects.get().current_period_end

    advance_to(recur_emulator, period_end)
    events = delivered(recur_emulator, capture)
    assert types_of(events) == [
        "invoice.created",
        "order.payment_failed",
        "invoice.payment_failed",
        "subscription.past_due",
    ]
    failed = of_type(events, "invoice.payment_failed")[0]
    assert failed["attempt_count"] == 1 and failed["status"] == "OPEN"
    assert failed["next_payment_attempt"] == clock.iso(period_end + timedelta(days=1))
    assert failed["failure_reason"] and failed["billing_reason"] == "subscription_cycle"
    order = of_type(events, "order.payment_failed")[0]
    assert order["status"] == "FAILED" and order["failure_reason"] and order["paid_at"] is None
    assert order["invoice_id"] == failed["id"]

    advance_to(recur_emulator, period_end + timedelta(days=2))
    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["order.payment_failed", "invoice.payment_failed"] * 2
    assert [i["attempt_count"] for i in of_type(events, "invoice.payment_failed")] == [2, 3]
    assert Subscription.objects.get().status == "PAST_DUE"

    advance_to(recur_emulator, period_end + timedelta(days=3))
    events = delivered(recur_emulator, capture)
    assert types_of(events) == [
        "order.payment_failed",
        "invoice.payment_failed",
        "subscription.expired",
    ]
    # Receivers order by timestamp: the expiry must sort after the failure that caused it.
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    last = of_type(events, "invoice.payment_failed")[0]
    assert last["id"] == failed["id"] and last["next_payment_attempt"] is None
    assert of_type(events, "subscription.expired")[0]["status"] == "EXPIRED"
    assert Invoice.objects.get().status == "UNCOLLECTIBLE"
    assert Order.objects.filter(invoice__isnull=False, status="FAILED").count() == 4

    recur_emulator.advance(days=60)
    assert delivered(recur_emulator, capture) == []


def test_retry_after_the_card_is_fixed_renews(recur_emulator, api, capture):
    subscribe(recur_emulator, api)
    recur_emulator.fail_card("amy@example.com")
    period_end = Subscription.objects.get().current_period_end
    advance_to(recur_emulator, period_end)
    delivered(recur_emulator, capture)
    recur_emulator.fail_card("amy@example.com", fails=False)

    advance_to(recur_emulator, period_end + timedelta(days=1))

    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["order.paid", "invoice.paid", "subscription.renewed"]
    invoice = of_type(events, "invoice.paid")[0]
    assert invoice["attempt_count"] == 2 and invoice["status"] == "PAID"
    assert invoice["period_start"] == clock.iso(period_end)
    renewed = of_type(events, "subscription.renewed")[0]
    assert renewed["status"] == "ACTIVE"
    assert renewed["current_period_start"] == clock.iso(period_end)
    sub = Subscription.objects.get()
    assert sub.status == "ACTIVE" and sub.past_due_since is None
    assert Invoice.objects.get().orders.count() == 2


def test_monthly_periods_keep_their_day_of_month():
    anchor = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
    feb = clock.add_interval(anchor, "month", 1, anchor)
    mar = clock.add_interval(feb, "month", 1, anchor)
    assert (feb.month, feb.day, mar.month, mar.day) == (2, 28, 3, 31)
    assert clock.add_interval(feb, "month", 1).day == 28  # without an anchor it drifts
