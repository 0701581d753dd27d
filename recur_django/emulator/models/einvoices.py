"""The ECPay-compatible e-invoice endpoint's state: invoices, allowances, number tracks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UniformInvoice(models.Model):
    """A uniform invoice (統一發票) issued through the emulator's ECPay endpoint."""

    merchant_id = models.CharField(_("merchant id"), max_length=10)
    number = models.CharField(_("invoice number"), max_length=10, unique=True)
    relate_number = models.CharField(_("relate number"), max_length=50)
    random_number = models.CharField(_("random number"), max_length=4)
    period = models.CharField(
        _("period"), max_length=8, help_text=_("Year and months of its VAT period: 20260102.")
    )
    issued_at = models.DateTimeField(_("issued at"))
    sales_amount = models.PositiveIntegerField(
        _("sales amount"), help_text=_("Tax-inclusive; before tax on a B2B invoice.")
    )
    tax_amount = models.PositiveIntegerField(_("tax amount"), default=0)
    total_amount = models.PositiveIntegerField(_("total amount"))
    remaining_allowance = models.PositiveIntegerField(_("remaining allowance"))
    customer_identifier = models.CharField(_("UBN"), max_length=8, blank=True, default="")
    customer_name = models.CharField(_("customer name"), max_length=60, blank=True, default="")
    customer_address = models.CharField(
        _("customer address"), max_length=100, blank=True, default=""
    )
    customer_email = models.CharField(_("customer e-mail"), max_length=200, blank=True, default="")
    printed = models.BooleanField(_("printed"), default=False)
    donated = models.BooleanField(_("donated"), default=False)
    love_code = models.CharField(_("love code"), max_length=7, blank=True, default="")
    carrier_type = models.CharField(_("carrier type"), max_length=1, blank=True, default="")
    carrier_number = models.CharField(_("carrier number"), max_length=64, blank=True, default="")
    items = models.JSONField(_("items"), default=list)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=20, blank=True, default="")

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant_id", "relate_number"], name="recur_emulator_einvoice_relate"
            )
        ]
        verbose_name = _("uniform invoice")
        verbose_name_plural = _("uniform invoices")

    def __str__(self) -> str:
        return f"{self.number} ({self.relate_number})"

    @property
    def is_b2b(self) -> bool:
        return bool(self.customer_identifier)


class InvoiceAllowance(models.Model):
    """An allowance (折讓) against a uniform invoice."""

    invoice = models.ForeignKey(UniformInvoice, on_delete=models.CASCADE, related_name="allowances")
    number = models.CharField(_("allowance number"), max_length=16, unique=True)
    amount = models.PositiveIntegerField(_("amount"))
    issued_at = models.DateTimeField(_("issued at"))
    notify = models.CharField(_("notify"), max_length=1, default="N")
    notify_email = models.CharField(_("notify e-mail"), max_length=200, blank=True, default="")
    customer_name = models.CharField(_("customer name"), max_length=60, blank=True, default="")
    items = models.JSONField(_("items"), default=list)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=20, blank=True, default="")

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("invoice allowance")
        verbose_name_plural = _("invoice allowances")

    def __str__(self) -> str:
        return f"{self.number} ({self.amount})"


class InvoiceTrack(models.Model):
    """The next invoice number of a VAT period (numbers are allocated in sequence)."""

    period = models.CharField(_("period"), max_length=8, unique=True)
    prefix = models.CharField(_("prefix"), max_length=2)
    next_number = models.PositiveIntegerField(_("next number"))

    class Meta:
        verbose_name = _("invoice number track")
        verbose_name_plural = _("invoice number tracks")

    def __str__(self) -> str:
        return f"{self.period}: {self.prefix}{self.next_number:08d}"
