"""Read-only admin of the Subscription mirror (Recur is the source of truth)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from recur_django.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "recur_id",
        "customer",
        "product_slug",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "last_event_at",
    ]
    list_filter = ["status", "cancel_at_period_end", "product_slug"]
    search_fields = [
        "recur_id",
        "customer__recur_id",
        "customer__email",
        "customer__user__email",
        "product_id",
        "product_slug",
    ]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = [f.name for f in Subscription._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
