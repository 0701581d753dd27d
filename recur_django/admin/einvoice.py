"""Read-only admin of the e-invoices (統一發票) and their allowances (折讓).

Rows come from the provider's answers: nothing is typed in by hand. The list filters by
status, kind and VAT period (the two-month periods present), and searches by invoice
number, relate number, the customer (Recur id, e-mail) and the billing owner. Each invoice
shows its allowances inline, and the payment's page shows its invoice. The actions (retry,
void, allowance) are in :mod:`recur_django.admin.einvoice_actions`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from recur_django.admin.einvoice_actions import AllowanceActions, EInvoiceActions
from recur_django.admin.owners import OwnerSearchMixin
from recur_django.admin.read_only import ReadOnlyAdmin, ReadOnlyTabularInline, change_link
from recur_django.einvoice.rules import TAIPEI, Period, period_of, void_deadline
from recur_django.models import EInvoice, EInvoiceAllowance
from recur_django.money import format_twd


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The first moment of ``period`` and of the next one (aware, Taiwan's calendar)."""
    following = period.next()
    return (
        datetime(period.year, period.month, 1, tzinfo=TAIPEI),
        datetime(following.year, following.month, 1, tzinfo=TAIPEI),
    )


def parse_period(code: Any) -> Period | None:
    """``"20260102"`` (:attr:`Period.code`) as a Period; None for anything else."""
    text = str(code or "")
    if len(text) != 8 or not text.isdigit():
        return None
    year, month = int(text[:4]), int(text[4:6])
    if int(text[6:]) != month + 1 or not 1 <= year <= 9998:
        return None
    try:
        return Period(year, month)
    except ValueError:
        return None


class PeriodFilter(admin.SimpleListFilter):
    """``?period=20260102``: invoices issued in that two-month VAT period (Asia/Taipei).

    The choices are the periods the issued invoices fall in, newest first."""

    title = _("VAT period")
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        months = model_admin.get_queryset(request).datetimes("issued_at", "month", tzinfo=TAIPEI)
        periods = sorted({period_of(month) for month in months}, reverse=True)
        return [(period.code, str(period)) for period in periods]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        period = parse_period(self.value())
        if period is None:
            return queryset.none()
        start, end = period_bounds(period)
        return queryset.filter(issued_at__gte=start, issued_at__lt=end)


class AllowanceInline(ReadOnlyTabularInline):
    """An invoice's allowances, newest first."""

    model = EInvoiceAllowance
    fields = ("number", "price", "status", "refund", "issued_at", "last_error")
    readonly_fields = fields
    ordering = ("-created_at",)

    @admin.display(description=_("amount"))
    def price(self, obj: EInvoiceAllowance) -> str:
        return format_twd(obj.amount)


class EInvoiceInline(ReadOnlyTabularInline):
    """The invoice of a payment, on the payment's page."""

    model = EInvoice
    fields = ("number", "status", "kind", "price", "relate_number", "issued_at", "last_error")
    readonly_fields = fields
    verbose_name_plural = _("e-invoice")

    @admin.display(description=_("amount"))
    def price(self, obj: EInvoice) -> str:
        return format_twd(obj.amount)


@admin.register(EInvoice)
class EInvoiceAdmin(OwnerSearchMixin, EInvoiceActions, ReadOnlyAdmin):
    owner_search_path = "payment__owner"
    list_display = (
        "invoice_number",
        "relate_number",
        "status",
        "kind",
        "price",
        "payment",
        "owner",
        "issued_at",
    )
    list_display_links = ("invoice_number",)
    list_filter = ("status", "kind", PeriodFilter, "issued_at")
    search_fields = (
        "=number",
        "=relate_number",
        "=payment__customer__recur_id",
        "payment__customer__email",
        "email",
    )
    list_select_related = ("payment", "payment__owner")
    show_full_result_count = False
    inlines = [AllowanceInline]
    actions = ["retry_invoices", "void_invoices", "allow_invoice"]
    fields = (
        "number",
        "random_number",
        "status",
        "relate_number",
        "provider",
        "price",
        "sales_amount",
        "tax_amount",
        "remaining",
        "issued_at",
        "deadline",
        "voided_at",
        "void_reason",
        "kind",
        "carrier",
        "love_code",
        "ubn",
        "title",
        "address",
        "email",
        "name",
        "payment_link",
        "owner_link",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "updated_at",
        "raw",
    )
    readonly_fields = fields

    @admin.display(description=_("invoice number"), ordering="number")
    def invoice_number(self, obj: EInvoice) -> str:
        return obj.number or "—"

    @admin.display(description=_("amount"), ordering="amount")
    def price(self, obj: EInvoice) -> str:
        return format_twd(obj.amount)

    @admin.display(description=_("owner"))
    def owner(self, obj: EInvoice) -> Any:
        return obj.payment.owner or "—"

    @admin.display(description=_("owner"))
    def owner_link(self, obj: EInvoice) -> str:
        return change_link(obj.payment.owner)

    @admin.display(description=_("payment"))
    def payment_link(self, obj: EInvoice) -> str:
        return change_link(obj.payment)

    @admin.display(description=_("remaining for allowances"))
    def remaining(self, obj: EInvoice) -> str:
        return format_twd(obj.remaining_amount)

    @admin.display(description=_("void deadline"))
    def deadline(self, obj: EInvoice) -> str:
        # Formatted like the page's other times (a method's datetime would show as str()).
        if not obj.issued_at:
            return "—"
        return str(display_for_value(void_deadline(obj.issued_at), "—"))


@admin.register(EInvoiceAllowance)
class EInvoiceAllowanceAdmin(AllowanceActions, ReadOnlyAdmin):
    list_display = ("__str__", "einvoice", "price", "status", "refund", "issued_at")
    list_filter = ("status", "issued_at")
    search_fields = ("=number", "=einvoice__number", "=einvoice__relate_number")
    list_select_related = ("einvoice", "refund")
    show_full_result_count = False
    actions = ["retry_allowances"]
    fields = (
        "number",
        "status",
        "price",
        "einvoice_link",
        "refund_link",
        "remaining_before",
        "issued_at",
        "voided_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "updated_at",
        "raw",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def price(self, obj: EInvoiceAllowance) -> str:
        return format_twd(obj.amount)

    @admin.display(description=_("e-invoice"))
    def einvoice_link(self, obj: EInvoiceAllowance) -> str:
        return change_link(obj.einvoice)

    @admin.display(description=_("refund"))
    def refund_link(self, obj: EInvoiceAllowance) -> str:
        return change_link(obj.refund)
