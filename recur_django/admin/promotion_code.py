"""Promotion codes in the Django admin, written through the Recur API.

Adding creates the code on Recur first and stores Recur's answer; editing sends only the
changed ``active`` / ``metadata``; "delete" deactivates the code on Recur and keeps the
local record (Recur never deletes a code). The write-through rules are
:class:`~recur_django.admin.write_through_admin.WriteThroughAdmin`'s.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from recur_django import promotion_codes as service
from recur_django.admin.promotion_code_forms import (
    PromotionCodeAddForm,
    PromotionCodeChangeForm,
    repair_unstored,
)
from recur_django.admin.write_through_admin import WriteThroughAdmin
from recur_django.models import PromotionCode
from recur_django.money import format_twd

#: Fields only Recur sets (or fixed once created): read-only on the change page.
RECUR_SET_FIELDS = (
    "recur_id",
    "code",
    "coupon_id",
    "discount",
    "valid_from",
    "valid_until",
    "max_redemptions",
    "max_redemptions_per_customer",
    "minimum_amount_display",
    "customer_eligibility",
    "restricted_to_customer_id",
    "redemptions",
    "created_at",
    "updated_at",
    "synced_at",
    "missing_from_recur",
)


@admin.register(PromotionCode)
class PromotionCodeAdmin(WriteThroughAdmin):
    """Manage Recur promotion codes; every write goes through the Recur API."""

    form = PromotionCodeChangeForm
    add_form = PromotionCodeAddForm
    list_display = (
        "code",
        "discount",
        "active",
        "redemptions",
        "valid_until",
        "customer_eligibility",
        "created_at",
    )
    list_filter = ("active", "missing_from_recur", "customer_eligibility")
    search_fields = ("code", "recur_id", "coupon_id")
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ("activate_codes", "deactivate_codes", "sync_from_recur", "forget_missing_codes")
    change_list_template = "admin/recur_django/promotioncode/change_list.html"
    change_form_template = "admin/recur_django/promotioncode/change_form.html"
    delete_confirmation_template = "admin/recur_django/promotioncode/delete_confirmation.html"

    add_fieldsets = (
        (None, {"fields": ("code", "coupon_id", "active")}),
        (_("When"), {"fields": ("valid_from", "valid_until")}),
        (
            _("Limits"),
            {
                "fields": (
                    "max_redemptions",
                    "max_redemptions_per_customer",
                    "minimum_amount",
                    "customer_eligibility",
                    "restricted_to_customer_id",
                )
            },
        ),
        (_("Options"), {"fields": ("metadata",)}),
    )
    change_fieldsets = (
        (None, {"fields": ("recur_id", "code", "active", "missing_from_recur", "metadata")}),
        (_("Discount (set by Recur's coupon)"), {"fields": ("coupon_id", "discount")}),
        (
            _("Terms (fixed once created)"),
            {
                "fields": (
                    "valid_from",
                    "valid_until",
                    "max_redemptions",
                    "max_redemptions_per_customer",
                    "minimum_amount_display",
                    "customer_eligibility",
                    "restricted_to_customer_id",
                )
            },
        ),
        (
            _("Activity (set by Recur)"),
            {"fields": ("redemptions", "created_at", "updated_at", "synced_at")},
        ),
    )

    # -- columns ------------------------------------------------------------------------

    @admin.display(description=_("discount"), ordering="coupon_id")
    def discount(self, obj: PromotionCode) -> str:
        return obj.discount_display

    @admin.display(description=_("redemptions / max"), ordering="current_redemptions")
    def redemptions(self, obj: PromotionCode) -> str:
        return obj.redemptions_display

    @admin.display(description=_("minimum amount"), ordering="minimum_amount")
    def minimum_amount_display(self, obj: PromotionCode) -> str:
        return format_twd(obj.minimum_amount, "TWD") if obj.minimum_amount else "—"

    # -- forms ----------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        if obj.missing_from_recur:
            return self.change_fieldsets
        (name, options), *rest = self.change_fieldsets
        fields = tuple(f for f in options["fields"] if f != "missing_from_recur")
        return ((name, {**options, "fields": fields}), *rest)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else RECUR_SET_FIELDS

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    # -- what the write-through base needs ----------------------------------------------

    not_stored = service.PromotionCodeNotStored
    repair_unstored = staticmethod(repair_unstored)
    deactivate = staticmethod(service.deactivate_promotion_code)
    missing_message = _("That promotion code does not exist.")
    deactivated_message = _("The promotion code “%(object)s” was deactivated on Recur.")
    deactivate_title = _("Deactivate promotion code")

    # -- bulk actions ---------------------------------------------------------------------

    unknown_message = _("%(object)s: Recur does not know this promotion code (%(message)s).")

    def _set_codes_active(
        self, request: HttpRequest, queryset: QuerySet[PromotionCode], active: bool
    ) -> None:
        self._set_active(
            request,
            queryset,
            active,
            service.activate_promotion_code if active else service.deactivate_promotion_code,
            ngettext_lazy(
                "Activated %(count)d promotion code on Recur.",
                "Activated %(count)d promotion codes on Recur.",
                "count",
            )
            if active
            else ngettext_lazy(
                "Deactivated %(count)d promotion code on Recur.",
                "Deactivated %(count)d promotion codes on Recur.",
                "count",
            ),
            _("Nothing to do: every selected promotion code already is %(state)s.")
            % {"state": _("active") if active else _("inactive")},
        )

    @admin.action(description=_("Activate selected promotion codes"), permissions=["change"])
    def activate_codes(self, request: HttpRequest, queryset: QuerySet[PromotionCode]) -> None:
        self._set_codes_active(request, queryset, True)

    @admin.action(description=_("Deactivate selected promotion codes"), permissions=["change"])
    def deactivate_codes(self, request: HttpRequest, queryset: QuerySet[PromotionCode]) -> None:
        self._set_codes_active(request, queryset, False)

    @admin.action(description=_("Sync all promotion codes from Recur"), permissions=["change"])
    def sync_from_recur(self, request: HttpRequest, queryset: Any = None) -> None:
        self._sync(
            request,
            service.sync_promotion_codes,
            ngettext_lazy(
                "Synced %(seen)d promotion code from Recur: %(created)d new, %(updated)d "
                "updated, %(missing)d no longer on Recur.",
                "Synced %(seen)d promotion codes from Recur: %(created)d new, %(updated)d "
                "updated, %(missing)d no longer on Recur.",
                "seen",
            ),
        )

    @admin.action(
        description=_("Forget selected codes that Recur no longer returns (local only)"),
        permissions=["delete"],
    )
    def forget_missing_codes(self, request: HttpRequest, queryset: QuerySet[PromotionCode]) -> None:
        self._forget_missing(
            request,
            queryset,
            _(
                "Nothing removed: only codes marked “missing from Recur” by a sync can be "
                "forgotten."
            ),
            ngettext_lazy(
                "Removed the local record of %(count)d code missing from Recur.",
                "Removed the local records of %(count)d codes missing from Recur.",
                "count",
            ),
        )
