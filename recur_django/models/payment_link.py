from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentLink(models.Model):
    """Local mirror of a Recur payment link; written through the API."""

    class CollectPaymentMethod(models.TextChoices):
        ALWAYS = "always", _("Always")
        IF_REQUIRED = "if_required", _("If required")

    recur_id = models.CharField(_("Recur id"), max_length=64, unique=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    url_id = models.CharField(_("URL id"), max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)
    product_id = models.CharField(_("product id"), max_length=128)
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
    missing_from_recur = models.BooleanField(_("missing from Recur"), default=False)

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url or self.recur_id
