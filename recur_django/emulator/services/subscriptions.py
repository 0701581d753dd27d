"""Subscription state changes: start, activate, cancel, renew, dun, expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from recur_django.emulator import clock, outbox, representations
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import Customer, Order, Product, Subscription

Status = Subscription.Status


def start(customer: Customer, product: Product) -> Subscription:
    """A PENDING subscription for ``product`` whose first period starts now."""
    now = clock.now()
    interval, count = product.interval or ("month", 1)
    sub = Subscription.objects.create(
        id=new_id("sub"),
        customer=customer,
        product=product,
        status=Status.PENDING,
        amount=product.price,
        currency=product.currency,
        interval=interval,
        interval_count=count,
        current_period_start=now,
        current_period_end=clock.add_interval(now, interval, count),
        started_at=now,
        created_at=now,
        updated_at=now,
    )
    outbox.emit("subscription.created", representations.subscription(sub))
    return sub


def _save(sub: Subscription, event_type: str | None = None) -> None:
    sub.updated_at = clock.now()
    sub.save()
    if event_type:
        outbox.emit(event_type, representations.subscription(sub))


def activate(sub: Subscription) -> None:
    sub.status = Status.ACTIVE
    _save(sub, "subscription.activated")


def cancel(sub: Subscription, at_period_end: bool) -> None:
    """Cancel now (status CANCELED) or at the end of the paid period; emits ``cancelled``."""
    now = clock.now()
    sub.canceled_at = now
    if at_period_end and sub.status in (Status.ACTIVE, Status.TRIAL):
        sub.cancel_at_period_end = True
    else:
        sub.status = Status.CANCELED
        sub.ended_at = now
    _save(sub, "subscription.cancelled")


def _invoice(sub: Subscription, paid: bool, start: datetime, end: datetime) -> Order:
    return Order.objects.create(
        id=new_id("inv"),
        kind=Order.Kind.RENEWAL,
        customer=sub.customer,
        product=sub.product,
        subscription=sub,
        status=Order.Status.PAID if paid else Order.Status.FAILED,
        amount=sub.amount,
        currency=sub.currency,
        failure_code="" if paid else "CARD_DECLINED",
        failure_reason="" if paid else "The card was declined.",
        period_start=start,
        period_end=end,
        created_at=clock.now(),
    )


def _renew(sub: Subscription) -> None:
    start = sub.current_period_end
    end = clock.add_interval(start, sub.interval, sub.interval_count)
    invoice = _invoice(sub, True, start, end)
    outbox.emit("invoice.paid", representations.order(invoice))
    sub.status = Status.ACTIVE
    sub.past_due_since = None
    sub.current_period_start = start
    sub.current_period_end = end
    _save(sub, "subscription.renewed")


def _step(sub: Subscription, now: datetime) -> bool:
    """Apply the next due transition of ``sub``; False when nothing is due."""
    grace = timedelta(days=int(emulator_settings.PAST_DUE_GRACE_DAYS))
    if sub.status in (Status.ACTIVE, Status.TRIAL) and sub.current_period_end <= now:
        if sub.cancel_at_period_end:
            sub.status = Status.CANCELED
            sub.ended_at = sub.current_period_end
            _save(sub, "subscription.expired")
        elif sub.customer.card_fails:
            sub.status = Status.PAST_DUE
            sub.past_due_since = sub.current_period_end
            end = clock.add_interval(sub.current_period_end, sub.interval, sub.interval_count)
            invoice = _invoice(sub, False, sub.current_period_end, end)
            outbox.emit("invoice.payment_failed", representations.order(invoice))
            _save(sub, "subscription.past_due")
        else:
            _renew(sub)
        return True
    if sub.status == Status.PAST_DUE and sub.past_due_since is not None:
        if not sub.customer.card_fails:
            _renew(sub)
            return True
        if sub.past_due_since + grace <= now:
            sub.status = Status.EXPIRED
            sub.ended_at = sub.past_due_since + grace
            _save(sub, "subscription.expired")
            return True
    return False


def process_due(max_steps: int = 1000) -> int:
    """Renew, dun or expire every subscription due at the emulator's current time."""
    now = clock.now()
    steps = 0
    live = Subscription.objects.filter(status__in=Subscription.LIVE_STATUSES)
    for sub in live.select_related("customer", "product").order_by("current_period_end"):
        while steps < max_steps and _step(sub, now):
            steps += 1
    return steps
