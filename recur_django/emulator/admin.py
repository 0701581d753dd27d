"""Admin for the emulator: inspect state; deliveries show every attempt inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from recur_django.emulator import sender
from recur_django.emulator.models import (
    CheckoutSession,
    Coupon,
    CreditTransaction,
    Customer,
    DeliveryAttempt,
    Event,
    Fault,
    Invoice,
    Order,
    PaymentLink,
    PortalSession,
    Product,
    PromotionCode,
    Refund,
    Subscription,
    WebhookDelivery,
)
from recur_django.emulator.services import catalog, refunds
from recur_django.read_only_admin import ReadOnlyModelAdmin


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    """State changes go through the API and pages, so the admin only reads (and clears)."""

    deletable = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Edit the catalogue as in Recur's dashboard: each save sends ``product.created`` or
    ``product.updated`` (archive a product by unticking *active*; it is never deleted)."""

    list_display = ("id", "slug", "name", "type", "billing_period", "price", "currency", "active")
    list_filter = ("type", "active")
    search_fields = ("id", "slug", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("id", "slug", "type", "created_at") if obj is not None else ("created_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            catalog.announce(obj, created=not change)


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "discount_type", "duration", "duration_periods", "active")
    list_filter = ("discount_type", "duration", "active")
    search_fields = ("id", "name")


@admin.register(PromotionCode)
class PromotionCodeAdmin(ReadOnlyAdmin):
    """Promotion codes are created and changed through the API (``/v1/promotion-codes``)."""

    list_display = ("code", "id", "coupon", "active", "valid_until", "max_redemptions")
    list_filter = ("active", "customer_eligibility")
    search_fields = ("code", "id")


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "customer",
        "type",
        "amount",
        "balance_after",
        "description",
        "created_at",
    )
    list_filter = ("type",)
    search_fields = ("id", "customer__email", "description")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "email",
        "external_id",
        "status",
        "card_fails",
        "credit_balance",
        "created_at",
    )
    search_fields = ("id", "email", "external_id")
    list_filter = ("card_fails",)
    fields = (
        "id",
        "email",
        "name",
        "external_id",
        "status",
        "card_fails",
        "credit_balance",
        "created_at",
    )
    readonly_fields = (
        "id",
        "email",
        "name",
        "external_id",
        "status",
        "credit_balance",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "product", "mode", "status", "amount", "customer_email", "created_at")
    list_filter = ("status", "mode")
    search_fields = ("id", "customer_email")


def _refund_each(request: HttpRequest, ids: list[str]) -> None:
    """Refund what is left of each order or invoice; one message per refusal."""
    done = 0
    for identifier in ids:
        try:
            refunds.refund(identifier, reason="requested_by_customer")
        except refunds.RefundError as exc:
            messages.error(request, exc.message)
        else:
            done += 1
    if done:
        made = ngettext("%(count)d refund made.", "%(count)d refunds made.", done)
        messages.success(request, made % {"count": done})


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "billing_reason",
        "status",
        "amount",
        "refunded_amount",
        "currency",
        "customer",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("id", "customer__email", "invoice__id")
    actions = ["refund"]

    @admin.action(description=_("Refund selected orders (what is left of each)"))
    def refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _refund_each(request, list(queryset.values_list("id", flat=True)))


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "billing_reason",
        "status",
        "amount",
        "attempt_count",
        "subscription",
        "created_at",
    )
    list_filter = ("status", "billing_reason")
    search_fields = ("id", "customer__email", "subscription__id")
    actions = ["refund"]

    @admin.action(description=_("Refund selected invoices (what is left of each)"))
    def refund(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _refund_each(request, list(queryset.values_list("id", flat=True)))


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "order", "status", "amount", "refunded_total", "reason", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "order__id")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "product", "status", "current_period_end")
    list_filter = ("status",)
    search_fields = ("id", "customer__email")


@admin.register(PaymentLink)
class PaymentLinkAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "url_id",
        "product",
        "active",
        "view_count",
        "session_count",
        "completed_count",
    )
    list_filter = ("active",)


@admin.register(PortalSession)
class PortalSessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "expires_at", "accessed_at")


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("url", "status", "attempt_count", "next_attempt_at", "delivered_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "timestamp")
    list_filter = ("type",)
    search_fields = ("event_id",)
    inlines = [DeliveryInline]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "started_at",
        "status_code",
        "succeeded",
        "duration_ms",
        "error",
        "response_snippet",
    )
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("event", "url", "status", "attempt_count", "next_attempt_at", "delivered_at")
    list_filter = ("status",)
    inlines = [AttemptInline]
    actions = ["send_now"]

    @admin.action(description=_("Send selected deliveries now"))
    def send_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset.select_related("event"):
            if delivery.status != WebhookDelivery.Status.PENDING:
                delivery.status = WebhookDelivery.Status.PENDING
                delivery.save(update_fields=["status"])
            sender.send(delivery)
            count += 1
        messages.info(request, _("%(count)d deliveries sent.") % {"count": count})


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    list_display = ("kind", "remaining", "options", "created_at")


# The e-invoice endpoint's admins register themselves on import.
from recur_django.emulator.einvoice import admin as einvoice_admin  # noqa: E402, F401
