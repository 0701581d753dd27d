"""Cancel, resume and switch a subscription by its id: the control endpoint, the
``recur_emulator`` command and the pytest fixture, without the portal's pages.

Each change locks the subscription in its own transaction and goes through the same
functions as the portal (:func:`~recur_django.emulator.services.subscriptions.cancel`,
:func:`~recur_django.emulator.services.subscriptions.resume`,
:func:`~recur_django.emulator.services.plans.switch`), so both send the same events: an
immediate cancel ends the subscription now, an upgrade applies now (prorated as the
portal charges it) and a downgrade is scheduled to the period end.
"""

from __future__ import annotations

from django.db import transaction

from recur_django.emulator.models import Product, Subscription
from recur_django.emulator.services import plans, subscriptions

Status = Subscription.Status
LIVE = (Status.ACTIVE, Status.TRIAL, Status.PAST_DUE)


class SubscriptionChangeError(Exception):
    """The change is refused; ``status`` and ``code`` are what the control endpoint answers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _locked(subscription_id: str) -> Subscription:
    sub = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("customer", "product")
        .filter(id=(subscription_id or "").strip())
        .first()
    )
    if sub is None:
        raise SubscriptionChangeError(
            404, "resource_not_found", f"No such subscription: {subscription_id!r}."
        )
    return sub


def cancel(subscription_id: str, at_period_end: bool = False) -> Subscription:
    """Cancel now (access ends at once) or at the end of the paid period."""
    with transaction.atomic():
        sub = _locked(subscription_id)
        if sub.status not in LIVE:
            raise SubscriptionChangeError(
                400, "not_active", f"Subscription {sub.id} is {sub.status}: nothing to cancel."
            )
        if at_period_end and sub.status == Status.PAST_DUE:
            raise SubscriptionChangeError(
                400, "past_due", f"Subscription {sub.id} is past due: cancel it now instead."
            )
        subscriptions.cancel(sub, at_period_end=at_period_end)
    return sub


def resume(subscription_id: str) -> Subscription:
    """Keep a subscription that was set to cancel at period end."""
    with transaction.atomic():
        sub = _locked(subscription_id)
        if sub.status not in (Status.ACTIVE, Status.TRIAL) or not sub.cancel_at_period_end:
            raise SubscriptionChangeError(
                400,
                "not_cancelling",
                f"Subscription {sub.id} is {sub.status} and not set to cancel at period end: "
                "only such a subscription can be resumed.",
            )
        subscriptions.resume(sub)
    return sub


def switch(subscription_id: str, product: str) -> tuple[Subscription, str]:
    """Switch to ``product`` (id or slug) of the same family; returns the subscription and
    ``"upgraded"``, ``"scheduled"`` or ``"unscheduled"``."""
    with transaction.atomic():
        sub = _locked(subscription_id)
        new = (
            Product.objects.filter(id=product).first()
            or Product.objects.filter(slug=product).first()
        )
        if new is None:
            raise SubscriptionChangeError(
                404, "resource_not_found", f"No such product: {product!r}."
            )
        try:
            outcome = plans.switch(sub, new)
        except plans.PlanChangeError as exc:
            raise SubscriptionChangeError(400, exc.code, exc.message) from exc
    return sub, outcome
