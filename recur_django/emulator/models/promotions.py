from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Coupon(models.Model):
    """A discount (``cpn_…``) that promotion codes make redeemable.

    Recur documents coupons by behaviour only (no public API): a fixed amount off, a
    percentage off, or a price for the first period; for the first period, N periods, or
    forever. The emulator seeds them from ``RECUR_EMULATOR["COUPONS"]`` and the control
    endpoint's ``coupon`` action.
    """

    class DiscountType(models.TextChoices):
        FIXED_AMOUNT = "FIXED_AMOUNT", _("Fixed amount off")
        PERCENTAGE = "PERCENTAGE", _("Percentage off")
        FIRST_PERIOD_PRICE = "FIRST_PERIOD_PRICE", _("First-period price")

    class Duration(models.TextChoices):
        ONCE = "ONCE", _("Once")
        REPEATING = "REPEATING", _("Several periods")
        FOREVER = "FOREVER", _("Forever")

    id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    discount_type = models.CharField(
        _("discount type"), max_length=20, choices=DiscountType.choices
    )
    amount_off = models.PositiveIntegerField(
        _("amount off"), null=True, blank=True, help_text=_("Whole TWD (fixed amount).")
    )
    percent_off = models.PositiveSmallIntegerField(
        _("percent off"), null=True, blank=True, help_text=_("1 to 100 (percentage).")
    )
    first_period_price = models.PositiveIntegerField(
        _("first-period price"), null=True, blank=True, help_text=_("Whole TWD.")
    )
    duration = models.CharField(
        _("duration"), max_length=20, choices=Duration.choices, default=Duration.ONCE
    )
    duration_periods = models.PositiveSmallIntegerField(
        _("periods"), null=True, blank=True, help_text=_("How many periods (several periods).")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")

    def __str__(self) -> str:
        return f"{self.name or self.id} ({self.id})"

    def discount_on(self, price: int) -> int:
        """What this coupon takes off ``price``: whole TWD (a percentage rounds to the
        nearest), never more than the price."""
        if self.discount_type == self.DiscountType.FIXED_AMOUNT:
            off = self.amount_off or 0
        elif self.discount_type == self.DiscountType.PERCENTAGE:
            off = (price * (self.percent_off or 0) + 50) // 100
        else:
            off = price - (self.first_period_price or 0)
        return max(0, min(off, price))


class PromotionCode(models.Model):
    """A customer-facing code (``promo_…``) for one coupon."""

    class Eligibility(models.TextChoices):
        ALL = "ALL", _("All customers")
        NEW_CUSTOMERS = "NEW_CUSTOMERS", _("New customers")
        EXISTING_CUSTOMERS = "EXISTING_CUSTOMERS", _("Existing customers")

    id = models.CharField(primary_key=True, max_length=64)
    code = models.CharField(_("code"), max_length=20, db_index=True)
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="promotion_codes")
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(_("max redemptions"), null=True, blank=True)
    max_redemptions_per_customer = models.PositiveIntegerField(
        _("max redemptions per customer"), null=True, blank=True, default=1
    )
    minimum_amount = models.PositiveIntegerField(_("minimum amount"), null=True, blank=True)
    customer_eligibility = models.CharField(
        _("customer eligibility"),
        max_length=20,
        choices=Eligibility.choices,
        default=Eligibility.ALL,
    )
    restricted_to_customer_id = models.CharField(max_length=64, null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("promotion code")
        verbose_name_plural = _("promotion codes")

    def __str__(self) -> str:
        return f"{self.code} ({self.id})"


class Redemption(models.Model):
    """One paid checkout that used a promotion code (counts toward its limits)."""

    promotion_code = models.ForeignKey(
        PromotionCode, on_delete=models.CASCADE, related_name="redemptions"
    )
    customer = models.ForeignKey(
        "recur_emulator.Customer", on_delete=models.CASCADE, related_name="redemptions"
    )
    checkout_session = models.OneToOneField(
        "recur_emulator.CheckoutSession", on_delete=models.CASCADE, related_name="redemption"
    )
    discount_amount = models.PositiveIntegerField(_("discount"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return f"{self.promotion_code_id} by {self.customer_id}"
