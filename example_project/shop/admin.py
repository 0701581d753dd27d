from django.contrib import admin

from example_project.shop.models import CreditEntry


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "amount", "note", "transaction", "created_at"]
    list_select_related = ["user", "transaction"]
    search_fields = ["user__username", "user__email", "note"]
    readonly_fields = ["transaction", "created_at"]
