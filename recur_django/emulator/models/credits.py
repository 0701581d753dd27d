from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CreditTransaction(models.Model):
    """One movement of a customer's prepaid credits (``ctx_…``).

    A paid ``CREDITS`` product grants its credits (``credits.purchased``); the API's deduct
    takes some (``credits.deducted``). ``idempotency_key`` (unique per customer) makes a
    repeated deduction with the same key the same deduction, even when two arrive at once.
    """

    class Type(models.TextChoices):
        PURCHASE = "PURCHASE", _("Purchase")
        DEDUCTION = "DEDUCTION", _("Deduction")

    id = models.CharField(primary_key=True, max_length=64)
    customer = models.ForeignKey(
        "recur_emulator.Customer", on_delete=models.CASCADE, related_name="credit_transactions"
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    amount = models.PositiveIntegerField(_("credits"))
    balance_after = models.PositiveIntegerField(_("balance after"))
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    order = models.ForeignKey(
        "recur_emulator.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    product = models.ForeignKey(
        "recur_emulator.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="recur_emulator_credit_key_unique"
            )
        ]
        verbose_name = _("credit transaction")
        verbose_name_plural = _("credit transactions")

    def __str__(self) -> str:
        return f"{self.id} {self.type} {self.amount}"
