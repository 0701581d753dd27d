from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Invoice(models.Model):
    """What a subscription owes for a period (``in_…``); paid by one or more
    :class:`~recur_django.emulator.models.Order` attempts (renewal, dunning retries)."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        PAID = "PAID", _("Paid")
        UNCOLLECTIBLE = "UNCOLLECTIBLE", _("Uncollectible")
        PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", _("Partially refunded")
        REFUNDED = "REFUNDED", _("Refunded")

    id = models.CharField(primary_key=True, max_length=64)
    customer = models.ForeignKey(
        "recur_emulator.Customer", on_delete=models.CASCADE, related_name="invoices"
    )
    subscription = models.ForeignKey(
        "recur_emulator.Subscription", on_delete=models.CASCADE, related_name="invoices"
    )
    product = models.ForeignKey(
        "recur_emulator.Product", on_delete=models.PROTECT, related_name="invoices"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    billing_reason = models.CharField(_("billing reason"), max_length=40)
    amount = models.PositiveIntegerField(_("amount"))
    discount_amount = models.PositiveIntegerField(_("discount"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_payment_attempt = models.DateTimeField(_("next attempt"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return f"{self.id} {self.status} {self.amount} {self.currency}"


class Refund(models.Model):
    """A refund (``re_…``) of part or all of a paid order."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")

    id = models.CharField(primary_key=True, max_length=64)
    order = models.ForeignKey(
        "recur_emulator.Order", on_delete=models.CASCADE, related_name="refunds"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=100, blank=True, default="")
    refunded_total = models.PositiveIntegerField(
        _("refunded total"), help_text=_("The order's refunded amount including this refund.")
    )
    created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.currency}"
