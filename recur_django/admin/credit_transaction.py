"""Credit movements in the admin: read-only, written from Recur's ``credits.*`` events and
:func:`recur_django.credits.deduct`'s answers."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recur_django.admin.read_only import ReadOnlyAdmin, change_link
from recur_django.models import CreditTransaction


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "recur_id",
        "customer_link",
        "kind",
        "signed",
        "balance_after",
        "description",
        "occurred_at",
    )
    list_filter = ("kind",)
    search_fields = ("recur_id", "customer__recur_id", "customer__email", "description", "order_id")
    list_select_related = ("customer",)
    date_hierarchy = "occurred_at"

    @admin.display(description=_("customer"), ordering="customer__email")
    def customer_link(self, obj: CreditTransaction) -> str:
        return change_link(obj.customer)

    @admin.display(description=_("credits"), ordering="amount")
    def signed(self, obj: CreditTransaction) -> str:
        return f"{obj.signed_amount:+d}"
