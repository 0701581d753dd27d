"""Taiwan e-invoices (統一發票) for the ledger's payments, and the buyer's remembered choice.

:class:`EInvoice`
    One per paid :class:`~recur_django.models.Payment` (``payment.einvoice``), created
    ``pending`` when the payment is paid and completed by a task after the payment's
    commit (``recur_django.einvoice.issuing``). ``relate_number`` is our unique reference
    at the provider, derived from the payment, so a lost answer is resolved by asking the
    provider rather than issuing again. The buyer fields are the choice *as issued*.

:class:`EInvoiceAllowance`
    An allowance (折讓) against an issued invoice: one per :class:`~recur_django.models.Refund`
    that cannot void the invoice (a partial refund, or any refund after the filing
    cut-off). Their amounts never add up to more than the invoice's.

:class:`InvoicePreference`
    The billing owner's invoice choice, remembered from checkout (or edited by the buyer
    and in the admin) and used for renewals and payment-link sales.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from recur_django.einvoice.choice import ATTRIBUTES, InvoiceChoice, InvoiceKind
from recur_django.owners import owner_model_label

CARRIER_MAX_LENGTH = 64


class _BuyerChoice(models.Model):
    """The six fields of a buyer's invoice choice (see ``recur_django.einvoice.choice``)."""

    kind = models.CharField(
        _("invoice kind"), max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.MEMBER
    )
    carrier = models.CharField(
        _("carrier number"),
        max_length=CARRIER_MAX_LENGTH,
        blank=True,
        help_text=_("The mobile barcode or the citizen digital certificate number."),
    )
    love_code = models.CharField(_("love code"), max_length=7, blank=True)
    ubn = models.CharField(_("unified business number"), max_length=8, blank=True)
    title = models.CharField(_("company name"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def as_fields(self) -> dict[str, str]:
        """The six request fields (``invoice_kind``, ``invoice_carrier``, …)."""
        return {field: getattr(self, attribute) for field, attribute in ATTRIBUTES.items()}

    def set_choice(self, choice: InvoiceChoice) -> None:
        """Copy a validated choice's six fields onto this row (not saved)."""
        for attribute, value in choice.attribute_values().items():
            setattr(self, attribute, value)

    def as_choice(self, *, email: str = "", name: str = "") -> InvoiceChoice:
        """This row as an :class:`InvoiceChoice` (not re-validated) for a buyer."""
        values = {attribute: getattr(self, attribute) for attribute in ATTRIBUTES.values()}
        return InvoiceChoice(**values, email=email, name=name)


class EInvoice(_BuyerChoice):
    """The uniform invoice of one paid payment."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Failed")
        VOIDED = "voided", _("Voided")

    payment = models.OneToOneField(
        "recur_django.Payment",
        on_delete=models.PROTECT,  # a tax document outlives any cleanup of the ledger
        related_name="einvoice",
        verbose_name=_("payment"),
    )
    relate_number = models.CharField(
        _("relate number"),
        max_length=30,
        unique=True,
        help_text=_("Our unique reference for this invoice at the provider."),
    )
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    number = models.CharField(_("invoice number"), max_length=10, blank=True, db_index=True)
    random_number = models.CharField(_("random number"), max_length=4, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    amount = models.PositiveBigIntegerField(_("amount"), help_text=_("Tax included, in TWD."))
    # The 5 % split (shown apart on a company invoice; kept for every invoice).
    sales_amount = models.PositiveBigIntegerField(_("sales amount"), default=0)
    tax_amount = models.PositiveBigIntegerField(_("tax amount"), default=0)
    # The buyer as issued (the choice's carrier fields come from _BuyerChoice).
    email = models.EmailField(_("buyer e-mail"), blank=True)
    name = models.CharField(_("buyer name"), max_length=255, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=255, blank=True)
    # Exactly-once markers for the signals (set under the row lock, never cleared).
    issued_signaled = models.BooleanField(_("issued signal sent"), default=False)
    voided_signaled = models.BooleanField(_("voided signal sent"), default=False)
    raw = models.JSONField(_("provider answer"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("e-invoice")
        verbose_name_plural = _("e-invoices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="recur_einv_status_next"),
            models.Index(fields=["issued_at"], name="recur_einv_issued_at"),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.relate_number} ({self.status})"

    @property
    def allowed_amount(self) -> int:
        """What allowances not failed or voided already took of this invoice."""
        live = (EInvoiceAllowance.Status.PENDING, EInvoiceAllowance.Status.ISSUED)
        return sum(a.amount for a in self.allowances.all() if a.status in live)

    @property
    def remaining_amount(self) -> int:
        """What further allowances may still take (never below zero)."""
        return max(self.amount - self.allowed_amount, 0)


class EInvoiceAllowance(models.Model):
    """An allowance (折讓) against an issued invoice, for a refund that cannot void it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Failed")
        VOIDED = "voided", _("Voided")

    einvoice = models.ForeignKey(
        EInvoice,
        on_delete=models.PROTECT,
        related_name="allowances",
        verbose_name=_("e-invoice"),
    )
    # The refund it answers; empty for an allowance made by hand in the admin.
    refund = models.OneToOneField(
        "recur_django.Refund",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="einvoice_allowance",
        verbose_name=_("refund"),
    )
    number = models.CharField(_("allowance number"), max_length=32, blank=True, db_index=True)
    amount = models.PositiveBigIntegerField(_("amount"), help_text=_("Tax included, in TWD."))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    # What the invoice could still allow before this allowance, by our books: after a lost
    # answer, the provider's remaining amount tells whether this allowance was made.
    remaining_before = models.PositiveBigIntegerField(_("remaining before"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    issued_signaled = models.BooleanField(_("issued signal sent"), default=False)
    raw = models.JSONField(_("provider answer"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("e-invoice allowance")
        verbose_name_plural = _("e-invoice allowances")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="recur_einv_allow_status"),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.einvoice} - {self.amount} ({self.status})"


class InvoicePreference(_BuyerChoice):
    """The invoice choice a billing owner made last (checkout, the preference page, admin)."""

    owner = models.OneToOneField(
        owner_model_label(),
        on_delete=models.CASCADE,
        related_name="recur_invoice_preference",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("invoice preference")
        verbose_name_plural = _("invoice preferences")

    def __str__(self) -> str:
        return f"{self.owner} ({self.get_kind_display()})"

    @classmethod
    def for_owner(cls, owner: Any) -> InvoicePreference | None:
        """The owner's remembered preference, or None."""
        if owner is None or getattr(owner, "pk", None) is None:
            return None
        return cls.objects.filter(owner=owner).first()
