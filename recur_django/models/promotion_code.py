from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recur_django.money import format_twd


class PromotionCode(models.Model):
    """Local mirror of a Recur promotion code (``promo_…``); written through the API.

    ``coupon`` keeps the coupon summary Recur returns with the code (its discount and
    duration), as received.
    """

    class Eligibility(models.TextChoices):
        ALL = "ALL", _("All customers")
        NEW_CUSTOMERS = "NEW_CUSTOMERS", _("New customers")
        EXISTING_CUSTOMERS = "EXISTING_CUSTOMERS", _("Existing customers")

    recur_id = models.CharField(_("Recur id"), max_length=64, unique=True)
    code = models.CharField(_("code"), max_length=20, db_index=True)
    coupon_id = models.CharField(_("coupon id"), max_length=64, db_index=True)
    coupon = models.JSONField(_("coupon"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(_("max redemptions"), null=True, blank=True)
    max_redemptions_per_customer = models.PositiveIntegerField(
        _("max redemptions per customer"), null=True, blank=True, default=1
    )
    minimum_amount = models.PositiveBigIntegerField(_("minimum amount"), null=True, blank=True)
    customer_eligibility = models.CharField(
        _("customer eligibility"),
        max_length=20,
        choices=Eligibility.choices,
        default=Eligibility.ALL,
    )
    restricted_to_customer_id = models.CharField(
        _("restricted to customer"), max_length=64, blank=True
    )
    current_redemptions = models.PositiveIntegerField(_("redemptions"), default=0)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    missing_from_recur = models.BooleanField(
        _("missing from Recur"),
        default=False,
        help_text=_("Set when the last full sync did not see this code on Recur."),
    )

    class Meta:
        verbose_name = _("promotion code")
        verbose_name_plural = _("promotion codes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code or self.recur_id

    @property
    def discount_display(self) -> str:
        """The coupon's discount as people read it: ``20% off``, ``NT$100 off``,
        ``NT$1 for the first period``, plus how long it lasts."""
        coupon = self.coupon if isinstance(self.coupon, dict) else {}
        kind = str(coupon.get("discount_type") or "").upper()
        if kind == "PERCENTAGE" and coupon.get("percent_off") is not None:
            text = _("%(percent)s%% off") % {"percent": coupon["percent_off"]}
        elif kind == "FIXED_AMOUNT" and coupon.get("amount_off") is not None:
            text = _("%(amount)s off") % {"amount": format_twd(coupon["amount_off"], "TWD")}
        elif kind == "FIRST_PERIOD_PRICE" and coupon.get("first_period_price") is not None:
            price = format_twd(coupon["first_period_price"], "TWD")
            return str(_("%(amount)s for the first period") % {"amount": price})
        else:
            return self.coupon_id
        duration = str(coupon.get("duration") or "").upper()
        if duration == "FOREVER":
            return str(_("%(discount)s, forever") % {"discount": text})
        if duration == "REPEATING" and coupon.get("duration_periods"):
            return str(
                _("%(discount)s for %(periods)s periods")
                % {"discount": text, "periods": coupon["duration_periods"]}
            )
        return str(_("%(discount)s, once") % {"discount": text})

    @property
    def redemptions_display(self) -> str:
        """Redemptions against the maximum: ``3 / 100`` or ``3 / ∞``."""
        maximum = "∞" if self.max_redemptions is None else str(self.max_redemptions)
        return f"{self.current_redemptions} / {maximum}"
