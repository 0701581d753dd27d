from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    """A Recur customer (``cus_…``); email and external id are set once."""

    id = models.CharField(primary_key=True, max_length=64)
    email = models.EmailField(_("email"), db_index=True)
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    external_id = models.CharField(
        _("external id"), max_length=200, null=True, blank=True, unique=True
    )
    status = models.CharField(_("status"), max_length=20, default="ACTIVE")
    card_fails = models.BooleanField(
        _("card fails"), default=False, help_text=_("Renewal charges of this customer decline.")
    )
    credit_balance = models.PositiveIntegerField(_("credit balance"), default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.email} ({self.id})"
