from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CreditTransaction(models.Model):
    """One movement of a Recur customer's prepaid credits, mirrored from Recur.

    Recur holds the balance; this is the local ledger of what moved it: a purchase
    (``credits.purchased``) or a deduction (``credits.deducted``, or the answer to
    :func:`recur_django.credits.deduct`). Unique on Recur's id, so an event delivered twice
    and the deduct answer that preceded its event are one row, and the ``credits_*`` signal
    is sent once. ``balance_after`` is the balance Recur reported with the movement.
    """

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        DEDUCTION = "deduction", _("Deduction")

    recur_id = models.CharField(_("Recur id"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "recur_django.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="credit_transactions",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.PositiveBigIntegerField(_("credits"))
    balance_after = models.PositiveBigIntegerField(_("balance after"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    order_id = models.CharField(_("order id"), max_length=128, blank=True, db_index=True)
    product_id = models.CharField(_("product id"), max_length=128, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    raw = models.JSONField(_("raw data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit transaction")
        verbose_name_plural = _("credit transactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="recur_credit_customer_time")
        ]

    def __str__(self) -> str:
        sign = "+" if self.kind == self.Kind.PURCHASE else "-"
        return f"{sign}{self.amount} ({self.recur_id})"

    @property
    def signed_amount(self) -> int:
        """``amount`` with its direction: positive for a purchase, negative for a deduction."""
        return self.amount if self.kind == self.Kind.PURCHASE else -self.amount
