from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _


class CreditEntry(models.Model):
    """One line of a user's credit ledger; the balance is the sum of the lines.

    A top-up points at the recur-django ``Transaction`` that paid for it. The unique
    constraint makes crediting idempotent even if a receiver ran twice.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_entries"
    )
    amount = models.IntegerField(_("credits"))
    transaction = models.OneToOneField(
        "recur_django.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entry",
    )
    # A subscription's credits: one entry per paid charge (first payment and each renewal).
    payment = models.OneToOneField(
        "recur_django.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entry",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.amount:+d} credits for {self.user}"

    @classmethod
    def balance(cls, user: object) -> int:
        """The user's current balance."""
        return cls.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or 0
