from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckoutSession(models.Model):
    """A hosted checkout session (``cs_…``), paid on the emulator's checkout page."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        COMPLETE = "COMPLETE", _("Complete")
        EXPIRED = "EXPIRED", _("Expired")

    class Mode(models.TextChoices):
        PAYMENT = "PAYMENT", _("Payment")
        SUBSCRIPTION = "SUBSCRIPTION", _("Subscription")
        SETUP = "SETUP", _("Setup")

    id = models.CharField(primary_key=True, max_length=64)
    product = models.ForeignKey(
        "recur_emulator.Product", on_delete=models.PROTECT, related_name="checkout_sessions"
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    success_url = models.CharField(_("success URL"), max_length=2000)
    cancel_url = models.CharField(_("cancel URL"), max_length=2000, blank=True, default="")
    customer_email = models.EmailField(_("customer email"), blank=True, default="")
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True, default="")
    external_customer_id = models.CharField(max_length=200, blank=True, default="")
    metadata = models.JSONField(_("metadata"), null=True, blank=True)
    promotion_code = models.CharField(max_length=100, blank=True, default="")
    promotion = models.ForeignKey(
        "recur_emulator.PromotionCode",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkout_sessions",
        verbose_name=_("applied promotion code"),
    )
    discount_amount = models.PositiveIntegerField(_("discount"), default=0)
    customer = models.ForeignKey(
        "recur_emulator.Customer", on_delete=models.SET_NULL, null=True, blank=True
    )
    order = models.ForeignKey(
        "recur_emulator.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subscription = models.ForeignKey(
        "recur_emulator.Subscription", on_delete=models.SET_NULL, null=True, blank=True
    )
    payment_link = models.ForeignKey(
        "recur_emulator.PaymentLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkout_sessions",
    )
    last_failure = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField(_("expires at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("checkout session")
        verbose_name_plural = _("checkout sessions")

    def __str__(self) -> str:
        return f"{self.id} {self.status}"


class PaymentLink(models.Model):
    """A permanent shareable purchase URL (``/_recur/buy/<url_id>``)."""

    id = models.CharField(primary_key=True, max_length=64)
    url_id = models.CharField(max_length=32, unique=True)
    product = models.ForeignKey(
        "recur_emulator.Product", on_delete=models.PROTECT, related_name="payment_links"
    )
    active = models.BooleanField(_("active"), default=True)
    promotion_code = models.CharField(max_length=100, null=True, blank=True)
    collect_payment_method = models.CharField(max_length=20, default="always")
    success_url = models.CharField(max_length=2000, null=True, blank=True)
    max_completions = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    session_count = models.PositiveIntegerField(default=0)
    completed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")

    def __str__(self) -> str:
        return f"{self.id} ({self.url_id})"


class PortalSession(models.Model):
    """A one-hour customer portal session (``portal_session_…``)."""

    id = models.CharField(primary_key=True, max_length=80)
    customer = models.ForeignKey(
        "recur_emulator.Customer", on_delete=models.CASCADE, related_name="portal_sessions"
    )
    return_url = models.CharField(max_length=2000)
    locale = models.CharField(max_length=10, blank=True, default="")
    configuration_id = models.CharField(max_length=100, blank=True, default="")
    revoked = models.BooleanField(default=False)
    expires_at = models.DateTimeField()
    accessed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("portal session")
        verbose_name_plural = _("portal sessions")

    def __str__(self) -> str:
        return self.id
