"""Subscription state changes: start, activate, cancel, renew, dun, expire, end trials.

``process_due`` catches up on everything that fell due while the clock was advanced,
one transition at a time and in time order per subscription; each transition runs
with the clock pinned to the moment it was due (:func:`~recur_django.emulator.clock.at`).

- Period end: ``invoice.created``, then ``order.paid`` + ``invoice.paid`` +
  ``subscription.renewed``; on a declined card ``order.payment_failed`` +
  ``invoice.payment_failed`` + ``subscription.past_due``.
- Past due: one retry a day for ``PAST_DUE_GRACE_DAYS`` days (``order.payment_failed`` +
  ``invoice.payment_failed`` each); a paid retry renews, the last failed one expires.
- Trial: ``subscription.trial_ending`` three days before ``trial_end``; the first full
  charge at ``trial_end`` is a normal renewal (``subscription.renewed``, status ACTIVE).
- A downgrade scheduled in the portal takes effect at the period end, before the charge,
  and ``subscription.downgraded`` follows the renewal's events.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from recur_django.emulator import clock, outbox, representations
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import Customer, Invoice, Product, Subscription
from recur_django.emulator.services import invoices, promotions

Status = Subscription.Status

TRIAL_ENDING_NOTICE = timedelta(days=3)
RETRY_EVERY = timedelta(days=1)


def start(customer: Customer, product: Product) -> Subscription:
    """A PENDING subscription for ``product`` whose first period (or trial) starts now."""
    now = clock.now()
    interval, count = product.interval or ("month", 1)
    trial_end = now + timedelta(days=product.trial_days) if product.trial_days else None
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
        current_period_end=trial_end or clock.add_interval(now, interval, count),
        trial_end=trial_end,
        billing_anchor=trial_end or now,
        started_at=now,
        created_at=now,
        updated_at=now,
    )
    outbox.emit("subscription.created", representations.subscription(sub))
    return sub


def save_and_emit(sub: Subscription, event_type: str | None = None) -> None:
    sub.updated_at = clock.now()
    sub.save()
    if event_type:
        outbox.emit(event_type, representations.subscription(sub))


def activate(sub: Subscription) -> None:
    """ACTIVE, or TRIAL while the subscription's trial runs; emits ``activated``."""
    in_trial = sub.trial_end is not None and sub.trial_end > clock.now()
    sub.status = Status.TRIAL if in_trial else Status.ACTIVE
    save_and_emit(sub, "subscription.activated")


def cancel(sub: Subscription, at_period_end: bool) -> None:
    """Cancel now or at the end of the paid period; emits ``subscription.cancelled``.

    Now: status CANCELED with ``ended_at`` (access ends at once, whatever remains of the
    period). At period end: the status stays, ``cancel_at_period_end`` is set, and the
    subscription ends when the period does.
    """
    now = clock.now()
    sub.canceled_at = now
    sub.scheduled_product = None
    if at_period_end and sub.status in (Status.ACTIVE, Status.TRIAL):
        sub.cancel_at_period_end = True
    else:
        sub.status = Status.CANCELED
        sub.ended_at = now
    save_and_emit(sub, "subscription.cancelled")


def resume(sub: Subscription) -> None:
    """Undo a cancel at period end; emits ``subscription.updated``.

    Recur documents no resume: as in Stripe, only a subscription that is set to cancel
    at period end and has not ended can be resumed (an ended one needs a new checkout).
    """
    sub.cancel_at_period_end = False
    sub.canceled_at = None
    save_and_emit(sub, "subscription.updated")


def _bill_period(sub: Subscription) -> None:
    """At the period end: apply a scheduled downgrade, invoice the next period, charge."""
    change = sub.scheduled_product
    if change is not None:
        sub.product = change
        sub.amount = change.price
        sub.currency = change.currency
        sub.interval, sub.interval_count = change.interval or ("month", 1)
        sub.scheduled_product = None
    start = sub.current_period_end
    end = clock.add_interval(start, sub.interval, sub.interval_count, sub.billing_anchor)
    off = promotions.renewal_discount(sub, sub.amount)
    invoice = invoices.open_invoice(
        sub,
        reason="subscription_cycle",
        amount=sub.amount - off,
        start=start,
        end=end,
        discount=off,
    )
    _collect(sub, invoice)
    if change is not None:
        outbox.emit("subscription.downgraded", representations.subscription(sub))


def _collect(sub: Subscription, invoice: Invoice) -> None:
    """One charge attempt for ``invoice``; renews, starts dunning or expires ``sub``."""
    now = clock.now()
    first = invoice.attempt_count == 0
    retry_at = None
    if sub.customer.card_fails:
        deadline = (sub.past_due_since or now) + timedelta(
            days=int(emulator_settings.PAST_DUE_GRACE_DAYS)
        )
        retry_at = now + RETRY_EVERY if now + RETRY_EVERY <= deadline else None
    order = invoices.attempt(invoice, retry_at)
    if order.paid_at is not None:
        sub.status = Status.ACTIVE
        sub.past_due_since = None
        sub.current_period_start = invoice.period_start
        sub.current_period_end = invoice.period_end
        save_and_emit(sub, "subscription.renewed")
        return
    if first:
        sub.status = Status.PAST_DUE
        sub.past_due_since = now
        save_and_emit(sub, "subscription.past_due")
    if retry_at is None:
        invoices.give_up(invoice)
        sub.status = Status.EXPIRED
        sub.ended_at = now
        save_and_emit(sub, "subscription.expired")


def _step(sub: Subscription, now: datetime) -> bool:
    """Apply the next due transition of ``sub``; False when nothing is due."""
    if sub.status == Status.TRIAL and sub.trial_end and not sub.trial_ending_sent:
        notice_at = max(sub.trial_end - TRIAL_ENDING_NOTICE, sub.started_at)
        if notice_at <= now:
            with clock.at(notice_at):
                sub.trial_ending_sent = True
                save_and_emit(sub, "subscription.trial_ending")
            return True
    if sub.status in (Status.ACTIVE, Status.TRIAL) and sub.current_period_end <= now:
        with clock.at(sub.current_period_end):
            if sub.cancel_at_period_end:
                sub.status = Status.CANCELED
                sub.ended_at = sub.current_period_end
                save_and_emit(sub, "subscription.expired")
            else:
                _bill_period(sub)
        return True
    if sub.status == Status.PAST_DUE:
        invoice = invoices.open_invoice_of(sub)
        due = invoice.next_payment_attempt if invoice else None
        if invoice is not None and due is not None and due <= now:
            with clock.at(due):
                _collect(sub, invoice)
            return True
    return False


def process_due(max_steps: int = 5000) -> int:
    """Renew, dun, expire and end trials of every subscription due at the current time."""
    now = clock.now()
    steps = 0
    live = Subscription.objects.filter(status__in=Subscription.LIVE_STATUSES)
    for sub in live.select_related("customer", "product").order_by("current_period_end"):
        while steps < max_steps and _step(sub, now):
            steps += 1
    return steps
