"""Admin of the e-invoice endpoint's state: invoices (voided or not), their allowances."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from recur_django.emulator.models import InvoiceAllowance, UniformInvoice
from recur_django.read_only_admin import ReadOnlyModelAdmin


class VoidedFilter(admin.SimpleListFilter):
    title = _("voided")
    parameter_name = "voided"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Voided")), ("no", _("Standing"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(voided_at__isnull=self.value() == "no")
        return queryset


class AllowanceInline(admin.TabularInline):
    model = InvoiceAllowance
    extra = 0
    can_delete = False
    fields = ("number", "amount", "issued_at", "notify", "voided_at", "void_reason")
    readonly_fields = fields
    show_change_link = True


@admin.register(UniformInvoice)
class UniformInvoiceAdmin(ReadOnlyModelAdmin):
    deletable = True
    list_display = (
        "number",
        "relate_number",
        "issued_at",
        "total_amount",
        "remaining_allowance",
        "customer_identifier",
        "carrier_type",
        "donated",
        "voided_at",
    )
    list_filter = (VoidedFilter, "period", "carrier_type", "donated", "printed")
    search_fields = ("number", "relate_number", "customer_identifier", "customer_email")
    inlines = [AllowanceInline]


@admin.register(InvoiceAllowance)
class InvoiceAllowanceAdmin(ReadOnlyModelAdmin):
    deletable = True
    list_display = ("number", "invoice", "amount", "issued_at", "voided_at")
    list_filter = (VoidedFilter,)
    search_fields = ("number", "invoice__number", "invoice__relate_number")
