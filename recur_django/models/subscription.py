from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from recur_django import clock as billing_clock
from recur_django.conf import recur_settings


def grace_period() -> timedelta:
    """``RECUR["PAST_DUE_GRACE_DAYS"]`` as a timedelta (0 when unset or invalid)."""
    try:
        days = float(recur_settings.get("PAST_DUE_GRACE_DAYS", 0) or 0)
    except (TypeError, ValueError):
        days = 0.0
    return timedelta(days=max(days, 0.0))


class Subscription(models.Model):
    """Local mirror of a Recur subscription, kept from webhooks.

    ``last_event_at``/``last_event_id`` order the events applied so far: an older event
    never overwrites a newer one (see :mod:`recur_django.subscriptions`). ``customer`` is
    empty only while Recur has not told us who the subscription belongs to.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        TRIALING = "TRIALING", _("Trialing")
        ACTIVE = "ACTIVE", _("Active")
        PAST_DUE = "PAST_DUE", _("Past due")
        CANCELED = "CANCELED", _("Canceled")
        EXPIRED = "EXPIRED", _("Expired")
        PAUSED = "PAUSED", _("Paused")

    recur_id = models.CharField(_("Recur subscription id"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "recur_django.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("customer"),
    )
    product_id = models.CharField(_("product id"), max_length=128, blank=True)
    product_slug = models.CharField(_("product slug"), max_length=128, blank=True)
    product_name = models.CharField(_("product name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    amount = models.PositiveBigIntegerField(_("amount"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="TWD")
    current_period_start = models.DateTimeField(_("current period start"), null=True, blank=True)
    current_period_end = models.DateTimeField(_("current period end"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    # When a canceled subscription ended: access stops then, even before the period end.
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    trial_end = models.DateTimeField(_("trial end"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event at"), null=True, blank=True)
    last_event_id = models.CharField(_("last event id"), max_length=128, blank=True)
    # Per-field "which event last set this" markers; make the mirror independent of
    # delivery order (see recur_django.subscriptions).
    field_versions = models.JSONField(_("field versions"), default=dict, blank=True)
    raw = models.JSONField(_("raw data"), default=dict, blank=True)
    # Exactly-once marker of the trial_will_end signal (set under the row lock).
    trial_ending_signaled_at = models.DateTimeField(
        _("trial ending signal sent at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [
            models.Index(fields=["customer", "status"], name="recur_sub_customer_status"),
        ]

    def __str__(self) -> str:
        return f"{self.recur_id} ({self.status})"

    def grants_access(self, now: datetime | None = None, grace_days: float | None = None) -> bool:
        """Whether this subscription entitles its customer at ``now`` (Python twin of the query).

        See :func:`recur_django.entitlements.access_q` for the rules; both are tested against
        one truth table.
        """
        return subscription_grants_access(self, now=now, grace_days=grace_days)


def subscription_grants_access(
    subscription: Subscription, now: datetime | None = None, grace_days: float | None = None
) -> bool:
    """Python twin of :func:`recur_django.entitlements.access_q` for one loaded subscription.

    It lives with the model (and :mod:`recur_django.entitlements` re-exports it) so that
    :meth:`Subscription.grants_access` needs no import of the service layer.
    """
    Status = Subscription.Status
    now = now or billing_clock.now()
    grace = grace_period() if grace_days is None else timedelta(days=grace_days)
    status = subscription.status
    end = subscription.current_period_end
    trial_end = subscription.trial_end
    if status == Status.TRIALING and trial_end is not None and trial_end <= now:
        return False
    if status in (Status.ACTIVE, Status.TRIALING):
        return not subscription.cancel_at_period_end or end is None or end > now
    if status == Status.PAST_DUE:
        reference = end if end is not None else subscription.last_event_at
        return reference is not None and reference > now - grace
    if status == Status.CANCELED:
        ended = subscription.ended_at
        return end is not None and end > now and (ended is None or ended > now)
    return False
