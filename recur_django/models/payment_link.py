from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recur_django.money import format_twd


def format_price(amount: int | None, currency: str | None) -> str:
    """A price as people read it: ``NT$590`` for TWD (whole dollars), else ``12 USD``."""
    return format_twd(amount, currency)


class PaymentLink(models.Model):
    """Local mirror of a Recur payment link; written through the API."""

    class CollectPaymentMethod(models.TextChoices):
        ALWAYS = "always", _("Always")
        IF_REQUIRED = "if_required", _("If required")

    recur_id = models.CharField(_("Recur id"), max_length=64, unique=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    url_id = models.CharField(_("URL id"), max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)
    product_id = models.CharField(_("product id"), max_length=128, db_index=True)
    product_name = models.CharField(_("product name"), max_length=255, blank=True)
    product_slug = models.CharField(_("product slug"), max_length=128, blank=True)
    product_price = models.PositiveBigIntegerField(_("price"), null=True, blank=True)
    product_currency = models.CharField(_("currency"), max_length=3, blank=True, default="TWD")
    product_type = models.CharField(_("product type"), max_length=32, blank=True)
    promotion_code = models.CharField(_("promotion code"), max_length=64, blank=True)
    collect_payment_method = models.CharField(
        _("collect payment method"),
        max_length=16,
        choices=CollectPaymentMethod.choices,
        default=CollectPaymentMethod.ALWAYS,
    )
    success_url = models.URLField(_("success URL"), max_length=2000, blank=True)
    max_completions = models.PositiveIntegerField(_("max completions"), null=True, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    environment = models.CharField(_("environment"), max_length=16, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    session_count = models.PositiveIntegerField(_("sessions"), default=0)
    completed_count = models.PositiveIntegerField(_("completions"), default=0)
    created_at = models.DateTimeField(_("created at"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    missing_from_recur = models.BooleanField(
        _("missing from Recur"),
        default=False,
        help_text=_("Set when the last full sync did not see this link on Recur."),
    )

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url or self.recur_id

    @property
    def display_price(self) -> str:
        """The product price as shown to people: ``NT$590`` for TWD, else ``1,000 USD``."""
        return format_price(self.product_price, self.product_currency)

    @property
    def completions_display(self) -> str:
        """Completed payments against the maximum: ``3 / 10`` or ``3 / ∞``."""
        maximum = "∞" if self.max_completions is None else str(self.max_completions)
        return f"{self.completed_count} / {maximum}"
