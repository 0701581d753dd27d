"""Read-only admin for Customer."""

from __future__ import annotations

from django.contrib import admin

from recur_django.admin.transaction import ReadOnlyAdmin
from recur_django.models import Customer


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("recur_id", "user", "email", "external_id", "created_at")
    search_fields = ("=recur_id", "email", "=external_id", "user__email")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Customer._meta.fields]
