"""Read-only admin of the payment ledger: payments with their refunds, and refunds.

Each payment links to its customer, owner, user, subscription, first-purchase transaction,
payment link and the webhook events that name its order or invoice, and shows its
e-invoice. Rows the ledger
flagged (``review_reason``) are found with the "Needs review" filter and show why on
their change page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from recur_django.admin.einvoice import EInvoiceInline
from recur_django.admin.owners import OwnerSearchMixin
from recur_django.admin.read_only import ReadOnlyAdmin, ReadOnlyTabularInline, change_link
from recur_django.admin.webhook_event import events_link
from recur_django.models import Payment, Refund
from recur_django.money import format_twd


class NeedsReviewFilter(admin.SimpleListFilter):
    """``?needs_review=yes``: rows the ledger flagged (``review_reason`` set); ``no``: the rest."""

    title = _("needs review")
    parameter_name = "needs_review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Needs review")), ("no", _("No review needed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(review_reason="")
        if self.value() == "no":
            return queryset.filter(review_reason="")
        return queryset


@admin.display(description=_("review"), boolean=True)
def flagged(obj: Any) -> bool:
    """The admin's "no" icon for a flagged row (``review_reason`` set), "yes" otherwise."""
    return not obj.review_reason


class RefundInline(ReadOnlyTabularInline):
    model = Refund
    fields = ("recur_id", "amount", "status", "review_reason", "created_at")
    readonly_fields = fields


class PaymentInline(ReadOnlyTabularInline):
    """A customer's or subscription's payments, newest first."""

    model = Payment
    fields = ("recur_id", "kind", "status", "price", "refunded", "paid_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    @admin.display(description=_("amount"))
    def price(self, obj: Payment) -> str:
        return format_twd(obj.amount, obj.currency) or "—"

    @admin.display(description=_("refunded amount"))
    def refunded(self, obj: Payment) -> str:
        return format_twd(obj.refunded_amount, obj.currency) if obj.refunded_amount else "—"


@admin.register(Payment)
class PaymentAdmin(OwnerSearchMixin, ReadOnlyAdmin):
    list_display = (
        "recur_id",
        "kind",
        "status",
        "price",
        "refunded",
        "customer",
        "owner",
        "paid_at",
        flagged,
    )
    list_filter = (NeedsReviewFilter, "kind", "status", "paid_at", "created_at")
    search_fields = (
        "=recur_id",
        "=order_id",
        "=invoice_id",
        "customer__email",
        "user__email",
        "=customer__recur_id",
    )
    list_select_related = ("customer", "owner")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [EInvoiceInline, RefundInline]
    fields = (
        "review_reason",
        "recur_id",
        "order_id",
        "invoice_id",
        "kind",
        "status",
        "price",
        "refunded",
        "currency",
        "billing_reason",
        "failure_reason",
        "paid_at",
        "failed_at",
        "customer_link",
        "owner_link",
        "user_link",
        "subscription_link",
        "transaction_link",
        "payment_link_link",
        "webhook_events",
        "created_at",
        "updated_at",
        "raw",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def price(self, obj: Payment) -> str:
        return format_twd(obj.amount, obj.currency) or "—"

    @admin.display(description=_("refunded amount"), ordering="refunded_amount")
    def refunded(self, obj: Payment) -> str:
        return format_twd(obj.refunded_amount, obj.currency) if obj.refunded_amount else "—"

    @admin.display(description=_("customer"))
    def customer_link(self, obj: Payment) -> str:
        return change_link(obj.customer)

    @admin.display(description=_("owner"))
    def owner_link(self, obj: Payment) -> str:
        return change_link(obj.owner)

    @admin.display(description=_("user"))
    def user_link(self, obj: Payment) -> str:
        return change_link(obj.user)

    @admin.display(description=_("subscription"))
    def subscription_link(self, obj: Payment) -> str:
        return change_link(obj.subscription)

    @admin.display(description=_("transaction"))
    def transaction_link(self, obj: Payment) -> str:
        return change_link(obj.transaction, obj.transaction.public_id if obj.transaction else None)

    @admin.display(description=_("payment link"))
    def payment_link_link(self, obj: Payment) -> str:
        return change_link(obj.payment_link)

    @admin.display(description=_("webhook events"))
    def webhook_events(self, obj: Payment) -> str:
        ids = [i for i in dict.fromkeys((obj.invoice_id, obj.order_id, obj.recur_id)) if i]
        return format_html_join(" · ", "{}", ((events_link(i),) for i in ids)) or "—"


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("recur_id", "payment", "amount", "currency", "status", "created_at", flagged)
    list_filter = (NeedsReviewFilter, "status", "created_at")
    search_fields = ("=recur_id", "=order_id", "=invoice_id", "payment__recur_id")
    list_select_related = ("payment",)
    fields = (
        "review_reason", "recur_id", "payment_page", "order_id", "invoice_id", "amount",
        "currency", "status", "raw",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("payment"))
    def payment_page(self, obj: Refund) -> str:
        return change_link(obj.payment)
