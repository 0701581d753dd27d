from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    """A recurring subscription (``sub_…``) with its current billing period."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        ACTIVE = "ACTIVE", _("Active")
        TRIAL = "TRIAL", _("Trial")
        PAST_DUE = "PAST_DUE", _("Past due")
        CANCELED = "CANCELED", _("Canceled")
        EXPIRED = "EXPIRED", _("Expired")

    LIVE_STATUSES = (Status.ACTIVE, Status.TRIAL, Status.PAST_DUE)

    id = models.CharField(primary_key=True, max_length=64)
    customer = models.ForeignKey(
        "recur_emulator.Customer", on_delete=models.CASCADE, related_name="subscriptions"
    )
    product = models.ForeignKey(
        "recur_emulator.Product", on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    interval = models.CharField(_("interval"), max_length=10, default="month")
    interval_count = models.PositiveSmallIntegerField(_("interval count"), default=1)
    current_period_start = models.DateTimeField(_("current period start"))
    current_period_end = models.DateTimeField(_("current period end"))
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    past_due_since = models.DateTimeField(_("past due since"), null=True, blank=True)
    trial_end = models.DateTimeField(_("trial end"), null=True, blank=True)
    billing_anchor = models.DateTimeField(
        _("billing anchor"),
        null=True,
        blank=True,
        help_text=_("Periods end on this day of the month (clamped to shorter months)."),
    )
    trial_ending_sent = models.BooleanField(
        default=False, help_text=_("subscription.trial_ending was emitted.")
    )
    scheduled_product = models.ForeignKey(
        "recur_emulator.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled plan"),
        help_text=_("A downgrade that takes effect at the end of the current period."),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    coupon = models.ForeignKey(
        "recur_emulator.Coupon",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
        help_text=_("A discount that still applies to coming renewals."),
    )
    coupon_remaining_cycles = models.PositiveSmallIntegerField(
        _("discounted renewals left"), null=True, blank=True, help_text=_("Empty: forever.")
    )
    started_at = models.DateTimeField(_("started at"))
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.id} {self.status}"


class Order(models.Model):
    """One charge attempt (``ord_…``): a checkout payment, a trial verification, or an
    attempt to pay an :class:`Invoice` (renewal, plan change)."""

    class Status(models.TextChoices):
        PAID = "PAID", _("Paid")
        FAILED = "FAILED", _("Failed")
        PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", _("Partially refunded")
        REFUNDED = "REFUNDED", _("Refunded")

    REFUNDABLE = (Status.PAID, Status.PARTIALLY_REFUNDED)

    class Kind(models.TextChoices):
        CHECKOUT = "CHECKOUT", _("Checkout")
        RENEWAL = "RENEWAL", _("Renewal")
        VERIFICATION = "VERIFICATION", _("Trial verification")
        PRORATION = "PRORATION", _("Plan change")

    id = models.CharField(primary_key=True, max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    customer = models.ForeignKey(
        "recur_emulator.Customer", on_delete=models.CASCADE, related_name="orders"
    )
    product = models.ForeignKey(
        "recur_emulator.Product", on_delete=models.PROTECT, related_name="orders"
    )
    checkout_session = models.ForeignKey(
        "recur_emulator.CheckoutSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    subscription = models.ForeignKey(
        "recur_emulator.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    invoice = models.ForeignKey(
        "recur_emulator.Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    billing_reason = models.CharField(_("billing reason"), max_length=40, blank=True, default="")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    amount = models.PositiveIntegerField(_("amount"))
    discount_amount = models.PositiveIntegerField(_("discount"), default=0)
    refunded_amount = models.PositiveIntegerField(_("refunded amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    card_last4 = models.CharField(_("card last 4"), max_length=4, blank=True, default="")
    failure_code = models.CharField(_("failure code"), max_length=50, blank=True, default="")
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True, default="")
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return f"{self.id} {self.status} {self.amount} {self.currency}"
