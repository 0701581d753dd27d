from django.contrib import admin

from tests.teams.models import Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "billing_email")
    search_fields = ("name", "=billing_email")
    inlines = [MembershipInline]
