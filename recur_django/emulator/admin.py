"""Admin for the emulator: inspect state; deliveries show every attempt inline."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from recur_django.emulator import sender
from recur_django.emulator.models import (
    CheckoutSession,
    Customer,
    DeliveryAttempt,
    Event,
    Fault,
    Order,
    PaymentLink,
    PortalSession,
    Product,
    Subscription,
    WebhookDelivery,
)
from recur_django.read_only_admin import ReadOnlyModelAdmin


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    """State changes go through the API and pages, so the admin only reads (and clears)."""

    deletable = True


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("id", "slug", "name", "type", "billing_period", "price", "currency", "active")
    list_filter = ("type", "active")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "email", "external_id", "status", "card_fails", "created_at")
    search_fields = ("id", "email", "external_id")
    list_filter = ("card_fails",)
    fields = ("id", "email", "name", "external_id", "status", "card_fails", "created_at")
    readonly_fields = ("id", "email", "name", "external_id", "status", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "product", "mode", "status", "amount", "customer_email", "created_at")
    list_filter = ("status", "mode")
    search_fields = ("id", "customer_email")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "amount", "currency", "customer", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("id", "customer__email")


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
