"""The promotion-code admin's forms: validate locally, then write through the Recur API
(:class:`~recur_django.admin.write_through.WriteThroughForm`)."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import DatabaseError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recur_django import promotion_codes as service
from recur_django.admin.write_through import MetadataField, WriteThroughForm, db_error_text
from recur_django.client.errors import RecurError
from recur_django.client.promotion_codes import CODE_PATTERN
from recur_django.models import PromotionCode

logger = logging.getLogger("recur_django.admin.promotion_code")

#: Words in a Recur error message that point at one form field.
_ERROR_FIELDS = (
    ("coupon", "coupon_id"),
    ("valid_until", "valid_until"),
    ("valid_from", "valid_from"),
    ("per_customer", "max_redemptions_per_customer"),
    ("max_redemptions", "max_redemptions"),
    ("minimum", "minimum_amount"),
    ("eligib", "customer_eligibility"),
    ("customer", "restricted_to_customer_id"),
    ("metadata", "metadata"),
    ("code", "code"),
)


def repair_unstored(exc: service.PromotionCodeNotStored) -> tuple[PromotionCode | None, str]:
    """Read back from Recur a code it accepted but we failed to store; returns the stored
    code (None when that failed too) and a message for the admin."""
    values = {"code": exc.recur_id, "error": db_error_text(exc.error)}
    try:
        promo = service.refresh_promotion_code(exc.recur_id)
    except (RecurError, DatabaseError) as again:
        logger.error("Promotion code %s could not be read back and stored: %s", exc.recur_id, again)
        values["again"] = db_error_text(again)
        return None, gettext(
            "Recur accepted the change to promotion code %(code)s, but storing it here failed "
            "(%(error)s) and so did reading it back (%(again)s). Do not repeat the change: "
            "“Sync from Recur” stores the code as Recur has it."
        ) % values
    logger.warning("Promotion code %s stored after reading it back from Recur.", exc.recur_id)
    return promo, gettext(
        "Recur accepted the change to promotion code %(code)s. Storing it here failed at "
        "first (%(error)s), so the code was read back from Recur and stored."
    ) % values


class CodeField(forms.CharField):
    """A promotion code: typed in any letter case, checked and sent in capitals."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).upper()


class _PromotionCodeForm(WriteThroughForm):
    not_stored = service.PromotionCodeNotStored
    error_fields = _ERROR_FIELDS
    nothing_saved_message = _("Nothing was saved: Recur keeps the promotion code as it was.")

    metadata = MetadataField(
        label=_("Metadata"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_('A JSON object of your own keys, e.g. {"campaign": "spring"}.'),
    )

    def repair(self, exc: service.PromotionCodeNotStored) -> tuple[PromotionCode | None, str]:
        return repair_unstored(exc)


class PromotionCodeAddForm(_PromotionCodeForm):
    """Create a code on Recur for one of its coupons."""

    coupon_id = forms.CharField(
        label=_("Coupon"),
        max_length=64,
        help_text=_(
            "The id (cpn_…) of the coupon in Recur's dashboard: it says what the code takes "
            "off and for how long."
        ),
    )
    code = CodeField(
        label=_("Code"),
        max_length=20,
        validators=[
            RegexValidator(
                CODE_PATTERN,
                _("3 to 20 characters: uppercase letters and digits only."),
                code="invalid_code",
            )
        ],
        help_text=_("What customers type, e.g. SPRING20 (small letters are made capitals)."),
    )
    valid_from = forms.SplitDateTimeField(
        label=_("Valid from"), required=False, widget=AdminSplitDateTime
    )
    valid_until = forms.SplitDateTimeField(
        label=_("Valid until"), required=False, widget=AdminSplitDateTime
    )
    max_redemptions = forms.IntegerField(
        label=_("Max redemptions"),
        required=False,
        validators=[MinValueValidator(1)],
        help_text=_("Paid checkouts that may use the code in all. Empty means unlimited."),
    )
    max_redemptions_per_customer = forms.IntegerField(
        label=_("Max redemptions per customer"),
        required=False,
        initial=1,
        validators=[MinValueValidator(1)],
        help_text=_("Empty means Recur's default (1)."),
    )
    minimum_amount = forms.IntegerField(
        label=_("Minimum amount (TWD)"),
        required=False,
        validators=[MinValueValidator(0)],
        help_text=_("The code works only on a price of at least this many whole TWD."),
    )
    restricted_to_customer_id = forms.CharField(
        label=_("Only for customer"),
        required=False,
        max_length=64,
        help_text=_("A Recur customer id (cus_…): only this customer may use the code."),
    )

    class Meta:
        model = PromotionCode
        fields = (
            "coupon_id",
            "code",
            "valid_from",
            "valid_until",
            "max_redemptions",
            "max_redemptions_per_customer",
            "minimum_amount",
            "customer_eligibility",
            "restricted_to_customer_id",
            "active",
            "metadata",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", ValidationError(_("Must be after “Valid from”.")))
        return data

    def write_to_recur(self) -> PromotionCode:
        data = self.cleaned_data
        return service.create_promotion_code(
            coupon_id=data["coupon_id"].strip(),
            code=data["code"],
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            max_redemptions=data.get("max_redemptions"),
            max_redemptions_per_customer=data.get("max_redemptions_per_customer"),
            minimum_amount=data.get("minimum_amount"),
            customer_eligibility=data.get("customer_eligibility") or None,
            restricted_to_customer_id=(data.get("restricted_to_customer_id") or "").strip(),
            active=bool(data.get("active")),
            metadata=data.get("metadata") or None,
        )


class PromotionCodeChangeForm(_PromotionCodeForm):
    """Edit a code: Recur lets an update change ``active`` and ``metadata`` (only the
    changed ones are sent); the terms are fixed once customers may have seen them."""

    class Meta:
        model = PromotionCode
        fields = ("active", "metadata")

    def write_to_recur(self) -> PromotionCode:
        changes = {name: self.cleaned_data.get(name) for name in self.changed_data}
        if not changes:
            return self.instance
        return service.update_promotion_code(self.instance.recur_id, **changes)
