from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from recur_django.owners import owner_model_label


def new_public_id() -> str:
    """An unguessable public id: ``txn_`` + 24 URL-safe random characters."""
    return "txn_" + secrets.token_urlsafe(18)


class Transaction(models.Model):
    """One checkout attempt, created PENDING before Recur is called."""

    class Mode(models.TextChoices):
        PAYMENT = "PAYMENT", _("Payment")
        SUBSCRIPTION = "SUBSCRIPTION", _("Subscription")
        SETUP = "SETUP", _("Setup")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        CANCELED = "canceled", _("Canceled")

    public_id = models.CharField(
        _("public id"), max_length=40, unique=True, default=new_public_id, editable=False
    )
    # Whose billing: the owner the checkout was for (who pays, and is entitled).
    owner = models.ForeignKey(
        owner_model_label(),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recur_billed_transactions",
        verbose_name=_("owner"),
    )
    # Who started the checkout, when known.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recur_transactions",
        verbose_name=_("user"),
    )
    product_id = models.CharField(_("product id"), max_length=128, blank=True)
    product_slug = models.CharField(_("product slug"), max_length=128, blank=True)
    product_name = models.CharField(_("product name"), max_length=255, blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    amount = models.PositiveBigIntegerField(_("expected amount"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="TWD")
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    checkout_session_id = models.CharField(
        _("checkout session id"), max_length=128, unique=True, null=True, blank=True
    )
    checkout_url = models.URLField(_("checkout URL"), max_length=2000, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    order_id = models.CharField(_("order id"), max_length=128, blank=True, db_index=True)
    subscription_id = models.CharField(
        _("subscription id"), max_length=128, blank=True, db_index=True
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    # The product family a subscription checkout claims for its owner (one plan per
    # family and owner); blank when the rule does not apply. See recur_django.plans.
    family_key = models.CharField(
        _("product family"), max_length=255, blank=True, default="", db_default=""
    )
    # The buyer's e-invoice choice as validated at checkout (the six invoice_* request
    # fields; empty when e-invoicing is off). The charges of this checkout are invoiced
    # with it.
    invoice_choice = models.JSONField(_("invoice choice"), default=dict, blank=True, db_default={})
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="recur_txn_user_created"),
            models.Index(fields=["owner", "-created_at"], name="recur_txn_owner_created"),
            models.Index(fields=["status", "expires_at"], name="recur_txn_status_expiry"),
        ]
        constraints = [
            # At most one open subscription checkout per owner and product family: a
            # concurrent second one fails to insert (recur_django.plans.FamilyClaim).
            models.UniqueConstraint(
                fields=["owner", "family_key"],
                condition=models.Q(status="pending") & ~models.Q(family_key=""),
                name="recur_txn_one_open_family",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_final(self) -> bool:
        """Whether the transaction reached an end state (anything but pending)."""
        return self.status != self.Status.PENDING
