from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    """A product of the emulated account (seeded from ``RECUR_EMULATOR["PRODUCTS"]``)."""

    class Type(models.TextChoices):
        SUBSCRIPTION = "SUBSCRIPTION", _("Subscription")
        ONE_TIME = "ONE_TIME", _("One-time")
        CREDITS = "CREDITS", _("Credits")
        DONATION = "DONATION", _("Donation")

    id = models.CharField(primary_key=True, max_length=64)
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    billing_period = models.CharField(_("billing period"), max_length=20, blank=True, default="")
    price = models.PositiveIntegerField(_("price"))
    currency = models.CharField(_("currency"), max_length=3, default="TWD")
    trial_days = models.PositiveIntegerField(_("trial days"), null=True, blank=True)
    product_family = models.CharField(
        _("product family"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("Plans of one family can be switched between in the portal."),
    )
    credits = models.PositiveIntegerField(
        _("credits"),
        null=True,
        blank=True,
        help_text=_("Credits a purchase grants (CREDITS products; default: the price)."),
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["price", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def interval(self) -> tuple[str, int] | None:
        """``("month", 1)`` style billing interval, or None for non-recurring products."""
        if self.type != self.Type.SUBSCRIPTION:
            return None
        return {
            "WEEKLY": ("week", 1),
            "YEARLY": ("year", 1),
            "QUARTERLY": ("month", 3),
        }.get(self.billing_period.upper(), ("month", 1))
