"""Read-only admin for Transaction."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from recur_django.models import Transaction


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by Recur's events: viewable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "user",
        "product_id",
        "mode",
        "amount",
        "currency",
        "status",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "mode", "currency", "created_at")
    search_fields = ("=public_id", "=checkout_session_id", "user__email", "=order_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [f.name for f in Transaction._meta.fields]
