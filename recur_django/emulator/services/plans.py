"""Plan switching in the portal, between the plans of one ``product_family``.

As Recur's webhook narrative describes: upgrades, same-tier changes and longer intervals
(monthly → yearly) apply immediately (``subscription.upgraded``); downgrades and shorter
intervals (yearly → monthly) are scheduled to the period end
(``subscription.schedule_created`` now, ``subscription.downgraded`` at the renewal).

Immediate changes are prorated, Stripe-like:

- same interval: the period is kept and the price difference for the time left is
  charged now (nothing for a same-price change);
- longer interval: a new period starts now and the new price, less the unused part of
  the current period, is charged now.

A charge opens an invoice (``billing_reason`` ``subscription_update``) and emits
``order.paid`` + ``invoice.paid`` before ``subscription.upgraded``. A declined card
refuses the change and emits nothing. During a trial the plan changes with no charge.
"""

from __future__ import annotations

from recur_django.emulator import clock
from recur_django.emulator.models import Product, Subscription
from recur_django.emulator.services import invoices
from recur_django.emulator.services.subscriptions import save_and_emit

Status = Subscription.Status

_MONTHS = {"week": 0.25, "month": 1.0, "year": 12.0}


class PlanChangeError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _months(product: Product) -> float:
    interval, count = product.interval or ("month", 1)
    return _MONTHS.get(interval, 1.0) * count


def family_plans(sub: Subscription) -> list[Product]:
    """The other active subscription plans of ``sub``'s product family."""
    family = sub.product.product_family
    if not family:
        return []
    return list(
        Product.objects.filter(
            product_family=family, type=Product.Type.SUBSCRIPTION, active=True
        ).exclude(id=sub.product_id)
    )


def is_immediate(current: Product, new: Product) -> bool:
    """Upgrades, same-tier changes and longer intervals apply now; the rest at period end."""
    if _months(new) != _months(current):
        return _months(new) > _months(current)
    return new.price >= current.price


def switch(sub: Subscription, new: Product) -> str:
    """Switch ``sub`` to ``new``: returns "upgraded", "scheduled" or "unscheduled"."""
    if sub.status not in (Status.ACTIVE, Status.TRIAL):
        raise PlanChangeError("not_active", "Only an active subscription can change plan.")
    if new.id == sub.product_id:
        if sub.scheduled_product_id is None:
            raise PlanChangeError("same_plan", "This is already the current plan.")
        sub.scheduled_product = None
        save_and_emit(sub, "subscription.schedule_cancelled")
        return "unscheduled"
    if new not in family_plans(sub):
        raise PlanChangeError("other_family", "This plan is not a plan of the same product.")
    current = sub.product
    if not is_immediate(current, new):
        sub.scheduled_product = new
        save_and_emit(sub, "subscription.schedule_created")
        return "scheduled"
    _apply_now(sub, new)
    return "upgraded"


def _apply_now(sub: Subscription, new: Product) -> None:
    now = clock.now()
    start, end = sub.current_period_start, sub.current_period_end
    new_interval, new_count = new.interval or ("month", 1)
    charge = 0
    if sub.status != Status.TRIAL:
        total = max((end - start).total_seconds(), 1.0)
        left = min(max((end - now).total_seconds(), 0.0), total) / total
        if (new_interval, new_count) == (sub.interval, sub.interval_count):
            charge = max(0, round((new.price - sub.amount) * left))
        else:
            charge = max(0, new.price - round(sub.amount * left))
            start, end = now, clock.add_interval(now, new_interval, new_count)
            sub.billing_anchor = now
    if charge and sub.customer.card_fails:
        raise PlanChangeError("card_declined", "The card was declined; the plan is unchanged.")
    if charge:
        invoice = invoices.open_invoice(
            sub, reason="subscription_update", amount=charge, start=start, end=end, product=new
        )
        invoices.attempt(invoice)
    sub.product = new
    sub.amount = new.price
    sub.currency = new.currency
    sub.interval, sub.interval_count = new_interval, new_count
    sub.current_period_start, sub.current_period_end = start, end
    sub.scheduled_product = None
    save_and_emit(sub, "subscription.upgraded")
